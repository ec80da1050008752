# cython: language_level=3
"""C versions of the runtime codec's costliest value codecs, for `generate --compile` only.

Built into the package as ``_runtime/_speedups`` next to the compiled ``codec``, which takes
these in place of its own (``codec.py``, last lines). Each handles the usual case in C (an
exact ``uuid.UUID``; an exact ``datetime`` that is naive or in UTC; a UUID in canonical text;
a timestamp whose date is in ``datetime``'s range) with the same result as ``codec.py``, and
hands everything else (other types and forms, other time zones, bad or short input) to the
``codec.py`` function it replaces, so results and errors stay that code's.
"""

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
from cpython.datetime cimport (
    datetime_new,
    PyDateTime_DATE_GET_HOUR,
    PyDateTime_DATE_GET_MICROSECOND,
    PyDateTime_DATE_GET_MINUTE,
    PyDateTime_DATE_GET_SECOND,
    PyDateTime_DATE_GET_TZINFO,
    PyDateTime_GET_DAY,
    PyDateTime_GET_MONTH,
    PyDateTime_GET_YEAR,
    import_datetime,
)
from cpython.long cimport PyLong_AsUnsignedLongLongMask, PyLong_FromUnsignedLongLong
from cpython.object cimport PyObject_GenericSetAttr

import datetime as _dt
import uuid as _uuid

import_datetime()

cdef object _UUID = _uuid.UUID
cdef object _DATETIME = _dt.datetime
cdef object _UTC = _dt.timezone.utc
cdef object _SAFE_UNKNOWN = _uuid.SafeUUID.unknown
cdef object _new = object.__new__
cdef const char* _HEX = b"0123456789abcdef"
# Days before each month of a common year; date(1970, 1, 1).toordinal().
cdef int[13] _BEFORE = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
cdef long long _EPOCH_ORDINAL = 719163

# What this module replaces, and codec.py's versions of them (for everything the C versions
# do not handle).
_REPLACED = (
    "uuid_str",
    "write_timestamp_millis",
    "write_timestamp_micros",
    "write_local_timestamp_millis",
    "write_local_timestamp_micros",
    "read_uuid",
    "read_timestamp_millis",
    "read_timestamp_micros",
    "read_local_timestamp_millis",
    "read_local_timestamp_micros",
)
cdef dict _py = {}


def speedups(namespace):
    """The replacements for the functions of ``namespace`` (``codec``'s globals)."""
    for name in _REPLACED:
        _py[name] = namespace[name]
    return {name: globals()[name] for name in _REPLACED}


def uuid_str(value):
    """The 36 ASCII bytes of a UUID's canonical text."""
    if type(value) is not _UUID:
        return _py["uuid_str"](value)
    x = value.int
    cdef unsigned long long hi = PyLong_AsUnsignedLongLongMask(x >> 64)
    cdef unsigned long long lo = PyLong_AsUnsignedLongLongMask(x)
    cdef char out[36]
    cdef int i, at = 35
    # From the last hex digit backwards; dashes after digits 8, 12, 16 and 20.
    for i in range(32):
        if at == 23 or at == 18 or at == 13 or at == 8:
            out[at] = b"-"
            at -= 1
        if i < 16:
            out[at] = _HEX[lo & 15]
            lo >>= 4
        else:
            out[at] = _HEX[hi & 15]
            hi >>= 4
        at -= 1
    return out[:36]


cdef inline long long _ordinal(int y, int m, int d) noexcept:
    cdef long long p = y - 1
    cdef long long days = p * 365 + p // 4 - p // 100 + p // 400 + _BEFORE[m] + d
    if m > 2 and (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        days += 1
    return days


cdef inline long long _micros(object d) noexcept:
    """Microseconds from 1970-01-01T00:00 to the wall-clock time of ``d``."""
    cdef long long days = (
        _ordinal(PyDateTime_GET_YEAR(d), PyDateTime_GET_MONTH(d), PyDateTime_GET_DAY(d))
        - _EPOCH_ORDINAL
    )
    cdef long long seconds = (
        days * 86400
        + PyDateTime_DATE_GET_HOUR(d) * 3600
        + PyDateTime_DATE_GET_MINUTE(d) * 60
        + PyDateTime_DATE_GET_SECOND(d)
    )
    return seconds * 1000000 + PyDateTime_DATE_GET_MICROSECOND(d)


cdef int _write_varint(bytearray buf, long long n) except -1:
    cdef unsigned long long z = (<unsigned long long>n << 1) ^ <unsigned long long>(n >> 63)
    cdef Py_ssize_t size = PyByteArray_GET_SIZE(buf)
    cdef char* p
    PyByteArray_Resize(buf, size + 10)
    p = PyByteArray_AS_STRING(buf) + size
    while z > 0x7F:
        p[0] = <char>((z & 0x7F) | 0x80)
        p += 1
        size += 1
        z >>= 7
    p[0] = <char>z
    PyByteArray_Resize(buf, size + 1)
    return 0


cdef inline bint _naive_or_utc(object value):
    cdef object tz = <object>PyDateTime_DATE_GET_TZINFO(value)
    return tz is None or tz is _UTC


cdef object _write_timestamp(bytearray buf, object value, long long unit, bint local, str name):
    """A timestamp in ``unit`` µs: wall-clock time for the local types; for the others that of
    a naive or UTC datetime (other zones go to codec.py, which converts them)."""
    if type(value) is not _DATETIME or not (local or _naive_or_utc(value)):
        return _py[name](buf, value)
    # (`//` floors here as in Python: Cython's default `cdivision=False`)
    _write_varint(buf, _micros(value) // unit)


def write_timestamp_millis(bytearray buf, value):
    return _write_timestamp(buf, value, 1000, False, "write_timestamp_millis")


def write_timestamp_micros(bytearray buf, value):
    return _write_timestamp(buf, value, 1, False, "write_timestamp_micros")


def write_local_timestamp_millis(bytearray buf, value):
    return _write_timestamp(buf, value, 1000, True, "write_local_timestamp_millis")


def write_local_timestamp_micros(bytearray buf, value):
    return _write_timestamp(buf, value, 1, True, "write_local_timestamp_micros")


# --- reading ----------------------------------------------------------------------------------


cdef inline int _hex(unsigned char c) noexcept:
    if 48 <= c <= 57:
        return c - 48
    if 97 <= c <= 102:
        return c - 87
    if 65 <= c <= 70:
        return c - 55
    return -1


def read_uuid(bytes data, Py_ssize_t pos):
    """A uuid on string: the canonical 36-character text is parsed here, anything else
    (other forms, bad digits, short data) by codec.py."""
    cdef const unsigned char* p
    cdef unsigned long long hi = 0, lo = 0
    cdef int i, at, v
    if pos < 0 or pos + 37 > len(data) or (<const unsigned char*>data)[pos] != 72:
        return _py["read_uuid"](data, pos)
    p = (<const unsigned char*>data) + pos + 1
    if p[8] != 45 or p[13] != 45 or p[18] != 45 or p[23] != 45:  # "-"
        return _py["read_uuid"](data, pos)
    i = 0
    for at in range(36):
        if at == 8 or at == 13 or at == 18 or at == 23:
            continue
        v = _hex(p[at])
        if v < 0:
            return _py["read_uuid"](data, pos)
        if i < 16:
            hi = (hi << 4) | v
        else:
            lo = (lo << 4) | v
        i += 1
    u = _new(_UUID)
    PyObject_GenericSetAttr(
        u, "int", (PyLong_FromUnsignedLongLong(hi) << 64) | PyLong_FromUnsignedLongLong(lo)
    )
    PyObject_GenericSetAttr(u, "is_safe", _SAFE_UNKNOWN)
    return u, pos + 37


# Microseconds from 1970 to the first and past the last instant of datetime's range.
cdef long long _FIRST_US = -62135596800000000
cdef long long _END_US = 253402300800000000


cdef inline bint _read_varint(bytes data, Py_ssize_t* pos, long long* out) noexcept:
    """A zig-zag long at ``pos[0]``; False for anything codec.py should report."""
    cdef const unsigned char* p = <const unsigned char*>data
    cdef Py_ssize_t size = len(data), at = pos[0]
    cdef unsigned long long n = 0, b
    cdef int shift = 0
    if at < 0:
        return False
    while True:
        if at >= size or shift > 63:
            return False
        b = p[at]
        at += 1
        if shift == 63 and b > 1:
            return False
        n |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
    out[0] = <long long>((n >> 1) ^ (0 - (n & 1)))
    pos[0] = at
    return True


cdef object _datetime_at(long long us, object tz):
    """The datetime ``us`` microseconds after 1970-01-01T00:00 (in range: checked before)."""
    cdef long long days = us // 86400000000, rest = us % 86400000000
    cdef long long z = days + 719468, era, doe, yoe, doy, mp, y, m, d
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (1 if m <= 2 else 0)
    return datetime_new(
        <int>y,
        <int>m,
        <int>d,
        <int>(rest // 3600000000),
        <int>(rest // 60000000 % 60),
        <int>(rest // 1000000 % 60),
        <int>(rest % 1000000),
        tz,
    )


cdef inline object _timestamp(bytes data, Py_ssize_t pos, long long unit, object tz, str name):
    cdef long long n
    cdef Py_ssize_t at = pos
    if not _read_varint(data, &at, &n):
        return _py[name](data, pos)
    # (outside datetime's range codec.py raises its OverflowError; the bound also keeps
    # `n * unit` within 64 bits)
    if n < _FIRST_US // unit or n >= _END_US // unit:
        return _py[name](data, pos)
    return _datetime_at(n * unit, tz), at


def read_timestamp_millis(bytes data, Py_ssize_t pos):
    return _timestamp(data, pos, 1000, _UTC, "read_timestamp_millis")


def read_timestamp_micros(bytes data, Py_ssize_t pos):
    return _timestamp(data, pos, 1, _UTC, "read_timestamp_micros")


def read_local_timestamp_millis(bytes data, Py_ssize_t pos):
    return _timestamp(data, pos, 1000, None, "read_local_timestamp_millis")


def read_local_timestamp_micros(bytes data, Py_ssize_t pos):
    return _timestamp(data, pos, 1, None, "read_local_timestamp_micros")
