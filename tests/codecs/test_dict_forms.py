"""The dict and JSON forms of a record (`to_dict`/`parse_obj`, `to_json`/`parse_json`) and
fastavro's datum (`to_avro`/`from_avro`), on a record with every kind of value; the expected
forms are written out here by hand from the README. Random values are checked against the
oracle of `forms_support`: here for every record of the corpus, and through
`codec_support.check_record` for random schemas."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import random
import uuid
from pathlib import Path
from typing import Any

import fastavro
import pytest

from codegen.runtime.datagen import DatagenError, DatumGenerator
from tests.codecs.codec_support import runtime
from tests.codecs.forms_support import check_forms, same
from tests.fixtures_corpus import CorpusPackage, sample_records
from tests.generator import oracle
from tests.generator.gen_support import (
    CORPUS,
    corpus_manifest,
    generate_files,
    generated_types,
    import_package,
    unique_package,
    write_schemas,
)

LINE = {
    "type": "record",
    "name": "Line",
    "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}],
}
SCHEMA = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "class", "type": "string"},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "time", "type": {"type": "int", "logicalType": "time-millis"}},
        {
            "name": "price",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
        },
        {"name": "big", "type": {"type": "bytes", "logicalType": "big-decimal"}},
        {
            "name": "wait",
            "type": {"type": "fixed", "name": "Wait", "size": 12, "logicalType": "duration"},
        },
        {
            "name": "key",
            "type": {"type": "fixed", "name": "Key", "size": 16, "logicalType": "uuid"},
        },
        {"name": "nanos", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
        {"name": "raw", "type": "bytes"},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "DONE"]}},
        {"name": "line", "type": LINE},
        {"name": "lines", "type": {"type": "array", "items": "Line"}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "extra", "type": ["null", "string", "long", "Line", "Status"], "default": None},
        {"name": "tags", "type": {"type": "map", "values": "double"}, "default": {}},
    ],
}
ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
KEY = uuid.UUID("87654321-4321-8765-4321-876543218765")
AT = datetime.datetime(2024, 5, 1, 12, 30, 0, 123000, tzinfo=datetime.UTC)
LOCAL = datetime.datetime(2024, 5, 1, 12, 30, 0, 1)


@pytest.fixture(scope="module")
def types(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("forms")
    name = unique_package("forms")
    generate_files(write_schemas(tmp / "avsc", {"order.avsc": SCHEMA}), tmp / "out", name)
    types = generated_types(import_package(tmp / "out", name))
    types["Duration"] = import_package(tmp / "out", name).Duration
    return types


def order(types: dict[str, Any], **changes: Any) -> Any:
    t = types
    values = {
        "class_": "gold",
        "id_": ID,
        "at": AT,
        "local": LOCAL,
        "day": datetime.date(2024, 5, 1),
        "time": datetime.time(12, 30, 0, 123000),
        "price": decimal.Decimal("12.50"),
        "big": decimal.Decimal("-1.5E+30"),
        "wait": t["Duration"](1, 2, 3),
        "key": KEY,
        "nanos": 1714566600123456789,
        "raw": b"\x00\xff",
        "status": t["shop.Status"].NEW,
        "line": t["shop.Line"](sku="a", qty=1),
        "lines": [t["shop.Line"](sku="b", qty=2)],
        "extra": t["shop.Line"](sku="c", qty=3),
        "tags": {"x": 1.5},
    }
    return t["shop.Order"](**{**values, **changes})


def test_dict_form(types: dict[str, Any]) -> None:
    expected = {
        "class": "gold",
        "id": ID,
        "at": AT,
        "local": LOCAL,
        "day": datetime.date(2024, 5, 1),
        "time": datetime.time(12, 30, 0, 123000),
        "price": decimal.Decimal("12.50"),
        "big": decimal.Decimal("-1.5E+30"),
        "wait": types["Duration"](1, 2, 3),
        "key": KEY,
        "nanos": 1714566600123456789,
        "raw": b"\x00\xff",
        "status": "NEW",
        "line": {"sku": "a", "qty": 1},
        "lines": [{"sku": "b", "qty": 2}],
        "note": None,
        "extra": {"shop.Line": {"sku": "c", "qty": 3}},
        "tags": {"x": 1.5},
    }
    obj = order(types)
    assert same(obj.to_dict(), expected)
    assert same(types["shop.Order"].parse_obj(expected), obj)
    # The containers are the dict's own: changing them leaves the object alone.
    obj.to_dict()["lines"].append(None)
    assert len(obj.lines) == 1


def test_json_form(types: dict[str, Any]) -> None:
    expected = {
        "class": "gold",
        "id": "12345678-1234-5678-1234-567812345678",
        "at": "2024-05-01T12:30:00.123000+00:00",
        "local": "2024-05-01T12:30:00.000001",
        "day": "2024-05-01",
        "time": "12:30:00.123000",
        "price": "12.50",
        "big": "-1.5E+30",
        "wait": {"months": 1, "days": 2, "milliseconds": 3},
        "key": "87654321-4321-8765-4321-876543218765",
        "nanos": 1714566600123456789,
        "raw": "\u0000\u00ff",
        "status": "NEW",
        "line": {"sku": "a", "qty": 1},
        "lines": [{"sku": "b", "qty": 2}],
        "note": None,
        "extra": {"shop.Line": {"sku": "c", "qty": 3}},
        "tags": {"x": 1.5},
    }
    obj = order(types)
    assert json.loads(obj.to_json()) == expected
    assert obj.to_json(indent=2) == json.dumps(expected, indent=2)
    Order = types["shop.Order"]
    assert same(Order.parse_json(json.dumps(expected)), obj)
    assert same(Order.parse_json(json.dumps(expected).encode()), obj)
    assert same(Order.parse_obj(expected), obj)  # the JSON form's values are accepted as they are


@pytest.mark.parametrize(
    ("extra", "form"),
    [
        (None, None),
        ("x", {"string": "x"}),
        (5, {"long": 5}),
        ("DONE", {"shop.Status": "DONE"}),
    ],
)
def test_union_branches(types: dict[str, Any], extra: Any, form: Any) -> None:
    if extra == "DONE":
        extra = types["shop.Status"].DONE
    obj = order(types, extra=extra)
    assert same(obj.to_dict()["extra"], form)
    assert same(types["shop.Order"].parse_obj(obj.to_dict()), obj)
    assert same(types["shop.Order"].parse_json(obj.to_json()), obj)


def test_fields_with_defaults_may_be_left_out(types: dict[str, Any]) -> None:
    form = order(types).to_dict()
    for name in ("note", "extra", "tags"):
        del form[name]
    parsed = types["shop.Order"].parse_obj(form)
    assert parsed.note is None and parsed.extra is None and parsed.tags == {}
    form["status"] = types["shop.Status"].DONE  # an enum member is taken as its symbol
    assert types["shop.Order"].parse_obj(form).status is types["shop.Status"].DONE


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"class_": "gold"}, "Order: unknown field(s) 'class_'; the fields are 'class', 'id'"),
        ({"class": None}, "Order.class_: expected string, got None"),
        ({"line": {"sku": "a", "qty": "1"}}, "Order.line.qty: expected int, got str"),
        ({"line": {"sku": "a"}}, "Order.line: missing field(s) 'qty'"),
        ({"lines": "ab"}, "Order.lines: TypeError: expected a list, got str"),
        ({"at": "yesterday"}, "Order.at: ValueError: Invalid isoformat string: 'yesterday'"),
        ({"id": "nope"}, "Order.id_: ValueError: badly formed hexadecimal UUID string"),
        ({"price": "1.2.3"}, "Order.price: ValueError: '1.2.3' is not a decimal number"),
        ({"status": "LOST"}, "Order.status: ValueError: 'LOST' is not a symbol of Status"),
        (
            {"extra": {"Line": {"sku": "a", "qty": 1}}},
            "Order.extra: ValueError: expected {branch: value} with a branch among string, long, shop.Line, shop.Status",
        ),
        ({"extra": "x"}, "Order.extra: ValueError: expected {branch: value}"),
        ({"raw": "\u0100"}, "Order.raw: UnicodeEncodeError"),
    ],
)
def test_bad_dicts_name_the_field(
    types: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    form = {**order(types).to_dict(), **change}
    with pytest.raises(ValueError) as error:
        types["shop.Order"].parse_obj(form)
    assert str(error.value).startswith(message), str(error.value)


def test_a_dict_is_required(types: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"^Order: expected a dict of fields, got list$"):
        types["shop.Order"].parse_obj([])
    with pytest.raises(ValueError):
        types["shop.Order"].parse_json("[1, 2")


def test_fastavro_datum(types: dict[str, Any]) -> None:
    """`to_avro` is what fastavro writes and reads back; `from_avro` its inverse."""
    Order = types["shop.Order"]
    obj = order(types)
    parsed = fastavro.parse_schema(Order.avro_schema_to_python())
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed, obj.to_avro())
    assert out.getvalue() == obj.serialize()
    datum = fastavro.schemaless_reader(
        io.BytesIO(out.getvalue()), parsed, None, return_named_type=True
    )
    assert obj.to_avro() == datum
    assert same(Order.from_avro(datum), obj)
    assert same(Order.from_avro(obj.to_avro()), obj)
    # What confluent-kafka's AvroDeserializer gives (no branch names) is read too.
    plain = fastavro.schemaless_reader(io.BytesIO(out.getvalue()), parsed, None)
    assert same(Order.from_avro(plain), obj)
    # Hand-checked parts: fastavro's own logical types as Python values, the others encoded.
    assert datum["at"] == AT and datum["id"] == ID and datum["price"] == decimal.Decimal("12.50")
    assert datum["wait"] == b"\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00"
    assert datum["key"] == KEY.bytes and datum["extra"] == ("shop.Line", {"sku": "c", "qty": 3})


def test_dataclasses_avroschema_api(types: dict[str, Any]) -> None:
    Order = types["shop.Order"]
    obj = order(types)
    assert obj.validate()
    assert same(Order.deserialize(obj.serialize()), obj)
    assert same(Order.deserialize(obj.serialize("avro-json"), "avro-json"), obj)
    assert same(Order.deserialize(obj.serialize(), create_instance=False), obj.to_dict())
    assert obj.asdict() == obj.to_avro()
    fake = Order.fake(class_="fake")
    assert fake.class_ == "fake" and same(Order.parse_json(fake.to_json()), fake)
    with pytest.raises(fastavro.validation.ValidationError):
        order(types, at="yesterday").validate()


def test_names_are_avro_names_everywhere(tmp_path: Path) -> None:
    schema = {
        "type": "record",
        "name": "Tricky",
        "fields": [
            {"name": n, "type": "int"} for n in ("class", "class_", "id", "to_dict", "parse_json")
        ],
    }
    name = unique_package("forms")
    generate_files(write_schemas(tmp_path / "avsc", {"t.avsc": schema}), tmp_path / "out", name)
    cls = generated_types(import_package(tmp_path / "out", name))["Tricky"]
    obj = cls(class__=1, class_=2, id_=3, to_dict_=4, parse_json_=5)
    form = {"class": 1, "class_": 2, "id": 3, "to_dict": 4, "parse_json": 5}
    assert obj.to_dict() == form and obj.to_avro() == form and json.loads(obj.to_json()) == form
    assert cls.parse_obj(form) == obj and cls.parse_json(obj.to_json()) == obj


ENTRIES = corpus_manifest()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["path"] for e in ENTRIES])
def test_corpus(entry: dict[str, Any], corpus_packages: dict[str, CorpusPackage]) -> None:
    """Every record of the corpus (a sample of big files), with a random value."""
    types = corpus_packages[entry["path"]].types
    sources = oracle.load_json(CORPUS / p for p in [*entry.get("needs", []), entry["path"]])
    named = oracle.parse_sources(sources)
    rng = random.Random(entry["path"])
    records = [n for n in entry["defines"] if hasattr(types.get(n), "from_avro")]
    for fullname in sample_records(records, rng):  # (fixed types and enums: values of records)
        cls = types[fullname]
        writer = fastavro.parse_schema(oracle.expected_standalone(fullname, named))
        try:
            datum = DatumGenerator(writer).datum(rng)
        except DatagenError:
            continue  # a record with no finite value (tests/codecs/test_codec_properties.py)
        out = io.BytesIO()
        fastavro.schemaless_writer(out, writer, datum)
        obj = runtime(cls, "codec").decode(cls, out.getvalue())[0]
        check_forms(cls, obj, out.getvalue(), writer, runtime(cls, "logical"))
