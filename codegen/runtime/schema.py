"""Schemas as fastavro sees them.

fastavro converts some logical types itself (date, time-*, timestamp-millis/micros,
local-timestamp-millis/micros, decimal, uuid on string); generated code converts the others
(nanosecond timestamps, duration, uuid on fixed, big-decimal). Logical types that the Avro spec
says to ignore (unknown, or invalid like a decimal with scale > precision) are removed before
fastavro sees the schema, so that fastavro does not convert what the generated code treats as
the underlying type.
"""

from __future__ import annotations

import json
import math
from typing import Any

import fastavro

_FASTAVRO_LOGICAL = {
    ("int", "date"),
    ("int", "time-millis"),
    ("long", "time-micros"),
    ("long", "timestamp-millis"),
    ("long", "timestamp-micros"),
    ("long", "local-timestamp-millis"),
    ("long", "local-timestamp-micros"),
    ("string", "uuid"),
}


def _keeps_logical(node: dict[str, Any]) -> bool:
    base, logical = node.get("type"), node.get("logicalType")
    if (base, logical) in _FASTAVRO_LOGICAL:
        return True
    if logical == "decimal" and base in ("bytes", "fixed"):
        precision, scale, size = node.get("precision"), node.get("scale", 0), node.get("size")
        if not (isinstance(precision, int) and isinstance(scale, int)) or isinstance(precision, bool):
            return False
        if isinstance(scale, bool) or precision <= 0 or not 0 <= scale <= precision:
            return False
        if base == "fixed":
            if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
                return False
            return precision <= math.floor(math.log10(2 ** (8 * size - 1) - 1))
        return True
    return False


def fastavro_view(schema: Any) -> Any:
    """`schema` with the logical types fastavro must not convert removed (a copy)."""
    if isinstance(schema, list):
        return [fastavro_view(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "logicalType" and not _keeps_logical(schema):
            continue
        if key == "fields" and isinstance(value, list):
            out[key] = [
                {k: (fastavro_view(v) if k == "type" else v) for k, v in f.items()} for f in value
            ]
        elif key in ("items", "values") or (key == "type" and isinstance(value, (dict, list))):
            out[key] = fastavro_view(value)
        else:
            out[key] = value
    return out


def fastavro_schema(schema: Any) -> Any:
    """Parse a source schema (JSON value) for fastavro's reader and writer."""
    return fastavro.parse_schema(fastavro_view(schema), _write_hint=True, _force=True)


def parse_writer_schema(schema: Any) -> Any:
    """A writer schema given as a generated class, JSON text or a JSON value, parsed."""
    to_python = getattr(schema, "avro_schema_to_python", None)
    if callable(to_python):
        schema = to_python()
    elif isinstance(schema, (str, bytes)):
        schema = json.loads(schema)
    return fastavro_schema(schema)
