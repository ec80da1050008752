"""Generated encoders refuse what fastavro's validation refuses, naming the field; decoders
report short and bad input with the runtime's typed errors; the serdes use the generated code.

Every invalid value is also checked against ``fastavro.validation.validate`` on the
equivalent datum (the independent oracle), so the encoder is not stricter or looser by
accident.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import importlib
import io
import random
import tempfile
import uuid
from pathlib import Path
from typing import Any

import fastavro
import pytest
import telescope_schemas as ts
from fastavro.validation import validate
from telescope_schemas._runtime import codec as ts_codec
from telescope_schemas._runtime import errors as ts_errors
from telescope_schemas._runtime.registry import SchemaRegistryClient
from telescope_schemas._runtime.serde import RecordCodec, SubjectSerde

from tests.fixtures_registry import RegistryServer
from tests.generator.gen_support import (
    generate_files,
    generated_types,
    import_package,
    unique_package,
    write_schemas,
)

SCHEMA = {
    "type": "record",
    "name": "Everything",
    "namespace": "errs",
    "fields": [
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "b", "type": "boolean"},
        {"name": "s", "type": "string"},
        {"name": "raw", "type": "bytes"},
        {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
        {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2},
        },
        {
            "name": "price",
            "type": {
                "type": "fixed",
                "name": "Price",
                "size": 3,
                "logicalType": "decimal",
                "precision": 6,
                "scale": 1,
            },
        },
        {"name": "key", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "counts", "type": {"type": "map", "values": "long"}},
        {"name": "maybe", "type": ["null", "string", "long"]},
        {
            "name": "inner",
            "type": {
                "type": "record",
                "name": "Inner",
                "fields": [{"name": "x", "type": "double"}],
            },
        },
    ],
}


@pytest.fixture(scope="module")
def everything() -> Any:
    tmp = Path(tempfile.mkdtemp(prefix="avrobind-errs-"))
    paths = write_schemas(tmp / "avsc", {"everything.avsc": SCHEMA})
    name = unique_package("errs")
    generate_files(paths, tmp / "out", name)
    return generated_types(import_package(tmp / "out", name))


def good(types: dict[str, Any]) -> Any:
    return types["errs.Everything"](
        i=1,
        l=2**40,
        f=1.5,
        d=2.5,
        b=True,
        s="text",
        raw=b"\x00\x01",
        fx=b"abcd",
        color=types["errs.Color"].GREEN,
        amount=decimal.Decimal("123.45"),
        price=decimal.Decimal("-12345.6"),
        key=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        at=datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.UTC),
        day=datetime.date(2024, 2, 29),
        tags=["a", "b"],
        counts={"x": -5},
        maybe=None,
        inner=types["errs.Inner"](x=0.25),
    )


def test_valid_record_matches_fastavro(everything: dict[str, Any]) -> None:
    obj = good(everything)
    parsed = fastavro.parse_schema(SCHEMA)
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed, obj.to_avro())
    assert obj.serialize() == out.getvalue()
    assert type(obj).deserialize(out.getvalue()) == obj


# (field, bad value, the datum fastavro validates, expected message)
BAD = [
    ("i", "7", "7", "expected int, got str"),
    ("i", 2**31, 2**31, "2147483648 is out of range for int"),
    ("i", True, True, "expected int, got bool"),
    ("i", None, None, "expected int, got None"),
    ("l", 2**63, 2**63, "9223372036854775808 is out of range for long"),
    ("l", 1.0, 1.0, "expected long, got float"),
    ("f", "x", "x", "expected float, got str"),
    ("d", None, None, "expected double, got None"),
    ("d", False, False, "expected double, got bool"),
    ("b", 1, 1, "expected boolean, got int"),
    ("s", b"text", b"text", "expected string, got bytes"),
    ("s", None, None, "expected string, got None"),
    ("raw", "text", "text", "expected bytes, got str"),
    ("fx", b"abc", b"abc", "expected 4 bytes, got 3"),
    ("color", "GREEN", "BLUE", "expected Color, got str"),
    ("amount", decimal.Decimal("1234.56"), decimal.Decimal("1234.56"), "needs more than 5 digits"),
    (
        "amount",
        decimal.Decimal("1.234"),
        decimal.Decimal("1.234"),
        "more than 2 digits after the point",
    ),
    ("amount", 1.5, 1.5, "expected decimal.Decimal, got float"),
    ("price", decimal.Decimal("123456.7"), decimal.Decimal("123456.7"), "needs more than 6 digits"),
    ("key", "12345678-1234-5678-1234-567812345678", 42, "expected uuid.UUID, got str"),
    ("at", "2024-01-01", "2024-01-01", "expected datetime (timestamp-millis), got str"),
    ("day", datetime.datetime(2024, 1, 1), "x", "expected date, got datetime"),
    ("tags", "abc", "abc", "expected array (a list), got str"),
    ("tags", ["a", 2], ["a", 2], "expected string, got int"),
    ("counts", {"x": "y"}, {"x": "y"}, "expected long, got str"),
    ("counts", {1: 2}, {1: 2}, "expected string, got int"),
    ("counts", [("x", 1)], [("x", 1)], "expected map (a dict), got list"),
    ("maybe", 1.5, 1.5, "float value 1.5 matches no branch of [null, string, long]"),
]


@pytest.mark.parametrize(
    ("field", "value", "datum", "message"), BAD, ids=[f"{b[0]}-{b[3][:30]}" for b in BAD]
)
def test_invalid_values_are_refused_with_the_field_path(
    everything: dict[str, Any], field: str, value: Any, datum: Any, message: str
) -> None:
    obj = dataclasses.replace(good(everything), **{field: value})
    codec = importlib_codec(everything)
    with pytest.raises(codec.EncodeError) as info:
        obj.serialize()
    assert str(info.value) == f"Everything.{field}: {message}" or (
        str(info.value).startswith(f"Everything.{field}: ") and message in str(info.value)
    ), str(info.value)
    assert info.value.path == f"Everything.{field}"
    # fastavro's validation refuses the same value (as a datum): False, or an error raised
    # while converting a logical type (decimal precision and scale, dates).
    plain = {**good(everything).to_avro(), field: datum}
    try:
        accepted = validate(plain, fastavro.parse_schema(SCHEMA), raise_errors=False)
    except ValueError:
        accepted = False
    assert not accepted


def test_nested_record_error_names_the_whole_path(everything: dict[str, Any]) -> None:
    obj = dataclasses.replace(good(everything), inner=everything["errs.Inner"](x="north"))
    with pytest.raises(ValueError, match=r"^Everything\.inner\.x: expected double, got str$"):
        obj.serialize()
    wrong_record = dataclasses.replace(good(everything), inner=good(everything))
    with pytest.raises(ValueError, match=r"^Everything\.inner: expected Inner, got Everything$"):
        wrong_record.serialize()


def test_telescope_command_priority_message() -> None:
    cmd = ts.TelescopeCommand.fake(priority="high")
    with pytest.raises(
        ts_codec.EncodeError, match=r"^TelescopeCommand\.priority: expected int, got str$"
    ) as info:
        cmd.serialize()
    assert isinstance(info.value, ts_errors.SerializationError)
    assert isinstance(info.value, ts_errors.AvrobindError)


def importlib_codec(types: dict[str, Any]) -> Any:
    package = next(iter(types.values())).__module__.split(".")[0]
    return importlib.import_module(f"{package}._runtime.codec")


# --- decoding -----------------------------------------------------------------------------


def test_bad_bytes_are_deserialization_errors_not_truncation(everything: dict[str, Any]) -> None:
    cls = everything["errs.Everything"]
    codec = importlib_codec(everything)
    errors = importlib.import_module(f"{cls.__module__.split('.')[0]}._runtime.errors")
    data = good(everything).serialize()
    # Offsets: i (1 byte), l (6), f (4), d (8), b (1), s (5), raw (3), fx (4), color (1).
    color_at = 1 + 6 + 4 + 8 + 1 + 5 + 3 + 4
    assert data[color_at] == 2  # GREEN, zig-zag encoded
    cases = {
        "enum index 2 of 2 symbols": data[:color_at] + b"\x04" + data[color_at + 1 :],
        "negative enum index": data[:color_at] + b"\x01" + data[color_at + 1 :],
        "boolean byte 2": data[: 1 + 6 + 4 + 8] + b"\x02" + data[1 + 6 + 4 + 8 + 1 :],
        "negative string length": data[: 1 + 6 + 4 + 8 + 1] + b"\x03" + data[1 + 6 + 4 + 8 + 2 :],
        # (fastavro's C reader keeps the low 64 bits of these; avrobind refuses them)
        "a long of 65 bits": data[:1] + b"\xff" * 9 + b"\x02" + data[7:],
        "a varint of 11 bytes": data[:1] + b"\xff" * 10 + b"\x01" + data[7:],
    }
    for what, bad in cases.items():
        with pytest.raises(errors.DeserializationError) as info:
            codec.decode(cls, bad)
        assert not isinstance(info.value, errors.TruncatedMessageError), what
    maybe_at = len(data) - 8 - 1  # the union index comes before `inner` (a double)
    assert data[maybe_at] == 0
    with pytest.raises(errors.DeserializationError, match="no index"):
        codec.decode(cls, data[:maybe_at] + b"\x06" + data[maybe_at + 1 :])


def test_truncated_body_is_reported_at_every_cut(everything: dict[str, Any]) -> None:
    cls = everything["errs.Everything"]
    codec = importlib_codec(everything)
    errors = importlib.import_module(f"{cls.__module__.split('.')[0]}._runtime.errors")
    data = good(everything).serialize()
    for cut in range(len(data)):
        with pytest.raises(errors.TruncatedMessageError):
            codec.decode(cls, data[:cut])
    assert codec.decode(cls, data)[0] == good(everything)
    # deserialize() (the AvroModel API) reads the generated way too.
    with pytest.raises(errors.TruncatedMessageError):
        cls.deserialize(data[:-1])


# --- the serdes use the generated code ------------------------------------------------------


@pytest.fixture
def no_fastavro_io(monkeypatch: pytest.MonkeyPatch) -> None:
    """fastavro's writer and reader fail: only the generated code can do the work."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("fastavro used")

    monkeypatch.setattr(fastavro, "schemaless_writer", refuse)
    monkeypatch.setattr(fastavro, "schemaless_reader", refuse)


def test_serialize_and_deserialize_use_the_generated_codec(no_fastavro_io: None) -> None:
    rng = random.Random(5)
    for cls in (ts.TelescopeCommand, ts.Observation, ts.TelescopeStatus):
        obj = cls.from_avro(random_datum_for(cls, rng))
        assert cls.deserialize(obj.serialize()) == obj


def random_datum_for(cls: Any, rng: random.Random) -> Any:
    from codegen.runtime.datagen import random_datum

    return random_datum(cls.parsed_schema(), rng)


def test_serde_uses_the_generated_codec(
    registry_server: RegistryServer, no_fastavro_io: None
) -> None:
    client = SchemaRegistryClient(registry_server.url)
    try:
        serde = SubjectSerde(
            RecordCodec(ts.TelescopeCommand), f"codec-{uuid.uuid4().hex}-value", client
        )
        cmd = ts.TelescopeCommand.from_avro(random_datum_for(ts.TelescopeCommand, random.Random(1)))
        framed = serde.serialize(cmd)
        assert serde.schema_id is not None
        assert framed[:5] == b"\x00" + serde.schema_id.to_bytes(4, "big")
        assert framed[5:] == cmd.serialize()
        assert serde.deserialize(framed) == cmd
        bad = dataclasses.replace(cmd, priority="high")
        with pytest.raises(
            ts_errors.SerializationError, match=r"TelescopeCommand\.priority: expected int"
        ) as info:
            serde.serialize(bad)
        assert info.value.subject == serde.subject
    finally:
        client.close()
