"""The other forms of a record checked on one value: fastavro's datum, the dict and JSON forms.

For an object decoded from bytes that fastavro wrote from a random datum (see `codec_support`):

- ``to_avro()`` is exactly what fastavro's reader returns for those bytes, and ``from_avro``
  gives the object back;
- ``to_dict()`` is what the README says, computed here from fastavro's datum and the SOURCE
  schema, independently of the generated code: Avro field names, enums as symbols, Python
  values for every logical type, a union with several non-null branches as ``{branch: value}``
  (the branch fastavro itself writes for the value);
- ``parse_obj(to_dict())`` and ``parse_json(to_json())`` give the object back, with every value
  of the same type (``same``: ``==`` would take 1 for 1.0 or True).
"""

from __future__ import annotations

import dataclasses
import enum
import io
import json
import math
import uuid
from typing import Any

import fastavro
from fastavro._write_py import write_union
from fastavro.io.binary_encoder import BinaryEncoder

from codegen.runtime.logical import decode_big_decimal


def check_forms(cls: Any, obj: Any, data: bytes, writer: Any, runtime_logical: Any) -> None:
    datum = fastavro.schemaless_reader(
        io.BytesIO(data), cls.parsed_schema(), None, return_named_type=True
    )
    assert obj.to_avro() == datum, cls
    assert same(cls.from_avro(obj.to_avro()), obj), cls

    named = writer["__named_schemas"]
    expected = dict_form(writer, datum, named, runtime_logical.Duration)
    assert same(obj.to_dict(), expected), cls
    assert same(cls.parse_obj(obj.to_dict()), obj), cls
    text = obj.to_json()
    json.loads(text)  # plain JSON (Infinity aside, which Python's json reads and writes)
    assert same(cls.parse_json(text), obj), cls


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down."""
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, enum.Enum):
        return a is b
    return bool(a == b)


def _branch_name(t: Any, named: dict[str, Any]) -> str:
    if isinstance(t, str):
        return t
    if t["type"] in ("record", "error", "enum", "fixed"):
        return str(t["name"])
    return str(t["type"])


def _written_branch(union: list[Any], value: Any, named: dict[str, Any]) -> int:
    """The index of the branch fastavro writes for `value` (its own union writer, on the
    parsed schema: parsing a part of a parsed schema again would misread its names)."""
    out = io.BytesIO()
    write_union(BinaryEncoder(out), value, union, named, "", {})
    first = out.getvalue()[0]
    assert first < 128 and not first & 1
    return first >> 1


def _valid_decimal(t: dict[str, Any]) -> bool:
    """The spec's rule (and fastavro's): otherwise the logical type is ignored."""
    precision, scale = t.get("precision"), t.get("scale", 0)
    if not all(type(x) is int for x in (precision, scale)) or not 0 <= scale <= precision > 0:
        return False
    return t["type"] == "bytes" or precision <= math.floor(math.log10(2 ** (8 * t["size"] - 1) - 1))


def _python_type(t: Any, named: dict[str, Any]) -> str:
    """The Python type of a branch's values, among those a fixed type's value may have."""
    t = named.get(t, t) if isinstance(t, str) else t
    kind = t if isinstance(t, str) else t["type"]
    logical = None if isinstance(t, str) else t.get("logicalType")
    if logical == "uuid" and (kind == "string" or (kind == "fixed" and t["size"] == 16)):
        return "UUID"
    if logical == "duration" and kind == "fixed" and t["size"] == 12:
        return "Duration"
    if (logical == "big-decimal" and kind == "bytes") or (
        logical == "decimal" and _valid_decimal(t)
    ):
        return "Decimal"
    if kind == "fixed":
        return f"bytes{t['size']}"
    return str(kind)


def dict_form(t: Any, v: Any, named: dict[str, Any], duration: Any) -> Any:
    """The dict form (README, "Dicts and JSON") of fastavro's datum `v` of type `t`."""
    if isinstance(t, str):
        return dict_form(named[t], v, named, duration) if t in named else v
    if isinstance(t, list):
        nulls = [b for b in t if b == "null" or (isinstance(b, dict) and b.get("type") == "null")]
        if v is None and nulls:
            return None
        if isinstance(v, tuple) and named[v[0]]["type"] in ("record", "error", "enum"):
            branch, v = named[v[0]], v[1]  # a class of its own
        elif isinstance(v, tuple):
            # A fixed value is bytes, a UUID, a Decimal or a Duration in Python: the first
            # branch of that Python type takes it (README: the branch serialize() writes).
            kind = _python_type(named[v[0]], named)
            takes = {kind, "bytes"} if kind.startswith("bytes") else {kind}
            v = dict_form(named[v[0]], v[1], named, duration)
            branch = next(b for b in t if _python_type(b, named) in takes)
            return v if len(t) - len(nulls) == 1 else {_branch_name(branch, named): v}
        else:
            branch = t[_written_branch(t, v, named)]
        branch = named.get(branch, branch) if isinstance(branch, str) else branch
        inner = dict_form(branch, v, named, duration)
        if len(t) - len(nulls) == 1:
            return inner
        return {_branch_name(branch, named): inner}
    kind, logical = t["type"], t.get("logicalType")
    if kind in ("record", "error"):
        return {f["name"]: dict_form(f["type"], v[f["name"]], named, duration) for f in t["fields"]}
    if kind == "array":
        return [dict_form(t["items"], x, named, duration) for x in v]
    if kind == "map":
        return {k: dict_form(t["values"], x, named, duration) for k, x in v.items()}
    if kind == "fixed" and logical == "uuid" and t["size"] == 16:
        return uuid.UUID(bytes=v)
    if kind == "fixed" and logical == "duration" and t["size"] == 12:
        return duration(*(int.from_bytes(v[i : i + 4], "little") for i in (0, 4, 8)))
    if kind == "bytes" and logical == "big-decimal":
        return decode_big_decimal(v)
    if kind in named or kind in ("record", "error", "enum", "fixed"):
        return v
    return dict_form(kind, v, named, duration) if isinstance(kind, (dict, list)) else v
