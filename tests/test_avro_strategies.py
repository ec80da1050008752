"""The schema strategies draw valid, varied Avro, and the datum generator handles all of it.

Validity is checked three ways: fastavro parses every schema (and every file set in order),
Apache Avro's Python parser does too, and an independent walker below checks what neither
parser checks (field defaults against their types, logical-type ranges, unique names,
unions). Variety is checked by drawing a fixed sample and listing the features it shows.
"""

from __future__ import annotations

import builtins
import json
import keyword
import math
import os
import random
import re
import uuid
from collections.abc import Callable
from typing import Any

import avro.errors
import avro.name
import avro.schema
import fastavro
import pytest
from fastavro.schema import parse_schema
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from codegen.runtime.datagen import DatumGenerator
from tests.avro_strategies import FastavroCodec, avro_schema_files, avro_schemas
from tests.test_datagen import assert_round_trips, assert_valid

pytestmark = pytest.mark.filterwarnings("ignore::avro.errors.IgnoredLogicalType")

# AVROBIND_PROPERTY_EXAMPLES=5000 for a long soak; the default keeps CI quick.
PROPERTY = settings(
    max_examples=int(os.environ.get("AVROBIND_PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SAMPLE = settings(max_examples=300, deadline=None, database=None, derandomize=True)
SEARCH = settings(
    max_examples=3000, deadline=None, database=None, derandomize=True, phases=[Phase.generate]
)

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Keys with a meaning in the spec; anything else on a schema or field is a custom property.
RESERVED = {
    "type", "name", "namespace", "fields", "items", "values", "symbols", "size", "doc",
    "aliases", "default", "order", "logicalType", "precision", "scale",
}  # fmt: skip
DAY_MILLIS = 86_400_000
MIN_MICROS, MAX_MICROS = -62_135_596_800_000_000, 253_402_300_799_999_999
LOGICAL_RANGES = {
    ("int", "date"): (-719_162, 2_932_896),
    ("int", "time-millis"): (0, DAY_MILLIS - 1),
    ("long", "time-micros"): (0, DAY_MILLIS * 1000 - 1),
    ("long", "timestamp-millis"): (MIN_MICROS // 1000, MAX_MICROS // 1000),
    ("long", "local-timestamp-millis"): (MIN_MICROS // 1000, MAX_MICROS // 1000),
    ("long", "timestamp-micros"): (MIN_MICROS, MAX_MICROS),
    ("long", "local-timestamp-micros"): (MIN_MICROS, MAX_MICROS),
}


def _join(namespace: str, name: str) -> str:
    return f"{namespace}.{name}" if namespace else name


def _full_name(schema: dict[str, Any], namespace: str) -> str:
    """The spec's rule: a dotted name is full; else `namespace` if given, else the enclosing."""
    name = str(schema["name"])
    if "." in name:
        return name
    return _join(schema.get("namespace", namespace), name)


class Walker:
    """Reads schema JSON as the spec does: resolves names, lists features and problems.

    One walker can read several files in order; ``defined`` then spans all of them.
    """

    def __init__(self) -> None:
        self.defined: dict[str, tuple[dict[str, Any], str]] = {}  # full name -> (JSON, namespace)
        self.features: set[str] = set()
        self.problems: list[str] = []
        self.file = 0
        self.file_of: dict[str, int] = {}
        self.files_using_earlier: set[int] = set()  # files that use a type of an earlier one
        self.declared: set[str] = set()  # records used before their file is read

    def declare(self, full: str, file: int) -> None:
        """``full`` is a record that file number ``file`` defines, later than its first use."""
        self.defined[full] = ({"type": "record", "name": full, "fields": []}, "")
        self.file_of[full] = file
        self.declared.add(full)

    def read(self, schema: Any) -> None:
        self.walk(schema, "", [])
        self.file += 1

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def walk(self, schema: Any, namespace: str, path: list[tuple[str, str]]) -> None:
        """``path``: the enclosing ("record", full name) and ("union"/"array"/"map", "")."""
        if isinstance(schema, list):
            self.union(schema, namespace, path)
        elif isinstance(schema, str):
            if schema in PRIMITIVES:
                self.features.add(f"primitive:{schema}")
            else:
                self.reference(schema, namespace, path)
        elif not isinstance(schema, dict):
            self.problem(f"not a schema: {schema!r}")
        else:
            kind = schema["type"]
            props = set(schema) - RESERVED
            if kind in ("record", "enum", "fixed"):
                self.named(schema, namespace, path)
            elif kind == "array":
                self.features.add("array")
                self.walk(schema["items"], namespace, [*path, ("array", "")])
            elif kind == "map":
                self.features.add("map")
                self.walk(schema["values"], namespace, [*path, ("map", "")])
            elif kind in PRIMITIVES:
                self.features.add(f"primitive:{kind}")
                self.features.add("primitive-as-object")
                kind = "primitive"
            else:
                self.problem(f"unknown type {kind!r}")
            if "logicalType" in schema:
                self.features.add(f"logical:{schema['type']}-{schema['logicalType']}")
                self.logical_params(schema)
            if props:
                self.features.add(f"props:{kind}")

    def logical_params(self, schema: dict[str, Any]) -> None:
        if schema["logicalType"] != "decimal":
            return
        precision, scale = schema.get("precision"), schema.get("scale", 0)
        if not (isinstance(precision, int) and precision > 0 and 0 <= scale <= precision):
            self.problem(f"bad decimal {schema}")
        elif schema["type"] == "fixed" and 10**precision > 2 ** (8 * schema["size"] - 1):
            self.problem(f"decimal precision does not fit its fixed: {schema}")

    def full_name(self, schema: dict[str, Any], namespace: str) -> tuple[str, str]:
        name = schema["name"]
        if "." in name:
            self.features.add("ns:dotted")
            if "namespace" in schema:
                self.features.add("ns:dotted-ignores-namespace")
        elif "namespace" in schema:
            self.features.add("ns:null" if schema["namespace"] == "" else "ns:explicit")
        elif namespace:
            self.features.add("ns:inherited")
        full = _full_name(schema, namespace)
        if not all(NAME.fullmatch(part) for part in full.split(".")):
            self.problem(f"invalid name {full!r}")
        return full, full.rpartition(".")[0]

    def named(self, schema: dict[str, Any], namespace: str, path: list[tuple[str, str]]) -> None:
        kind = schema["type"]
        full, own_namespace = self.full_name(schema, namespace)
        if (full in self.defined and full not in self.declared) or full in PRIMITIVES:
            self.problem(f"{full} defined twice")
        self.declared.discard(full)
        self.defined[full] = (schema, own_namespace)
        self.file_of[full] = self.file
        self.features.add(kind)
        simple = full.rpartition(".")[2]
        if simple in {"List", "Enum", "Decimal", "datetime", "date", "int_", "Optional", "UUID"}:
            self.features.add("type-name:python-ish")
        for key in ("doc", "aliases"):
            if key in schema:
                self.features.add(f"{key}:{kind}")
        if "doc" in schema:
            self.doc(schema["doc"])
        for alias in schema.get("aliases", []):
            if not all(NAME.fullmatch(part) for part in alias.split(".")):
                self.problem(f"invalid alias {alias!r}")
        if kind == "enum":
            self.enum(schema)
        elif kind == "fixed":
            if not (isinstance(schema["size"], int) and schema["size"] >= 0):
                self.problem(f"bad fixed size in {full}")
        else:
            if any(entry[0] == "record" for entry in path):
                self.features.add("record:nested")
            if not schema["fields"]:
                self.features.add("record:empty")
            self.fields(schema, full, own_namespace, [*path, ("record", full)])

    def enum(self, schema: dict[str, Any]) -> None:
        symbols = schema["symbols"]
        if len(set(symbols)) != len(symbols) or not all(NAME.fullmatch(s) for s in symbols):
            self.problem(f"bad symbols {symbols}")
        if any(keyword.iskeyword(s) for s in symbols):
            self.features.add("enum:keyword-symbol")
        if "default" in schema:
            self.features.add("enum:default")
            if schema["default"] not in symbols:
                self.problem(f"enum default {schema['default']!r} not a symbol")
        else:
            self.features.add("enum:no-default")

    def doc(self, doc: Any) -> None:
        if not isinstance(doc, str):
            self.problem(f"doc is not a string: {doc!r}")
        elif '"""' in doc or "'''" in doc:
            self.features.add("doc:triple-quotes")
        elif doc.endswith(("\\", '"', "'")):
            self.features.add("doc:trailing-quote-or-backslash")
        elif "\n" in doc:
            self.features.add("doc:newline")

    def fields(
        self, schema: dict[str, Any], full: str, namespace: str, path: list[tuple[str, str]]
    ) -> None:
        names = [field["name"] for field in schema["fields"]]
        if len(set(names)) != len(names):
            self.problem(f"duplicate field names in {full}")
        lower = [n.lower() for n in names]
        if len(set(lower)) != len(lower):
            self.features.add("field:case-variants")
        if any(f"{n}_" in names for n in names):
            self.features.add("field:escape-collision")
        for field in schema["fields"]:
            name = field["name"]
            if not NAME.fullmatch(name):
                self.problem(f"invalid field name {name!r}")
            if keyword.iskeyword(name):
                self.features.add("field:keyword")
            elif name in dir(builtins):
                self.features.add("field:builtin")
            elif name.startswith("__"):
                self.features.add("field:dunder")
            self.walk(field["type"], namespace, path)
            if "default" in field:
                self.field_default(field, namespace)
            if "doc" in field:
                self.features.add("doc:field")
                self.doc(field["doc"])
            if "aliases" in field:
                self.features.add("aliases:field")
                if set(field["aliases"]) & set(names):
                    self.problem(f"field alias equals a field name in {full}")
            if "order" in field:
                self.features.add(f"order:{field['order']}")
                if field["order"] not in ("ascending", "descending", "ignore"):
                    self.problem(f"bad order {field['order']!r}")
            if set(field) - RESERVED:
                self.features.add("props:field")

    def union(self, branches: list[Any], namespace: str, path: list[tuple[str, str]]) -> None:
        seen: set[str] = set()
        named = set()
        for index, branch in enumerate(branches):
            if isinstance(branch, list):
                self.problem("union directly inside a union")
                continue
            key = self.union_key(branch, namespace)
            if key in seen:
                self.problem(f"two union branches of type {key}")
            seen.add(key)
            if key == "null" and index < 2:
                self.features.add(f"union:null-{'first' if index == 0 else 'second'}")
            if key not in PRIMITIVES | {"array", "map"}:
                named.add(self.kind_of(key))
            self.walk(branch, namespace, [*path, ("union", "")])
        self.features.update(f"union:with-{kind}" for kind in named)
        if len(named) >= 2:
            self.features.add("union:several-named")

    def union_key(self, branch: Any, namespace: str) -> str:
        if isinstance(branch, str):
            return branch if branch in PRIMITIVES else self.resolve(branch, namespace)
        if branch["type"] in ("record", "enum", "fixed"):
            return _full_name(branch, namespace)
        return str(branch["type"])

    def kind_of(self, full: str) -> str:
        return str(self.defined[full][0]["type"]) if full in self.defined else "record"

    def resolve(self, name: str, namespace: str) -> str:
        return name if "." in name else _join(namespace, name)

    def reference(self, name: str, namespace: str, path: list[tuple[str, str]]) -> None:
        full = self.resolve(name, namespace)
        if full not in self.defined:
            self.problem(f"unknown type {name!r} (as {full!r})")
            return
        self.features.add("reference:" + ("full" if "." in name else "short"))
        if self.file_of[full] < self.file:
            self.files_using_earlier.add(self.file)
            self.features.add("reference:earlier-file:" + ("full" if "." in name else "short"))
        records = [i for i, (kind, n) in enumerate(path) if kind == "record" and n == full]
        if not records:
            self.features.add("reference:defined-before")
            return
        after = path[records[-1] + 1 :]
        ways_out = [kind for kind, _ in after if kind in ("array", "map", "union")]
        if not ways_out:
            self.problem(f"{full} contains itself with no way out")
        else:
            self.features.add(f"recursion:{ways_out[0]}")
        if any(kind == "record" for kind, _ in after):
            self.features.add("recursion:mutual")

    # -- defaults -------------------------------------------------------------------------

    def field_default(self, field: dict[str, Any], namespace: str) -> None:
        kind = self.default_kind(field["type"], namespace)
        self.features.add(f"default:{kind}")
        if isinstance(field["type"], list) and kind != "null":
            self.features.add("default:union-non-null-first")
        if field["type"] in ("float", "double") and isinstance(field["default"], int):
            self.features.add("default:whole-number-for-float")
        if not self.default_ok(field["type"], field["default"], namespace):
            self.problem(f"invalid default {field['default']!r} for {field['type']!r}")

    def default_kind(self, schema: Any, namespace: str) -> str:
        if isinstance(schema, list):
            return self.default_kind(schema[0], namespace)
        if isinstance(schema, str):
            return schema if schema in PRIMITIVES else self.kind_of(self.resolve(schema, namespace))
        if "logicalType" in schema:
            return f"logical-{schema['logicalType']}"
        return str(schema["type"])

    def default_ok(self, schema: Any, value: Any, namespace: str) -> bool:
        """Is ``value`` a valid default (Avro JSON encoding) for ``schema``?"""
        if isinstance(schema, list):
            return self.default_ok(schema[0], value, namespace)
        if isinstance(schema, str) and schema not in PRIMITIVES:
            definition, own_namespace = self.defined[self.resolve(schema, namespace)]
            return self.default_ok(definition, value, own_namespace)
        if isinstance(schema, str):
            return _primitive_default_ok(schema, value)
        kind = schema["type"]
        if kind == "record":
            own_namespace = _full_name(schema, namespace).rpartition(".")[0]
            fields = {f["name"]: f for f in schema["fields"]}
            return (
                isinstance(value, dict)
                and set(value) <= set(fields)
                and all(
                    self.default_ok(f["type"], value[n], own_namespace)
                    if n in value
                    else "default" in f
                    for n, f in fields.items()
                )
            )
        if kind == "enum":
            return value in schema["symbols"]
        if kind == "array":
            return isinstance(value, list) and all(
                self.default_ok(schema["items"], v, namespace) for v in value
            )
        if kind == "map":
            return isinstance(value, dict) and all(
                isinstance(k, str) and self.default_ok(schema["values"], v, namespace)
                for k, v in value.items()
            )
        if kind == "fixed" and not (
            _primitive_default_ok("bytes", value) and len(value) == schema["size"]
        ):
            return False
        if kind != "fixed" and not _primitive_default_ok(kind, value):
            return False
        return _logical_default_ok(kind, schema.get("logicalType"), schema, value)


def _primitive_default_ok(kind: str, value: Any) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    checks: dict[str, Callable[[], bool]] = {
        "null": lambda: value is None,
        "boolean": lambda: isinstance(value, bool),
        "int": lambda: number and isinstance(value, int) and -(2**31) <= value < 2**31,
        "long": lambda: number and isinstance(value, int) and -(2**63) <= value < 2**63,
        "float": lambda: number and math.isfinite(value),
        "double": lambda: number and math.isfinite(value),
        "bytes": lambda: isinstance(value, str) and all(ord(c) < 256 for c in value),
        "string": lambda: isinstance(value, str),
    }
    return checks[kind]()


def _logical_default_ok(kind: str, logical: str | None, schema: dict[str, Any], value: Any) -> bool:
    if (kind, logical) in LOGICAL_RANGES:
        low, high = LOGICAL_RANGES[kind, logical]
        return bool(low <= value <= high)
    if (kind, logical) == ("string", "uuid"):
        try:
            uuid.UUID(value)
        except ValueError:
            return False
        return True
    if logical == "decimal" and kind in ("bytes", "fixed"):
        unscaled = int.from_bytes(value.encode("latin-1"), "big", signed=True)
        return abs(unscaled) < 10 ** schema["precision"]
    return True


def check_valid(walker: Walker, schema: Any) -> None:
    walker.read(schema)
    assert walker.problems == []


# --------------------------------------------------------------------------------- schemas


@PROPERTY
@given(avro_schemas())
def test_schemas_are_valid_avro(schema: Any) -> None:
    text = json.dumps(schema, allow_nan=False)
    assert json.loads(text) == schema
    check_valid(Walker(), schema)
    parse_schema(json.loads(text), {})
    # Apache Avro's Python parser reads `"namespace": ""` as "no namespace given" (its
    # NamedSchema turns "" into None) instead of the null namespace, so it cannot judge
    # those schemas.
    if '"namespace": ""' not in text:
        avro.schema.parse(text)


@PROPERTY
@given(avro_schemas(), st.randoms(use_true_random=False))
def test_generated_data_round_trips_through_fastavro(schema: Any, rng: random.Random) -> None:
    codec = FastavroCodec(schema)
    generator = DatumGenerator(codec.schema, codec.named)
    for _ in range(3):
        datum = generator.datum(rng)
        assert_round_trips(codec, datum)
        assert_valid(codec, datum)


SCHEMA_FEATURES = {
    *(f"primitive:{p}" for p in PRIMITIVES),
    "primitive-as-object",
    "record",
    "record:empty",
    "record:nested",
    "enum",
    "enum:default",
    "enum:no-default",
    "enum:keyword-symbol",
    "fixed",
    "array",
    "map",
    "union:null-first",
    "union:null-second",
    "union:with-record",
    "union:with-enum",
    "union:with-fixed",
    "union:several-named",
    "recursion:union",
    "recursion:array",
    "recursion:map",
    "recursion:mutual",
    "reference:defined-before",
    "reference:short",
    "reference:full",
    "ns:explicit",
    "ns:dotted",
    "ns:dotted-ignores-namespace",
    "ns:inherited",
    "ns:null",
    *(
        f"logical:{t}"
        for t in (
            "bytes-decimal",
            "fixed-decimal",
            "string-uuid",
            "fixed-uuid",
            "int-date",
            "int-time-millis",
            "long-time-micros",
            "long-timestamp-millis",
            "long-timestamp-micros",
            "long-timestamp-nanos",
            "long-local-timestamp-millis",
            "long-local-timestamp-micros",
            "long-local-timestamp-nanos",
            "fixed-duration",
            "bytes-big-decimal",
            "string-custom-logical",
        )
    ),
    *(
        f"default:{k}"
        for k in (
            "null",
            "boolean",
            "int",
            "long",
            "float",
            "double",
            "bytes",
            "string",
            "enum",
            "fixed",
            "array",
            "map",
            "record",
            "union-non-null-first",
            "whole-number-for-float",
            "logical-date",
            "logical-decimal",
            "logical-uuid",
            "logical-timestamp-millis",
        )
    ),
    "doc:record",
    "doc:enum",
    "doc:fixed",
    "doc:field",
    "doc:triple-quotes",
    "doc:trailing-quote-or-backslash",
    "doc:newline",
    "aliases:record",
    "aliases:enum",
    "aliases:fixed",
    "aliases:field",
    "order:ascending",
    "order:descending",
    "order:ignore",
    *(f"props:{k}" for k in ("record", "field", "enum", "fixed", "array", "map", "primitive")),
    "field:keyword",
    "field:builtin",
    "field:dunder",
    "field:case-variants",
    "field:escape-collision",
    "type-name:python-ish",
}


def _features(read: Callable[[Walker, Any], None], drawn: Any) -> set[str]:
    walker = Walker()
    read(walker, drawn)
    return walker.features


def assert_covers(
    strategy: st.SearchStrategy[Any], read: Callable[[Walker, Any], None], wanted: set[str]
) -> None:
    """A fixed sample shows most features; each rare one is then searched for on its own."""
    seen: set[str] = set()

    @SAMPLE
    @given(strategy)
    def collect(drawn: Any) -> None:
        seen.update(_features(read, drawn))

    collect()
    for feature in sorted(wanted - seen):
        find(strategy, lambda drawn, f=feature: f in _features(read, drawn), settings=SEARCH)


def test_schemas_cover_the_features() -> None:
    assert_covers(avro_schemas(), Walker.read, SCHEMA_FEATURES)


def test_knobs_switch_features_off() -> None:
    plain: set[str] = set()

    @SAMPLE
    @given(
        avro_schemas(recursion=False, logical_types=False, custom_properties=False, top="record")
    )
    def collect(schema: Any) -> None:
        plain.update(_features(Walker.read, schema))

    collect()
    assert not {f for f in plain if f.startswith(("recursion:", "logical:", "props:"))}
    assert {"record", "union:several-named", "reference:defined-before"} <= plain

    @SAMPLE
    @given(avro_schemas(max_depth=1, max_fields=2, top="record"))
    def shallow(schema: Any) -> None:
        assert schema["type"] == "record"
        assert len(schema["fields"]) <= 2
        # Depth 1: the record's fields hold no records, arrays, maps or unions.
        for field in schema["fields"]:
            field_type = field["type"]
            assert not isinstance(field_type, list)
            assert not (
                isinstance(field_type, dict) and field_type["type"] in ("record", "array", "map")
            )

    shallow()


# ----------------------------------------------------------------------------------- files


def _parse_files(files: list[tuple[str, Any]]) -> dict[str, Any]:
    named: dict[str, Any] = {}
    for _, schema in files:
        parse_schema(schema, named)
    return named


@PROPERTY
@given(avro_schema_files(), st.randoms(use_true_random=False))
def test_schema_files_are_valid_in_order(files: list[tuple[str, Any]], rng: random.Random) -> None:
    paths = [path for path, _ in files]
    assert len({p.lower() for p in paths}) == len(paths)
    assert all(p.endswith(".avsc") and not p.startswith("/") and ".." not in p for p in paths)
    walker = Walker()
    for index, (_, schema) in enumerate(files):
        check_valid(walker, schema)
        if index and (isinstance(schema, list) or schema["type"] == "record"):
            assert index in walker.files_using_earlier
    named = _parse_files(files)
    text = json.dumps([s for _, s in files])
    if '"namespace": ""' not in text:  # see test_schemas_are_valid_avro
        names = avro.name.Names()
        for _, schema in files:
            avro.schema.make_avsc_object(schema, names)
    for _, schema in files:
        codec = FastavroCodec(schema, named)
        datum = DatumGenerator(codec.schema, codec.named).datum(rng)
        assert_round_trips(codec, datum)


def _read_files(walker: Walker, files: list[tuple[str, Any]]) -> None:
    for path, schema in files:
        walker.read(schema)
        walker.features.add("path:" + ("dirs" if "/" in path else "flat"))
        kind = "union" if isinstance(schema, list) else schema["type"]
        walker.features.add(f"file:{kind}")
    if len(files) >= 3:
        walker.features.add("files:3+")


def test_schema_files_cover_the_features() -> None:
    wanted = {
        "reference:earlier-file:full",
        "reference:earlier-file:short",
        "path:dirs",
        "path:flat",
        "file:record",
        "file:enum",
        "file:fixed",
        "file:union",
        "files:3+",
        "recursion:mutual",
    }
    assert_covers(avro_schema_files(), _read_files, wanted)


@PROPERTY
@given(avro_schema_files(cycles=True), st.randoms(use_true_random=False))
def test_schema_file_cycles(files: list[tuple[str, Any]], rng: random.Random) -> None:
    (_, first), (_, second) = files[:2]
    first_name, second_name = _full_name(first, ""), _full_name(second, "")
    assert first_name.rpartition(".")[0] != second_name.rpartition(".")[0]
    walker = Walker()
    walker.declare(second_name, 1)
    for _, schema in files:
        check_valid(walker, schema)
    # Neither of the first two files parses before the other ...
    for schema, missing in ((first, second_name), (second, first_name)):
        with pytest.raises(fastavro.schema.UnknownType, match=re.escape(missing)):
            parse_schema(schema, {})
    # ... but with a placeholder for the second's record the first parses, then the second
    # (replacing the placeholder), then the first for real, then the rest.
    assert first["fields"][0]["type"] == ["null", second_name]
    named: dict[str, Any] = {second_name: {"type": "record", "name": second_name, "fields": []}}
    for schema in (first, second, first, *(s for _, s in files[2:])):
        parse_schema(schema, named)
    for schema in (first, second):
        codec = FastavroCodec(schema, named)
        for _ in range(3):
            assert_round_trips(codec, DatumGenerator(codec.schema, codec.named).datum(rng))
