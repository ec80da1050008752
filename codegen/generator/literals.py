"""String literals for generated code: repr-safe, and exactly as black writes them.

Schema text (names, docs, whole schemas) reaches the code only through these, so it can never
become code. Each runs in time linear in its text: a schema may carry a doc of many megabytes.
"""

from __future__ import annotations

import functools

from black.strings import normalize_string_quotes


class _Escapes(dict[int, str]):
    """`str.translate` table of `py_literal`: filled on first use of each character."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        if c == "\\":
            out = "\\\\"
        elif c == '"':
            out = "\\x22"
        elif c == "\n":
            out = "\\n"
        elif c == "\t":
            out = "\\t"
        elif c.isprintable():
            out = c
        elif code < 0x100:
            out = f"\\x{code:02x}"
        elif code < 0x10000:
            out = f"\\u{code:04x}"
        else:
            out = f"\\U{code:08x}"
        self[code] = out
        return out


_ESCAPES = _Escapes()


def py_literal(text: str) -> str:
    """A double-quoted, single-line Python string literal whose value is exactly `text`.

    Every character that could end the literal, start an escape, break the line or be rewritten
    by a formatter is escaped (a space at either end too, which black would strip from a
    docstring), so schema text can never become code.
    """
    # The common escapes by `str.replace` (fast on long docs); `translate` (a look-up per
    # character) only when another character needs one.
    body = text.replace("\\", "\\\\").replace('"', "\\x22").replace("\n", "\\n")
    body = body.replace("\t", "\\t")
    if not body.isprintable():
        body = text.translate(_ESCAPES)
    if body.startswith(" "):
        body = "\\x20" + body[1:]
    if body.endswith(" "):
        body = body[:-1] + "\\x20"
    return '"' + body + '"'


@functools.lru_cache(maxsize=1024)
def docstring(text: str) -> str:
    """A docstring literal equal to `text`: triple-quoted when that is safe, else escaped.

    (Cached: the template and `layout` both need it, and a doc may be megabytes long.)
    """
    simple = (
        text
        and text == text.strip()
        and text.isprintable()
        and "\\" not in text
        and '"' not in (text[0], text[-1])
        and '"""' not in text
    )
    return f'"""{text}"""' if simple else py_literal(text)


def string_literal(text: str) -> str:
    """`text` as a str literal exactly as black writes it: black's quote preference applied to
    `repr(text)` (`normalize_string_quotes`), without black's regular expressions when the
    text is printable (then `repr` escapes only backslashes and the quote it encloses in)."""
    if not text.isprintable():
        return normalize_string_quotes(repr(text))
    body = text.replace("\\", "\\\\")
    singles, doubles = text.count("'"), text.count('"')
    if doubles and (not singles or doubles > singles):
        # repr's single quotes: double ones would need more escapes.
        return "'" + body.replace("'", "\\'") + "'"
    return '"' + body.replace('"', '\\"') + '"'
