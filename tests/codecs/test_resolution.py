"""Reading values written with another version of a record schema (writer → reader resolution).

Fields added (with defaults), removed or reordered between versions take a shortcut: the value
is read with the writer's schema alone and the missing fields take their defaults. The result
must equal fastavro's full resolution, on random schemas and data; other differences (a field
whose type changed) keep using fastavro's resolution.
"""

from __future__ import annotations

import copy
import io
import random
import tempfile
from pathlib import Path
from typing import Any

import fastavro
from hypothesis import assume, given
from hypothesis import strategies as st

from codegen.runtime.datagen import DatagenError, random_datum
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
    generate_files(paths, tmp / "out", name)
    types = generated_types(import_package(tmp / "out", name))
    full = schema["name"] if "." in schema["name"] or not schema.get("namespace") else f"{schema['namespace']}.{schema['name']}"
    return types[full]


def _ambiguous_unions(schema: Any) -> bool:
    """A union with two named branches of the same short name: Avro resolution matches branches
    by unqualified name, so which one a value lands in is not defined (fastavro takes the first)."""
    found = False

    def walk(js: Any) -> None:
        nonlocal found
        if isinstance(js, list):
            short = [
                (b if isinstance(b, str) else b.get("name", "")).rpartition(".")[2]
                for b in js
                if isinstance(b, str) or (isinstance(b, dict) and b.get("type") in ("record", "enum", "fixed", "error"))
            ]
            short = [n for n in short if n not in ("null", "boolean", "int", "long", "float", "double", "bytes", "string")]
            found = found or len(short) != len(set(short))
            # fastavro matches a writer branch to the FIRST reader branch it can be promoted to
            # (a string lands in an earlier bytes branch, a long in an earlier double), where
            # Java picks the exact type first: with both in one union the two disagree.
            kinds = [_underlying(b) for b in js]
            found = found or any(
                (a, b) in _PROMOTIONS for i, b in enumerate(kinds) for a in kinds[i + 1 :]
            )
            for b in js:
                walk(b)
        elif isinstance(js, dict):
            for f in js.get("fields", ()):
                walk(f["type"])
            for key in ("items", "values"):
                if key in js:
                    walk(js[key])

    walk(schema)
    return found


_PROMOTIONS = {
    ("int", "long"), ("int", "float"), ("int", "double"), ("long", "float"), ("long", "double"),
    ("float", "double"), ("string", "bytes"), ("bytes", "string"),
}


def _underlying(branch: Any) -> Any:
    while isinstance(branch, dict) and not isinstance(branch.get("type"), (list, dict)):
        if branch.get("type") in ("record", "enum", "fixed", "error", "array", "map"):
            return branch.get("type")
        branch = branch.get("type")
    return branch


def _compare(cls: type, writer_json: Any, rng: random.Random) -> RecordCodec[Any]:
    if _ambiguous_unions(writer_json):
        assume(False)
    try:
        writer = fastavro_schema(writer_json)  # as the serdes parse a writer schema fetched by id
        source = fastavro.parse_schema(writer_json)  # with every logical type, for the data
    except (fastavro.schema.SchemaParseException, fastavro.schema.UnknownType):  # a removed field defined a type used later
        assume(False)
    codec = RecordCodec(cls)
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
        full = fastavro.schemaless_reader(io.BytesIO(data), writer, reader, return_named_type=True)
        expected = cls.from_avro(full)  # type: ignore[attr-defined]
        stream = io.BytesIO(data)
        assert codec.resolve(stream, writer) == expected
        assert stream.tell() == len(data)
    return codec


def _evolve(reader: Any, data: st.DataObject) -> Any:
    writer = copy.deepcopy(reader)
    fields = writer["fields"]
    # The writer lacks some of the fields that have defaults (they were added later)...
    droppable = [i for i, f in enumerate(fields) if "default" in f]
    dropped = set(data.draw(st.sets(st.sampled_from(droppable))) if droppable else ())
    fields[:] = [f for i, f in enumerate(fields) if i not in dropped]
    # ...has fields the reader dropped, and another field order.
    for i in range(data.draw(st.integers(0, 2))):
        fields.append({"name": f"zz_removed_{i}", "type": data.draw(st.sampled_from(EXTRA_TYPES))})
    data.draw(st.randoms()).shuffle(fields)
    return writer


@given(schema=avro_schemas(top="record", max_depth=2, recursion=False), data=st.data(), seed=st.integers(0, 2**32))
def test_added_removed_and_reordered_fields(schema: Any, data: st.DataObject, seed: int) -> None:
    cls = _generate_class(schema)
    writer = _evolve(cls.avro_schema_to_python(), data)  # type: ignore[attr-defined]
    codec = _compare(cls, writer, random.Random(seed))
    assert codec._projection(fastavro_schema(writer)) is not None  # the shortcut was taken


@given(schema=avro_schemas(top="record", max_depth=2), data=st.data(), seed=st.integers(0, 2**32))
def test_recursive_and_shared_types_resolve_correctly(schema: Any, data: st.DataObject, seed: int) -> None:
    """Where a kept field names the record itself (recursion) the shortcut must not be taken:
    nested values follow the writer's older definition. Whichever path runs, values are right."""
    cls = _generate_class(schema)
    _compare(cls, _evolve(cls.avro_schema_to_python(), data), random.Random(seed))  # type: ignore[attr-defined]


def test_a_retyped_field_resolves_fully() -> None:
    """int → long (a promotion) and an enum that gained a symbol: no shortcut, fastavro resolves."""
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
    codec = _compare(cls, writer, random.Random(1))
    assert codec._projection(fastavro_schema(writer)) is None


NEW_FIELDS = [
    {"name": "raw", "type": "bytes", "default": "\u00ff\u0001"},
    {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 2}, "default": "ab"},
    {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2}, "default": "\u0001\u0000"},
    {"name": "seen_at", "type": {"type": "long", "logicalType": "timestamp-millis"}, "default": 1000},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}, "default": 1},
    {"name": "token", "type": {"type": "string", "logicalType": "uuid"}, "default": "12345678-1234-5678-1234-567812345678"},
    {"name": "tags", "type": {"type": "array", "items": "string"}, "default": ["a"]},
    {"name": "inner", "type": {"type": "record", "name": "Inner", "fields": [{"name": "n", "type": "bytes"}]}, "default": {"n": "z"}},
]


def test_defaults_of_added_fields_are_typed_and_fresh() -> None:
    """fastavro's resolution hands back a field's JSON default as it is (a bytes default as str,
    a timestamp as int) and the same object for every message; values read here must not."""
    import datetime
    import decimal
    import uuid

    old = {"type": "record", "name": "Event", "namespace": "ev", "fields": [{"name": "id", "type": "int"}]}
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
        assert (reader_codec._projection(parsed) is None) == (writer is renamed)
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
