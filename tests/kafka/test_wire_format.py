"""The Confluent wire format: header layout and typed errors (pure functions, no servers)."""

from __future__ import annotations

import pickle

import pytest

from codegen.runtime import errors
from codegen.runtime.wire import HEADER_SIZE, frame, header, parse_header


def test_header_is_magic_zero_and_big_endian_id() -> None:
    # Layout per Confluent's docs: 0x00, then the id as a 4-byte big-endian integer.
    assert header(1) == b"\x00\x00\x00\x00\x01"
    assert header(0x01020304) == b"\x00\x01\x02\x03\x04"
    assert header(2**31 - 1) == b"\x00\x7f\xff\xff\xff"
    assert frame(7, b"body") == b"\x00\x00\x00\x00\x07body"
    assert HEADER_SIZE == 5


@pytest.mark.parametrize("schema_id", [0, 1, 255, 256, 65536, 123456789, 2**31 - 1])
def test_parse_header_round_trips(schema_id: int) -> None:
    assert parse_header(frame(schema_id, b"\x02x")) == schema_id
    assert parse_header(header(schema_id)) == schema_id  # an empty body is the body's business


@pytest.mark.parametrize("bad", [-1, 2**31, True, 1.0, "1"])
def test_header_rejects_ids_a_registry_cannot_hand_out(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        header(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data", [b"\x01\x00\x00\x00\x01abc", b"\xff\x00\x00\x00\x01", b'{"a": 1}', b"\x80"]
)
def test_wrong_magic_byte(data: bytes) -> None:
    with pytest.raises(errors.InvalidMagicByteError) as info:
        parse_header(data)
    assert info.value.magic == data[0]
    assert isinstance(info.value, errors.DeserializationError)
    assert isinstance(info.value, errors.AvrobindError)
    assert f"{data[0]:#04x}" in str(info.value)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00\x00\x01"])
def test_too_short_for_a_header(data: bytes) -> None:
    with pytest.raises(errors.TruncatedMessageError) as info:
        parse_header(data)
    assert info.value.size == len(data)
    assert isinstance(info.value, errors.DeserializationError)


def test_deserialization_error_names_where_the_message_came_from() -> None:
    error = errors.InvalidMagicByteError(0x7B)
    assert error.topic is None and error.partition is None and error.offset is None
    error.locate("orders", 3, 42, "value")
    assert (error.topic, error.partition, error.offset, error.field) == ("orders", 3, 42, "value")
    assert str(error).endswith("(value of orders[3]@42)")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is errors.InvalidMagicByteError
    assert (copy.magic, copy.topic, copy.offset, str(copy)) == (0x7B, "orders", 42, str(error))


def test_unknown_schema_id_is_both_a_registry_and_a_deserialization_error() -> None:
    error = errors.UnknownSchemaIdError(99, field="key")
    assert isinstance(error, errors.SchemaNotFoundError)
    assert isinstance(error, errors.DeserializationError)
    assert error.schema_id == 99 and error.status == 404 and error.error_code == 40403
    assert "99" in str(error)
    error.locate("t", 0, 5)
    assert error.field == "key"
    assert str(error).endswith("(key of t[0]@5)")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.schema_id, copy.topic, copy.offset) == (99, "t", 5)
