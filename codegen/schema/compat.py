"""Offline Avro reader/writer compatibility and the Confluent compatibility levels.

The rules follow Apache Avro's ``SchemaCompatibility`` (Java) and its Python port
``avro.compatibility.ReaderWriterCompatibilityChecker``, which agree with the peer test
vectors.  Schemas are parsed and validated by ``avro.schema``; the check itself is
reimplemented here so that it can close the gaps of the Python port:

* Named types match when their unqualified names are equal (as in Java and the spec's
  resolution rules) or when a reader alias, resolved against the reader type's
  namespace, equals the writer's full name.  The Python port compared raw alias strings.
* A schema with an invalid default (a field default that does not fit its type) or with
  malformed aliases is invalid, hence incompatible with everything.  See
  :func:`_default_problem` for the default rules.
* Decimals: see :meth:`_Checker._decimal`.
* Field aliases: the writer field of the reader field's own name wins, and aliases count
  only without one; see :meth:`_Checker._fields` for the ambiguous cases.
* Every message starts with a JSON pointer into the reader schema (``/fields/2/type``);
  where the writer side is a union, the writer branch index is appended, as in Java.
  The Python port lost the location below unions.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from avro.errors import SchemaParseException
from avro.schema import (
    FIELD_RESERVED_PROPS,
    ArraySchema,
    DecimalLogicalSchema,
    EnumSchema,
    Field,
    FixedSchema,
    MapSchema,
    NamedSchema,
    RecordSchema,
    Schema,
    UnionSchema,
    get_other_props,
    make_avsc_object,
)

__all__ = ["LEVELS", "CompatResult", "Loaded", "check_level", "check_pair", "load"]

LEVELS: tuple[str, ...] = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
# Writer types each reader type may read beyond its own (the spec's promotions).
_PROMOTIONS: dict[str, frozenset[str]] = {
    "long": frozenset({"int"}),
    "float": frozenset({"int", "long"}),
    "double": frozenset({"int", "long", "float"}),
    "bytes": frozenset({"string"}),
    "string": frozenset({"bytes"}),
}
_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)
_FLOAT_WORDS = frozenset({"NaN", "Infinity", "-Infinity"})
FIRST_BRANCH, ANY_BRANCH = "first-branch", "any-branch"
UNION_DEFAULTS: tuple[str, ...] = (FIRST_BRANCH, ANY_BRANCH)
_SIMPLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FULL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")

Path = tuple[str, ...]
Issue = tuple[Path, str]


@dataclass(frozen=True)
class CompatResult:
    """Outcome of a check; each message names a JSON path and a reason."""

    compatible: bool
    messages: list[str] = field(default_factory=list)


class Loaded:
    """A schema parsed and validated once by :func:`load`, to be checked many times."""

    __slots__ = ("problem", "schema")

    def __init__(self, schema: Schema | None, problem: str | None) -> None:
        self.schema = schema
        self.problem = problem  # why the schema is invalid, when it is


def load(schema: str | Any, *, union_defaults: str = FIRST_BRANCH) -> Loaded:
    """Parse and validate ``schema`` (JSON text or parsed JSON) for :func:`check_pair` and
    :func:`check_level`, which also accept the result, so a schema checked against many
    others (a registry's stored versions) is parsed only once.  It is validated under
    ``union_defaults`` (see :func:`check_pair`), whatever rule the checks are given later."""
    result = _load(schema, _union_rule(union_defaults))
    return Loaded(None, result) if isinstance(result, str) else Loaded(result, None)


def check_pair(
    reader: str | Any, writer: str | Any, *, union_defaults: str = FIRST_BRANCH
) -> CompatResult:
    """Can data written with ``writer`` be read with ``reader``?

    Schemas are JSON text, parsed JSON or :func:`load` results; an invalid schema gives an
    incompatible result whose message says which side is invalid and why.  ``union_defaults``
    is which union branch a field default may match: ``"first-branch"`` (Avro <= 1.11) or
    ``"any-branch"`` (Avro 1.12); see :func:`_default_problem`.
    """
    rule = _union_rule(union_defaults)
    r, w = _load(reader, rule), _load(writer, rule)
    if isinstance(r, str) or isinstance(w, str):
        invalid = [
            f"{role} {problem}"
            for role, problem in (("reader", r), ("writer", w))
            if isinstance(problem, str)
        ]
        return CompatResult(False, invalid)
    messages = _pair_messages(r, w)
    return CompatResult(not messages, messages)


def check_level(
    new: str | Any,
    previous: Sequence[str | Any],
    level: str,
    *,
    union_defaults: str = FIRST_BRANCH,
) -> CompatResult:
    """Check ``new`` against ``previous`` (oldest first) under a Confluent level.

    Non-transitive levels look at the last previous schema only, transitive ones at all.
    BACKWARD reads the previous data with ``new``, FORWARD reads new data with the
    previous schema, FULL does both.  ``new`` is validated under every level (NONE and an
    empty ``previous`` included), since an invalid schema can never be registered.
    ``union_defaults`` is as for :func:`check_pair`.  Raises ``ValueError`` for an unknown
    level or rule and ``TypeError`` when ``previous`` is a single string rather than a sequence
    of schemas.
    """
    rule = _union_rule(union_defaults)
    name = level.strip().upper() if isinstance(level, str) else ""
    if name not in LEVELS:
        raise ValueError(
            f"unknown compatibility level {level!r}; expected one of {', '.join(LEVELS)}"
        )
    if isinstance(previous, (str, bytes)):
        raise TypeError("previous must be a sequence of schemas, not a single schema text")
    parsed_new = _load(new, rule)
    if isinstance(parsed_new, str):
        return CompatResult(False, [f"new {parsed_new}"])
    if name == "NONE" or not previous:
        return CompatResult(True, [])
    indexes = range(len(previous)) if name.endswith("_TRANSITIVE") else [len(previous) - 1]
    backward = name.startswith(("BACKWARD", "FULL"))
    forward = name.startswith(("FORWARD", "FULL"))
    messages: list[str] = []
    for i in indexes:
        old = _load(previous[i], rule)
        if isinstance(old, str):
            messages.append(f"previous[{i}] {old}")
            continue
        if backward:
            messages += [
                f"reading previous[{i}] data with new: {m}" for m in _pair_messages(parsed_new, old)
            ]
        if forward:
            messages += [
                f"reading new data with previous[{i}]: {m}" for m in _pair_messages(old, parsed_new)
            ]
    return CompatResult(not messages, messages)


def _pair_messages(reader: Schema, writer: Schema) -> list[str]:
    try:
        issues = _Checker().check(reader, writer)
    except RecursionError:
        return ["/: schemas are nested too deeply to compare"]
    # A memoised pair reached twice reports the same issue twice; keep the first.
    return list(dict.fromkeys(f"{_pointer(path)}: {reason}" for path, reason in issues))


def _pointer(path: Path) -> str:
    # Map keys inside defaults may contain the JSON Pointer metacharacters.
    return "/" + "/".join(token.replace("~", "~0").replace("/", "~1") for token in path)


# --------------------------------------------------------------------------- loading


def _make_field_objects(
    field_data: Sequence[Mapping[str, Any]], names: Any, validate_names: bool = True
) -> list[Field]:
    """``avro.schema.RecordSchema.make_field_objects`` with its duplicate check on a set.

    avro 1.12 looks each field name up in a list, which is quadratic in the number of fields
    (394 s for a record of 100,000 fields); same fields, same errors, in linear time.
    """
    fields: list[Field] = []
    seen: set[str] = set()
    for data in field_data:
        if not callable(getattr(data, "get", None)):
            raise SchemaParseException(f"Not a valid field: {data}")
        new = Field(
            data.get("type"),
            data.get("name"),
            "default" in data,
            data.get("default"),
            data.get("order"),
            names,
            data.get("doc"),
            get_other_props(data, FIELD_RESERVED_PROPS),
            validate_names=validate_names,
        )
        if new.name in seen:
            raise SchemaParseException(f"Field name {new.name} already in use.")
        seen.add(new.name)
        fields.append(new)
    return fields


RecordSchema.make_field_objects = staticmethod(_make_field_objects)  # type: ignore[method-assign]


def _union_rule(union_defaults: str) -> str:
    if union_defaults not in UNION_DEFAULTS:
        raise ValueError(
            f"unknown union-defaults rule {union_defaults!r}; expected one of "
            f"{', '.join(UNION_DEFAULTS)}"
        )
    return union_defaults


def _load(schema: str | Any, rule: str = FIRST_BRANCH) -> Schema | str:
    """Parse and validate a schema; a ``str`` result is the reason it is invalid."""
    if isinstance(schema, Loaded):
        return schema.schema if schema.schema is not None else str(schema.problem)
    if isinstance(schema, (bytes, bytearray)):
        try:
            schema = schema.decode()
        except UnicodeDecodeError as exc:
            return f"schema is not UTF-8 text: {exc}"
    if isinstance(schema, str):
        text = schema.strip()
        if text in _PRIMITIVES or _FULL_NAME.fullmatch(text):
            # A bare name given as parsed JSON (``"int"``), not JSON text.
            text = json.dumps(text)
        return _load_text(text, rule)
    try:
        text = json.dumps(schema)
    except RecursionError:
        return "schema is invalid: nested too deeply"
    except (TypeError, ValueError) as exc:
        return f"schema is not JSON data: {exc}"
    return _load_text(text, rule)


@lru_cache(maxsize=1024)
def _load_text(text: str, rule: str) -> Schema | str:
    # Cached by text because the registry server and sync check the same stored
    # versions over and over; parsed schemas are never mutated, so sharing is safe.
    try:
        data = json.loads(text)
    except RecursionError:
        return "schema is invalid: nested too deeply"
    except ValueError as exc:
        return f"schema is not valid JSON: {exc}"
    try:
        schema = make_avsc_object(data)
        problem = next(_validation_problems(schema, (), set(), rule), None)
    except RecursionError:
        return "schema is invalid: nested too deeply"
    # Deliberately broad: besides its own AvroException, avro.schema lets TypeError and
    # IndexError escape on malformed JSON and even raises a bare ``Exception`` (in
    # EnumSchema.symbols), so no closed list of types is safe, and a checker serving the
    # registry must report an invalid schema, never crash on one.
    except Exception as exc:  # noqa: BLE001
        return f"schema is invalid: {_exception_text(exc)}"
    if problem is not None:
        return f"schema is invalid at {_pointer(problem[0])}: {problem[1]}"
    return schema


def _exception_text(exc: BaseException) -> str:
    # avro re-raises errors from deep inside a schema with the repr of everything around
    # them; the innermost exception of the chain states the actual problem.
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    text = str(exc)
    if isinstance(exc, RecursionError) or "maximum recursion depth" in text:
        return "nested too deeply"
    return text if len(text) <= 200 else text[:197] + "..."


def _validation_problems(
    schema: Schema, path: Path, seen: set[int], rule: str = FIRST_BRANCH
) -> Iterator[Issue]:
    """What ``avro.schema`` accepts but the spec forbids: bad aliases and defaults."""
    if isinstance(schema, NamedSchema):
        if id(schema) in seen:  # a reference to a type defined earlier
            return
        seen.add(id(schema))
        if (problem := _alias_problem(schema.props.get("aliases"), _FULL_NAME)) is not None:
            yield (*path, "aliases"), problem
    if isinstance(schema, RecordSchema):
        for i, fld in enumerate(schema.fields):
            fpath = (*path, "fields", str(i))
            if (problem := _alias_problem(fld.props.get("aliases"), _SIMPLE_NAME)) is not None:
                yield (*fpath, "aliases"), problem
            if fld.has_default:
                found = _default_problem(fld.type, fld.default, (), rule)
                if found is not None:
                    sub, reason = found
                    yield (
                        (*fpath, "default", *sub),
                        f"invalid default for field '{fld.name}': {reason}",
                    )
            yield from _validation_problems(fld.type, (*fpath, "type"), seen, rule)
    elif isinstance(schema, ArraySchema):
        yield from _validation_problems(schema.items, (*path, "items"), seen, rule)
    elif isinstance(schema, MapSchema):
        yield from _validation_problems(schema.values, (*path, "values"), seen, rule)
    elif isinstance(schema, UnionSchema):
        for i, branch in enumerate(schema.schemas):
            yield from _validation_problems(branch, (*path, str(i)), seen, rule)


def _alias_problem(aliases: Any, pattern: re.Pattern[str]) -> str | None:
    if aliases is None:
        return None
    if not isinstance(aliases, list):
        return f"aliases must be a list of names, not {json.dumps(aliases)}"
    for alias in aliases:
        if not isinstance(alias, str) or not pattern.fullmatch(alias):
            return f"invalid alias {json.dumps(alias)}"
    return None


def _default_problem(
    schema: Schema, value: Any, path: Path, rule: str = FIRST_BRANCH
) -> Issue | None:
    """Why ``value`` (JSON) is not a valid default for ``schema``, or ``None``.

    Follows the spec's JSON encoding of defaults: bytes and fixed are strings of code
    points 0-255 (fixed of exactly ``size``), enums are symbols, a record default may omit
    fields that have their own default, float and double also take "NaN", "Infinity" and
    "-Infinity", and a union default must match the union's FIRST branch, at any depth:
    Avro 1.12 (Java) also accepts any branch, but Avro <= 1.11 (Java, as run by Confluent
    Platform 7) accepts only the first, so avrobind keeps the portable rule by default, as does
    the generator (``codegen.schema.defaults``); ``rule="any-branch"`` is 1.12's.  Logical
    types are
    checked as their underlying type.  fastavro is not used here: its parse-time
    check skips enums, fixed sizes, int ranges and nested values, and its ``validate``
    works on Python data rather than on the JSON encoding of defaults.
    """
    kind = _kind(schema)
    shown = _short_json(value)
    if isinstance(schema, UnionSchema):
        first = schema.schemas[0]
        if _default_problem(first, value, (), rule) is None:
            return None
        for j, branch in enumerate(schema.schemas[1:], start=1):
            if _default_problem(branch, value, (), rule) is None:
                if rule == ANY_BRANCH:
                    return None
                return path, (
                    f"{shown} does not match the first branch of the union ({_describe(first)})"
                    f" but branch {j} ({_describe(branch)}); a union default must match the"
                    " union's first branch: put that branch first"
                )
        branches = ", ".join(_describe(b) for b in schema.schemas)
        return path, f"{shown} matches no branch of the union [{branches}]"
    if kind == "null":
        ok = value is None
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind in ("int", "long"):
        low, high = _INT_RANGE if kind == "int" else _LONG_RANGE
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    elif kind in ("float", "double"):
        ok = (
            isinstance(value, (int, float)) and not isinstance(value, bool)
        ) or value in _FLOAT_WORDS
        if ok and isinstance(value, float) and kind == "float" and math.isfinite(value):
            ok = abs(value) <= 3.4028234663852886e38
    elif kind == "string":
        ok = isinstance(value, str)
    elif kind == "bytes":
        ok = isinstance(value, str) and all(ord(c) < 256 for c in value)
    elif isinstance(schema, FixedSchema):
        ok = (
            isinstance(value, str)
            and all(ord(c) < 256 for c in value)
            and len(value) == schema.size
        )
        if not ok:
            return path, f"{shown} is not a string of {schema.size} byte(s) for {_describe(schema)}"
    elif isinstance(schema, EnumSchema):
        ok = isinstance(value, str) and value in schema.symbols
        if not ok:
            return path, f"{shown} is not a symbol of {_describe(schema)}"
    elif isinstance(schema, ArraySchema):
        if not isinstance(value, list):
            return path, f"{shown} is not a JSON array"
        for i, item in enumerate(value):
            if (found := _default_problem(schema.items, item, (*path, str(i)), rule)) is not None:
                return found
        return None
    elif isinstance(schema, MapSchema):
        if not isinstance(value, dict):
            return path, f"{shown} is not a JSON object"
        for key, item in value.items():
            if (found := _default_problem(schema.values, item, (*path, key), rule)) is not None:
                return found
        return None
    elif isinstance(schema, RecordSchema):
        if not isinstance(value, dict):
            return path, f"{shown} is not a JSON object for {_describe(schema)}"
        for fld in schema.fields:
            if fld.name in value:
                found = _default_problem(fld.type, value[fld.name], (*path, fld.name), rule)
                if found is not None:
                    return found
            elif not fld.has_default:
                return path, f"{shown} lacks field '{fld.name}', which has no default"
        return None
    else:  # pragma: no cover - avro.schema knows no other types
        return path, f"unsupported type {kind}"
    return None if ok else (path, f"{shown} is not a valid {kind}")


def _short_json(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- checking


def _kind(schema: Schema) -> str:
    # A protocol "error" is a record in every other respect.
    return "record" if schema.type == "error" else str(schema.type)


def _describe(schema: Schema) -> str:
    kind = _kind(schema)
    if isinstance(schema, NamedSchema):
        return f"{kind} '{schema.fullname}'"
    if isinstance(schema, DecimalLogicalSchema):
        precision, scale = _decimal_args(schema)
        return f"'{kind}' (decimal({precision}, {scale}))"
    return f"'{kind}'"


def _decimal_args(schema: Schema) -> tuple[int, int]:
    # avro.schema only builds a DecimalLogicalSchema for a valid precision and scale.
    precision, scale = schema.get_prop("precision"), schema.get_prop("scale")
    return (precision if isinstance(precision, int) else 0), (
        scale if isinstance(scale, int) else 0
    )


def _aliases(props: Mapping[str, object]) -> list[str]:
    aliases = props.get("aliases")
    return aliases if isinstance(aliases, list) else []


def _full_aliases(schema: NamedSchema) -> set[str]:
    namespace = schema.namespace or ""
    return {a if "." in a or not namespace else f"{namespace}.{a}" for a in _aliases(schema.props)}


def _prefix(tokens: Path, issues: list[Issue]) -> list[Issue]:
    return [((*tokens, *path), reason) for path, reason in issues]


class _Checker:
    """One reader/writer check; memoises type pairs so recursive schemas terminate."""

    def __init__(self) -> None:
        self._memo: dict[tuple[int, int], list[Issue]] = {}
        self._branch_index: dict[int, dict[tuple[str, str, str], int]] = {}

    def check(self, reader: Schema, writer: Schema) -> list[Issue]:
        """Issues with paths relative to this pair; empty means compatible."""
        key = (id(reader), id(writer))
        if key in self._memo:
            # Either done, or still in progress further up a recursion: then assume
            # compatible, as Java does; any real issue is reported by the outer call.
            return self._memo[key]
        self._memo[key] = []
        issues = self._compute(reader, writer)
        self._memo[key] = issues
        return issues

    def _compute(self, reader: Schema, writer: Schema) -> list[Issue]:
        if isinstance(writer, UnionSchema):
            # Every branch the writer may have used must be readable, whatever the reader.
            issues: list[Issue] = []
            for i, branch in enumerate(writer.schemas):
                for path, reason in self.check(reader, branch):
                    if not path:
                        reason = f"{reason} (writer union branch {i})"
                    issues.append(((str(i), *path), reason))
            return issues
        rkind, wkind = _kind(reader), _kind(writer)
        if rkind == wkind:
            return self._same_kind(reader, writer)
        if isinstance(reader, UnionSchema):
            return self._reader_union(reader, writer)
        if wkind in _PROMOTIONS.get(rkind, frozenset()):
            return []
        return [
            ((), f"reader type {_describe(reader)} cannot read writer type {_describe(writer)}")
        ]

    def _same_kind(self, reader: Schema, writer: Schema) -> list[Issue]:
        if isinstance(reader, ArraySchema) and isinstance(writer, ArraySchema):
            return _prefix(("items",), self.check(reader.items, writer.items))
        if isinstance(reader, MapSchema) and isinstance(writer, MapSchema):
            return _prefix(("values",), self.check(reader.values, writer.values))
        issues: list[Issue] = []
        if (
            isinstance(reader, NamedSchema)
            and isinstance(writer, NamedSchema)
            and not _names_match(reader, writer)
        ):
            issues.append(
                (
                    ("name",),
                    f"reader {_describe(reader)} does not match writer name '{writer.fullname}' (neither by name nor by alias)",
                )
            )
        if isinstance(reader, FixedSchema) and isinstance(writer, FixedSchema):
            if reader.size != writer.size:
                issues.append(
                    (
                        ("size",),
                        f"reader fixed size {reader.size} differs from writer size {writer.size}",
                    )
                )
        elif isinstance(reader, EnumSchema) and isinstance(writer, EnumSchema):
            symbols = set(reader.symbols)  # a list: quadratic for big enums
            missing = [s for s in writer.symbols if s not in symbols]
            if missing and reader.props.get("default") is None:
                issues.append(
                    (
                        ("symbols",),
                        f"reader enum lacks writer symbol(s) {', '.join(missing)} and has no default",
                    )
                )
        elif isinstance(reader, RecordSchema) and isinstance(writer, RecordSchema):
            issues += self._fields(reader, writer)
        return issues + self._decimal(reader, writer)

    def _reader_union(self, reader: UnionSchema, writer: Schema) -> list[Issue]:
        # Any readable branch will do (as in Java).  Trying the branch of the writer's own
        # type and name first avoids comparing every pair of branches of two big unions.
        closest = self._closest_branch(reader, writer)
        order = list(range(len(reader.schemas)))
        if closest is not None:
            order.insert(0, order.pop(closest))
        if any(not self.check(reader.schemas[j], writer) for j in order):
            return []
        reason = f"reader union has no branch that can read writer type {_describe(writer)}"
        if closest is None:
            return [((), reason)]
        # That branch also explains the failure best.
        return [
            ((), f"{reason}: reader branch {closest} has its type but cannot read it"),
            *_prefix((str(closest),), self.check(reader.schemas[closest], writer)),
        ]

    def _closest_branch(self, union: UnionSchema, writer: Schema) -> int | None:
        """The first branch of the writer's type (and, for named types, matching name)."""
        index = self._branch_index.get(id(union))
        if index is None:
            index = {}
            for j in reversed(range(len(union.schemas))):  # so that the first branch wins
                branch = union.schemas[j]
                kind = _kind(branch)
                if isinstance(branch, NamedSchema):
                    index[("name", kind, branch.name)] = j
                    for alias in _full_aliases(branch):
                        index[("alias", kind, alias)] = j
                else:
                    index[("type", kind, "")] = j
            self._branch_index[id(union)] = index
        kind = _kind(writer)
        if not isinstance(writer, NamedSchema):
            return index.get(("type", kind, ""))
        hits = [index.get(("name", kind, writer.name)), index.get(("alias", kind, writer.fullname))]
        return min((j for j in hits if j is not None), default=None)

    def _fields(self, reader: RecordSchema, writer: RecordSchema) -> list[Issue]:
        """Match each reader field to a writer field and check the pair.

        A reader field matches the writer field of its own name, else the one its aliases
        name.  Java's ``SchemaCompatibility.lookupWriterField`` collects the same-name field
        and every alias match and throws when there are two or more; avrobind reports those
        cases as incompatible too (Avro's Python checker quietly takes the same-name field),
        except an alias repeating the field's own name, which names no other field (Java
        throws there too, counting the one field twice).

        Ambiguous, hence incompatible:

        * a writer field of the reader field's name, and an alias naming another writer
          field (reader ``b`` with alias ``a``, writer with ``a`` and ``b``; so Apache Avro's
          own IDL test schema, where ``nullableHash`` has the alias ``hash``, cannot be read
          with itself in Java);
        * no writer field of the reader field's name, and its aliases match two or more
          writer fields (Java throws; the Python checker takes the first alias);
        * two reader fields reaching the same writer field only through aliases: Java
          accepts this, but a reader hands the value to one of them (fastavro: the last
          declared) and the other gets its default or fails.

        A reader field that matches a writer field by its own name never conflicts with
        another reader field reaching that writer field through an alias: each is checked
        against it on its own, as in Java, which has no rule about two reader fields.
        fastavro deviates in two corners: it gives the alias-only field of such a pair its
        default, not the value; and, walking the writer's fields in order, it fills a reader
        field from an earlier writer field named by one of its aliases (if no reader field
        has that name) instead of from the same-name writer field.
        """
        issues: list[Issue] = []
        by_alias: dict[str, str] = {}  # writer field name -> reader field reaching it by alias
        writer_fields = writer.fields_dict  # a property that rebuilds the dict on each access
        for i, rfield in enumerate(reader.fields):
            at: Path = ("fields", str(i))
            wfield = writer_fields.get(rfield.name)
            others = [
                a
                for a in dict.fromkeys(_aliases(rfield.props))
                if a != rfield.name and a in writer_fields
            ]
            if wfield is not None and others:
                shown = ", ".join(f"'{a}'" for a in others)
                reason = (
                    f"reader field '{rfield.name}' is ambiguous: it matches writer field "
                    f"'{rfield.name}' by name and writer field(s) {shown} through its "
                    "aliases (Apache Avro's Java resolver rejects this; drop the alias or "
                    "rename a field)"
                )
                issues.append((at, reason))
                continue
            if wfield is None:
                aliases = _aliases(rfield.props)
                matches = list(dict.fromkeys(a for a in aliases if a in writer_fields))
                if len(matches) > 1:
                    shown = ", ".join(f"'{m}'" for m in matches)
                    issues.append(
                        (
                            at,
                            f"reader field '{rfield.name}' is ambiguous: the writer has no field '{rfield.name}' and its aliases match writer fields {shown}",
                        )
                    )
                    continue
                if not matches:
                    if not rfield.has_default:
                        also = f" or any of its aliases {', '.join(aliases)}" if aliases else ""
                        issues.append(
                            (
                                at,
                                f"reader field '{rfield.name}' has no default and the writer has no field '{rfield.name}'{also}",
                            )
                        )
                    continue
                wname = matches[0]
                if wname in by_alias:
                    issues.append(
                        (
                            at,
                            f"reader fields '{by_alias[wname]}' and '{rfield.name}' both match writer field '{wname}' only through an alias",
                        )
                    )
                    continue
                by_alias[wname] = rfield.name
                wfield = writer_fields[wname]
            issues += _prefix((*at, "type"), self.check(rfield.type, wfield.type))
        return issues

    @staticmethod
    def _decimal(reader: Schema, writer: Schema) -> list[Issue]:
        """Decimal rule: the scale must be equal and the precision must not shrink.

        Avro resolution ignores logical types (Java and Confluent accept any change), but a
        decimal's bytes are an unscaled integer, so a different scale silently changes
        every value read (1.50 written with scale 2 reads as 0.150 with scale 3), and a
        smaller reader precision cannot hold every value the writer may write.  A larger
        reader precision at the same scale reads every value exactly and is accepted.  When
        only one side is a (valid) decimal, the underlying types decide, as the spec says.
        """
        if not (
            isinstance(reader, DecimalLogicalSchema) and isinstance(writer, DecimalLogicalSchema)
        ):
            return []
        (rprec, rscale), (wprec, wscale) = _decimal_args(reader), _decimal_args(writer)
        issues: list[Issue] = []
        if rscale != wscale:
            issues.append(
                (
                    ("scale",),
                    f"reader decimal scale {rscale} differs from writer scale {wscale}; values would be read rescaled",
                )
            )
        if rprec < wprec:
            issues.append(
                (
                    ("precision",),
                    f"reader decimal precision {rprec} is smaller than writer precision {wprec}",
                )
            )
        return issues


def _names_match(reader: NamedSchema, writer: NamedSchema) -> bool:
    # Unqualified names as in Java's SchemaCompatibility; aliases are full names.
    return bool(reader.name == writer.name or writer.fullname in _full_aliases(reader))
