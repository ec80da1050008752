"""Model modules exactly as black lays them out, with black run only where it is needed.

black formats about a thousand lines a second, and a model module holds a class per named type
of its namespace: formatting whole modules made `generate` take minutes on large ones. So a
module is cut into its top-level statements: the header (docstring, imports), then one class
or helper function each. black formats a top-level statement alone exactly as inside the
module (its target versions are fixed, and the blank lines between such statements are always
two), so:

- a statement that `_as_black_writes` vouches for is kept as the template wrote it: every line
  fits (a docstring line excepted: black never splits one), and every expression that comes
  from a schema (hints, defaults, `Meta` values, helper signatures) is one that black leaves
  alone. The template writes the rest as black does (literals through `literals`);
- every other statement, and the header, goes through black on its own;
- then the schemas and the pre-formatted bodies (see codecs.py) take the place of their
  markers, statement by statement, so the work stays linear in the size of the module.

tests/generator/test_model_layout.py compares the result with black run on whole modules.
"""

from __future__ import annotations

import re

from black.strings import char_width

from codegen.generator import codecs
from codegen.generator.formatting import LINE, black_keeps, format_all, width
from codegen.generator.literals import docstring, string_literal
from codegen.generator.plan import PyClass, PyHelper, PyModule

SCHEMAS_MARK = "# avrobind: schemas"


def schema_block(schemas: list[tuple[str, str]]) -> str:
    """The `register_schemas({...})` call of a module, laid out exactly as black would.

    Schemas are most of a module's bytes; black would spend nearly all its time re-parsing
    them, so this part is formatted here and spliced in after black ran on the rest. Each
    value stays on its key's line when it fits; otherwise it is split into one literal per
    line, which black leaves alone because the joined form cannot fit either.
    """
    lines = ["_schema.register_schemas(", "    {"]
    for name, text in schemas:
        key = string_literal(name)
        kinds = text.translate(_KINDS)
        # `        {key}: {literal},` fits on its line?
        if 11 + width(key) + _literal_width(text, kinds, 0, len(text)) <= LINE:
            lines.append(f"        {key}: {string_literal(text)},")
            continue
        lines.append(f"        {key}: (")
        lines += [f"            {piece}" for piece in _pieces(text, kinds)]
        lines.append("        ),")
    lines += ["    }", ")"]
    return "\n".join(lines) + "\n"


_FIRST = LINE - 14  # characters a piece tries first
_FITS = LINE - 12  # how wide a piece's literal may be (it is indented by 12)


class _Kinds(dict[int, str]):
    """`str.translate` table: a character to its kind, as far as a literal's width goes: `n`
    (one column, as it is), `W` (two columns, as it is), a quote or backslash (escaped), `X`
    (anything else: measured on its literal). Filled on first use of each character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in "'\"\\":
            kind = char
        elif not char.isprintable():
            kind = "X"
        else:
            kind = {1: "n", 2: "W"}.get(char_width(char), "X")
        self[code] = kind
        return kind


_KINDS = _Kinds()
_PLAIN = re.compile("n+")


def _pieces(text: str, kinds: str) -> list[str]:
    """The literals a long schema is split into: `_FIRST` characters each, fewer (a quarter
    less at a time, then one less) while the literal is too wide.

    Linear in `text` (a doc may be megabytes long): the width of a piece's literal is counted
    on `kinds` (`text.translate(_KINDS)`), and a run of plain characters is cut without
    measuring.
    """
    out: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        plain = _PLAIN.match(kinds, pos)
        if plain is not None and plain.end() - pos >= _FIRST:
            stop = pos + (plain.end() - pos) // _FIRST * _FIRST
            out += [f'"{text[i : i + _FIRST]}"' for i in range(pos, stop, _FIRST)]
            pos = stop
            continue
        size = min(end - pos, _FIRST)
        while size > 1 and _literal_width(text, kinds, pos, pos + size) > _FITS:
            size = max(1, size * 3 // 4) if size > 8 else size - 1
        out.append(string_literal(text[pos : pos + size]))
        pos += size
    return out


def _literal_width(text: str, kinds: str, start: int, stop: int) -> int:
    """`width(string_literal(text[start:stop]))`, counted: the literal escapes backslashes and
    the quote it is enclosed in (`string_literal`), and wide characters take two columns."""
    if kinds.count("X", start, stop):
        return width(string_literal(text[start:stop]))
    singles, doubles = kinds.count("'", start, stop), kinds.count('"', start, stop)
    escaped = singles if doubles and (not singles or doubles > singles) else doubles
    wide, backslashes = kinds.count("W", start, stop), kinds.count("\\", start, stop)
    return 2 + stop - start + wide + backslashes + escaped


# -- statements black would leave alone ---------------------------------------------------------

_NAME = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
# `list[dict[str, pkg.Cls | None]]`: names, subscripts, `, ` and ` | ` (nothing black respaces).
_HINT = re.compile(rf"{_NAME}(?:(?:\[|, | \| ){_NAME}|\])*", re.ASCII)
# The common defaults: constants, ints, decimal floats, enum members, plain strings, factories.
_VALUE = re.compile(
    rf"None|True|False|-?(?:0|[1-9]\d*)(?:\.\d+)?|{_NAME}|\"[\w ,.:;/+-]*\"|\[\]|\{{\}}"
    r"|_dataclasses\.field\(default_factory=(?:list|dict)\)",
    re.ASCII,
)


def _hint_kept(hint: str) -> bool:
    return _HINT.fullmatch(hint) is not None or black_keeps(f"x: {hint}\n")


def _value_kept(value: str) -> bool:
    return _VALUE.fullmatch(value) is not None or black_keeps(f"x: T = {value}\n")


def _as_black_writes(text: str, item: PyClass | PyHelper) -> bool:
    """Would black leave this top-level statement (as the template wrote it) unchanged?"""
    docs: set[str] = set()
    if isinstance(item, PyHelper):
        if not black_keeps(f"def f({item.params}) -> {item.returns}:\n    pass\n"):
            return False
    else:
        if item.doc:
            docs.add(docstring(item.doc))
        for f in item.fields:
            if f.doc:
                docs.add(docstring(f.doc))
            if not _hint_kept(f.hint):
                return False
            if f.default is not None:
                value = f.default
                if f.factory:
                    value = f"_dataclasses.field(default_factory={value})"
                if not _value_kept(value):
                    return False
        if not all(_value_kept(value) for _, value in item.meta):
            return False
    previous = ""
    for line in text.split("\n"):
        if not line and (not previous or previous.endswith(":")):
            return False  # two blank lines, or one opening a block (an empty class): black's call
        previous = line
        if len(line) > LINE or not line.isascii():
            if line.lstrip(" ") in docs:
                continue  # a string statement alone: black splits no string
            if width(line) > LINE:
                return False
    return True


# -- modules -----------------------------------------------------------------------------------

# Between top-level statements, and nowhere else: no literal holds a raw line break.
_TOP = re.compile(r"\n\n\n(?=\S)")


def _splice(text: str, item: PyClass | PyHelper) -> str:
    """Put the pre-formatted bodies of a class or helper in place of their markers."""
    if isinstance(item, PyHelper):
        body = "".join(f"    {line}\n" for line in codecs.formatted(item.body, 4))
        return text.replace(f"    pass  # avrobind: {item.marker}\n", body, 1)
    for marker, lines in item.spliced.items():
        body = "".join(f"        {line}\n" for line in lines)
        text = text.replace(f"        pass  # avrobind: {marker}\n", body, 1)
    return text


def format_modules(rendered: list[tuple[PyModule, str]]) -> list[str]:
    """The final text of each model module, from its rendered template (model.py.j2)."""
    jobs: list[tuple[str, str]] = []  # (statement, module path) for black
    layouts: list[tuple[PyModule, list[PyClass | PyHelper], list[str | int]]] = []
    for mod, source in rendered:
        head, *statements = _TOP.split(source)
        items: list[PyClass | PyHelper] = [*mod.enums, *mod.records, *mod.helpers]
        if len(statements) != len(items):
            raise RuntimeError(f"internal error: {mod.path}: a statement per class expected")
        parts: list[str | int] = [len(jobs)]  # a kept statement, or the index of its job
        jobs.append((head.rstrip("\n") + "\n", mod.path))
        for item, statement in zip(items, statements, strict=True):
            statement = statement.rstrip("\n") + "\n"
            if _as_black_writes(statement, item):
                parts.append(statement)
            else:
                parts.append(len(jobs))
                jobs.append((statement, mod.path))
        layouts.append((mod, items, parts))
    done = format_all(jobs)
    out = []
    for mod, items, parts in layouts:
        texts = [done[p] if isinstance(p, int) else p for p in parts]
        head = texts[0].replace(SCHEMAS_MARK + "\n", schema_block(mod.schemas), 1)
        body = [_splice(text, item) for item, text in zip(items, texts[1:], strict=True)]
        out.append("".join([head, *("\n\n" + text for text in body)]))
    return out
