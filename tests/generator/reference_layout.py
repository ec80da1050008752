"""The model modules as generated before `layout` (issue 15): black run on each whole module.

An oracle for tests/generator/test_model_layout.py, kept as it was: the template rendered with plain
`repr` literals and the old (character by character) `py_literal`, black on the whole module,
then the schemas and the bodies put in place of their markers; a body with a line too long
went through black whole (`formatted`). Slow on purpose; use it on inputs of moderate size.

(Record bodies come formatted in the plan: `formatted` is compared on its own, see
test_model_layout.py.)
"""

from __future__ import annotations

import re

import black
from black.strings import normalize_string_quotes, str_width

from codegen.generator import render
from codegen.generator.plan import Plan, PyModule

_MODE = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=88)  # type: ignore[attr-defined]
_LINE = 88
_SCHEMAS_MARK = "# avrobind: schemas"


def py_literal(text: str) -> str:
    out = []
    last = len(text) - 1
    for i, c in enumerate(text):
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append("\\x22")
        elif c == " " and (i == 0 or i == last):
            out.append("\\x20")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif not c.isprintable():
            code = ord(c)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def docstring(text: str) -> str:
    simple = (
        text
        and text == text.strip()
        and all(c.isprintable() for c in text)
        and "\\" not in text
        and '"' not in (text[0], text[-1])
        and '"""' not in text
    )
    return f'"""{text}"""' if simple else py_literal(text)


def string(text: str) -> str:
    return normalize_string_quotes(repr(text))


def schema_block(schemas: list[tuple[str, str]]) -> str:
    lines = ["_schema.register_schemas(", "    {"]
    for name, text in schemas:
        key = string(name)
        single = f"        {key}: {string(text)},"
        if str_width(single) <= _LINE:
            lines.append(single)
            continue
        lines.append(f"        {key}: (")
        rest = text
        while rest:
            size = min(len(rest), _LINE - 14)
            while size > 1 and str_width(string(rest[:size])) > _LINE - 12:
                size = max(1, size * 3 // 4) if size > 8 else size - 1
            lines.append(f"            {string(rest[:size])}")
            rest = rest[size:]
        lines.append("        ),")
    lines += ["    }", ")"]
    return "\n".join(lines) + "\n"


_FORMATTED: dict[tuple[tuple[str, ...], int], list[str]] = {}


def formatted(lines: list[str], indent: int = 8) -> list[str]:
    """A function body through black, whole (what `codecs.formatted` did; remembered)."""
    if all(len(line) + indent <= _LINE for line in lines):
        return lines
    key = (tuple(lines), indent)
    if key not in _FORMATTED:
        _FORMATTED[key] = _black_whole_body(lines, indent)
    return _FORMATTED[key]


def _black_whole_body(lines: list[str], indent: int) -> list[str]:
    pad = " " * indent
    head = "class _C:\n    def _f(self):\n" if indent == 8 else "def _f():\n"
    source = head + "".join(f"{pad}{line}\n" for line in lines)
    out = black.format_str(source, mode=_MODE).splitlines()[head.count("\n") :]
    return [line[indent:] for line in out]


_MARKER = re.compile(r"^( +)pass  # avrobind: (\S+)\n", re.MULTILINE)


def _splice_bodies(code: str, mod: PyModule) -> str:
    """Each marker line replaced by its body (the old code replaced the first occurrence of
    each, one by one: the same, as every marker occurs once and nothing else looks like one)."""
    bodies = {}
    for cls in mod.records:
        for marker, body in cls.spliced.items():
            bodies["        ", marker] = "".join(f"        {line}\n" for line in body)
    for helper in mod.helpers:
        text = "".join(f"    {line}\n" for line in formatted(helper.body, 4))
        bodies["    ", helper.marker] = text
    return _MARKER.sub(lambda m: bodies.pop((m.group(1), m.group(2))), code)


def model_modules(plan: Plan) -> dict[str, str]:
    """{path: text} of every model module of `plan`, the old way."""
    env = render._environment()
    env.filters["docstring"] = docstring
    env.filters["literal"] = repr  # (black normalises the quotes)
    tpl = env.get_template("model.py.j2")
    out = {}
    for mod in plan.modules:
        code = black.format_str(render._render_module(tpl, mod, None), mode=_MODE)
        code = code.replace(_SCHEMAS_MARK + "\n", schema_block(mod.schemas), 1)
        out[mod.path] = _splice_bodies(code, mod)
    return out
