"""black's formatting of generated code, with black run only on what needs it.

black formats about a thousand lines a second. The generator writes nearly every line as black
would (see codecs.py, layout.py), so black runs on single statements: black formats a logical
line by itself (its splits depend on the line, its depth and the mode, never on its
neighbours), and the target versions are fixed, so a statement formatted alone, at its depth,
comes out as it would in its module.
"""

from __future__ import annotations

import functools
import io
import os
import tokenize

import black
from black._width_table import WIDTH_TABLE
from black.strings import char_width

LINE = 88
MODE = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=LINE)  # type: ignore[attr-defined]


def format_code(source: str, name: str) -> str:
    try:
        return black.format_str(source, mode=MODE)
    except Exception as e:  # pragma: no cover - a template bug, never user input
        raise RuntimeError(f"internal error: generated {name} is not valid Python ({e})") from e


_PARALLEL_FROM = 256 * 1024  # below this many bytes of code, starting processes costs more


def _format_code_args(args: tuple[str, str]) -> str:
    return format_code(*args)


def format_all(sources: list[tuple[str, str]]) -> list[str]:
    """`format_code` on every (source, name), on every core when there is much of it."""
    workers = min(os.cpu_count() or 1, len(sources), 8)
    if workers < 2 or sum(len(src) for src, _ in sources) < _PARALLEL_FROM:
        return [format_code(src, name) for src, name in sources]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunksize = max(1, len(sources) // (workers * 4))
        return list(pool.map(_format_code_args, sources, chunksize=chunksize))


class _ZeroWidthError(Exception):
    pass


class _Extra(dict[int, str | None]):
    """`str.translate` table: a character to `char_width - 1` marks (none: most characters).

    Filled on first use of each character (`char_width` is a search per character)."""

    def __missing__(self, code: int) -> str | None:
        char_w = char_width(chr(code))
        if char_w < 1:
            raise _ZeroWidthError  # (none in black's table today)
        self[code] = extra = "x" * (char_w - 1) if char_w > 1 else None
        return extra


_EXTRA = _Extra()
# Every character below this one is one column wide (the table lists the others).
_NARROW_BELOW = chr(min(start for start, _, _ in WIDTH_TABLE))


def width(text: str) -> int:
    """black's `str_width`: how wide a line is (East Asian wide characters count twice)."""
    if text.isascii() or max(text) < _NARROW_BELOW:
        return len(text)
    try:
        return len(text) + len(text.translate(_EXTRA))
    except _ZeroWidthError:
        return sum(map(char_width, text))


@functools.lru_cache(maxsize=4096)
def black_keeps(source: str) -> bool:
    """Does black leave `source` exactly as it is?"""
    try:
        return black.format_str(source, mode=MODE) == source
    except black.parsing.InvalidInput:
        return False  # (black on the whole statement reports it)


# -- function bodies ---------------------------------------------------------------------------

# A clause that cannot stand alone, and what it is formatted after.
_CONTINUES = {
    "elif": "if _:\n    pass\n",
    "else": "if _:\n    pass\n",
    "except": "try:\n    pass\n",
}
_CONTINUES["finally"] = _CONTINUES["except"]


def format_body(lines: list[str], indent: int) -> list[str]:
    """A function body (lines relative to it) as black formats it once indented by `indent`
    (8: a method, 4: a function): the statements with a line too long go through black."""
    if all(len(line) + indent <= LINE for line in lines):
        return lines
    statements = _statements(lines)
    if statements is None:
        return _format_whole_body(tuple(lines), indent)
    out: list[str] = []
    for start, end in statements:
        group = lines[start:end]
        if all(len(line) + indent <= LINE and width(line) + indent <= LINE for line in group):
            out += group
            continue
        formatted = _format_statement(tuple(group), indent)
        if formatted is None:
            return _format_whole_body(tuple(lines), indent)
        out += formatted
    return out


def _statements(lines: list[str]) -> list[tuple[int, int]] | None:
    """[start, end) line ranges of the body's logical lines (a comment or blank line is one
    alone); None when the body does not tokenize (black on the whole body reports it)."""
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    covered = 0
    try:
        tokens = tokenize.generate_tokens(io.StringIO("".join(f"{x}\n" for x in lines)).readline)
        for tok in tokens:
            if tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            if start is None and tok.type not in (tokenize.NL, tokenize.COMMENT):
                start = tok.start[0] - 1
            if tok.type == tokenize.NEWLINE and start is not None:
                ranges += [(i, i + 1) for i in range(covered, start)]  # comments, blank lines
                ranges.append((start, tok.end[0]))
                covered, start = tok.end[0], None
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    if start is not None:
        return None
    ranges += [(i, i + 1) for i in range(covered, len(lines))]
    return ranges


@functools.lru_cache(maxsize=4096)
def _format_statement(group: tuple[str, ...], indent: int) -> list[str] | None:
    """One logical line (its physical lines, relative to the body) formatted by black at its
    depth, in the enclosing function `_format_whole_body` uses; None when it cannot be
    formatted alone (a string statement first in a block would be taken for a docstring)."""
    shape = _shape(group)
    if shape is None:
        return None
    keyword, opens = shape
    own = len(group[0]) - len(group[0].lstrip(" "))
    if own % 4 or keyword in ("case", "match"):
        return None
    head, levels = _head(indent)
    before = _CONTINUES.get(keyword, "")
    pad = " " * (indent + own)
    source = head + "".join(" " * (indent + 4 * level) + "if _:\n" for level in range(own // 4))
    source += "".join(pad + line + "\n" for line in before.splitlines())
    source += "".join(" " * indent + line + "\n" for line in group)
    if opens:
        source += pad + "    pass\n"
    try:
        out = black.format_str(source, mode=MODE).splitlines()
    except black.parsing.InvalidInput:
        return None
    out = out[levels + own // 4 + before.count("\n") : len(out) - opens]
    return [line[indent:] for line in out]


def _head(indent: int) -> tuple[str, int]:
    """The enclosing function of a body indented by `indent`, and how many lines it has."""
    head = "class _C:\n    def _f(self):\n" if indent == 8 else "def _f():\n"
    return head, head.count("\n")


_SKIPPED = frozenset({tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.INDENT})
_SKIPPED |= {tokenize.DEDENT, tokenize.ENDMARKER}


def _shape(group: tuple[str, ...]) -> tuple[str, bool] | None:
    """The statement's first word, and whether it ends with `:` (a compound statement's
    header); None for a string statement, a comment alone, or what does not tokenize."""
    try:
        source = io.StringIO("".join(f"{line}\n" for line in group)).readline
        tokens = [t for t in tokenize.generate_tokens(source) if t.type not in _SKIPPED]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    if not tokens or tokens[0].type not in (tokenize.NAME, tokenize.OP, tokenize.NUMBER):
        return None
    return tokens[0].string, tokens[-1].string == ":"


@functools.lru_cache(maxsize=256)
def _format_whole_body(lines: tuple[str, ...], indent: int) -> list[str]:
    """The whole body through black, inside the enclosing function of its indentation."""
    head, levels = _head(indent)
    pad = " " * indent
    # (A dict display keeps its lines thanks to its magic trailing comma.)
    source = head + "".join(f"{pad}{line}\n" for line in lines)
    out = black.format_str(source, mode=MODE).splitlines()[levels:]
    return [line[indent:] for line in out]
