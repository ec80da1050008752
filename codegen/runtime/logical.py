"""Logical-type conversions between Python values and Avro's underlying values.

Conversions that fastavro also performs behave exactly like fastavro's (same rounding, same
bytes), so the generated fast path and the fastavro resolution path agree. One deliberate
difference: a naive `datetime` given for a `timestamp-*` type is taken as UTC (fastavro would use
the machine's local time zone, which makes the bytes depend on where the code runs).
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import uuid as _uuid
from typing import Any, NamedTuple

EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
EPOCH_NAIVE = _dt.datetime(1970, 1, 1)
_DAYS_SHIFT = _dt.date(1970, 1, 1).toordinal()
_MS_PER_DAY = 86_400_000
_US_PER_DAY = 86_400_000_000
_DEC_CONTEXT = _decimal.Context()


class Duration(NamedTuple):
    """Avro `duration`: months, days and milliseconds, each an unsigned 32-bit integer."""

    months: int = 0
    days: int = 0
    milliseconds: int = 0

    def to_bytes(self) -> bytes:
        for part, value in zip(self._fields, self, strict=True):
            if not 0 <= value <= 0xFFFFFFFF:
                raise ValueError(
                    f"duration {part} must be in 0..4294967295, got {value}"
                )
        return b"".join(v.to_bytes(4, "little") for v in self)

    @classmethod
    def from_bytes(cls, data: bytes) -> Duration:
        if len(data) != 12:
            raise ValueError(f"duration needs 12 bytes, got {len(data)}")
        return cls(
            int.from_bytes(data[0:4], "little"),
            int.from_bytes(data[4:8], "little"),
            int.from_bytes(data[8:12], "little"),
        )


# -- date and time ------------------------------------------------------------------------


def encode_date(v: _dt.date) -> int:
    return v.toordinal() - _DAYS_SHIFT


def decode_date(v: int) -> _dt.date:
    return _dt.date.fromordinal(v + _DAYS_SHIFT)


def encode_time_millis(v: _dt.time) -> int:
    return ((v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.microsecond // 1000


def decode_time_millis(v: int) -> _dt.time:
    h, rest = divmod(v, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return _dt.time(h, m, s, ms * 1000)


def encode_time_micros(v: _dt.time) -> int:
    return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond


def decode_time_micros(v: int) -> _dt.time:
    h, rest = divmod(v, 3_600_000_000)
    m, rest = divmod(rest, 60_000_000)
    s, us = divmod(rest, 1_000_000)
    return _dt.time(h, m, s, us)


def _delta(v: _dt.datetime, local: bool) -> _dt.timedelta:
    if local:
        return v.replace(tzinfo=None) - EPOCH_NAIVE
    if v.tzinfo is None:
        return v - EPOCH_NAIVE
    return v - EPOCH


def encode_timestamp_millis(v: _dt.datetime) -> int:
    d = _delta(v, False)
    return d.days * _MS_PER_DAY + d.seconds * 1000 + d.microseconds // 1000


def encode_timestamp_micros(v: _dt.datetime) -> int:
    d = _delta(v, False)
    return d.days * _US_PER_DAY + d.seconds * 1_000_000 + d.microseconds


def encode_local_timestamp_millis(v: _dt.datetime) -> int:
    d = _delta(v, True)
    return d.days * _MS_PER_DAY + d.seconds * 1000 + d.microseconds // 1000


def encode_local_timestamp_micros(v: _dt.datetime) -> int:
    d = _delta(v, True)
    return d.days * _US_PER_DAY + d.seconds * 1_000_000 + d.microseconds


def decode_timestamp_millis(v: int) -> _dt.datetime:
    return EPOCH + _dt.timedelta(microseconds=v * 1000)


def decode_timestamp_micros(v: int) -> _dt.datetime:
    return EPOCH + _dt.timedelta(microseconds=v)


def decode_local_timestamp_millis(v: int) -> _dt.datetime:
    return EPOCH_NAIVE + _dt.timedelta(microseconds=v * 1000)


def decode_local_timestamp_micros(v: int) -> _dt.datetime:
    return EPOCH_NAIVE + _dt.timedelta(microseconds=v)


# -- decimals -----------------------------------------------------------------------------


def _unscaled(v: _decimal.Decimal, precision: int, scale: int) -> int:
    if not isinstance(v, _decimal.Decimal):
        raise TypeError(f"expected decimal.Decimal, got {type(v).__name__}")
    if not v.is_finite():
        raise ValueError(f"cannot encode {v} as an Avro decimal")
    sign, digits, exp = v.as_tuple()
    assert isinstance(exp, int)
    if -exp > scale:
        raise ValueError(
            f"decimal {v} has more than {scale} digits after the point (scale {scale})"
        )
    unscaled: int = int("".join(map(str, digits)) or "0") * pow(10, exp + scale)
    if len(str(unscaled)) > precision and unscaled:
        raise ValueError(
            f"decimal {v} needs more than {precision} digits (precision {precision})"
        )
    return -unscaled if sign else unscaled


def encode_decimal_bytes(v: _decimal.Decimal, precision: int, scale: int) -> bytes:
    """Two's-complement big-endian unscaled value, as fastavro writes it."""
    unscaled = _unscaled(v, precision, scale)
    size = (abs(unscaled).bit_length() + 8) // 8
    return unscaled.to_bytes(size, "big", signed=True)


def encode_decimal_fixed(
    v: _decimal.Decimal, precision: int, scale: int, size: int
) -> bytes:
    unscaled = _unscaled(v, precision, scale)
    try:
        return unscaled.to_bytes(size, "big", signed=True)
    except OverflowError:
        raise ValueError(f"decimal {v} does not fit in {size} bytes") from None


def decode_decimal(data: bytes, precision: int, scale: int) -> _decimal.Decimal:
    """As fastavro's reader: the context precision is the schema's precision."""
    unscaled = int.from_bytes(data, "big", signed=True)
    _DEC_CONTEXT.prec = precision
    return _DEC_CONTEXT.create_decimal(unscaled).scaleb(-scale, _DEC_CONTEXT)


def _zigzag_varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z & ~0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated big-decimal")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7


def encode_big_decimal(v: _decimal.Decimal) -> bytes:
    """Avro 1.12 `big-decimal`: Avro bytes of the unscaled value, then the scale as an Avro int."""
    if not isinstance(v, _decimal.Decimal) or not v.is_finite():
        raise ValueError(f"cannot encode {v!r} as an Avro big-decimal")
    sign, digits, exp = v.as_tuple()
    assert isinstance(exp, int)
    unscaled = int("".join(map(str, digits)) or "0")
    if sign:
        unscaled = -unscaled
    raw = unscaled.to_bytes((abs(unscaled).bit_length() + 8) // 8, "big", signed=True)
    return _zigzag_varint(len(raw)) + raw + _zigzag_varint(-exp)


def decode_big_decimal(data: bytes) -> _decimal.Decimal:
    size, pos = _read_varint(data, 0)
    if size < 0 or pos + size > len(data):
        raise ValueError("invalid big-decimal")
    unscaled = int.from_bytes(data[pos : pos + size], "big", signed=True)
    scale, end = _read_varint(data, pos + size)
    if end != len(data):
        raise ValueError("invalid big-decimal: trailing bytes")
    return _decimal.Decimal(unscaled).scaleb(-scale)


# -- uuid ---------------------------------------------------------------------------------


def encode_uuid(v: _uuid.UUID) -> str:
    if not isinstance(v, _uuid.UUID):
        raise TypeError(f"expected uuid.UUID, got {type(v).__name__}")
    return str(v)


def decode_uuid(v: str) -> _uuid.UUID:
    return _uuid.UUID(v)


def encode_uuid_fixed(v: _uuid.UUID) -> bytes:
    return v.bytes


def decode_uuid_fixed(v: bytes) -> _uuid.UUID:
    return _uuid.UUID(bytes=v)


def identity(v: Any) -> Any:
    return v
