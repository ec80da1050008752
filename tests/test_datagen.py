"""The random datum generator against fastavro, on the real-world corpus and crafted schemas.

The reference for "valid" and "round-trips" is fastavro itself: a datum must be accepted by
``fastavro.validation.validate``, written by fastavro, read back equal (with
``return_named_type=True``) and written again to the same bytes.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import random
import uuid
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate

from codegen.runtime.datagen import DatagenError, DatumGenerator, random_datum
from tests.avro_strategies import FastavroCodec
from tests.paths import CORPUS

MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text())["files"]
# x.Y has a field of type x.Z, and x.Z a field of type x.Y: no value is finite.
IMPOSSIBLE = {"apache-avro/lang/c/tests/schema_tests/pass/namespace_fullname.avsc"}
POSSIBLE = [entry for entry in MANIFEST if entry["path"] not in IMPOSSIBLE]
RECURSIVE = [entry for entry in POSSIBLE if "recursive" in entry["features"]]


def corpus_codec(entry: dict[str, Any]) -> FastavroCodec:
    named: dict[str, Any] = {}
    for dependency in entry.get("needs", []):
        fastavro.parse_schema(json.loads((CORPUS / dependency).read_text()), named)
    return FastavroCodec(json.loads((CORPUS / entry["path"]).read_text()), named)


def assert_round_trips(codec: FastavroCodec, datum: Any) -> None:
    """fastavro writes the datum, reads it back equal, and writes that to the same bytes."""
    data = codec.write(datum)
    back = codec.read(data)
    assert back == datum
    assert codec.write(back) == data


def assert_valid(codec: FastavroCodec, datum: Any) -> None:
    # fastavro's validate() rejects the tuple notation for enums and fixed defined inline in
    # a union (it compares names only for records), though its writer and reader use it;
    # those tuples are unwrapped first, which validate() then checks against every branch.
    plain = _untuple_enums_and_fixed(datum, codec.schema, codec.named)
    try:
        assert validate({"v": plain}, codec._wrapper, raise_errors=True)
    except ValueError as e:
        # Unwrapped, an enum symbol is a plain string, and fastavro's validate() raises (instead
        # of answering False) when such a string meets a `date` branch before its own: it parses
        # strings as ISO dates. Its writer, given the branch name, is fine (`assert_round_trips`).
        if "isoformat" not in str(e):
            raise


def _untuple_enums_and_fixed(datum: Any, schema: Any, named: dict[str, Any]) -> Any:
    if isinstance(schema, str):
        schema = named.get(schema, schema)
    if isinstance(schema, list):
        if isinstance(datum, tuple):
            name, value = datum
            branch = next(b for b in schema if (b if isinstance(b, str) else b.get("name")) == name)
            inner = _untuple_enums_and_fixed(value, branch, named)
            kind = named[name]["type"] if isinstance(branch, str) else branch["type"]
            return (name, inner) if kind == "record" else inner
        return datum  # unnamed branches hold no tuples below a union... unless they are containers
    if not isinstance(schema, dict):
        return datum
    kind = schema["type"]
    if kind == "record":
        return {
            f["name"]: _untuple_enums_and_fixed(datum[f["name"]], f["type"], named)
            for f in schema["fields"]
        }
    if kind == "array":
        return [_untuple_enums_and_fixed(item, schema["items"], named) for item in datum]
    if kind == "map":
        return {k: _untuple_enums_and_fixed(v, schema["values"], named) for k, v in datum.items()}
    return datum


@pytest.mark.parametrize("entry", POSSIBLE, ids=lambda e: e["path"])
def test_corpus_data_round_trip_and_validate(entry: dict[str, Any]) -> None:
    codec = corpus_codec(entry)
    generator = DatumGenerator(codec.schema, codec.named)
    for seed in range(30):
        datum = generator.datum(random.Random(seed))
        assert_round_trips(codec, datum)
        assert_valid(codec, datum)


def test_corpus_schema_without_finite_value_is_refused() -> None:
    (entry,) = [e for e in MANIFEST if e["path"] in IMPOSSIBLE]
    codec = corpus_codec(entry)
    with pytest.raises(DatagenError, match="no finite value"):
        random_datum(codec.schema, random.Random(0), named=codec.named)


def _depth(datum: Any) -> int:
    """Nesting of dicts, lists and union tuples."""
    if isinstance(datum, tuple):
        return _depth(datum[1])
    if isinstance(datum, dict):
        return 1 + max(map(_depth, datum.values()), default=0)
    if isinstance(datum, list):
        return 1 + max(map(_depth, datum), default=0)
    return 0


@pytest.mark.parametrize("entry", RECURSIVE, ids=lambda e: e["path"])
def test_corpus_recursion_is_bounded_by_max_depth(entry: dict[str, Any]) -> None:
    codec = corpus_codec(entry)
    deepest = {}
    for max_depth in (0, 2, 6):
        generator = DatumGenerator(codec.schema, codec.named, max_depth=max_depth)
        data = [generator.datum(random.Random(seed)) for seed in range(40)]
        for datum in data:
            assert_round_trips(codec, datum)
        deepest[max_depth] = max(map(_depth, data))
        # Past max_depth only the shortest way out is taken: a few more levels at most.
        assert deepest[max_depth] <= max_depth + 5
    assert deepest[0] <= deepest[2] <= deepest[6]


def test_recursive_schema_grows_with_max_depth() -> None:
    tree = {
        "type": "record",
        "name": "Tree",
        "fields": [
            {"name": "left", "type": ["null", "Tree"]},
            {"name": "right", "type": ["null", "Tree"]},
        ],
    }
    codec = FastavroCodec(tree)
    for max_depth in (0, 1, 3, 5):
        data = [
            random_datum(codec.schema, random.Random(s), max_depth=max_depth) for s in range(60)
        ]
        # Once max_depth levels are reached, unions take the null branch.
        assert max(map(_depth, data)) == max(max_depth, 1)
        for datum in data:
            assert_round_trips(codec, datum)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "record", "name": "A", "fields": [{"name": "a", "type": "A"}]},
        {
            "type": "record",
            "name": "A",
            "fields": [
                {
                    "name": "b",
                    "type": [
                        "int",
                        {"type": "record", "name": "B", "fields": [{"name": "a", "type": "A"}]},
                    ],
                },
                {"name": "again", "type": "B"},
            ],
        },
        {
            "type": "record",
            "name": "A",
            "fields": [
                {
                    "name": "u",
                    "type": [
                        "A",
                        {"type": "record", "name": "B", "fields": [{"name": "a", "type": "A"}]},
                    ],
                }
            ],
        },
    ],
    ids=["self", "through-a-required-record", "union-without-exit"],
)
def test_record_without_finite_value_raises(schema: dict[str, Any]) -> None:
    codec = FastavroCodec(schema)
    with pytest.raises(DatagenError, match="no finite value"):
        random_datum(codec.schema, random.Random(0))


@pytest.mark.parametrize(
    "field_type",
    [
        ["null", "A"],
        ["A", "null"],
        {"type": "array", "items": "A"},
        {"type": "map", "values": "A"},
        ["string", {"type": "record", "name": "B", "fields": [{"name": "a", "type": "A"}]}],
    ],
    ids=["null-first", "null-last", "array", "map", "through-other-record"],
)
def test_recursion_with_a_way_out_terminates(field_type: Any) -> None:
    codec = FastavroCodec(
        {"type": "record", "name": "A", "fields": [{"name": "f", "type": field_type}]}
    )
    for seed in range(50):
        datum = random_datum(codec.schema, random.Random(seed), max_depth=3)
        assert _depth(datum) <= 2 * 3 + 4
        assert_round_trips(codec, datum)


def test_unknown_named_type_is_reported_and_named_resolves_it() -> None:
    named: dict[str, Any] = {}
    fastavro.parse_schema({"type": "enum", "name": "x.Color", "symbols": ["RED", "GREEN"]}, named)
    user = fastavro.parse_schema(
        {"type": "record", "name": "x.User", "fields": [{"name": "c", "type": "x.Color"}]},
        dict(named),
    )
    # A top-level record carries its named types (fastavro's `__named_schemas` hint) ...
    assert random_datum(user, random.Random(1))["c"] in ("RED", "GREEN")
    # ... a bare reference needs `named`.
    with pytest.raises(DatagenError, match=r"x\.Color"):
        random_datum("x.Color", random.Random(1))
    assert random_datum("x.Color", random.Random(1), named=named) in ("RED", "GREEN")


def test_same_seed_same_datum_other_seeds_differ() -> None:
    for entry in POSSIBLE:
        codec = corpus_codec(entry)
        first = [
            random_datum(codec.schema, random.Random(seed), named=codec.named) for seed in range(5)
        ]
        again = [
            random_datum(codec.schema, random.Random(seed), named=codec.named) for seed in range(5)
        ]
        assert first == again, entry["path"]
    codec = corpus_codec(
        next(e for e in MANIFEST if e["path"].endswith("c++/jsonschemas/bigrecord.avsc"))
    )
    data = [random_datum(codec.schema, random.Random(seed), named=codec.named) for seed in range(5)]
    assert all(a != b for i, a in enumerate(data) for b in data[i + 1 :])


# --------------------------------------------------------------------------- logical types


def _write_read_value(schema: Any, seeds: int = 200) -> list[Any]:
    codec = FastavroCodec(schema)
    values = []
    for seed in range(seeds):
        datum = random_datum(codec.schema, random.Random(seed))
        assert_round_trips(codec, datum)
        values.append(datum)
    return values


def test_date_values() -> None:
    values = _write_read_value({"type": "int", "logicalType": "date"})
    assert all(type(v) is datetime.date for v in values)
    assert min(values).year < 1970 < max(values).year


@pytest.mark.parametrize(
    ("base", "logical", "step"), [("int", "time-millis", 1000), ("long", "time-micros", 1)]
)
def test_time_values(base: str, logical: str, step: int) -> None:
    values = _write_read_value({"type": base, "logicalType": logical})
    assert all(type(v) is datetime.time and v.tzinfo is None for v in values)
    assert all(v.microsecond % step == 0 for v in values)
    if step == 1:
        assert any(v.microsecond % 1000 for v in values)


@pytest.mark.parametrize(
    ("logical", "aware", "step"),
    [
        ("timestamp-millis", True, 1000),
        ("timestamp-micros", True, 1),
        ("local-timestamp-millis", False, 1000),
        ("local-timestamp-micros", False, 1),
    ],
)
def test_timestamp_values(logical: str, aware: bool, step: int) -> None:
    values = _write_read_value({"type": "long", "logicalType": logical})
    assert all(type(v) is datetime.datetime for v in values)
    if aware:
        assert all(v.tzinfo is datetime.UTC for v in values)
    else:
        assert all(v.tzinfo is None for v in values)
    assert all(v.microsecond % step == 0 for v in values)
    years = {v.year for v in values}
    assert min(years) == 1 and max(years) == 9999  # the bounds are drawn on purpose
    assert any(1970 <= y <= 2100 for y in years)


def test_uuid_on_string_values() -> None:
    values = _write_read_value({"type": "string", "logicalType": "uuid"})
    assert all(type(v) is uuid.UUID for v in values)
    assert len(set(values)) == len(values)


@pytest.mark.parametrize(
    ("schema", "python_type", "size"),
    [
        ({"type": "long", "logicalType": "timestamp-nanos"}, int, None),
        ({"type": "long", "logicalType": "local-timestamp-nanos"}, int, None),
        ({"type": "fixed", "name": "U", "size": 16, "logicalType": "uuid"}, bytes, 16),
        ({"type": "fixed", "name": "D", "size": 12, "logicalType": "duration"}, bytes, 12),
        ({"type": "bytes", "logicalType": "big-decimal"}, bytes, None),
        ({"type": "string", "logicalType": "made-up"}, str, None),
        (
            {"type": "int", "logicalType": "date", "note": "custom props do not matter"},
            datetime.date,
            None,
        ),
        ({"type": "string", "logicalType": "date"}, str, None),  # date on string: ignored
    ],
)
def test_logical_types_fastavro_leaves_alone_are_raw(
    schema: Any, python_type: type, size: int | None
) -> None:
    values = _write_read_value(schema, seeds=50)
    assert all(type(v) is python_type for v in values)
    if size is not None:
        assert {len(v) for v in values} == {size}


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "bytes", "logicalType": "decimal", "precision": 1},
        {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2},
        {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 5},
        {"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 9},
        {"type": "bytes", "logicalType": "decimal", "precision": 60, "scale": 30},
        {"type": "fixed", "name": "F1", "size": 1, "logicalType": "decimal", "precision": 2},
        {
            "type": "fixed",
            "name": "F3",
            "size": 3,
            "logicalType": "decimal",
            "precision": 6,
            "scale": 2,
        },
        {
            "type": "fixed",
            "name": "F16",
            "size": 16,
            "logicalType": "decimal",
            "precision": 38,
            "scale": 10,
        },
    ],
)
def test_decimal_values_respect_precision_and_scale(schema: dict[str, Any]) -> None:
    values = _write_read_value(schema)
    precision, scale = schema["precision"], schema.get("scale", 0)
    for value in values:
        assert type(value) is decimal.Decimal
        _, digits, exponent = value.as_tuple()
        assert exponent == -scale
        assert len(digits) <= precision
        if schema["type"] == "fixed":
            unscaled = int(value.scaleb(scale))
            assert -(2 ** (8 * schema["size"] - 1)) <= unscaled < 2 ** (8 * schema["size"] - 1)
    assert any(v < 0 for v in values) and any(v > 0 for v in values)
    assert any(len(v.as_tuple().digits) == precision for v in values)


def test_corpus_decimals_respect_precision_and_scale() -> None:
    entries = [e for e in POSSIBLE if any(f.startswith("lt_decimal") for f in e["features"])]
    assert entries
    seen = 0
    for entry in entries:
        codec = corpus_codec(entry)
        for seed in range(30):
            datum = random_datum(codec.schema, random.Random(seed), named=codec.named)
            for value, schema in _decimal_values(datum, codec.schema, codec.named):
                seen += 1
                assert value.as_tuple().exponent == -schema.get("scale", 0)
                assert len(value.as_tuple().digits) <= schema["precision"]
    assert seen > 50


def _decimal_values(
    datum: Any, schema: Any, named: dict[str, Any]
) -> list[tuple[decimal.Decimal, dict[str, Any]]]:
    """(value, schema) of every decimal in ``datum``."""
    if isinstance(schema, str):
        schema = named.get(schema, schema)
    if isinstance(schema, list):
        if isinstance(datum, tuple):
            name, datum = datum
            branches = [b for b in schema if (b if isinstance(b, str) else b.get("name")) == name]
        else:  # a decimal outside a tuple comes from the decimal-on-bytes branch
            branches = [b for b in schema if isinstance(b, dict) and b["type"] == "bytes"]
            if not isinstance(datum, decimal.Decimal):
                branches = [
                    b for b in schema if isinstance(b, dict) and b["type"] in ("array", "map")
                ]
        return [x for b in branches[:1] for x in _decimal_values(datum, b, named)]
    if not isinstance(schema, dict):
        return []
    if schema.get("logicalType") == "decimal" and isinstance(datum, decimal.Decimal):
        return [(datum, schema)]
    if schema["type"] == "record":
        return [
            x for f in schema["fields"] for x in _decimal_values(datum[f["name"]], f["type"], named)
        ]
    if schema["type"] == "array" and isinstance(datum, list):
        return [x for item in datum for x in _decimal_values(item, schema["items"], named)]
    if schema["type"] == "map" and isinstance(datum, dict):
        return [x for v in datum.values() for x in _decimal_values(v, schema["values"], named)]
    return []


# --------------------------------------------------------------- union branches fastavro keeps

DATE = {"type": "int", "logicalType": "date"}
UUID_STRING = {"type": "string", "logicalType": "uuid"}
DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2}
TS_MILLIS = {"type": "long", "logicalType": "timestamp-millis"}
LOCAL_MICROS = {"type": "long", "logicalType": "local-timestamp-micros"}
ENUM = {"type": "enum", "name": "E", "symbols": ["A", "B"]}


@pytest.mark.parametrize(
    ("union", "branches"),
    [
        # An int fits int and long: the long branch must carry values outside int32.
        (["int", "long"], {0, 1}),
        (["long", "int"], {0}),
        # fastavro writes any Python float as double when a double branch exists.
        (["float", "double"], {1}),
        (["double", "float"], {0}),
        (["int", "float"], {0, 1}),
        # float validates ints: nothing reaches the int branch.
        (["float", "int"], {0}),
        # fastavro parses strings as ISO dates for a date branch (and raises otherwise).
        (["null", DATE, "string"], {0, 1}),
        (["string", UUID_STRING], {0, 1}),
        # every string passes the uuid branch, and most cannot be read back as UUIDs
        ([UUID_STRING, "string"], {0}),
        (["bytes", DECIMAL], {0, 1}),
        ([DECIMAL, "bytes"], {0}),
        # datetimes are dates; every timestamp branch accepts every datetime
        ([DATE, TS_MILLIS], {0}),
        ([TS_MILLIS, LOCAL_MICROS], {0}),
        ([LOCAL_MICROS, TS_MILLIS], {0}),
        # bytes are a sequence of ints
        ([{"type": "array", "items": "int"}, "bytes"], {0}),
        ([{"type": "array", "items": "string"}, "bytes"], {0, 1}),
        ([ENUM, "string"], {0, 1}),
        (["null", {"type": "array", "items": ["null", ENUM]}], {0, 1}),
    ],
    ids=str,
)
def test_union_branches_survive_fastavro(union: list[Any], branches: set[int]) -> None:
    codec = FastavroCodec(union)
    seen = set()
    for seed in range(300):
        datum = random_datum(codec.schema, random.Random(seed))
        data = codec.write(datum)
        seen.add(data[0] // 2)  # the branch index, a zig-zag varint: one byte for small ones
        assert_round_trips(codec, datum)
    assert seen == branches


def test_enum_tuple_inside_array_inside_union_is_avoided() -> None:
    # fastavro's writer cannot take ("E", "A") inside an array branch of a union (its
    # validation only matches tuples to records), so such arrays hold only nulls.
    codec = FastavroCodec(["null", {"type": "array", "items": ["null", ENUM]}])
    arrays = [d for s in range(200) if (d := random_datum(codec.schema, random.Random(s)))]
    assert arrays and all(item is None for array in arrays for item in array)
    # Outside such a union the tuples are fine and are generated.
    codec = FastavroCodec({"type": "array", "items": ["null", ENUM]})
    items = [i for s in range(50) for i in random_datum(codec.schema, random.Random(s))]
    assert ("E", "A") in items and ("E", "B") in items


def test_strings_include_nasty_characters() -> None:
    values = _write_read_value("string", seeds=400)
    joined = "".join(values)
    assert "" in values
    assert all(c in joined for c in "\"'\\\n")
    assert any(ord(c) > 0xFFFF for c in joined) and any(0x80 <= ord(c) <= 0xFFFF for c in joined)


def test_floats_read_back_exactly() -> None:
    floats = _write_read_value("float", seeds=300)
    doubles = _write_read_value("double", seeds=300)
    assert all(type(v) is float and not math.isnan(v) for v in floats + doubles)
    assert any(v != 0 and abs(v) < 1e-20 for v in doubles)


def test_sizes_are_bounded() -> None:
    schema = {"type": "map", "values": {"type": "array", "items": "int"}}
    values = _write_read_value(schema)
    assert max(len(v) for v in values) == 3
    assert max(len(a) for v in values for a in v.values()) == 3
    generator = DatumGenerator(FastavroCodec(schema).schema, max_items=1)
    assert all(len(generator.datum(random.Random(s))) <= 1 for s in range(50))
