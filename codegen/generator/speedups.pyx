# cython: language_level=3
"""C versions of the runtime codec's costliest value writers, for `generate --compile` only.

Built into the package as ``_runtime/_speedups`` next to the compiled ``codec``, which takes
these in place of its own (``codec.py``, last lines). Each handles the usual case in C (an
exact ``uuid.UUID``; an exact ``datetime`` that is naive or in UTC) with the same bytes as
``codec.py``, and hands everything else (other types, other time zones, errors) to the
``codec.py`` function it replaces, so results and errors stay that code's.
"""

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
from cpython.datetime cimport (
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
from cpython.long cimport PyLong_AsUnsignedLongLongMask

import datetime as _dt
import uuid as _uuid

import_datetime()

cdef object _UUID = _uuid.UUID
cdef object _DATETIME = _dt.datetime
cdef object _UTC = _dt.timezone.utc
cdef const char* _HEX = b"0123456789abcdef"
# Days before each month of a common year; date(1970, 1, 1).toordinal().
cdef int[13] _BEFORE = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
cdef long long _EPOCH_ORDINAL = 719163

# The codec.py versions, for everything the C versions do not handle.
cdef object _py_uuid_str = None
cdef object _py_timestamp_millis = None
cdef object _py_timestamp_micros = None
cdef object _py_local_timestamp_millis = None
cdef object _py_local_timestamp_micros = None


def speedups(namespace):
    """The replacements for the functions of ``namespace`` (``codec``'s globals)."""
    global _py_uuid_str, _py_timestamp_millis, _py_timestamp_micros
    global _py_local_timestamp_millis, _py_local_timestamp_micros
    _py_uuid_str = namespace["uuid_str"]
    _py_timestamp_millis = namespace["write_timestamp_millis"]
    _py_timestamp_micros = namespace["write_timestamp_micros"]
    _py_local_timestamp_millis = namespace["write_local_timestamp_millis"]
    _py_local_timestamp_micros = namespace["write_local_timestamp_micros"]
    return {
        "uuid_str": uuid_str,
        "write_timestamp_millis": write_timestamp_millis,
        "write_timestamp_micros": write_timestamp_micros,
        "write_local_timestamp_millis": write_local_timestamp_millis,
        "write_local_timestamp_micros": write_local_timestamp_micros,
    }


def uuid_str(value):
    """The 36 ASCII bytes of a UUID's canonical text."""
    if type(value) is not _UUID:
        return _py_uuid_str(value)
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


def write_timestamp_millis(bytearray buf, value):
    if type(value) is not _DATETIME or not _naive_or_utc(value):
        return _py_timestamp_millis(buf, value)
    # (`//` floors here as in Python: Cython's default `cdivision=False`)
    _write_varint(buf, _micros(value) // 1000)


def write_timestamp_micros(bytearray buf, value):
    if type(value) is not _DATETIME or not _naive_or_utc(value):
        return _py_timestamp_micros(buf, value)
    _write_varint(buf, _micros(value))


def write_local_timestamp_millis(bytearray buf, value):
    if type(value) is not _DATETIME:
        return _py_local_timestamp_millis(buf, value)
    _write_varint(buf, _micros(value) // 1000)


def write_local_timestamp_micros(bytearray buf, value):
    if type(value) is not _DATETIME:
        return _py_local_timestamp_micros(buf, value)
    _write_varint(buf, _micros(value))
