"""Reading values written with another version of a record schema (writer → reader resolution).

On first sight of a writer schema, a resolving reader is generated for the (writer, reader
class) pair (`runtime/resolver.py`). Its result must equal fastavro's full resolution followed
by the generated `from_avro`, on random schemas, random evolutions of them (fields added,
removed, reordered; int → long → float → double and string ↔ bytes; enum symbols added; union
branches added or a value widened into a union; nested, shared and recursive named types) and
random data. Both follow fastavro's rule for unions: a writer value goes to the first reader
branch it matches, promotions included.

Two kinds of pair are left to fastavro's resolver here, and the values read (or the errors)
must then still be fastavro's: a writer node read as a reader node with another logical type
(a plain ``int`` union branch whose first match in the reader union is a ``date`` branch, say:
fastavro converts by the writer's logical type only), and a writer named type whose first
match in a reader union is a named type of another kind with the same unqualified name (an
enum ``com.example.Enum`` and a record ``Enum``: fastavro matches named types by name alone).
"""

from __future__ import annotations

import copy
import io
import random
import tempfile
from pathlib import Path
from typing import Any

import fastavro
import pytest
from hypothesis import assume, given, reject
from hypothesis import strategies as st

from codegen.errors import InputErrors
from codegen.runtime.datagen import DatagenError, random_datum
from codegen.runtime.resolver import LOGICAL_TYPES_DIFFER, build, fallback
from codegen.runtime.schema import fastavro_schema
from codegen.runtime.serde import RecordCodec
from tests.avro_strategies import avro_schemas
from tests.generator.gen_support import (
    generate_files,
    generated_types,
    import_package,
    unique_package,
    write_schemas,
)

EXTRA_TYPES = ["int", "string", {"type": "array", "items": "long"}, ["null", "double"]]


def _generate_class(schema: Any) -> type:
    tmp = Path(tempfile.mkdtemp(prefix="avrobind-resolve-"))
    paths = write_schemas(tmp / "avsc", {"top.avsc": schema})
    name = unique_package("resolve")
    try:
        generate_files(paths, tmp / "out", name)
    except InputErrors as e:
        # A null-namespace type nested in a namespaced one and used again there has no
        # self-contained form (see tests/generator/test_properties.py).
        assert all("where no name can refer to it" in err.message for err in e.errors), e
        reject()
    types = generated_types(import_package(tmp / "out", name))
    full = (
        schema["name"]
        if "." in schema["name"] or not schema.get("namespace")
        else f"{schema['namespace']}.{schema['name']}"
    )
    return types[full]


def _compare(cls: type, writer_json: Any, rng: random.Random) -> RecordCodec[Any]:
    try:
        writer = fastavro_schema(writer_json)  # as the serdes parse a writer schema fetched by id
        source = fastavro.parse_schema(writer_json)  # with every logical type, for the data
    except (
        fastavro.schema.SchemaParseException,
        fastavro.schema.UnknownType,
    ):  # a removed field defined a type used later
        assume(False)
    codec = RecordCodec(cls)
    why = fallback(writer, cls)
    if why is not None:  # left to fastavro: the two kinds of pair of the module doc
        if why.reason != LOGICAL_TYPES_DIFFER:
            assert why.reason.endswith(" read as another kind"), f"no generated resolver: {why}"
        else:
            assert _logical(why.writer) != _logical(why.reader), why
    assert (build(writer, cls) is None) == (why is not None)
    for _ in range(4):
        try:
            datum = random_datum(source, rng)
        except (DatagenError, RecursionError):  # no finite value / too deep to check here
            assume(False)
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, source, datum)
        data = buf.getvalue()
        # Full resolution by fastavro (defaults marked MISSING: see test_defaults_of_added_fields...).
        reader = cls.resolution_schema()  # type: ignore[attr-defined]
        try:
            full = fastavro.schemaless_reader(
                io.BytesIO(data), writer, reader, return_named_type=True
            )
            expected = cls.from_avro(full)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 -- fastavro refuses it (bytes that are not UTF-8...): so must we
            with pytest.raises(Exception):  # noqa: B017
                codec.resolve(io.BytesIO(data), writer)
            continue
        stream = io.BytesIO(data)
        assert codec.resolve(stream, writer) == expected
        assert stream.tell() == len(data)
    return codec


def _logical(node: Any) -> tuple[Any, ...]:
    """A node's logical type annotation as written (nothing for a type name)."""
    if not isinstance(node, dict):
        return ()
    return tuple(node.get(key) for key in ("logicalType", "precision", "scale"))


_NARROWER = {
    "long": ["int"],
    "float": ["int", "long"],
    "double": ["int", "long", "float"],
    "bytes": ["string"],
    "string": ["bytes"],
}


def _evolve(reader: Any, data: st.DataObject) -> Any:
    """An older or newer writer version of `reader`: at random, fields the reader added (with
    defaults) are missing, fields the reader dropped are there, fields are in another order,
    values are of types the reader's promote, enums have fewer symbols (or one more, where the
    reader has a default), unions fewer branches, or a single branch of a reader union."""
    flip = data.draw(st.randoms(use_true_random=False))

    def node(js: Any) -> Any:
        if isinstance(js, str) and js in _NARROWER and flip.random() < 0.3:
            return flip.choice(_NARROWER[js])
        if isinstance(js, list):
            branches = [node(b) for b in js]
            if len(branches) > 1 and flip.random() < 0.3:
                kept = [b for b in branches if flip.random() < 0.6] or [branches[0]]
                flip.shuffle(kept)
                return kept[0] if len(kept) == 1 and flip.random() < 0.5 else kept
            return branches
        if not isinstance(js, dict):
            return js
        kind = js.get("type")
        if isinstance(kind, (dict, list)):
            return {**js, "type": node(kind)}
        if kind in ("array", "map"):
            key = "items" if kind == "array" else "values"
            return {**js, key: node(js[key])}
        if kind == "enum" and flip.random() < 0.4:
            symbols = [sym for sym in js["symbols"] if flip.random() < 0.7] or js["symbols"][:1]
            if "default" in js and flip.random() < 0.5:
                symbols.append("ZZ_NEW")
            return {**js, "symbols": symbols}
        if kind in ("record", "error"):
            fields = []
            for f in js["fields"]:
                evolved = {**f, "type": node(f["type"])}
                if evolved["type"] != f["type"]:
                    evolved.pop("default", None)  # may no longer be of the field's type
                fields.append(evolved)
            droppable = [i for i, f in enumerate(js["fields"]) if "default" in f]
            dropped = {i for i in droppable if flip.random() < 0.3}
            fields = [f for i, f in enumerate(fields) if i not in dropped]
            for i in range(flip.choice((0, 0, 1, 2))):
                fields.append({"name": f"zz_removed_{i}", "type": flip.choice(EXTRA_TYPES)})
            flip.shuffle(fields)
            return {**js, "fields": fields}
        return js

    return node(copy.deepcopy(reader))


@given(
    schema=avro_schemas(top="record", max_depth=2, recursion=False),
    data=st.data(),
    seed=st.integers(0, 2**32),
)
def test_evolved_writers_resolve_as_fastavro_does(
    schema: Any, data: st.DataObject, seed: int
) -> None:
    cls = _generate_class(schema)
    _compare(cls, _evolve(cls.avro_schema_to_python(), data), random.Random(seed))  # type: ignore[attr-defined]


@given(schema=avro_schemas(top="record", max_depth=2), data=st.data(), seed=st.integers(0, 2**32))
def test_recursive_and_shared_types_resolve_as_fastavro_does(
    schema: Any, data: st.DataObject, seed: int
) -> None:
    """Where a kept field names the record itself (recursion), nested values follow the
    writer's older definition: the generated reader recurses through its own functions."""
    cls = _generate_class(schema)
    _compare(cls, _evolve(cls.avro_schema_to_python(), data), random.Random(seed))  # type: ignore[attr-defined]


def test_a_retyped_field_and_an_enum_that_gained_a_symbol() -> None:
    """int → long (a promotion) and an enum that gained a symbol."""
    enum = {"type": "enum", "name": "Kind", "symbols": ["A", "B"], "default": "A"}
    writer = {
        "type": "record",
        "name": "Reading",
        "namespace": "ev",
        "fields": [{"name": "count", "type": "int"}, {"name": "kind", "type": enum}],
    }
    reader = copy.deepcopy(writer)
    reader["fields"][0]["type"] = "long"
    reader["fields"][1]["type"] = {**enum, "symbols": ["A", "B", "C"]}
    cls = _generate_class(reader)
    _compare(cls, writer, random.Random(1))


NEW_FIELDS = [
    {"name": "raw", "type": "bytes", "default": "\u00ff\u0001"},
    {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 2}, "default": "ab"},
    {
        "name": "price",
        "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2},
        "default": "\u0001\u0000",
    },
    {
        "name": "seen_at",
        "type": {"type": "long", "logicalType": "timestamp-millis"},
        "default": 1000,
    },
    {"name": "day", "type": {"type": "int", "logicalType": "date"}, "default": 1},
    {
        "name": "token",
        "type": {"type": "string", "logicalType": "uuid"},
        "default": "12345678-1234-5678-1234-567812345678",
    },
    {"name": "tags", "type": {"type": "array", "items": "string"}, "default": ["a"]},
    {
        "name": "inner",
        "type": {"type": "record", "name": "Inner", "fields": [{"name": "n", "type": "bytes"}]},
        "default": {"n": "z"},
    },
]


def test_defaults_of_added_fields_are_typed_and_fresh() -> None:
    """fastavro's resolution hands back a field's JSON default as it is (a bytes default as str,
    a timestamp as int) and the same object for every message; values read here must not."""
    import datetime
    import decimal
    import uuid

    old = {
        "type": "record",
        "name": "Event",
        "namespace": "ev",
        "fields": [{"name": "id", "type": "int"}],
    }
    new = {**old, "fields": [*old["fields"], *NEW_FIELDS]}
    cls = _generate_class(new)
    writer_json = old
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(writer_json), {"id": 7})
    data = buf.getvalue()
    codec = RecordCodec(cls)
    # Both paths: the shortcut (only fields added) and full resolution (a renamed record).
    renamed = {**writer_json, "name": "OldEvent", "namespace": "ev"}
    cls_renamed = _generate_class({**new, "aliases": ["ev.OldEvent"]})
    for reader_cls, writer in ((cls, writer_json), (cls_renamed, renamed)):
        parsed = fastavro_schema(writer)
        reader_codec = RecordCodec(reader_cls)
        assert build(parsed, reader_cls) is not None
        first = reader_codec.resolve(io.BytesIO(data), parsed)
        second = reader_cls.deserialize(data, writer_schema=writer)  # type: ignore[attr-defined]
        for value in (first, second):
            assert value.id_ == 7  # `id` is a builtin: the attribute is escaped
            assert value.raw == b"\xff\x01" and value.digest == b"ab"
            assert value.price == decimal.Decimal("2.56")
            assert value.seen_at == datetime.datetime(1970, 1, 1, 0, 0, 1, tzinfo=datetime.UTC)
            assert value.day == datetime.date(1970, 1, 2)
            assert value.token == uuid.UUID("12345678-1234-5678-1234-567812345678")
            assert value.tags == ["a"] and value.inner.n == b"z"
        first.tags.append("changed")
        assert reader_codec.resolve(io.BytesIO(data), parsed).tags == ["a"]  # not shared
        assert first == reader_cls(**{**dataclass_values(first), "tags": ["a", "changed"]})  # type: ignore[operator]
    assert codec is not None


def dataclass_values(obj: Any) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
