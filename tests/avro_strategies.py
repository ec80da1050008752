"""Hypothesis strategies for random valid Avro schemas, alone or as a set of files.

``avro_schemas()`` draws one schema as parsed JSON (what ``json.load`` gives for an ``.avsc``
file). ``avro_schema_files()`` draws ``list[tuple[str, Any]]``: relative file paths (``/``
separators, ending in ``.avsc``) with their JSON, where later files use named types defined
in earlier ones, so parsing them in list order with one shared ``named_schemas`` dictionary
works (``cycles=True`` is the exception: see there). File names do not reveal that order.

Every schema is valid Avro and parses with fastavro (Apache Avro's Python parser agrees,
except that it misreads ``"namespace": ""``; see the tests): names and symbols match
``[A-Za-z_][A-Za-z0-9_]*``, full names are unique, references point at types defined before,
unions never nest and never repeat an unnamed type (a logical type counts as its underlying
type), and every default is the valid JSON encoding of its type (a union default matches
the first branch, also inside record, array and map defaults; logical defaults convert:
real UUIDs, decimals within precision, dates and times within years 1-9999). Recursion
always has a way out (a nullable union, an array or a map), so every schema has finite
values.

Coverage: every primitive, also as ``{"type": ...}`` with custom properties; records (empty,
nested, recursive, mutually recursive), enums, fixed, arrays, maps, unions of all of these;
namespaces given by ``namespace``, by a dotted name, inherited, or reset with ``""``;
references by short and by full name; all logical types (decimal on bytes and fixed, uuid on
string and fixed, date, times, timestamps, local timestamps, nanos, duration, big-decimal,
an unknown one); defaults of every type; nasty docs; aliases; field orders; custom
properties; field names, enum symbols and type names that are Python keywords, builtins,
dunders, AvroModel attributes, case variants and escape collisions (``class``/``class_``).
"""

from __future__ import annotations

import io
import math
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = ["FastavroCodec", "SchemaOptions", "avro_schema_files", "avro_schemas", "json_values"]

PRIMITIVES = ("int", "string", "boolean", "long", "float", "double", "bytes", "null")

# Name groups: one name or the whole group is used, so case variants and names that collide
# once a generator escapes them (`class` -> `class_`) end up in the same record.
FIELD_NAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("id",),
    ("name",),
    ("value", "Value", "VALUE"),
    ("count",),
    ("createdAt", "created_at"),
    ("amount",),
    ("tags",),
    ("payload",),
    ("next",),
    ("x", "X"),
    ("class", "class_"),
    ("from", "from_"),
    ("None", "None_"),
    ("True",),
    ("False",),
    ("def",),
    ("import",),
    ("lambda",),
    ("async", "await"),
    ("global",),
    ("match", "case"),
    ("type", "type_"),
    ("list",),
    ("dict",),
    ("str",),
    ("int", "float", "bytes"),
    ("object",),
    ("property",),
    ("__init__",),
    ("__class__",),
    ("_",),
    ("__",),
    ("_private",),
    ("self", "cls"),
    ("fake", "validate"),
    ("serialize", "deserialize"),
    ("schema", "Meta"),
    ("to_dict", "avro_schema"),
    ("fields", "dataclass"),
    ("datetime", "decimal", "uuid"),
    ("typing", "Any", "Optional"),
)
RECORD_NAMES = (
    "User",
    "Event",
    "Item",
    "Node",
    "node",
    "List",
    "Enum",
    "Decimal",
    "datetime",
    "date",
    "int_",
    "Record",
    "Optional",
    "Union",
    "Dict",
    "Any",
    "Meta",
    "AvroModel",
    "Field",
    "UUID",
    "_Private",
    "X",
    "class_",
)
ENUM_NAMES = ("Color", "Status", "Suit", "Kind", "Enum", "Type", "str_", "IntEnum")
FIXED_NAMES = ("MD5", "Hash", "Fixed", "Id", "bytes_", "Bytes")
SYMBOLS = (
    "A",
    "B",
    "C",
    "RED",
    "GREEN",
    "lower",
    "MixedCase",
    "_",
    "_x",
    "None",
    "True",
    "False",
    "class",
    "def",
    "name",
    "value",
    "mro",
    "_ignore_",
    "A1",
)
NAMESPACES = (
    "com.example",
    "org.acme.events.v1",
    "a",
    "x.y.z",
    "com.example.inner",
    "io.test",
    "com.example.import",  # a keyword as a namespace component
    "_n1",
)
DOCS = (
    "A plain doc.",
    '"""',
    "'''",
    'Ends with a quote"',
    "Ends with a quote'",
    "Ends with a backslash\\",
    "back\\slash and \\n literal",
    "line one\nline two\n",
    "\ttabbed\r\n",
    "unicode: é ß 日本語 😀",
    "",
    "{{ jinja }} {% raw %} {# c #}",
    "NUL \x00 and ESC \x1b",
    "line\u2028separator",
    "it's \"quoted\" and 'quoted'",
    "*/ /* # comment ''' \"\"\"",
)
STRING_DEFAULTS = ("", "hello", '"', "'''", "back\\slash\\", "é日本😀", "line\nbreak", "None")
PROPERTY_KEYS = (
    "java-class",
    "connect.name",
    "connect.version",
    "connect.parameters",
    "x-custom",
    "owner",
    "pii",
    "arg.properties",
    "_meta",
)
CUSTOM_LOGICAL = "custom-logical"


@dataclass(frozen=True)
class SchemaOptions:
    """Knobs shared by the strategies (see ``avro_schemas``)."""

    max_depth: int = 3
    max_fields: int = 5
    max_named_types: int = 8
    recursion: bool = True
    logical_types: bool = True
    custom_properties: bool = True


def json_values() -> st.SearchStrategy[Any]:
    """Small JSON values: what a custom property may hold."""
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(-(2**53), 2**53)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=8)
    )
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=6,
    )


def avro_schemas(
    *,
    max_depth: int = 3,
    max_fields: int = 5,
    max_named_types: int = 8,
    recursion: bool = True,
    logical_types: bool = True,
    custom_properties: bool = True,
    top: str = "any",
) -> st.SearchStrategy[Any]:
    """Random valid Avro schemas as parsed JSON.

    ``max_depth`` bounds the nesting of records, arrays, maps and unions; ``max_fields`` the
    fields per record; ``max_named_types`` the records, enums and fixed types per schema.
    ``recursion`` allows records that contain themselves (through a nullable union, an array
    or a map), directly or through other records. ``top`` is ``"any"`` (mostly records, also
    unions, enums, fixed, arrays and maps) or ``"record"``.
    """
    if top not in ("any", "record"):
        raise ValueError(f"top must be 'any' or 'record', not {top!r}")
    options = SchemaOptions(
        max_depth, max_fields, max_named_types, recursion, logical_types, custom_properties
    )
    return _schema(options, top)


def avro_schema_files(
    *,
    max_files: int = 4,
    max_depth: int = 2,
    max_fields: int = 5,
    max_named_types: int = 12,
    recursion: bool = True,
    logical_types: bool = True,
    custom_properties: bool = True,
    cycles: bool = False,
) -> st.SearchStrategy[list[tuple[str, Any]]]:
    """Random sets of 1..``max_files`` schema files: ``[(relative_path, json_value), ...]``.

    Each file is mostly a record (else an enum, a fixed, or a union); every record or union
    file after the first uses at least one named type of an earlier file (in its first field,
    or as a branch), by full name or, within the same namespace, by short name. In list order
    each file only needs the ones before it. Paths are ``<full name>.avsc`` or
    ``<namespace as directories>/<name>.avsc`` (``union_<i>.avsc`` for a union).

    ``cycles=True`` (needs ``max_files >= 2``) makes the first two files records in two
    different namespaces that use each other: the first has a field ``["null", "<second's
    full name>"]``, the second a field of the first's type. No file order parses one file at
    a time then; a loader has to resolve names across all files first.
    """
    if cycles and max_files < 2:
        raise ValueError("cycles=True needs max_files >= 2")
    options = SchemaOptions(
        max_depth, max_fields, max_named_types, recursion, logical_types, custom_properties
    )
    return _files(options, max_files, cycles)


@st.composite
def _schema(draw: st.DrawFn, options: SchemaOptions, top: str) -> Any:
    builder = _Builder(draw, options)
    if top == "record":
        return builder.record(0)[0]
    kind = builder.pick(("record",) * 5 + ("union", "enum", "fixed", "array", "map"))
    return builder.top_level(kind)[0]


@st.composite
def _files(
    draw: st.DrawFn, options: SchemaOptions, max_files: int, cycles: bool
) -> list[tuple[str, Any]]:
    builder = _Builder(draw, options)
    count = draw(st.integers(2 if cycles else 1, max_files))
    files: list[tuple[str, Any]] = []
    paths: set[str] = set()
    first_index = 0
    if cycles:
        ns_a = builder.pick(NAMESPACES)
        ns_b = builder.pick(tuple(ns for ns in NAMESPACES if ns != ns_a))
        name_a = builder.fresh_name(ns_a, RECORD_NAMES)
        name_b = builder.fresh_name(ns_b, RECORD_NAMES)
        builder.forward[name_b] = False
        first = builder.record(0, name=name_a, first_field_ref=name_b, nullable_ref=True)
        del builder.forward[name_b]
        second = builder.record(0, name=name_b, first_field_ref=name_a)
        for full, schema in ((name_a, first[0]), (name_b, second[0])):
            files.append((builder.file_path(full, len(files), paths), schema))
        first_index = 2
    for index in range(first_index, count):
        earlier = builder.referable()
        kind = builder.pick(("record", "record", "record", "enum", "fixed", "union"))
        if kind == "union" and not earlier:
            kind = "record"
        if kind == "union":
            schema, model = builder.union(0, must_include=builder.pick(earlier)[0])
        elif kind == "record":
            target = builder.pick(earlier)[0] if earlier else None
            # The null namespace is out of reach from any other; sharing a namespace allows a
            # short reference.
            namespace = None
            if target is not None and (_split(target)[0] == "" or builder.maybe(40)):
                namespace = _split(target)[0]
            schema, model = builder.record(0, namespace=namespace, first_field_ref=target)
        else:
            schema, model = builder.top_level(kind)
        name = model.get("name") if isinstance(model, dict) else None
        files.append((builder.file_path(name, index, paths), schema))
    return files


_NO_DEFAULT = object()
# Logical types whose defaults must satisfy rules of their own: the range of the underlying
# int/long that converts (dates and times within years 1..9999), or None for special cases.
_LOGICAL_DEFAULTS: dict[tuple[str, str], tuple[int, int] | None] = {
    ("int", "date"): (-719_162, 2_932_896),
    ("int", "time-millis"): (0, 86_399_999),
    ("long", "time-micros"): (0, 86_399_999_999),
    ("long", "timestamp-millis"): (-62_135_596_800_000, 253_402_300_799_999),
    ("long", "local-timestamp-millis"): (-62_135_596_800_000, 253_402_300_799_999),
    ("long", "timestamp-micros"): (-62_135_596_800_000_000, 253_402_300_799_999_999),
    ("long", "local-timestamp-micros"): (-62_135_596_800_000_000, 253_402_300_799_999_999),
    ("string", "uuid"): None,
    ("bytes", "decimal"): None,
    ("bytes", "big-decimal"): None,
}
_NAMED_KINDS = ("record", "enum", "fixed")


class _Builder:
    """Draws one schema (or several files) step by step, tracking names and namespaces.

    Every type is built twice: as the JSON written to the file, and as a *model* in
    fastavro's parsed form (full names, a named type defined once then referenced by full
    name), which answers what a reference means when defaults are drawn.
    """

    def __init__(self, draw: st.DrawFn, options: SchemaOptions) -> None:
        self.draw = draw
        self.options = options
        self.models: dict[str, dict[str, Any]] = {}
        # Records being built: may they be referenced here (is there a way out in between)?
        self.in_progress: dict[str, bool] = {}
        # Names a later file defines (cycles across files), with the same flag.
        self.forward: dict[str, bool] = {}
        self.namespace = ""
        self.named_left = options.max_named_types
        self.aliases_used: set[str] = set()

    # -- drawing helpers --------------------------------------------------------------------

    def pick(self, choices: tuple[Any, ...] | list[Any]) -> Any:
        return self.draw(st.sampled_from(choices))

    def maybe(self, percent: int) -> bool:
        """True with about ``percent`` % chance; shrinks to False."""
        return self.draw(st.integers(0, 99)) >= 100 - percent

    def doc(self) -> str:
        return self.draw(st.sampled_from(DOCS) | st.text(max_size=12))

    def props(self, into: dict[str, Any], percent: int = 20) -> None:
        """Add custom properties (keys the spec does not reserve) with JSON values."""
        if not self.options.custom_properties or not self.maybe(percent):
            return
        for key in self.draw(
            st.lists(st.sampled_from(PROPERTY_KEYS), min_size=1, max_size=2, unique=True)
        ):
            into[key] = self.draw(json_values())

    @contextmanager
    def way_out(self) -> Iterator[None]:
        """Inside a nullable union, an array or a map: enclosing records may recur here."""
        saved = dict(self.in_progress), dict(self.forward)
        self.in_progress = dict.fromkeys(self.in_progress, True)
        self.forward = dict.fromkeys(self.forward, True)
        try:
            yield
        finally:
            self.in_progress, self.forward = saved

    # -- names ------------------------------------------------------------------------------

    def taken(self, full: str) -> bool:
        return full in self.models or full in self.forward

    def fresh_name(self, namespace: str, pool: tuple[str, ...]) -> str:
        simple = base = self.pick(pool)
        counter = 2
        while self.taken(_join(namespace, simple)):
            simple = f"{base}{counter}"
            counter += 1
        return _join(namespace, simple)

    def named_header(
        self,
        kind: str,
        pool: tuple[str, ...],
        name: str | None = None,
        namespace: str | None = None,
    ) -> tuple[dict[str, Any], str]:
        """The ``type``/``name``/``namespace`` keys of a new named type, and its full name.

        ``name`` fixes the full name, ``namespace`` only the namespace.
        """
        header: dict[str, Any] = {"type": kind}
        if name is not None:
            namespace, simple = _split(name)
            form = self.pick(("namespace", "dotted"))
        else:
            form = self.pick(("inherit", "namespace", "dotted", "null"))
            if namespace is not None:
                if namespace == "":
                    form = "inherit" if self.namespace == "" and form == "inherit" else "null"
                elif form in ("inherit", "null"):
                    form = "inherit" if namespace == self.namespace else "namespace"
            elif form == "inherit":
                namespace = self.namespace
            elif form == "null":
                namespace = ""
            else:
                namespace = self.pick(NAMESPACES)
            namespace, simple = _split(self.fresh_name(namespace, pool))
        if form == "dotted" and namespace:
            header["name"] = f"{namespace}.{simple}"
            if self.maybe(15):
                header["namespace"] = self.pick(NAMESPACES)  # ignored: the dotted name wins
        else:
            header["name"] = simple
            if form != "inherit" or namespace != self.namespace:
                header["namespace"] = namespace
        return header, _join(namespace, simple)

    def aliases(self, simple: str) -> list[str]:
        """1-2 aliases, short or full, that no other type of the schema also uses."""
        forms = [f"Old{simple}", f"legacy.v0.{simple}", f"{simple}V1"]
        forms = [alias for alias in forms if alias not in self.aliases_used] or [
            f"{simple}Alias{len(self.aliases_used)}"
        ]
        chosen: list[str] = self.draw(
            st.lists(st.sampled_from(forms), min_size=1, max_size=2, unique=True)
        )
        self.aliases_used.update(chosen)
        return chosen

    def reference(self, full: str) -> str:
        """How ``full`` is written here: the short name works within its own namespace."""
        namespace, simple = _split(full)
        forms = ([full] if namespace else []) + ([simple] if namespace == self.namespace else [])
        return str(self.pick(forms))

    def referable(self) -> list[tuple[str, str]]:
        """(full name, kind) of the named types a reference may point at here."""
        out = []
        for full, model in self.models.items():
            if full in self.in_progress and not (self.options.recursion and self.in_progress[full]):
                continue
            if full not in self.in_progress and not self.finite_here(full):
                continue
            namespace = _split(full)[0]
            if namespace or not self.namespace:  # the null namespace is out of reach otherwise
                out.append((full, model["type"]))
        out += [(full, "record") for full, ok in self.forward.items() if ok]
        return out

    def finite_here(self, full: str) -> bool:
        """Would a reference to the finished type ``full`` still have a way out here?

        It would not if ``full`` contains, with no way out in between, a record still being
        built that has no way out between its start and this point either.
        """
        blocked = {
            name for name, ok in (*self.in_progress.items(), *self.forward.items()) if not ok
        }
        return not (blocked and self.needs(full, set()) & blocked)

    def needs(self, model: Any, seen: set[str]) -> set[str]:
        """Unfinished records that every value of ``model`` contains."""
        if isinstance(model, list):
            if any(_union_key(branch) == "null" for branch in model):
                return set()
            return set().union(*(self.needs(branch, seen) for branch in model))
        if isinstance(model, str):
            if model in PRIMITIVES:
                return set()
            model = self.models.get(model) or {"type": "record", "name": model, "fields": []}
        if model["type"] != "record":
            return set()  # enums and fixed; arrays and maps may be empty
        name = model["name"]
        if name in self.in_progress or name in self.forward:
            return {name}
        if name in seen:
            return set()
        seen.add(name)
        return set().union(*(self.needs(field["type"], seen) for field in model["fields"]))

    # -- types ------------------------------------------------------------------------------

    def top_level(self, kind: str) -> tuple[Any, Any]:
        build: dict[str, Callable[[], tuple[Any, Any]]] = {
            "record": lambda: self.record(0),
            "enum": self.enum,
            "fixed": lambda: self.fixed(self.pick(FIXED_NAMES), None),
            "union": lambda: self.union(0),
            "array": lambda: self.array(0),
            "map": lambda: self.map(0),
        }
        return build[kind]()

    def any_type(self, depth: int, *, in_union: bool = False) -> tuple[Any, Any]:
        """Any type; ``in_union`` excludes unions (they may not nest)."""
        deeper = depth < self.options.max_depth
        kinds = ["primitive", "primitive", "primitive"]
        if self.options.logical_types:
            kinds += ["logical", "logical"]
        if self.named_left > 0:
            kinds += ["enum", "fixed"]
            if deeper:
                kinds.append("record")
        refs = self.referable()
        if refs:
            kinds += ["reference", "reference"]
        if deeper:
            kinds += ["array", "map"]
            if not in_union:
                kinds += ["union", "union"]
        kind = self.pick(kinds)
        if kind == "primitive":
            return self.primitive()
        if kind == "logical":
            return self.logical()
        if kind == "reference":
            full = self.pick(refs)[0]
            return self.reference(full), full
        if kind == "record":
            return self.record(depth)
        if kind == "enum":
            return self.enum()
        if kind == "fixed":
            return self.fixed(self.pick(FIXED_NAMES), None)
        if kind == "array":
            return self.array(depth)
        if kind == "map":
            return self.map(depth)
        return self.union(depth)

    def primitive(self, kinds: tuple[str, ...] = PRIMITIVES) -> tuple[Any, Any]:
        kind = self.pick(kinds)
        if not self.maybe(20):
            return kind, kind
        schema: dict[str, Any] = {"type": kind}
        if kind == "string" and self.options.custom_properties and self.maybe(50):
            schema["avro.java.string"] = "String"
        self.props(schema, 50)
        return schema, dict(schema)

    def logical(self) -> tuple[Any, Any]:
        choices = [
            ("date", "int"),
            ("time-millis", "int"),
            ("time-micros", "long"),
            ("timestamp-millis", "long"),
            ("timestamp-micros", "long"),
            ("timestamp-nanos", "long"),
            ("local-timestamp-millis", "long"),
            ("local-timestamp-micros", "long"),
            ("local-timestamp-nanos", "long"),
            ("uuid", "string"),
            ("decimal", "bytes"),
            ("big-decimal", "bytes"),
            (CUSTOM_LOGICAL, "string"),
        ]
        if self.named_left > 0:
            choices += [("decimal", "fixed"), ("uuid", "fixed"), ("duration", "fixed")]
        logical, base = self.pick(choices)
        if base == "fixed":
            if logical == "decimal":
                size = self.draw(st.integers(1, 16))
                extra = self.decimal_params(math.floor(math.log10(2) * (8 * size - 1)))
                return self.fixed(self.pick(("Amount", "Money", "Decimal")), size, logical, extra)
            size = 16 if logical == "uuid" else 12
            return self.fixed(self.pick(("Uuid", "Duration", "Period")), size, logical, {})
        schema: dict[str, Any] = {"type": base, "logicalType": logical}
        if logical == "decimal":
            schema |= self.decimal_params(40)
        self.props(schema)
        return schema, dict(schema)

    def decimal_params(self, max_precision: int) -> dict[str, Any]:
        precision = self.draw(st.integers(1, max_precision))
        params: dict[str, Any] = {"precision": precision}
        if self.maybe(80):
            params["scale"] = self.draw(st.integers(0, precision))
        return params

    def enum(self) -> tuple[Any, Any]:
        self.named_left -= 1
        header, full = self.named_header("enum", ENUM_NAMES)
        symbols = self.draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=5, unique=True))
        schema = header | {"symbols": symbols}
        if self.maybe(30):
            schema["default"] = self.pick(symbols)
        self.common(schema, full)
        model = {"type": "enum", "name": full, "symbols": symbols}
        self.models[full] = model
        return schema, model

    def fixed(
        self,
        simple: str,
        size: int | None,
        logical: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[Any, Any]:
        self.named_left -= 1
        header, full = self.named_header("fixed", (simple,))
        schema = header | {"size": self.draw(st.integers(1, 16)) if size is None else size}
        if logical is not None:
            schema |= {"logicalType": logical, **(extra or {})}
        self.common(schema, full)
        model = {k: v for k, v in schema.items() if k not in ("namespace", "doc", "aliases")}
        model["name"] = full
        self.models[full] = model
        return schema, model

    def common(self, schema: dict[str, Any], full: str) -> None:
        """Doc, aliases and custom properties of a named type."""
        if self.maybe(30):
            schema["doc"] = self.doc()
        if self.maybe(20):
            schema["aliases"] = self.aliases(_split(full)[1])
        self.props(schema)

    def record(
        self,
        depth: int,
        *,
        name: str | None = None,
        namespace: str | None = None,
        first_field_ref: str | None = None,
        nullable_ref: bool = False,
    ) -> tuple[Any, Any]:
        """A record; ``first_field_ref`` makes its first field use that named type."""
        self.named_left -= 1
        header, full = self.named_header("record", RECORD_NAMES, name, namespace)
        model: dict[str, Any] = {"type": "record", "name": full, "fields": []}
        self.models[full] = model
        self.in_progress[full] = False
        outer_namespace, self.namespace = self.namespace, _split(full)[0]
        try:
            if self.maybe(30):
                header["doc"] = self.doc()
            if self.maybe(15):
                header["aliases"] = self.aliases(_split(full)[1])
            self.props(header)
            names = self.field_names()
            if first_field_ref is not None and not names:
                names = [self.pick(FIELD_NAME_GROUPS)[0]]
            fields = []
            for index, field_name in enumerate(names):
                if index == 0 and first_field_ref is not None:
                    ref = self.reference(first_field_ref)
                    type_json, type_model = (
                        (["null", ref], ["null", first_field_ref])
                        if nullable_ref
                        else (ref, first_field_ref)
                    )
                else:
                    type_json, type_model = self.any_type(depth + 1)
                field, field_model = self.field(field_name, type_json, type_model)
                fields.append(field)
                model["fields"].append(field_model)
            header["fields"] = fields
            return header, model
        finally:
            self.namespace = outer_namespace
            del self.in_progress[full]

    def field_names(self) -> list[str]:
        count = self.draw(st.integers(0, self.options.max_fields))
        groups = self.draw(
            st.lists(
                st.sampled_from(FIELD_NAME_GROUPS), min_size=count, max_size=count, unique=True
            )
        )
        names: list[str] = []
        for group in groups:
            chosen = list(group) if len(group) > 1 and self.maybe(30) else [self.pick(group)]
            names += [n for n in chosen if n not in names]
        return names[: self.options.max_fields]

    def field(
        self, name: str, type_json: Any, type_model: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        field: dict[str, Any] = {"name": name, "type": type_json}
        model: dict[str, Any] = {"name": name, "type": type_model}
        if self.maybe(50):
            default = self.default(type_model, 3)
            if default is not _NO_DEFAULT:
                field["default"] = default
                model["default"] = default
        if self.maybe(25):
            field["doc"] = self.doc()
        if self.maybe(10):
            field["order"] = self.pick(("ascending", "descending", "ignore"))
        if self.maybe(10):
            # Derived from this field's name only, so no alias equals another field's name.
            aliases = (f"{name}_old", f"old_{name}")
            field["aliases"] = self.draw(
                st.lists(st.sampled_from(aliases), min_size=1, max_size=2, unique=True)
            )
        self.props(field, 15)
        return field, model

    def array(self, depth: int) -> tuple[Any, Any]:
        with self.way_out():
            items_json, items_model = self.any_type(depth + 1)
        schema: dict[str, Any] = {"type": "array", "items": items_json}
        self.props(schema)
        return schema, {"type": "array", "items": items_model}

    def map(self, depth: int) -> tuple[Any, Any]:
        with self.way_out():
            values_json, values_model = self.any_type(depth + 1)
        schema: dict[str, Any] = {"type": "map", "values": values_json}
        self.props(schema)
        return schema, {"type": "map", "values": values_model}

    def union(self, depth: int, *, must_include: str | None = None) -> tuple[Any, Any]:
        """2..4 branches, at most one per unnamed type, maybe null first, second or last."""
        null_at = self.pick(("first", "second", "none", "last"))
        branches: list[tuple[Any, Any]] = []
        keys: set[str] = set()
        if must_include is not None:
            branches.append((self.reference(must_include), must_include))
            keys.add(must_include)
        target = self.draw(st.integers(1 if null_at != "none" else 2, 3))
        with self.way_out() if null_at != "none" else _no_context():
            for _ in range(target * 2):
                if len(branches) >= target:
                    break
                defined, named_left = set(self.models), self.named_left
                branch = self.branch(depth)
                key = _union_key(branch[1])
                if key not in keys and key != "null":
                    keys.add(key)
                    branches.append(branch)
                else:  # forget the types the dropped branch defined
                    for name in set(self.models) - defined:
                        del self.models[name]
                    self.named_left = named_left
        if null_at != "none":
            position = {"first": 0, "second": min(1, len(branches)), "last": len(branches)}[null_at]
            null: Any = "null" if not self.maybe(10) else {"type": "null"}
            branches.insert(position, (null, null if isinstance(null, str) else dict(null)))
        for spare in PRIMITIVES:  # too many duplicates drawn: complete with unused types
            if len(branches) >= 2:
                break
            if spare not in keys and not (spare == "null" and null_at != "none"):
                keys.add(spare)
                branches.append((spare, spare))
        return [b[0] for b in branches], [b[1] for b in branches]

    def branch(self, depth: int) -> tuple[Any, Any]:
        """A union branch, favouring named types so unions of records, enums, fixed are common."""
        refs = [full for full, _ in self.referable()]
        kinds = ["type", "type"]
        if refs:
            kinds.append("reference")
        if self.named_left > 0 and depth < self.options.max_depth:
            kinds += ["record", "enum"]
        kind = self.pick(kinds)
        if kind == "reference":
            full = self.pick(refs)
            return self.reference(full), full
        if kind == "record":
            return self.record(depth)
        if kind == "enum":
            return self.enum()
        return self.any_type(depth, in_union=True)

    # -- defaults ---------------------------------------------------------------------------

    def default(self, model: Any, budget: int) -> Any:
        """A default value (Avro JSON encoding) for ``model``; ``_NO_DEFAULT`` if none fits.

        None fits a record still being built, or one whose values need more than ``budget``
        levels of nesting.
        """
        if isinstance(model, list):
            return self.default(model[0], budget)
        if isinstance(model, str):
            if model in self.in_progress or model in self.forward:
                return _NO_DEFAULT
            if model not in PRIMITIVES:
                return self.default(self.models[model], budget)
            return self.primitive_default(model, plain=True)
        kind = model["type"]
        if kind == "record":
            if model["name"] in self.in_progress or budget <= 0:
                return _NO_DEFAULT
            value = {}
            for field in model["fields"]:
                value[field["name"]] = self.default(field["type"], budget - 1)
                if value[field["name"]] is _NO_DEFAULT:
                    return _NO_DEFAULT
            return value
        if kind == "enum":
            return self.pick(model["symbols"])
        if kind in ("array", "map"):
            inner = model["items" if kind == "array" else "values"]
            values = []
            for _ in range(self.draw(st.integers(0, 2))):
                value = self.default(inner, budget - 1)
                if value is _NO_DEFAULT:
                    break
                values.append(value)
            if kind == "array":
                return values
            keys = self.draw(
                st.lists(
                    st.sampled_from(STRING_DEFAULTS),
                    min_size=len(values),
                    max_size=len(values),
                    unique=True,
                )
            )
            return dict(zip(keys, values, strict=True))
        logical = model.get("logicalType")
        if kind == "fixed":
            size = model["size"]
            if logical == "decimal":
                return _latin1(self.unscaled(model).to_bytes(size, "big", signed=True))
            return _latin1(self.draw(st.binary(min_size=size, max_size=size)))
        if logical is not None and (kind, logical) in _LOGICAL_DEFAULTS:
            return self.logical_default(kind, logical, model)
        return self.primitive_default(kind, plain=False)

    def unscaled(self, model: dict[str, Any]) -> int:
        limit = 10 ** model["precision"] - 1
        if model["type"] == "fixed":
            limit = min(limit, 2 ** (8 * model["size"] - 1) - 1)
        return int(self.draw(st.integers(-limit, limit)))

    def logical_default(self, kind: str, logical: str, model: dict[str, Any]) -> Any:
        """Defaults that convert: a date in 1..9999, a real UUID, a decimal within precision."""
        bounds = _LOGICAL_DEFAULTS[kind, logical]
        if bounds is not None:
            low, high = bounds
            return self.draw(st.sampled_from((0, low, high)) | st.integers(low, high))
        if logical == "uuid":
            return str(uuid.UUID(int=self.draw(st.integers(0, 2**128 - 1))))
        if logical == "decimal":
            unscaled = self.unscaled(model)
            return _latin1(unscaled.to_bytes((unscaled.bit_length() + 8) // 8, "big", signed=True))
        return _NO_DEFAULT  # big-decimal: bytes with an inner format of their own

    def primitive_default(self, kind: str, *, plain: bool) -> Any:
        draw = self.draw
        if kind == "null":
            return None
        if kind == "boolean":
            return draw(st.booleans())
        if kind == "int":
            return draw(
                st.sampled_from((0, -(2**31), 2**31 - 1)) | st.integers(-(2**31), 2**31 - 1)
            )
        if kind == "long":
            return draw(
                st.sampled_from((0, -(2**63), 2**63 - 1)) | st.integers(-(2**63), 2**63 - 1)
            )
        if kind in ("float", "double"):
            floats = st.floats(
                allow_nan=False, allow_infinity=False, width=32 if kind == "float" else 64
            )
            value = draw(st.sampled_from((0.0, 1.0, -1.5, 1e10)) | floats)
            # A whole JSON number (`1`, not `1.0`) is valid too, but fastavro accepts it only
            # when the type is the plain string "float"/"double".
            if plain and value == int(value) and abs(value) < 2**53 and self.maybe(40):
                return int(value)
            return value
        if kind == "bytes":
            return _latin1(draw(st.binary(max_size=6)))
        if kind == "string":
            return draw(st.sampled_from(STRING_DEFAULTS) | st.text(max_size=8))
        raise AssertionError(f"no default for {kind}")  # pragma: no cover

    # -- files ------------------------------------------------------------------------------

    def file_path(self, full: str | None, index: int, paths: set[str]) -> str:
        if full is None:
            path = f"union_{index}.avsc"
        elif self.maybe(50):
            path = f"{full}.avsc"
        else:
            namespace, simple = _split(full)
            path = (
                "/".join([*namespace.split("."), f"{simple}.avsc"])
                if namespace
                else f"{simple}.avsc"
            )
        while path.lower() in paths:  # case-insensitive file systems
            path = f"x{index}_{path}"
        paths.add(path.lower())
        return path


@contextmanager
def _no_context() -> Iterator[None]:
    yield


def _union_key(model: Any) -> str:
    """What makes two union branches conflict: the unnamed type, or the full name."""
    if isinstance(model, str):
        return model
    if model["type"] in _NAMED_KINDS:
        return str(model["name"])
    return str(model["type"])


def _join(namespace: str, simple: str) -> str:
    return f"{namespace}.{simple}" if namespace else simple


def _split(full: str) -> tuple[str, str]:
    namespace, _, simple = full.rpartition(".")
    return namespace, simple


def _latin1(data: bytes) -> str:
    """Bytes in Avro's JSON encoding: one code point 0-255 per byte."""
    return data.decode("latin-1")


class FastavroCodec:
    """fastavro's schemaless writer and reader for any schema, as a reference codec.

    fastavro re-parses a parsed schema unless it is a top-level record, and re-parsing loses
    what ``"namespace": ""`` meant. So the schema is parsed once inside a one-field wrapper
    record, which encodes exactly like its field. ``named`` holds types of other files
    (full name → definition, as filled in by ``fastavro.parse_schema``).
    """

    WRAPPER = "avrobind_test_Wrapper"

    def __init__(self, schema: Any, named: dict[str, Any] | None = None) -> None:
        from fastavro import parse_schema

        self.named: dict[str, Any] = dict(named or {})
        wrapper = {
            "type": "record",
            "name": self.WRAPPER,
            "fields": [{"name": "v", "type": schema}],
        }
        self._wrapper = parse_schema(wrapper, self.named)
        self.schema = self._wrapper["fields"][0]["type"]  # the parsed schema

    def write(self, datum: Any) -> bytes:
        from fastavro import schemaless_writer

        out = io.BytesIO()
        schemaless_writer(out, self._wrapper, {"v": datum})
        return out.getvalue()

    def read(self, data: bytes) -> Any:
        from fastavro import schemaless_reader

        return schemaless_reader(io.BytesIO(data), self._wrapper, None, return_named_type=True)["v"]
