"""Schema text as a registry holds it: parsing (with references), validation, textual forms.

Used by the local registry server (`codegen.registry_server`) and by `avrobind sync`, which
reads registered schemas back. The registry needs four renderings of one parsed schema:
- *canonical*: what it stores and returns, shaped like Avro Java's `Schema.toString()` (compact,
  names relative to the enclosing namespace, `"int"` instead of `{"type": "int"}`);
- *identity*: the canonical form with every JSON object's keys sorted, the key under which two
  registrations count as the same schema (whitespace, key order and redundant namespaces do not
  matter; docs, defaults, aliases and custom properties do);
- *normalized*: Confluent's `normalize=true` form (full names everywhere, sorted aliases and
  properties);
- *expanded*: a self-contained schema in which the named types taken from references are inlined
  at their first use, handed to fastavro and to the compatibility checker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastavro.schema import parse_schema as fastavro_parse_schema

Json = Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})
# Keys Avro Java does not keep as custom properties (Schema.SCHEMA_RESERVED, ENUM_RESERVED,
# FIELD_RESERVED); everything else on a schema or field object is a property.
_SCHEMA_RESERVED = frozenset(
    {"doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"}
)
_ENUM_RESERVED = _SCHEMA_RESERVED | {"default"}
_FIELD_RESERVED = frozenset({"default", "doc", "name", "order", "type", "aliases"})
_ORDERS = frozenset({"ascending", "descending", "ignore"})
# The spec's ASCII rule (Avro Java accepts any Unicode letter, Python avro does not; the
# compatibility checker is built on the latter, so names it would reject are refused up front).
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SchemaInvalid(ValueError):
    """The text is not a valid Avro schema; the message says why and where."""


@dataclass(eq=False)
class Primitive:
    name: str
    props: dict[str, Json]


@dataclass(eq=False)
class Ref:
    """A use of a named type defined earlier (in this schema or in a referenced one)."""

    fullname: str


@dataclass(eq=False)
class Field:
    name: str
    type: Node
    doc: str | None
    has_default: bool
    default: Json
    order: str
    aliases: list[str]
    props: dict[str, Json]


@dataclass(eq=False)
class Named:
    kind: str  # record, error, enum or fixed
    fullname: str
    doc: str | None
    aliases: list[str]  # full names
    props: dict[str, Json]
    fields: list[Field] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    enum_default: str | None = None
    size: int = 0

    @property
    def namespace(self) -> str | None:
        return self.fullname.rpartition(".")[0] or None


@dataclass(eq=False)
class Array:
    items: Node
    props: dict[str, Json]


@dataclass(eq=False)
class Map:
    values: Node
    props: dict[str, Json]


@dataclass(eq=False)
class Union:
    branches: list[Node]


Node = Primitive | Ref | Named | Array | Map | Union


def _check_name(name: str, path: str, what: str = "name") -> str:
    if not _NAME.fullmatch(name):
        raise SchemaInvalid(f"illegal {what} {name!r} at {path}")
    return name


def _check_fullname(fullname: str, path: str) -> str:
    for part in fullname.split("."):
        _check_name(part, path)
    return fullname


def _qualify(name: str, space: str | None) -> str:
    return name if "." in name or not space else f"{space}.{name}"


class _Parser:
    """Turns schema JSON into the node tree, resolving names like Avro Java's Schema.Parser."""

    def __init__(
        self, external: Mapping[str, Named], strict: bool, max_depth: int | None = None
    ) -> None:
        self.external = external
        self.local: dict[str, Named] = {}
        self.strict = strict
        self.max_depth = max_depth
        self.depth = 0

    def _known(self, fullname: str) -> bool:
        return fullname in self.local or fullname in self.external

    def _resolve(self, name: str, space: str | None, path: str) -> Ref:
        fullname = _qualify(name, space)
        # Avro falls back to the null namespace for an unqualified name not found in the current one.
        if not self._known(fullname) and self._known(name):
            fullname = name
        if not self._known(fullname) and self.strict:
            raise SchemaInvalid(f"undefined name {name!r} at {path}")
        return Ref(fullname)

    def parse(self, node: Json, space: str | None, path: str) -> Node:
        self.depth += 1
        try:
            if self.max_depth is not None and self.depth > self.max_depth:
                raise SchemaInvalid(f"types nested more than {self.max_depth} deep at {path}")
            return self._parse(node, space, path)
        finally:
            self.depth -= 1

    def _parse(self, node: Json, space: str | None, path: str) -> Node:
        if isinstance(node, str):
            if node in PRIMITIVES:
                return Primitive(node, {})
            return self._resolve(node, space, path)
        if isinstance(node, list):
            return self._union(node, space, path)
        if not isinstance(node, dict):
            raise SchemaInvalid(
                f"expected a type name, an object or an array at {path}, got {node!r}"
            )
        kind = node.get("type")
        if not isinstance(kind, str):
            raise SchemaInvalid(f'"type" must be a string at {path}')
        if kind in PRIMITIVES:
            return Primitive(kind, _props(node, _SCHEMA_RESERVED))
        if kind in _NAMED_KINDS:
            return self._named(node, kind, space, path)
        if kind == "array":
            if "items" not in node:
                raise SchemaInvalid(f'array without "items" at {path}')
            items = self.parse(node["items"], space, f"{path}.items")
            return Array(items, _props(node, _SCHEMA_RESERVED))
        if kind == "map":
            if "values" not in node:
                raise SchemaInvalid(f'map without "values" at {path}')
            values = self.parse(node["values"], space, f"{path}.values")
            return Map(values, _props(node, _SCHEMA_RESERVED))
        # {"type": "SomeName"} is a use of a defined named type (Avro Java accepts it).
        ref = self._resolve(kind, space, f"{path}.type")
        if not self._known(ref.fullname):
            raise SchemaInvalid(f"unknown type {kind!r} at {path}")
        return ref

    def _union(self, node: list[Json], space: str | None, path: str) -> Union:
        branches: list[Node] = []
        seen: set[str] = set()
        for i, item in enumerate(node):
            branch = self.parse(item, space, f"{path}[{i}]")
            if isinstance(branch, Union):
                raise SchemaInvalid(f"nested union at {path}[{i}]")
            key = _branch_key(branch)
            if key in seen:
                raise SchemaInvalid(f"duplicate {key!r} in union at {path}")
            seen.add(key)
            branches.append(branch)
        return Union(branches)

    def _named(self, node: dict[str, Json], kind: str, space: str | None, path: str) -> Named:
        name = node.get("name")
        if not isinstance(name, str):
            raise SchemaInvalid(f'{kind} without a "name" at {path}')
        if "." not in name:
            declared = node.get("namespace")
            if isinstance(declared, str):
                space = declared or None
        fullname = _check_fullname(_qualify(name, space), f"{path}.name")
        own_space = fullname.rpartition(".")[0] or None
        if self._known(fullname):
            raise SchemaInvalid(f"can't redefine {fullname!r} at {path}")
        doc = node.get("doc") if isinstance(node.get("doc"), str) else None
        aliases = [_qualify(a, own_space) for a in _aliases(node, path)]
        reserved = _ENUM_RESERVED if kind == "enum" else _SCHEMA_RESERVED
        result = Named(kind, fullname, doc, aliases, _props(node, reserved))
        # Registered before the fields are parsed, so a record may refer to itself.
        self.local[fullname] = result
        if kind in ("record", "error"):
            result.fields = self._fields(node, own_space, path)
        elif kind == "enum":
            self._enum(node, result, path)
        else:
            size = node.get("size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise SchemaInvalid(f'fixed needs a non-negative integer "size" at {path}')
            result.size = size
        return result

    def _fields(self, node: dict[str, Json], space: str | None, path: str) -> list[Field]:
        raw = node.get("fields")
        if not isinstance(raw, list):
            raise SchemaInvalid(f'record without a "fields" array at {path}')
        fields: list[Field] = []
        names: set[str] = set()
        for i, item in enumerate(raw):
            fpath = f"{path}.fields[{i}]"
            if not isinstance(item, dict):
                raise SchemaInvalid(f"field must be an object at {fpath}")
            name = item.get("name")
            if not isinstance(name, str):
                raise SchemaInvalid(f'field without a "name" at {fpath}')
            _check_name(name, f"{fpath}.name", "field name")
            if name in names:
                raise SchemaInvalid(f"duplicate field {name!r} at {fpath}")
            names.add(name)
            if "type" not in item:
                raise SchemaInvalid(f'field {name!r} without a "type" at {fpath}')
            ftype = self.parse(item["type"], space, f"{fpath}.type")
            order = item.get("order", "ascending")
            if not isinstance(order, str) or order.lower() not in _ORDERS:
                raise SchemaInvalid(f"invalid order {order!r} at {fpath}")
            doc = item.get("doc") if isinstance(item.get("doc"), str) else None
            fields.append(
                Field(
                    name=name,
                    type=ftype,
                    doc=doc,
                    has_default="default" in item,
                    default=item.get("default"),
                    order=order.lower(),
                    aliases=_aliases(item, fpath),
                    props=_props(item, _FIELD_RESERVED),
                )
            )
        return fields

    def _enum(self, node: dict[str, Json], result: Named, path: str) -> None:
        symbols = node.get("symbols")
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            raise SchemaInvalid(f'enum needs a "symbols" array of strings at {path}')
        for s in symbols:
            _check_name(s, f"{path}.symbols", "enum symbol")
        if len(set(symbols)) != len(symbols):
            raise SchemaInvalid(f"duplicate enum symbol at {path}.symbols")
        result.symbols = list(symbols)
        if "default" in node:
            default = node["default"]
            if not isinstance(default, str) or default not in symbols:
                raise SchemaInvalid(f"enum default {default!r} is not a symbol at {path}.default")
            result.enum_default = default


def _props(node: dict[str, Json], reserved: frozenset[str]) -> dict[str, Json]:
    return {k: v for k, v in node.items() if k not in reserved}


def _aliases(node: dict[str, Json], path: str) -> list[str]:
    aliases = node.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise SchemaInvalid(f'"aliases" must be an array of strings at {path}')
    return list(aliases)


def _branch_key(node: Node) -> str:
    if isinstance(node, Primitive):
        return node.name
    if isinstance(node, Ref | Named):
        return node.fullname
    return "array" if isinstance(node, Array) else "map"


def _walk_named(node: Node) -> Iterator[Named]:
    if isinstance(node, Named):
        yield node
        for f in node.fields:
            yield from _walk_named(f.type)
    elif isinstance(node, Array):
        yield from _walk_named(node.items)
    elif isinstance(node, Map):
        yield from _walk_named(node.values)
    elif isinstance(node, Union):
        for b in node.branches:
            yield from _walk_named(b)


class _Relative:
    """Renders like Avro Java's `Schema.toString()`: names relative to the enclosing namespace."""

    def render(self, node: Node, space: str | None) -> Json:
        if isinstance(node, Primitive):
            return {"type": node.name, **node.props} if node.props else node.name
        if isinstance(node, Ref):
            return self._name_ref(node.fullname, space)
        if isinstance(node, Array):
            return {"type": "array", "items": self.render(node.items, space), **node.props}
        if isinstance(node, Map):
            return {"type": "map", "values": self.render(node.values, space), **node.props}
        if isinstance(node, Union):
            return [self.render(b, space) for b in node.branches]
        return self._named(node, space)

    @staticmethod
    def _name_ref(fullname: str, space: str | None) -> str:
        ns, _, short = fullname.rpartition(".")
        if ns and ns == space and short not in PRIMITIVES:
            return short
        return fullname

    def _named(self, node: Named, space: str | None) -> Json:
        ns, _, short = node.fullname.rpartition(".")
        out: dict[str, Json] = {"type": node.kind, "name": short}
        if ns and ns != space:
            out["namespace"] = ns
        elif not ns and space:
            out["namespace"] = ""
        if node.doc is not None:
            out["doc"] = node.doc
        own = ns or None
        if node.kind in ("record", "error"):
            out["fields"] = [self._field(f, own) for f in node.fields]
        elif node.kind == "enum":
            out["symbols"] = list(node.symbols)
            if node.enum_default is not None:
                out["default"] = node.enum_default
        else:
            out["size"] = node.size
        out.update(node.props)
        if node.aliases:
            out["aliases"] = [self._name_ref(a, own) for a in node.aliases]
        return out

    def _field(self, f: Field, space: str | None) -> Json:
        out: dict[str, Json] = {"name": f.name, "type": self.render(f.type, space)}
        if f.doc is not None:
            out["doc"] = f.doc
        if f.has_default:
            out["default"] = f.default
        if f.order != "ascending":
            out["order"] = f.order
        if f.aliases:
            out["aliases"] = list(f.aliases)
        out.update(f.props)
        return out


class _FullNames:
    """Renders with full names everywhere and sorted aliases/properties (Confluent's normalized form).

    With `inline`, a use of a type defined in a referenced schema is replaced by its definition
    the first time it occurs, which makes the result self-contained.
    """

    def __init__(self, inline: Mapping[str, Named] | None = None) -> None:
        self.inline = inline
        self.emitted: set[str] = set()

    def render(self, node: Node, space: str | None) -> Json:
        if isinstance(node, Primitive):
            return {"type": node.name, **_sorted(node.props)} if node.props else node.name
        if isinstance(node, Ref):
            if self.inline is not None and node.fullname not in self.emitted:
                definition = self.inline.get(node.fullname)
                if definition is not None:
                    return self._named(definition, space)
            return node.fullname
        if isinstance(node, Array):
            return {"type": "array", "items": self.render(node.items, space), **_sorted(node.props)}
        if isinstance(node, Map):
            return {"type": "map", "values": self.render(node.values, space), **_sorted(node.props)}
        if isinstance(node, Union):
            return [self.render(b, space) for b in node.branches]
        return self._named(node, space)

    def _named(self, node: Named, space: str | None) -> Json:
        self.emitted.add(node.fullname)
        own = node.namespace
        out: dict[str, Json] = {"name": node.fullname, "type": node.kind}
        if own is None and space is not None:
            # An undotted name inside a namespaced record would otherwise inherit that namespace.
            out["namespace"] = ""
        if node.kind in ("record", "error"):
            out["fields"] = [self._field(f, own) for f in node.fields]
        elif node.kind == "enum":
            out["symbols"] = list(node.symbols)
        else:
            out["size"] = node.size
        if node.doc is not None:
            out["doc"] = node.doc
        if node.aliases:
            out["aliases"] = sorted(node.aliases)
        if node.enum_default is not None:
            out["default"] = node.enum_default
        out.update(_sorted(node.props))
        return out

    def _field(self, f: Field, space: str | None) -> Json:
        out: dict[str, Json] = {"name": f.name, "type": self.render(f.type, space)}
        if f.doc is not None:
            out["doc"] = f.doc
        if f.has_default:
            out["default"] = f.default
        if f.order != "ascending":
            out["order"] = f.order
        if f.aliases:
            out["aliases"] = sorted(f.aliases)
        out.update(_sorted(f.props))
        return out


def _sorted(props: dict[str, Json]) -> dict[str, Json]:
    return dict(sorted(props.items()))


def _dumps(value: Json, sort_keys: bool = False) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)


class ParsedSchema:
    """One Avro schema with the named types its references make visible."""

    def __init__(self, root: Node, external: Mapping[str, Named]) -> None:
        self.root = root
        self.external = external
        canonical = _Relative().render(root, None)
        self.canonical = _dumps(canonical)
        self.identity = _dumps(canonical, sort_keys=True)
        self._normalized: str | None = None
        self._normalized_identity: str | None = None
        self._expanded: str | None = None
        self._definitions: dict[str, Named] | None = None

    @property
    def normalized(self) -> str:
        if self._normalized is None:
            self._normalized = _dumps(_FullNames().render(self.root, None))
        return self._normalized

    @property
    def normalized_identity(self) -> str:
        """Identity after normalisation: what `normalize=true` look-ups compare."""
        if self._normalized_identity is None:
            tree = json.loads(self.normalized)
            self._normalized_identity = _dumps(tree, sort_keys=True)
        return self._normalized_identity

    @property
    def expanded_text(self) -> str:
        """The self-contained form as compact JSON text."""
        if self._expanded is None:
            self._expanded = _dumps(_FullNames(inline=self.external).render(self.root, None))
        return self._expanded

    def expanded(self) -> Json:
        """A fresh self-contained copy of the schema (the caller may mutate it)."""
        return json.loads(self.expanded_text)

    def definitions(self) -> dict[str, Named]:
        """Every named type visible to a schema that references this one."""
        if self._definitions is None:
            defs = dict(self.external)
            defs.update((n.fullname, n) for n in _walk_named(self.root))
            self._definitions = defs
        return self._definitions

    def validate(self) -> None:
        """Full validation (defaults included) with fastavro, on the self-contained form."""
        try:
            fastavro_parse_schema(self.expanded(), named_schemas={})
        except Exception as exc:  # fastavro raises several unrelated types for bad schemas
            raise SchemaInvalid(str(exc) or type(exc).__name__) from exc


def parse(
    text: str,
    external: Mapping[str, Named] | None = None,
    strict: bool = True,
    max_depth: int | None = None,
) -> ParsedSchema:
    """Parse schema `text` in the name space opened by `external` (the referenced types).

    `strict=False` accepts names it cannot resolve, for stored schemas whose references are gone.
    `max_depth` refuses types nested deeper (records, arrays, maps and unions each count).
    """
    try:
        tree = json.loads(text)
        external = external or {}
        root = _Parser(external, strict, max_depth).parse(tree, None, "$")
        return ParsedSchema(root, external)
    except RecursionError:
        raise SchemaInvalid("nested too deeply to be parsed") from None
    except (ValueError, TypeError) as exc:
        if isinstance(exc, SchemaInvalid):
            raise
        raise SchemaInvalid(f"not valid JSON: {exc}") from exc


def merge_definitions(parts: Sequence[Mapping[str, Named]]) -> dict[str, Named]:
    """Combine the definitions of several references, rejecting two different types of one name."""
    merged: dict[str, Named] = {}
    for part in parts:
        for name, definition in part.items():
            if merged.get(name, definition) is not definition:
                raise SchemaInvalid(f"can't redefine {name!r}: two references define it")
            merged[name] = definition
    return merged
