"""Names that Python cannot take as they are, and docs that must not become code."""

from __future__ import annotations

import ast
import builtins
import dataclasses
import inspect
import keyword
from pathlib import Path
from typing import Any

import pytest

from codegen.generator import naming
from tests.generator.gen_support import (
    generate_files,
    generated_types,
    import_package,
    unique_package,
    write_schemas,
)

NASTY_DOCS = [
    'Contains """ a triple double quote',
    "Contains ''' a triple single quote",
    "A backslash \\ and an escape-looking \\n that is not a newline",
    'Ends with a quote"',
    "Ends with a backslash\\",
    "Line one\nline two\n    indented line three",
    "  leading and trailing spaces  ",
    "Tab\tand unicode: é 日本 \u2028 (line separator)",
    '"""); import os; os.system("echo pwned"); ("""',
    "\\x00 not a NUL, then a real one: \x00",
]


def build(tmp_path: Path, schemas: dict[str, Any]) -> dict[str, type]:
    paths = write_schemas(tmp_path / "avsc", schemas)
    name = unique_package("naming")
    pkg_dir = generate_files(paths, tmp_path / "out", name)
    assert pkg_dir.is_dir()
    return generated_types(import_package(tmp_path / "out", name))


def test_keyword_builtin_and_reserved_field_names(tmp_path: Path) -> None:
    fields = [
        "class",
        "class_",
        "from",
        "None",
        "list",
        "type",
        "id",
        "__init__",
        "serialize",
        "Meta",
        "self",
        "cls",
    ]
    schema = {
        "type": "record",
        "name": "Tricky",
        "fields": [{"name": n, "type": "int"} for n in fields],
    }
    cls = build(tmp_path, {"t.avsc": schema})["Tricky"]
    attrs = [f.name for f in dataclasses.fields(cls)]
    assert attrs == [
        "class__",
        "class_",
        "from_",
        "None_",
        "list_",
        "type_",
        "id_",
        "f__init__",
        "serialize_",
        "Meta_",
        "self",
        "cls",
    ]
    values = dict(zip(attrs, range(len(attrs)), strict=True))
    obj = cls(**values)
    # The Avro names are kept: in the schema and on the wire.
    assert [f["name"] for f in cls.avro_schema_to_python()["fields"]] == fields
    assert obj.to_avro() == dict(zip(fields, range(len(fields)), strict=True))
    assert cls.deserialize(obj.serialize()) == obj
    assert callable(obj.serialize)  # the field did not shadow the method


def test_records_named_like_python_things(tmp_path: Path) -> None:
    schemas = {
        f"{name}.avsc": {"type": "record", "name": name, "fields": [{"name": "v", "type": "int"}]}
        for name in ("List", "Enum", "Decimal", "datetime", "int_", "str", "object", "_Private")
    }
    schemas["user.avsc"] = {
        "type": "record",
        "name": "User",
        "fields": [
            {"name": n.lower(), "type": n}
            for n in ("List", "Enum", "Decimal", "datetime", "str", "object")
        ],
    }
    types = build(tmp_path, schemas)
    assert types["str"].__name__ == "str_" and types["object"].__name__ == "object_"
    assert types["List"].__name__ == "List" and types["datetime"].__name__ == "datetime"
    user = types["User"]
    avro_names = ["List", "Enum", "Decimal", "datetime", "str", "object"]
    attrs = [f.name for f in dataclasses.fields(user)]
    class_names = {t.__name__ for t in types.values()}
    # A field may not take a builtin's name, nor a class name of its module (its hints and
    # defaults refer to those classes from inside the class body).
    assert attrs == ["list_", "enum", "decimal", "datetime_", "str__", "object__"]
    assert not set(attrs) & (class_names | set(dir(builtins)))
    obj = user(
        **{
            attr: types[avro](v=i)
            for i, (attr, avro) in enumerate(zip(attrs, avro_names, strict=True))
        }
    )
    assert user.deserialize(obj.serialize()) == obj


def test_enum_symbols_that_are_keywords_or_enum_api(tmp_path: Path) -> None:
    symbols = ["None", "True", "class", "name", "value", "_hidden", "OK"]
    schema = {"type": "enum", "name": "Weird", "symbols": symbols, "default": "OK"}
    wrapper = {
        "type": "record",
        "name": "Holder",
        "fields": [{"name": "w", "type": schema, "default": "class"}],
    }
    types = build(tmp_path, {"h.avsc": wrapper})
    enum, holder = types["Weird"], types["Holder"]
    assert [m.value for m in enum] == symbols
    members = {m.value: m.name for m in enum}
    for symbol, member in members.items():
        assert member.isidentifier() and not keyword.iskeyword(member), member
        assert enum(symbol).value == symbol
    assert holder().w is enum("class")
    for symbol in symbols:
        obj = holder(w=enum(symbol))
        assert holder.deserialize(obj.serialize()) == obj


@pytest.mark.parametrize("doc", NASTY_DOCS, ids=range(len(NASTY_DOCS)))
def test_docs_render_as_exact_docstrings(tmp_path: Path, doc: str) -> None:
    schema = {
        "type": "record",
        "name": "Documented",
        "doc": doc,
        "fields": [{"name": "f", "type": "int", "doc": doc}],
    }
    enum = {"type": "enum", "name": "DocEnum", "doc": doc, "symbols": ["A"]}
    types = build(tmp_path, {"d.avsc": schema, "e.avsc": enum})
    assert types["Documented"].__doc__ == doc
    assert types["DocEnum"].__doc__ == doc
    assert types["Documented"].avro_schema_to_python()["doc"] == doc
    # The field's doc is the string statement right after the field (an attribute docstring).
    source = Path(inspect.getfile(types["Documented"])).read_text(encoding="utf-8")
    tree = ast.parse(source)
    cls_node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Documented")
    body = cls_node.body
    index = next(
        i for i, n in enumerate(body) if isinstance(n, ast.AnnAssign) and n.target.id == "f"
    )  # type: ignore[union-attr]
    after = body[index + 1]
    assert isinstance(after, ast.Expr) and after.value.value == doc  # type: ignore[attr-defined]
    # Nothing but the generated definitions runs at import: no stray calls from the doc.
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "system"
    ]
    assert not calls


def test_topic_prefix() -> None:
    assert naming.topic_prefix("telescope.commands") == "TelescopeCommands"
    assert naming.topic_prefix("orders-v2_raw") == "OrdersV2Raw"
    assert naming.topic_prefix("2fa.events") == "T2faEvents"
    with pytest.raises(ValueError):
        naming.topic_prefix("...")


def test_assign_is_deterministic_and_collision_free() -> None:
    names = ["class", "class_", "class__", "id", "x"]
    out = naming.assign(names)
    assert out == {
        "class_": "class_",
        "class__": "class__",
        "x": "x",
        "class": "class___",
        "id": "id_",
    }
    assert len(set(out.values())) == len(names)
    assert all(
        v.isidentifier() and not keyword.iskeyword(v) and v not in dir(builtins)
        for v in out.values()
    )
