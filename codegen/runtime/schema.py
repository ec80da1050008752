"""Schemas as fastavro sees them.

fastavro converts some logical types itself (date, time-*, timestamp-millis/micros,
local-timestamp-millis/micros, decimal, uuid on string); generated code converts the others
(nanosecond timestamps, duration, uuid on fixed, big-decimal). Logical types that the Avro spec
says to ignore (unknown, or invalid like a decimal with scale > precision) are removed before
fastavro sees the schema, so that fastavro does not convert what the generated code treats as
the underlying type.
"""

from __future__ import annotations

import copy
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
        precision, scale, size = (
            node.get("precision"),
            node.get("scale", 0),
            node.get("size"),
        )
        if not (isinstance(precision, int) and isinstance(scale, int)) or isinstance(
            precision, bool
        ):
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
                {k: (fastavro_view(v) if k == "type" else v) for k, v in f.items()}
                for f in value
            ]
        elif key in ("items", "values") or (
            key == "type" and isinstance(value, (dict, list))
        ):
            out[key] = fastavro_view(value)
        else:
            out[key] = value
    return out


def fastavro_schema(schema: Any) -> Any:
    """Parse a source schema (JSON value) for fastavro's reader and writer."""
    return fastavro.parse_schema(fastavro_view(schema), _write_hint=True, _force=True)


# Stands for "take the field's default" in data read with writer → reader resolution. Ellipsis
# is never an Avro value, and it is the same object in every generated package's runtime copy.
MISSING: Any = ...


def resolution_schema(parsed: Any) -> Any:
    """A parsed reader schema whose field defaults are all `MISSING`.

    fastavro's resolution returns a reader field's default as the raw JSON value, unconverted
    (a `bytes` default as `str`, a timestamp as `int`) and the same object for every message (a
    list default shared by all values read). The generated `from_avro` instead replaces `MISSING`
    with the field's Python default, typed and fresh each time.
    """
    copied = copy.deepcopy(parsed)
    seen: set[int] = set()
    todo = [copied]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for f in (
                node.get("fields", ()) if isinstance(node.get("fields"), list) else ()
            ):
                if isinstance(f, dict) and "default" in f:
                    f["default"] = MISSING
            todo.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            todo.extend(v for v in node if isinstance(v, (dict, list)))
    return copied


def parse_writer_schema(schema: Any) -> Any:
    """A writer schema given as a generated class, JSON text or a JSON value, parsed."""
    to_python = getattr(schema, "avro_schema_to_python", None)
    if callable(to_python):
        schema = to_python()
    elif isinstance(schema, (str, bytes)):
        schema = json.loads(schema)
    return fastavro_schema(schema)


# -- the package's schemas --------------------------------------------------------------------
#
# A generated module registers the JSON of each named type it defines, with every named type
# defined inside it replaced by a marker. The self-contained schema of a type is assembled from
# these on first use: embedding it per class would repeat shared types in every class that uses
# them (quadratic in the size of large schemas).

MARK = "__avrobind_named__"
_PRIMITIVES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
_COMPLEX = frozenset({"record", "error", "enum", "fixed", "array", "map"})
_LOCAL: dict[str, str] = {}
_EXPANDED: dict[str, str] = {}


def register_schemas(schemas: dict[str, str]) -> None:
    """Record the local JSON of named types (called by generated modules at import)."""
    _LOCAL.update(schemas)


def standalone_json(fullname: str) -> str:
    """The self-contained schema of a registered named type, as JSON text (cached)."""
    text = _EXPANDED.get(fullname)
    if text is None:
        text = json.dumps(
            expand(fullname, lambda name: json.loads(_LOCAL[name])), ensure_ascii=False
        )
        _EXPANDED[fullname] = text
    return text


def _namespace(fullname: str) -> str:
    return fullname.rpartition(".")[0]


def _resolve(name: str, ns: str) -> str:
    return name if "." in name or not ns else f"{ns}.{name}"


def expand(fullname: str, lookup: Any, external: Any = None) -> Any:
    """Inline named types at their first use, keeping the JSON otherwise as written.

    `lookup(fullname)` gives a named type's local JSON (nested named definitions as
    `{MARK: fullname}`). A definition placed where the enclosing namespace differs from its own
    gets an explicit `namespace`, so every name keeps resolving as it did in the source.
    `external(fullname)`, when given, is asked before a type used BY NAME is inlined: it returns
    None to inline it, or the full names that another schema defines instead (the type is then
    named, not inlined: schema references).
    """
    defined: set[str] = set()

    def use(full: str, written: Any, ns: str) -> Any:
        if full in defined:
            return reference(full, written, ns)
        provided = external(full) if external is not None else None
        if provided is None:
            return named(full, ns)
        defined.update(provided)
        return reference(full, full, ns)

    def reference(full: str, written: Any, ns: str) -> Any:
        if "." not in full and ns:
            # A short name inside a namespace means a type of THAT namespace (fastavro and the
            # spec agree; only Java falls back to the null namespace): no valid reference exists.
            raise ValueError(
                f"{fullname}: the null-namespace type {full!r} is used again inside namespace "
                f"{ns!r}, where no name can refer to it; give {full!r} a namespace"
            )
        return written

    def named(full: str, ns: str) -> Any:
        defined.add(full)
        local: dict[str, Any] = lookup(full)
        own = _namespace(full)
        needs_ns = (
            "." not in local.get("name", "") and "namespace" not in local and own != ns
        )
        out: dict[str, Any] = {}
        for key, value in local.items():
            if key == "fields" and isinstance(value, list):
                out[key] = [
                    {k: (node(v, own) if k == "type" else v) for k, v in f.items()}
                    for f in value
                ]
            else:
                out[key] = value
            if key == "name" and needs_ns:
                out["namespace"] = own
        return out

    def node(js: Any, ns: str) -> Any:
        if isinstance(js, str):
            if js in _PRIMITIVES:
                return js
            return use(_resolve(js, ns), js, ns)
        if isinstance(js, list):
            return [node(b, ns) for b in js]
        if isinstance(js, dict):
            if MARK in js:
                full = js[MARK]
                return reference(full, full, ns) if full in defined else named(full, ns)
            t = js.get("type")
            if t == "array":
                return {k: (node(v, ns) if k == "items" else v) for k, v in js.items()}
            if t == "map":
                return {k: (node(v, ns) if k == "values" else v) for k, v in js.items()}
            if isinstance(t, str) and t not in _PRIMITIVES and t not in _COMPLEX:
                return use(_resolve(t, ns), js, ns)
        return js

    return named(fullname, "")


def inline_first_use(parsed: Any, provided: dict[str, Any]) -> Any:
    """A fastavro-parsed schema as plain JSON, each named type defined exactly once.

    Types the schema only names (those of its schema references, parsed into `provided`) are
    defined at their first use and named afterwards, as Avro requires; a type defined twice
    (a referenced type that also defines a type used earlier) is named the second time.
    fastavro's `expand_schema` inlines every use instead, which makes a schema that uses one
    type twice unparsable ("redefined named type").
    """
    defined: set[str] = set()

    def node(js: Any) -> Any:
        if isinstance(js, str):
            if js in _PRIMITIVES or js in defined or js not in provided:
                return js
            return node(provided[js])
        if isinstance(js, list):
            return [node(b) for b in js]
        if not isinstance(js, dict):
            return js
        t = js.get("type")
        if t in ("record", "error", "enum", "fixed"):
            name = str(js.get("name"))
            if name in defined:
                return name
            defined.add(name)
        out = {k: v for k, v in js.items() if not k.startswith("__")}
        if t in ("record", "error"):
            out["fields"] = [
                {k: (node(v) if k == "type" else v) for k, v in f.items()}
                for f in js["fields"]
            ]
        elif t == "array":
            out["items"] = node(js["items"])
        elif t == "map":
            out["values"] = node(js["values"])
        elif isinstance(t, (dict, list)) or (
            isinstance(t, str) and t not in _PRIMITIVES and t not in _COMPLEX
        ):
            out["type"] = node(t)
        return out

    return node(parsed)
