"""The dict and JSON forms of generated records (`to_dict`, `to_json`, `parse_obj`, `parse_json`).

The dict form is keyed by Avro field names and holds Python values (see the generator's
`dicts` module for its exact shape); the JSON form is the same with every value JSON can not
hold as text. Generated `__avro_from_dict__` methods read either through the `as_*` helpers
below, which take the Python value as it is and parse its JSON text.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import uuid as _uuid
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

from .codec import EncodeError
from .logical import Duration

__all__ = ["json_form"]

E = TypeVar("E", bound=Enum)
T = TypeVar("T")


def json_form(value: Any) -> Any:
    """A dict-form value with JSON's types: dates and times as ISO 8601 text, UUIDs and decimals
    as text, durations as objects, bytes as Avro's JSON text (one character per byte).
    """
    if isinstance(value, dict):
        return {k: json_form(v) for k, v in value.items()}
    if isinstance(value, Duration):  # a tuple: before lists
        return value._asdict()
    if isinstance(value, (list, tuple)):
        return [json_form(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("latin-1")
    if isinstance(value, (_dt.date, _dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, (_uuid.UUID, _decimal.Decimal)):
        return str(value)
    return value


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def check_fields(data: Any, cls: Any) -> None:
    """`data` is a mapping with every required field of record class `cls` and no other key."""
    fields = cls.__dict__.get("_avro_dict_fields")
    if fields is None:  # from the schema, once per class
        schema = cls.avro_schema_to_python()
        names = tuple(f["name"] for f in schema["fields"])
        required = tuple(f["name"] for f in schema["fields"] if "default" not in f)
        fields = (names, frozenset(names), required)
        type.__setattr__(cls, "_avro_dict_fields", fields)
    names, known, required = fields
    if not isinstance(data, Mapping):
        raise EncodeError(f"expected a dict of fields, got {_kind(data)}", cls.__name__)
    missing = [n for n in required if n not in data]
    if missing:
        raise EncodeError(
            f"missing field(s) {', '.join(map(repr, missing))}", cls.__name__
        )
    unknown = [k for k in data if k not in known]
    if unknown:
        raise EncodeError(
            f"unknown field(s) {', '.join(map(repr, unknown))}; the fields are "
            f"{', '.join(map(repr, names))} (Avro names)",
            cls.__name__,
        )


def branch(value: Any, names: tuple[str, ...]) -> tuple[str, Any]:
    """(branch name, value) of a union value in the form `{branch: value}`."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((name, inner),) = value.items()
        if name in names:
            return name, inner
    raise ValueError(
        f"expected {{branch: value}} with a branch among {', '.join(names)}, "
        f"got {_kind(value)} {value!r:.80}"
    )


def items(value: Any) -> Sequence[Any]:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"expected a list, got {_kind(value)}")
    return value


def entries(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a dict, got {_kind(value)}")
    return value


def member(cls: type[E], value: Any) -> E:
    """The member of enum `cls` for a symbol (or the member itself)."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str) and value in cls._value2member_map_:
        return cls(value)
    raise ValueError(f"{value!r:.80} is not a symbol of {cls.__name__}")


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, str):
        return value.encode(
            "latin-1"
        )  # Avro's JSON text: code points 0-255, one per byte
    raise TypeError(f"expected bytes or text, got {_kind(value)}")


def _parsed(value: Any, kind: type[T], parse: Callable[[str], T], what: str) -> T:
    """`value` if it is a `kind` (a date that is not a datetime), else `parse` of its text."""
    if isinstance(value, kind) and not (
        kind is _dt.date and isinstance(value, _dt.datetime)
    ):
        return value
    if isinstance(value, str):
        return parse(value)
    raise TypeError(f"expected {what}, got {_kind(value)}")


def as_datetime(value: Any) -> _dt.datetime:
    return _parsed(
        value, _dt.datetime, _dt.datetime.fromisoformat, "datetime or ISO 8601 text"
    )


def as_date(value: Any) -> _dt.date:
    return _parsed(value, _dt.date, _dt.date.fromisoformat, "date or ISO 8601 text")


def as_time(value: Any) -> _dt.time:
    return _parsed(value, _dt.time, _dt.time.fromisoformat, "time or ISO 8601 text")


def as_uuid(value: Any) -> _uuid.UUID:
    return _parsed(value, _uuid.UUID, _uuid.UUID, "UUID or text")


def as_decimal(value: Any) -> _decimal.Decimal:
    if isinstance(value, _decimal.Decimal):
        return value
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            # A float is taken as it prints (0.1 is 0.1, not its binary expansion).
            return _decimal.Decimal(
                value if not isinstance(value, float) else repr(value)
            )
        except _decimal.InvalidOperation:
            raise ValueError(f"{value!r:.80} is not a decimal number") from None
    raise TypeError(f"expected Decimal, text or a number, got {_kind(value)}")


def as_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, Mapping) and set(value) <= set(Duration._fields):
        return Duration(**value)
    raise TypeError(
        f"expected Duration or {{months, days, milliseconds}}, got {_kind(value)}"
    )
