"""Arrays and maps nested deeper than Python nests loops in one function (issue 15, item 8).

An array nested 11 deep is valid Avro, and coding one level of it inline takes one or two
nested blocks; Python refuses more than 20 in one function ("too many statically nested
blocks"). The generated codec codes deep levels in functions of their own: depth 100 imports,
writes what fastavro writes and reads it back.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import fastavro

from tests.generator.gen_support import (
    generate_files,
    generated_types,
    import_package,
    unique_package,
    write_schemas,
)

DEPTH = 100


def _nest(leaf: Any, kinds: str) -> Any:
    """`leaf` inside containers, the innermost first: "a" an array, "m" a map."""
    t = leaf
    for kind in kinds:
        t = {"type": "array", "items": t} if kind == "a" else {"type": "map", "values": t}
    return t


def _value(leaf: Any, kinds: str) -> Any:
    v = leaf
    for kind in kinds:
        v = [v] if kind == "a" else {"k": v}
    return v


def test_containers_nested_100_deep_compile_and_round_trip(tmp_path: Path) -> None:
    mixed = "am" * (DEPTH // 2)
    schema = {
        "type": "record",
        "name": "Deep",
        "namespace": "deep",
        "fields": [
            {"name": "ints", "type": _nest("long", "a" * DEPTH)},
            {
                "name": "colors",
                "type": _nest(
                    {"type": "enum", "name": "Color", "symbols": ["RED", "BLUE"]}, "m" * DEPTH
                ),
            },
            {
                "name": "leaves",
                "type": _nest(
                    [
                        "null",
                        {
                            "type": "record",
                            "name": "Leaf",
                            "fields": [{"name": "x", "type": "int"}],
                        },
                    ],
                    mixed,
                ),
            },
        ],
    }
    name = unique_package("deep")
    generate_files(write_schemas(tmp_path / "avsc", {"deep.avsc": schema}), tmp_path / "out", name)
    types = generated_types(import_package(tmp_path / "out", name))
    deep, color, leaf = types["deep.Deep"], types["deep.Color"], types["deep.Leaf"]
    obj = deep(
        ints=_value(2**40, "a" * DEPTH),
        colors=_value(color.BLUE, "m" * DEPTH),
        leaves=_value(leaf(x=-3), mixed),
    )
    data = obj.serialize()
    parsed = fastavro.parse_schema(schema)
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed, obj.to_avro())
    assert data == out.getvalue()
    assert deep.deserialize(data) == obj
    datum = fastavro.schemaless_reader(io.BytesIO(data), parsed, None, return_named_type=True)
    assert deep.from_avro(datum) == obj
    assert deep.parse_obj(obj.to_dict()) == obj
    # A value of the wrong type deep inside is refused with the field's path, not written.
    bad = deep(ints=_value("x", "a" * DEPTH), colors=obj.colors, leaves=obj.leaves)
    try:
        bad.serialize()
    except ValueError as exc:
        assert str(exc).startswith("Deep.ints: expected long, got str"), exc
    else:
        raise AssertionError("a str was written as a long")
