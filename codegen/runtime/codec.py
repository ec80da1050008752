"""Avro binary for generated records: what their generated encoders and decoders call.

Each generated record has ``__avro_write__(self, buf)``, appending its Avro binary to a
``bytearray``, and ``__avro_read__(cls, data, pos)``, returning the record read from ``data``
at ``pos`` and the position after it. Both are straight-line code for their schema: the common
cases (small ints, ``str``, ``float``, enum members...) are handled inline and everything else
goes through the helpers here, which validate the way ``fastavro.validation`` does (type,
int/long range, decimal scale and precision, fixed size, enum membership, union branches) and
raise ``EncodeError`` with the path of the offending field instead of writing bad bytes.

``encode`` and ``decode`` are the entry points: ``decode`` reports a body that ends early as
``TruncatedMessageError`` and any other bad input as ``DeserializationError``.
"""

from __future__ import annotations

import binascii
import datetime as _dt
import decimal as _decimal
import numbers
import struct
import uuid as _uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final, NoReturn, TypeVar

from .errors import DeserializationError, SerializationError, TruncatedMessageError
from .logical import Duration, decode_time_micros, decode_time_millis

__all__ = ["DecodeError", "EncodeError", "WrongTypeError", "decode", "encode"]

T = TypeVar("T")

INT_MIN: Final = -(2**31)
INT_MAX: Final = 2**31 - 1
LONG_MIN: Final = -(2**63)
LONG_MAX: Final = 2**63 - 1

_hexlify = binascii.b2a_hex
_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")
pack_double = _DOUBLE.pack
unpack_double = _DOUBLE.unpack_from
unpack_float = _FLOAT.unpack_from

EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
EPOCH_NAIVE: Final = _dt.datetime(1970, 1, 1)
timedelta = _dt.timedelta
_Decimal = _decimal.Decimal
_DAYS_SHIFT: Final = _dt.date(1970, 1, 1).toordinal()


# The exceptions an encoder can raise for a bad value (anything else propagates as it is).
FAILURES: Final = (
    ValueError,
    TypeError,
    AttributeError,
    KeyError,
    OverflowError,
    struct.error,
)

# --- errors ---------------------------------------------------------------------------------


class EncodeError(SerializationError):
    """A value cannot be written for its schema.

    ``record`` is the class whose field is at fault and ``fields`` the attribute path from it
    (``["target", "ra_deg"]``); ``str()`` reads ``TelescopeCommand.target.ra_deg: expected
    double, got str``.
    """

    def __init__(
        self, reason: str, record: str | None = None, fields: list[str] | None = None
    ) -> None:
        self.reason = reason
        self.record = record
        self.fields: list[str] = fields or []
        super().__init__(reason)

    @property
    def path(self) -> str:
        return (
            ".".join([self.record or "", *self.fields])
            if self.fields
            else (self.record or "")
        )

    def __str__(self) -> str:
        path = self.path
        return f"{path}: {self.reason}" if path else self.reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason, self.record, self.fields))


class WrongTypeError(EncodeError, TypeError):
    """The value given to a serde is not of the type it writes (a ``TypeError`` too)."""


class DecodeError(ValueError):
    """The bytes are not a valid Avro body of the schema (bad index, negative length...)."""


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def wrong(expected: str, value: Any) -> EncodeError:
    return EncodeError(f"expected {expected}, got {_kind(value)}")


def field_error(exc: Exception, record: str, field: str) -> NoReturn:
    """Raise the error of field ``field`` of ``record`` (a nested record's path extended)."""
    if isinstance(exc, EncodeError):
        exc.fields[0:0] = [field]
        exc.record = record
        raise exc
    raise EncodeError(f"{type(exc).__name__}: {exc}", record, [field]) from exc


def no_branch(value: Any, union: str) -> EncodeError:
    return EncodeError(
        f"{_kind(value)} value {value!r:.60} matches no branch of {union}"
    )


# --- writing --------------------------------------------------------------------------------


def _integral(value: Any, kind: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, numbers.Integral)):
        raise wrong(kind, value)
    return int(value)


def write_len(buf: bytearray, n: int) -> None:
    """A non-negative count or length (never out of range)."""
    z = n << 1
    while z > 0x7F:
        buf.append((z & 0x7F) | 0x80)
        z >>= 7
    buf.append(z)


def write_int(buf: bytearray, n: Any) -> None:
    if type(n) is not int:
        n = _integral(n, "int")
    if not INT_MIN <= n <= INT_MAX:
        raise EncodeError(f"{n} is out of range for int")
    v: int = n  # (a C long long in the compiled build)
    z = (v << 1) ^ (v >> 63)
    while z > 0x7F:
        buf.append((z & 0x7F) | 0x80)
        z >>= 7
    buf.append(z)


def write_long(buf: bytearray, n: Any) -> None:
    if type(n) is not int:
        n = _integral(n, "long")
    if not LONG_MIN <= n <= LONG_MAX:
        raise EncodeError(f"{n} is out of range for long")
    v: int = n  # (a C long long in the compiled build)
    z = (v << 1) ^ (v >> 63)
    while z > 0x7F:
        buf.append((z & 0x7F) | 0x80)
        z >>= 7
    buf.append(z)


def false_byte(value: Any) -> int:
    """0 for False (True is handled inline); anything else is not a boolean."""
    if value is False:
        return 0
    if isinstance(value, bool):  # a bool subclass cannot exist, but stay exact
        return 1 if value else 0
    raise wrong("boolean", value)


def double_bytes(value: Any) -> bytes:
    if isinstance(value, bool) or not isinstance(value, (int, float, numbers.Real)):
        raise wrong("double", value)
    return pack_double(float(value))


def float_bytes(value: Any) -> bytes:
    """A float as 4 bytes, rounded as fastavro does (beyond the float range: infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, numbers.Real)):
        raise wrong("float", value)
    x = float(value)
    try:
        return _FLOAT.pack(x)
    except OverflowError:
        return _FLOAT.pack(float("inf") if x > 0 else float("-inf"))


def str_bytes(value: Any) -> bytes:
    if not isinstance(value, str):
        raise wrong("string", value)
    return str.encode(value)


def write_bytes(buf: bytearray, value: Any) -> None:
    if not isinstance(value, (bytes, bytearray)):
        raise wrong("bytes", value)
    write_len(buf, len(value))
    buf += value


def fixed_bytes(value: Any, size: int) -> bytes:
    if not isinstance(value, bytes):
        raise wrong(f"bytes of size {size}", value)
    if len(value) != size:
        raise EncodeError(f"expected {size} bytes, got {len(value)}")
    return value


def enum_code(value: Any, cls: type) -> bytes:
    """The bytes of an enum member (members of the exact class are handled inline)."""
    if isinstance(value, cls):
        code: bytes = value.__avro_code__  # type: ignore[attr-defined]
        return code
    raise wrong(cls.__name__, value)


def as_list(value: Any) -> Any:
    if isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Sequence):
        raise wrong("array (a list)", value)
    return value


def as_dict(value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise wrong("map (a dict)", value)
    return value


def write_record(buf: bytearray, value: Any, cls: type) -> None:
    """A nested record that is not exactly of its class (a subclass, or an error)."""
    if not isinstance(value, cls):
        raise wrong(cls.__name__, value)
    value.__avro_write__(buf)  # type: ignore[attr-defined]


# -- logical types ---


def _write_varint(buf: bytearray, n: int) -> None:
    z = (n << 1) ^ (n >> 63)
    while z > 0x7F:
        buf.append((z & 0x7F) | 0x80)
        z >>= 7
    buf.append(z)


def _datetime(value: Any, kind: str) -> _dt.datetime:
    if not isinstance(value, _dt.datetime):
        raise wrong(f"datetime ({kind})", value)
    return value


# A naive datetime is taken as UTC for timestamp-* types, as `logical` does. A timedelta
# divided by 1 ms (or 1 µs) is the exact floored count, one C operation.
_MILLI: Final = _dt.timedelta(milliseconds=1)
_MICRO: Final = _dt.timedelta(microseconds=1)


def write_timestamp_millis(buf: bytearray, value: Any) -> None:
    d = _datetime(value, "timestamp-millis")
    delta = d - (EPOCH if d.tzinfo is not None else EPOCH_NAIVE)
    _write_varint(buf, delta // _MILLI)


def write_timestamp_micros(buf: bytearray, value: Any) -> None:
    d = _datetime(value, "timestamp-micros")
    delta = d - (EPOCH if d.tzinfo is not None else EPOCH_NAIVE)
    _write_varint(buf, delta // _MICRO)


def write_local_timestamp_millis(buf: bytearray, value: Any) -> None:
    delta = (
        _datetime(value, "local-timestamp-millis").replace(tzinfo=None) - EPOCH_NAIVE
    )
    _write_varint(buf, delta // _MILLI)


def write_local_timestamp_micros(buf: bytearray, value: Any) -> None:
    delta = (
        _datetime(value, "local-timestamp-micros").replace(tzinfo=None) - EPOCH_NAIVE
    )
    _write_varint(buf, delta // _MICRO)


def date_days(value: Any) -> int:
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        raise wrong("date", value)
    return value.toordinal() - _DAYS_SHIFT


def time_millis(value: Any) -> int:
    if not isinstance(value, _dt.time):
        raise wrong("time (time-millis)", value)
    return (
        (value.hour * 60 + value.minute) * 60 + value.second
    ) * 1000 + value.microsecond // 1000


def time_micros(value: Any) -> int:
    if not isinstance(value, _dt.time):
        raise wrong("time (time-micros)", value)
    return (
        (value.hour * 60 + value.minute) * 60 + value.second
    ) * 1_000_000 + value.microsecond


def uuid_str(value: Any) -> bytes:
    """The 36 ASCII bytes of a UUID's canonical text (its length prefix is constant)."""
    if type(value) is not _uuid.UUID and not isinstance(value, _uuid.UUID):
        raise wrong("uuid.UUID", value)
    # Faster than str(value): hex in groups of 4, then the dashes UUIDs do not have dropped.
    h = _hexlify(value.int.to_bytes(16, "big"), b"-", 2)
    return h[:4] + h[5:29] + h[30:34] + h[35:]


def uuid_fixed(value: Any) -> bytes:
    if not isinstance(value, _uuid.UUID):
        raise wrong("uuid.UUID", value)
    return value.bytes


def duration_bytes(value: Any) -> bytes:
    if not isinstance(value, Duration):
        raise wrong("Duration", value)
    try:
        return value.to_bytes()
    except ValueError as exc:
        raise EncodeError(str(exc)) from None


_POW10 = [10**i for i in range(80)]


def _pow10(n: int) -> int:
    return _POW10[n] if n < len(_POW10) else int(10**n)


def unscaled(value: Any, precision: int, scale: int) -> int:
    """The unscaled integer of a decimal, checked against the scale and the precision.

    A value with more digits after the point than ``scale`` is refused unless they are zeros
    (``1.230`` at scale 2 is exactly 123 hundredths; fastavro refuses it, avrobind writes it).
    """
    if type(value) is not _Decimal:
        if not isinstance(value, _decimal.Decimal):
            raise wrong("decimal.Decimal", value)
    elif scale:
        # The usual value has exactly `scale` digits after the point ("-1234.50"): its digits
        # are the unscaled value (2x faster than the ratio below). Exponent notation and
        # "NaN" fail int() or the test and take the general way.
        text = str(value)
        if text[-scale - 1 : -scale] == ".":
            try:
                n = int(text.replace(".", "", 1))
            except ValueError:
                pass
            else:
                limit = _POW10[precision] if precision < 80 else _pow10(precision)
                if -limit < n < limit:
                    return n
    try:
        num, den = value.as_integer_ratio()
    except (ValueError, OverflowError):
        raise EncodeError(f"cannot encode {value} as an Avro decimal") from None
    if den == 1:
        n = num * (_POW10[scale] if scale < 80 else _pow10(scale))
    else:
        n, rest = divmod(num * (_POW10[scale] if scale < 80 else _pow10(scale)), den)
        if rest:
            raise EncodeError(
                f"decimal {value} has more than {scale} digits after the point (scale {scale})"
            )
    limit = _POW10[precision] if precision < 80 else _pow10(precision)
    if not -limit < n < limit:
        raise EncodeError(
            f"decimal {value} needs more than {precision} digits (precision {precision})"
        )
    return n


def write_decimal(buf: bytearray, value: Any, precision: int, scale: int) -> None:
    """A decimal on bytes: two's-complement big-endian unscaled value, as fastavro writes it."""
    n = unscaled(value, precision, scale)
    size = ((n if n >= 0 else -n).bit_length() + 8) // 8
    buf.append(size << 1)  # at most 34 bytes for precision <= 80; longer ones below
    if size >= 64:
        del buf[-1]
        write_len(buf, size)
    buf += n.to_bytes(size, "big", signed=True)


def decimal_fixed(value: Any, precision: int, scale: int, size: int) -> bytes:
    n = unscaled(value, precision, scale)
    try:
        return n.to_bytes(size, "big", signed=True)
    except OverflowError:
        raise EncodeError(f"decimal {value} does not fit in {size} bytes") from None


def write_big_decimal(buf: bytearray, value: Any) -> None:
    if not isinstance(value, _decimal.Decimal) or not value.is_finite():
        raise wrong("finite decimal.Decimal (big-decimal)", value)
    sign, digits, exp = value.as_tuple()
    assert isinstance(exp, int)
    n = 0
    for d in digits:
        n = n * 10 + d
    if sign:
        n = -n
    raw = n.to_bytes((abs(n).bit_length() + 8) // 8, "big", signed=True)
    inner = bytearray()
    write_len(inner, len(raw))
    inner += raw
    write_long(inner, -exp)
    write_len(buf, len(inner))
    buf += inner


# --- reading --------------------------------------------------------------------------------


def read_long(data: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint at ``pos``: (value, position after it).

    Unrolled to the 10 bytes a long takes at most (a loop costs more per byte; 64-bit ids take
    9 or 10, millisecond timestamps 6). The compiled build (``codec.pxd``) reads it with C
    integers: ``n`` unsigned 64-bit, ``r`` signed, which is why the value goes through ``r``.
    """
    b = data[pos]
    n = b & 0x7F
    if b < 0x80:
        r = (n >> 1) ^ -(n & 1)
        return r, pos + 1
    b = data[pos + 1]
    n |= (b & 0x7F) << 7
    if b < 0x80:
        r = (n >> 1) ^ -(n & 1)
        return r, pos + 2
    b = data[pos + 2]
    n |= (b & 0x7F) << 14
    if b < 0x80:
        r = (n >> 1) ^ -(n & 1)
        return r, pos + 3
    b = data[pos + 3]
    n |= (b & 0x7F) << 21
    if b < 0x80:
        r = (n >> 1) ^ -(n & 1)
        return r, pos + 4
    b = data[pos + 4]
    n |= (b & 0x7F) << 28
    if b < 0x80:
        r = (n >> 1) ^ -(n & 1)
        return r, pos + 5
    b = data[pos + 5]
    n |= (b & 0x7F) << 35
    if b < 0x80:
        r = (n >> 1) ^ -(n & 1)
        return r, pos + 6
    b = data[pos + 6]
    n |= (b & 0x7F) << 42
    if b < 0x80:
        r = (n >> 1) ^ -(n & 1)
        return r, pos + 7
    b = data[pos + 7]
    n |= (b & 0x7F) << 49
    if b < 0x80:
        r = (n >> 1) ^ -(n & 1)
        return r, pos + 8
    b = data[pos + 8]
    n |= (b & 0x7F) << 56
    if b < 0x80:
        r = (n >> 1) ^ -(n & 1)
        return r, pos + 9
    b = data[pos + 9]
    if b > 1:  # more than 64 bits (a longer varint, or what a C reader would truncate)
        raise DecodeError("a varint beyond the range of long")
    n |= b << 63
    r = (n >> 1) ^ -(n & 1)
    return r, pos + 10


def read_len(data: bytes, pos: int) -> tuple[int, int]:
    """A length (of a string, bytes...): never negative. Those below 8192 (one or two bytes)
    are read here, the others by ``read_long``."""
    b = data[pos]
    if b < 0x80:
        if b & 1:
            raise DecodeError(f"negative length {-((b + 1) >> 1)}")
        return b >> 1, pos + 1
    c = data[pos + 1]
    if c < 0x80:
        n = (b & 0x7F) | (c << 7)
        if n & 1:
            raise DecodeError(f"negative length {-((n + 1) >> 1)}")
        return n >> 1, pos + 2
    n, pos = read_long(data, pos)
    if n < 0:
        raise DecodeError(f"negative length {n}")
    if n > len(data):  # (keeps `pos + n` in a C Py_ssize_t in the compiled build)
        raise EOFError
    return n, pos


def read_count(data: bytes, pos: int) -> tuple[int, int]:
    """The item count of an array or map block (a negative count is followed by a size)."""
    n, pos = read_long(data, pos)
    if n < 0:
        n = -n
        _, pos = read_long(data, pos)
    return n, pos


def read_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    n = data[pos]
    if n & 0x81:  # a length of 64 or more (or a negative one)
        n, pos = read_len(data, pos)
    else:
        n >>= 1
        pos += 1
    end = pos + n
    if end > len(data):
        raise EOFError
    return data[pos:end], end


def read_string(data: bytes, pos: int) -> tuple[str, int]:
    raw, pos = read_bytes(data, pos)
    return raw.decode(), pos


def read_fixed(data: bytes, pos: int, size: int) -> tuple[bytes, int]:
    end = pos + size
    if end > len(data):
        raise EOFError
    return data[pos:end], end


def read_decimal(
    data: bytes, pos: int, precision: int, scale: int
) -> tuple[_decimal.Decimal, int]:
    """A decimal on bytes, as fastavro reads it (see ``to_decimal``)."""
    n = data[pos]
    if n & 0x81:
        n, pos = read_len(data, pos)
    else:
        n >>= 1
        pos += 1
    end = pos + n
    if end > len(data):
        raise EOFError
    ctx = _CONTEXTS.get(precision) or decimal_context(precision)
    return (
        _Decimal(int.from_bytes(data[pos:end], "big", signed=True)).scaleb(-scale, ctx),
        end,
    )


def read_uuid(data: bytes, pos: int) -> tuple[_uuid.UUID, int]:
    """A uuid on string; the canonical 36-character form is parsed without ``UUID()``'s
    general parsing (equal results: ``UUID(text)`` also ends in ``int(hex, 16)``)."""
    if data[pos] == 72:  # 36 bytes
        end = pos + 37
        if end > len(data):
            raise EOFError
        digits = data[pos + 1 : end].replace(b"-", b"")
        if len(digits) == 32:
            try:
                value = int(digits, 16)
            except ValueError:
                pass
            else:
                u = _new(_UUID)
                _set(u, "int", value)
                _set(u, "is_safe", _SAFE_UNKNOWN)
                return u, end
    text, pos = read_string(data, pos)
    return _uuid.UUID(text), pos


def read_timestamp_millis(data: bytes, pos: int) -> tuple[_dt.datetime, int]:
    n, pos = read_long(data, pos)
    return EPOCH + timedelta(0, 0, 0, n), pos


def read_timestamp_micros(data: bytes, pos: int) -> tuple[_dt.datetime, int]:
    n, pos = read_long(data, pos)
    return EPOCH + timedelta(0, 0, n), pos


def read_local_timestamp_millis(data: bytes, pos: int) -> tuple[_dt.datetime, int]:
    n, pos = read_long(data, pos)
    return EPOCH_NAIVE + timedelta(0, 0, 0, n), pos


def read_local_timestamp_micros(data: bytes, pos: int) -> tuple[_dt.datetime, int]:
    n, pos = read_long(data, pos)
    return EPOCH_NAIVE + timedelta(0, 0, n), pos


def read_boolean(data: bytes, pos: int) -> bool:
    b: int = data[pos]
    if b > 1:
        raise DecodeError(f"invalid boolean byte {b:#04x}")
    return b == 1


def bad_index(index: int, what: str) -> DecodeError:
    return DecodeError(f"{what} has no index {index}")


_SAFE_UNKNOWN = _uuid.SafeUUID.unknown
_UUID = _uuid.UUID
_set = object.__setattr__
_new = object.__new__


_CONTEXTS: dict[int, _decimal.Context] = {}


def decimal_context(precision: int) -> _decimal.Context:
    """A decimal context of ``precision`` digits (what fastavro's reader uses)."""
    ctx = _CONTEXTS.get(precision)
    if ctx is None:
        ctx = _CONTEXTS.setdefault(precision, _decimal.Context(prec=precision))
    return ctx


def to_decimal(raw: bytes, precision: int, scale: int) -> _decimal.Decimal:
    """As fastavro's reader: the unscaled value in a context of the schema's precision."""
    ctx = _CONTEXTS.get(precision) or decimal_context(precision)
    # Rounding the exact value once to the precision (scaleb) is what fastavro's
    # create_decimal-then-scaleb gives.
    return _Decimal(int.from_bytes(raw, "big", signed=True)).scaleb(-scale, ctx)


def uuid_from_bytes(raw: bytes) -> _uuid.UUID:
    return _uuid.UUID(bytes=raw)


def from_days(days: int) -> _dt.date:
    return _dt.date.fromordinal(days + _DAYS_SHIFT)


from_time_millis = decode_time_millis
from_time_micros = decode_time_micros


# --- entry points ---------------------------------------------------------------------------


def encode(value: Any, prefix: bytes = b"") -> bytes:
    """``prefix`` followed by the Avro binary of the generated record ``value``."""
    buf = bytearray(prefix)
    try:
        value.__avro_write__(buf)
    except EncodeError as exc:
        if exc.record is None:
            exc.record = type(value).__name__
        raise
    except (
        TypeError,
        ValueError,
        AttributeError,
        KeyError,
        OverflowError,
        struct.error,
    ) as exc:
        raise EncodeError(f"{type(exc).__name__}: {exc}", type(value).__name__) from exc
    return bytes(buf)


def decode(cls: type[T], data: bytes, pos: int = 0) -> tuple[T, int]:
    """The record of generated class ``cls`` at ``pos`` in ``data``, and the end position.

    Raises ``TruncatedMessageError`` when ``data`` ends before the record does and
    ``DeserializationError`` when the bytes are not a record of this schema.
    """
    if type(data) is not bytes:
        data = bytes(data)
    try:
        return cls.__avro_read__(data, pos)  # type: ignore[attr-defined, no-any-return]
    except (EOFError, IndexError, struct.error) as exc:
        raise TruncatedMessageError(
            f"the Avro body ends early: {len(data) - pos} bytes are not a whole {cls.__name__}",
            size=len(data),
        ) from exc
    except (
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
        _decimal.InvalidOperation,
    ) as exc:
        raise DeserializationError(
            f"cannot decode the Avro body as {cls.__name__}: {type(exc).__name__}: {exc}"
        ) from exc


def fail(text: str) -> NoReturn:
    raise DecodeError(text)


# `generate --compile` also builds C versions of a few codecs (`_speedups`, from
# codegen/generator/speedups.pyx); they hand what they do not handle back to these.
try:
    from . import _speedups  # type: ignore[attr-defined]
except ImportError:
    pass
else:
    globals().update(_speedups.speedups(globals()))
