"""Random, bounded Avro data for a schema, in the avrobind datum format.

The *datum format* is what ``fastavro.schemaless_writer`` accepts and what
``fastavro.schemaless_reader(..., return_named_type=True)`` returns:

- null → ``None``; boolean → ``bool``; int/long → ``int``; float/double → ``float``;
  bytes → ``bytes``; string → ``str``;
- record → ``dict`` keyed by Avro field name; enum → symbol ``str``; fixed → ``bytes`` of
  exactly ``size``; array → ``list``; map → ``dict[str, ...]``;
- a union value is the value of the chosen branch, except that a branch of a named type
  (record, enum, fixed) is the tuple ``(full_name, value)``;
- logical types that fastavro converts: date → ``datetime.date``; time-millis/time-micros →
  ``datetime.time``; timestamp-millis/micros → UTC ``datetime.datetime``;
  local-timestamp-millis/micros → naive ``datetime.datetime``; decimal on bytes or fixed →
  ``decimal.Decimal`` with exponent ``-scale``; uuid on string → ``uuid.UUID``. Any other
  logical type (nanosecond timestamps, uuid on fixed, duration, big-decimal, unknown or
  invalid ones) is its underlying Avro value.

Every generated datum survives fastavro ``write → read(return_named_type=True) → write``:
the read value equals the datum and both writes give the same bytes. Where fastavro's writer
would pick another union branch than the generated one (``["long", "int"]`` cannot carry an
int branch value, ``[decimal, "bytes"]`` cannot carry plain bytes, ``["bytes", fixed]`` a
fixed value once it is read as plain bytes...), that branch is avoided. So are valid values fastavro's writer rejects: the tuple of an enum or fixed
defined inline, at any depth inside an array or map that is itself a union value (fastavro
validates those containers branch by branch and matches tuples to records only).
Floats are never NaN (NaN != NaN); they may be infinite.

Schemas are *parsed* schemas, as ``fastavro.parse_schema`` returns them: every name is a full
name, each named type is defined once and referenced afterwards by its full name. Named types
defined inside ``schema`` are found automatically, and so are those in the
``"__named_schemas"`` entry fastavro adds to a parsed top-level record. Types defined only
elsewhere (another file) come from ``named``: pass the dictionary that was given to
``fastavro.parse_schema(schema, named)``.

Only the standard library is used: this module is copied into generated packages.
"""

from __future__ import annotations

import datetime
import decimal
import math
import numbers
import random
import struct
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import AvrobindError
from .logical import encode_big_decimal

__all__ = ["DatagenError", "DatumGenerator", "random_datum"]


class DatagenError(AvrobindError, ValueError):
    """No datum can be generated: unknown named type, or a type with no finite value."""


_PRIMITIVES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
_RECORDS = frozenset({"record", "error"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})
_INF = math.inf

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1

_UTC = datetime.UTC
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_NAIVE = datetime.datetime(1970, 1, 1)
# Bounds of what datetime can hold, as offsets from the epoch (the reader adds them to it).
_MIN_MICROS = (
    datetime.datetime.min.replace(tzinfo=_UTC) - _EPOCH
) // datetime.timedelta(microseconds=1)
_MAX_MICROS = (
    datetime.datetime.max.replace(tzinfo=_UTC) - _EPOCH
) // datetime.timedelta(microseconds=1)
_NOW_MICROS = 1_700_000_000_000_000  # 2023-11-14: the centre of the "realistic" range
_CENTURY_MICROS = 100 * 366 * 86_400_000_000
_DAYS_SHIFT = datetime.date(1970, 1, 1).toordinal()
_MAX_ORDINAL = datetime.date.max.toordinal()
_DAY_MILLIS = 86_400_000
_DAY_MICROS = 86_400_000_000

# Characters that break naive quoting or encoding: quotes, backslashes, control characters,
# Latin-1, CJK, an astral emoji, a line separator that str.splitlines() splits on.
_NASTY_CHARS = "\"'\\\n\r\t\x00\x7féßÆ日本€\u2028😀{}%$"
_NASTY_STRINGS = (
    "",
    " ",
    '"',
    "'",
    "\\",
    '"""',
    "'''",
    'x"',
    "x\\",
    "{{ x }}",
    "None",
    "null",
)
_FLOAT_SPECIALS = (0.0, -0.0, 1.0, -1.0, 0.5, math.inf, -math.inf)
_DOUBLE_SPECIALS = (*_FLOAT_SPECIALS, 1e300, -2.5e-308, 5e-324, 0.1, 123456789.125)


def random_datum(
    schema: Any,
    rng: random.Random | None = None,
    *,
    max_depth: int = 4,
    named: Mapping[str, Any] | None = None,
) -> Any:
    """One random datum for the parsed ``schema`` (see the module docstring for the format).

    ``rng`` makes the result reproducible (a fresh unseeded generator when omitted). Deeper
    than ``max_depth`` nested records, arrays and maps, the generator only takes choices that
    end the recursion (the union branch with the fewest nested records, empty arrays and maps).
    Raises ``DatagenError`` if a type is unknown or the schema has no finite value.
    """
    return DatumGenerator(schema, named, max_depth=max_depth).datum(rng)


class DatumGenerator:
    """Generates data for one schema; build it once and call ``datum()`` many times.

    ``max_items`` bounds the length of arrays and maps.
    """

    def __init__(
        self,
        schema: Any,
        named: Mapping[str, Any] | None = None,
        *,
        max_depth: int = 4,
        max_items: int = 3,
    ) -> None:
        self.schema = schema
        self.max_depth = max_depth
        self.max_items = max_items
        self._named: dict[str, Any] = {}
        self._collect(schema)
        hinted = schema.get("__named_schemas") if isinstance(schema, dict) else None
        self._pull_references({**(named or {}), **(hinted or {})})
        self._record_heights: dict[str, float] = {}
        self._compute_heights()
        if self._height(schema) == _INF:
            raise DatagenError(
                f"schema has no finite value (a record always contains itself): {_short(schema)}"
            )
        self._rng = random.Random()

    def datum(self, rng: random.Random | None = None) -> Any:
        """A new random datum."""
        self._rng = rng if rng is not None else random.Random()
        return self._gen(self.schema, 0)

    # -- named types and termination ------------------------------------------------------

    def _collect(self, schema: Any, references: list[str] | None = None) -> None:
        """Index the named types defined inline, and list the names referenced."""
        if isinstance(schema, list):
            for branch in schema:
                self._collect(branch, references)
        elif isinstance(schema, dict):
            kind = schema.get("type")
            if kind in _NAMED:
                self._named.setdefault(schema["name"], schema)
            if kind in _RECORDS:
                for field in schema.get("fields", ()):
                    self._collect(field["type"], references)
            elif kind == "array":
                self._collect(schema["items"], references)
            elif kind == "map":
                self._collect(schema["values"], references)
        elif references is not None and schema not in _PRIMITIVES:
            references.append(schema)

    def _pull_references(self, available: Mapping[str, Any]) -> None:
        """Add the named types defined elsewhere that the schema uses, directly or not."""
        pending: list[Any] = [self.schema]
        missing: list[str] = []
        while pending:
            references: list[str] = []
            self._collect(pending.pop(), references)
            for name in references:
                if name in self._named:
                    continue
                if name in available:
                    self._named[name] = available[name]
                    pending.append(available[name])
                else:
                    missing.append(
                        name
                    )  # unless a definition pulled later has it inline
        missing = [name for name in missing if name not in self._named]
        if missing:
            raise DatagenError(
                f"unknown named type {missing[0]!r}: pass its definition in `named`"
            )

    def _resolve(self, schema: Any) -> Any:
        if isinstance(schema, str) and schema not in _PRIMITIVES:
            try:
                return self._named[schema]
            except KeyError:
                raise DatagenError(
                    f"unknown named type {schema!r}: pass its definition in `named`"
                ) from None
        return schema

    def _compute_heights(self) -> None:
        """Least number of nested records each record's smallest value needs (inf: none).

        A fixpoint over the named records, since records may refer to each other.
        """
        records = [name for name, d in self._named.items() if d.get("type") in _RECORDS]
        self._record_heights = dict.fromkeys(records, _INF)
        changed = True
        while changed:
            changed = False
            for name in records:
                fields = self._named[name].get("fields", ())
                height = 1 + max((self._height(f["type"]) for f in fields), default=0)
                if height < self._record_heights[name]:
                    self._record_heights[name] = height
                    changed = True

    def _height(self, schema: Any) -> float:
        schema = self._resolve(schema)
        if isinstance(schema, list):
            return min((self._height(branch) for branch in schema), default=_INF)
        if isinstance(schema, dict):
            kind = schema["type"]
            if kind in _RECORDS:
                return self._record_heights[schema["name"]]
            if kind == "enum" and not schema.get("symbols"):
                return _INF
        return 0  # primitives, enums, fixed; arrays and maps may be empty

    # -- generation -----------------------------------------------------------------------

    def _gen(self, schema: Any, depth: int) -> Any:
        schema = self._resolve(schema)
        if isinstance(schema, list):
            return self._union(schema, depth)
        if isinstance(schema, str):
            return self._primitive(schema)
        kind = schema["type"]
        logical = _logical_key(schema)
        if logical is not None:
            return self._logical(logical, schema)
        if kind == "bytes" and schema.get("logicalType") == "big-decimal":
            # Raw bytes, but they must hold an encoded big-decimal to be decodable.
            unscaled = self._integer(-(10**12), 10**12)
            return encode_big_decimal(
                decimal.Decimal(unscaled).scaleb(-self._rng.randint(0, 12))
            )
        if kind in _RECORDS:
            return {
                f["name"]: self._gen(f["type"], depth + 1)
                for f in schema.get("fields", ())
            }
        if kind == "enum":
            return self._rng.choice(schema["symbols"])
        if kind == "fixed":
            return self._bytes(schema["size"])
        if kind == "array":
            return [
                self._gen(schema["items"], depth + 1)
                for _ in range(self._count(schema["items"], depth))
            ]
        if kind == "map":
            count = self._count(schema["values"], depth)
            return {
                self._string(6): self._gen(schema["values"], depth + 1)
                for _ in range(count)
            }
        return self._primitive(kind)

    def _count(self, items: Any, depth: int) -> int:
        # Past max_depth only leaf-like items are allowed, so the value stops growing.
        if depth >= self.max_depth and self._height(items) > 0:
            return 0
        return self._rng.randint(0, self.max_items)

    def _union(self, union: list[Any], depth: int) -> Any:
        indexes = [i for i, branch in enumerate(union) if self._height(branch) < _INF]
        self._rng.shuffle(indexes)
        if depth >= self.max_depth:
            indexes.sort(
                key=lambda i: self._height(union[i])
            )  # stable: ties stay shuffled
        for index in indexes:
            branch = union[index]
            definition = self._resolve(branch)
            if isinstance(definition, dict) and definition["type"] in _NAMED:
                # The writer picks a tuple's branch by name, without looking at the value.
                value = self._gen(branch, depth)
                if definition["type"] == "fixed" and not self._fixed_kept(
                    union, index, value
                ):
                    continue
                return (definition["name"], value)
            for _ in range(8):
                value = self._gen(branch, depth)
                try:
                    if self._written_branch(union, value) == index:
                        return value
                except _WriterError:
                    pass
        raise DatagenError(
            f"no branch of union {_short(union)} can carry a value that fastavro writes back "
            "to the same branch"
        )

    def _primitive(self, kind: str) -> Any:
        rng = self._rng
        if kind == "null":
            return None
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "int":
            return self._integer(_INT_MIN, _INT_MAX)
        if kind == "long":
            return self._integer(_LONG_MIN, _LONG_MAX)
        if kind == "float":
            return self._float(single=True)
        if kind == "double":
            return self._float(single=False)
        if kind == "bytes":
            return self._bytes(rng.randint(0, 8))
        if kind == "string":
            return self._string(8)
        raise DatagenError(f"unknown Avro type {kind!r}")

    def _integer(self, low: int, high: int) -> int:
        rng = self._rng
        pick = rng.random()
        if pick < 0.15:
            return rng.choice((low, high, 0, -1, 1))
        if pick < 0.55:
            return rng.randint(max(low, -1000), min(high, 1000))
        return rng.randint(low, high)

    def _float(self, *, single: bool) -> float:
        rng = self._rng
        pick = rng.random()
        if pick < 0.2:
            value = rng.choice(_FLOAT_SPECIALS if single else _DOUBLE_SPECIALS)
        elif pick < 0.6:
            value = rng.uniform(-1000.0, 1000.0)
        else:
            value = rng.uniform(-1.0, 1.0) * 10.0 ** rng.randint(-30, 30)
        if single and math.isfinite(value):
            # Only values a float32 holds exactly read back equal.
            value = struct.unpack("<f", struct.pack("<f", value))[0]
        return value

    def _bytes(self, size: int) -> bytes:
        return bytes(self._rng.randrange(256) for _ in range(size))

    def _string(self, max_length: int) -> str:
        rng = self._rng
        if rng.random() < 0.15:
            return rng.choice(_NASTY_STRINGS)
        chars = []
        for _ in range(rng.randint(0, max_length)):
            pick = rng.random()
            if pick < 0.6:
                chars.append(
                    rng.choice(
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-."
                    )
                )
            elif pick < 0.85:
                chars.append(rng.choice(_NASTY_CHARS))
            else:
                code = rng.randint(0x80, 0xFFFF if rng.random() < 0.7 else 0x10FFFF)
                # Lone surrogates cannot be encoded as UTF-8.
                chars.append(
                    chr(code if not 0xD800 <= code <= 0xDFFF else code - 0x800)
                )
        return "".join(chars)

    def _logical(self, key: str, schema: dict[str, Any]) -> Any:
        rng = self._rng
        if key == "int-date":
            return datetime.date.fromordinal(
                self._around_now(1, _MAX_ORDINAL, _DAYS_SHIFT + 19_675, 36_600)
            )
        if key == "int-time-millis":
            millis = rng.randrange(_DAY_MILLIS)
            return _time_from_micros(millis * 1000)
        if key == "long-time-micros":
            return _time_from_micros(rng.randrange(_DAY_MICROS))
        if key in _TIMESTAMPS:
            unit, tz = _TIMESTAMPS[key]
            micros = (
                self._around_now(
                    _MIN_MICROS // unit,
                    _MAX_MICROS // unit,
                    _NOW_MICROS // unit,
                    _CENTURY_MICROS // unit,
                )
                * unit
            )
            return (_EPOCH if tz else _EPOCH_NAIVE) + datetime.timedelta(
                microseconds=micros
            )
        if key == "string-uuid":
            return uuid.UUID(int=rng.getrandbits(128))
        if key in ("bytes-decimal", "fixed-decimal"):
            return self._decimal(schema)
        # Logical types fastavro leaves alone: their underlying value.
        if schema["type"] == "fixed":
            return self._bytes(schema["size"])
        return self._primitive(schema["type"])

    def _around_now(self, low: int, high: int, centre: int, spread: int) -> int:
        """Mostly near the present, sometimes anywhere in [low, high], sometimes on a bound."""
        rng = self._rng
        pick = rng.random()
        if pick < 0.1:
            return rng.choice((low, high))
        if pick < 0.6:
            return max(low, min(high, centre + rng.randint(-spread, spread)))
        return rng.randint(low, high)

    def _decimal(self, schema: dict[str, Any]) -> Any:
        bounds = _decimal_bounds(schema)
        if (
            bounds is None
        ):  # not a valid decimal: fastavro's reader would fail, the spec ignores it
            return (
                self._bytes(schema["size"])
                if schema["type"] == "fixed"
                else self._bytes(4)
            )
        precision, scale, limit = bounds
        rng = self._rng
        digits = rng.randint(1, precision)
        unscaled = rng.randint(-(10**digits) + 1, 10**digits - 1)
        if rng.random() < 0.1:
            unscaled = rng.choice((0, limit, -limit))
        unscaled = max(-limit, min(limit, unscaled))
        sign = 1 if unscaled < 0 else 0  # never -0: it would read back as 0
        return decimal.Decimal(
            (sign, tuple(int(d) for d in str(abs(unscaled))), -scale)
        )

    def _fixed_kept(self, union: list[Any], index: int, value: Any) -> bool:
        """Whether a fixed branch's value keeps its branch once read into a Python value.

        A fixed value reads back as plain bytes (or a Decimal), so an earlier branch that
        takes the same value (``"bytes"``, a fixed of the same size, another decimal) gets it
        when it is written again: such a branch is avoided, like the untagged ones above.
        """
        try:
            return self._written_branch(union, value) == index
        except _WriterError:
            return False

    # -- what fastavro's writer does with an untagged union value -------------------------

    def _written_branch(self, union: list[Any], datum: Any) -> int | None:
        """The branch index fastavro's ``write_union`` picks for ``datum`` (not a tuple)."""
        best, most_fields, could_be_float = None, -1, False
        for index, candidate in enumerate(union):
            if could_be_float:
                # Once a float branch matched, fastavro only looks further for a double.
                if _type_of(candidate) == "double":
                    return index
                continue
            if not self._validates(candidate, datum):
                continue
            kind = _type_of(self._resolve(candidate))
            if kind == "record":  # not "error": fastavro compares the string
                fields = len(
                    {f["name"] for f in self._resolve(candidate)["fields"]} & set(datum)
                )
                if fields > most_fields:
                    best, most_fields = index, fields
            elif kind == "float":
                best, could_be_float = index, True
            else:
                return index
        return best

    def _validates(self, schema: Any, datum: Any) -> bool:
        """fastavro's ``_validate`` (raise_errors=False), bugs included.

        Raises ``_WriterError`` where fastavro's validation itself raises.
        """
        schema = self._resolve(schema)
        if isinstance(schema, list):
            return self._validates_union(schema, datum)
        kind = _type_of(schema)
        logical = _logical_key(schema) if isinstance(schema, dict) else None
        if logical is not None:
            datum = _prepare(logical, schema, datum)
        if kind == "null":
            return datum is None
        if kind == "boolean":
            return isinstance(datum, bool)
        if kind == "string":
            return isinstance(datum, str)
        if kind == "bytes":
            return isinstance(datum, (bytes, bytearray))
        if kind in ("int", "long"):
            low, high = (
                (_INT_MIN, _INT_MAX) if kind == "int" else (_LONG_MIN, _LONG_MAX)
            )
            return (
                isinstance(datum, numbers.Integral)
                and not isinstance(datum, bool)
                and low <= int(datum) <= high
            )
        if kind in ("float", "double"):
            return isinstance(datum, numbers.Real) and not isinstance(datum, bool)
        if kind == "fixed":
            return isinstance(datum, bytes) and len(datum) == schema["size"]
        if kind == "enum":
            try:
                return datum in schema["symbols"]
            except TypeError:
                return False
        if kind == "array":
            return (
                isinstance(datum, Sequence)
                and not isinstance(datum, str)
                and all(self._validates(schema["items"], item) for item in datum)
            )
        if kind == "map":
            return (
                isinstance(datum, Mapping)
                and all(isinstance(key, str) for key in datum)
                and all(self._validates(schema["values"], v) for v in datum.values())
            )
        if kind in _RECORDS:
            if not isinstance(datum, Mapping):
                return False
            if "-type" in datum and datum["-type"] != schema["name"]:
                return False
            return all(
                self._validates(
                    f["type"],
                    datum[f["name"]] if f["name"] in datum else f.get("default"),
                )
                for f in schema.get("fields", ())
            )
        raise DatagenError(f"unknown Avro type {kind!r}")

    def _validates_union(self, union: list[Any], datum: Any) -> bool:
        if isinstance(datum, tuple):
            name, value = datum
            for candidate in union:
                # fastavro matches a tuple against an inline definition only if it is a record.
                label = (
                    candidate["name"] if _type_of(candidate) == "record" else candidate
                )
                if label == name:
                    return self._validates(candidate, value)
            return False
        return any(self._validates(candidate, datum) for candidate in union)


class _WriterError(Exception):
    """fastavro's writer would raise on this value (it is not merely a non-match)."""


_TIMESTAMPS = {
    "long-timestamp-millis": (1000, True),
    "long-timestamp-micros": (1, True),
    "long-local-timestamp-millis": (1000, False),
    "long-local-timestamp-micros": (1, False),
}
# The logical types fastavro converts, keyed like its LOGICAL_READERS.
_CONVERTED = frozenset(
    {
        "int-date",
        "int-time-millis",
        "long-time-micros",
        "string-uuid",
        "bytes-decimal",
        "fixed-decimal",
        *_TIMESTAMPS,
    }
)


def _type_of(schema: Any) -> Any:
    if isinstance(schema, dict):
        return schema["type"]
    if isinstance(schema, list):
        return "union"
    return schema


def _logical_key(schema: dict[str, Any]) -> str | None:
    """fastavro's ``"<type>-<logicalType>"`` key, if fastavro converts that logical type."""
    logical = schema.get("logicalType")
    if not logical:
        return None
    key = f"{schema['type']}-{logical}"
    return key if key in _CONVERTED else None


def _decimal_bounds(schema: dict[str, Any]) -> tuple[int, int, int] | None:
    """Precision, scale and largest unscaled value of a decimal; None if it is invalid."""
    precision: Any = schema.get("precision")
    scale: Any = schema.get("scale", 0)
    if not (
        _is_int(precision)
        and _is_int(scale)
        and 0 <= scale <= precision
        and precision > 0
    ):
        return None
    limit = 10**precision - 1
    if schema["type"] == "fixed":
        limit = min(
            limit, 2 ** (8 * schema["size"] - 1) - 1
        )  # two's complement in `size` bytes
    return (precision, scale, limit) if limit >= 0 else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _time_from_micros(micros: int) -> datetime.time:
    seconds, micro = divmod(micros, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return datetime.time(hour, minute, second, micro)


def _prepare(key: str, schema: dict[str, Any], datum: Any) -> Any:
    """What fastavro's logical writer turns ``datum`` into before validating it."""
    if key in _TIMESTAMPS:
        return 0 if isinstance(datum, datetime.datetime) else datum
    if key == "int-date":
        if isinstance(datum, datetime.date):  # datetimes too: they are dates
            return 0
        if isinstance(datum, str):
            try:
                datetime.date.fromisoformat(datum)
            except ValueError:
                raise _WriterError from None
            return 0
        return datum
    if key in ("int-time-millis", "long-time-micros"):
        return 0 if isinstance(datum, datetime.time) else datum
    if key == "string-uuid":
        return str(datum) if isinstance(datum, uuid.UUID) else datum
    if key in ("bytes-decimal", "fixed-decimal") and isinstance(datum, decimal.Decimal):
        if "precision" not in schema:
            raise _WriterError
        _, digits, exponent = datum.as_tuple()
        if not isinstance(exponent, int) or len(digits) > schema["precision"]:
            raise _WriterError
        if exponent + schema.get("scale", 0) < 0:
            raise _WriterError
        return b"" if key == "bytes-decimal" else b"\0" * schema["size"]
    return datum


def _short(schema: Any) -> str:
    text = repr(schema)
    return text if len(text) <= 200 else text[:197] + "..."
