"""Resolving readers generated at run time: one per (writer schema, reader class) pair.

A message written with another version of a record's schema is read by a function generated
for that writer and that reader on first sight of the writer (the serdes cache it per schema
id), as LinkedIn's avro-fastserde does for Java: straight-line code that reads the writer's
fields in the writer's order, converts them to the reader's types (promotions, enum symbols,
union branches), skips the fields the reader dropped without building them, fills the
fields the writer lacks with the reader's defaults (fresh objects each time) and builds the
generated classes directly. A record that is the same on both sides is read by its own
generated ``__avro_read__``.

The result is fastavro's resolution (``schemaless_reader(fo, writer, reader)``, then the
generated ``from_avro``), decision for decision:

- record fields match by name, then by the reader field's aliases; a writer record matches a
  reader record (or enum, fixed) of the same unqualified name, or one whose aliases hold the
  writer's full or unqualified name;
- a writer value goes to the FIRST branch of a reader union it matches, promotions included
  (an int lands in an earlier ``double`` branch rather than a later ``long``), as fastavro
  decides; Avro's specification and Java prefer an exact match first. avrobind follows
  fastavro, so that the resolved value does not depend on which path read it;
- an enum symbol the reader lacks takes the reader enum's default, or fails.

Pairs this does not cover (logical types that differ between writer and reader, schemas that
fastavro would refuse to resolve) return None from ``build``: those keep fastavro's resolver,
so their results and errors stay fastavro's. Generated code never contains schema text: every
name, symbol, class and default reaches it as an object in the function's namespace, under an
identifier made here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import fastavro

from . import codec as _codec
from . import logical as _logical
from .codec import DecodeError
from .schema import _keeps_logical

__all__ = ["LOGICAL_TYPES_DIFFER", "Fallback", "Reader", "build", "fallback"]

Reader = Callable[[bytes, int], tuple[Any, int]]

_PRIMITIVES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
_NAMED = frozenset({"record", "error", "enum", "fixed"})
_PROMOTIONS = frozenset(
    {
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "float"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
    }
)
_INT_LOGICALS = frozenset({"date", "time-millis"})
_LONG_LOGICALS = frozenset(
    {
        "time-micros",
        "timestamp-millis",
        "timestamp-micros",
        "timestamp-nanos",
        "local-timestamp-millis",
        "local-timestamp-micros",
        "local-timestamp-nanos",
    }
)


@dataclasses.dataclass(frozen=True)
class Fallback:
    """Why ``build`` leaves a pair to fastavro. Where a writer node is read as a reader node
    with another logical type (``int`` as ``date``, ``date`` as ``int``, ``int`` as a
    ``timestamp-millis`` long: fastavro converts by the writer's logical type only, which the
    generated classes do not expect), ``writer`` and ``reader`` are those two nodes."""

    reason: str
    writer: Any = None
    reader: Any = None


class _Unsupported(Exception):
    """Raised while building: the pair is left to fastavro's resolver (never escapes `build`)."""

    def __init__(self, reason: str, writer: Any = None, reader: Any = None) -> None:
        super().__init__(reason)
        self.fallback = Fallback(reason, writer, reader)


LOGICAL_TYPES_DIFFER = "logical types differ"


def build(writer: Any, cls: type) -> Reader | None:
    """A function reading values written with the parsed ``writer`` schema as instances of
    the generated record class ``cls``, or None where fastavro's resolver must do it."""
    try:
        return _Builder(writer, cls).top()
    except (_Unsupported, RecursionError):
        return None


def fallback(writer: Any, cls: type) -> Fallback | None:
    """Why ``build`` leaves this pair to fastavro's resolver (None where it does not)."""
    try:
        _Builder(writer, cls).top()
    except _Unsupported as exc:
        return exc.fallback
    except RecursionError:
        return Fallback("too deep")
    return None


def _type(node: Any) -> Any:
    """The type name of a schema node (a primitive or named-type name, a complex kind)."""
    if isinstance(node, dict):
        return node["type"]
    return "union" if isinstance(node, list) else node


def _effective_logical(node: Any) -> tuple[Any, ...] | None:
    """The logical type the generated code gives a node (None where the spec ignores it)."""
    if not isinstance(node, dict):
        return None
    lt, base = node.get("logicalType"), node.get("type")
    if not isinstance(lt, str):
        return None
    if lt == "decimal" and base in ("bytes", "fixed"):
        if not _keeps_logical(node):
            return None
        return ("decimal", node["precision"], node.get("scale", 0))
    if lt == "big-decimal" and base == "bytes":
        return (lt,)
    if lt == "uuid" and (
        base == "string" or (base == "fixed" and node.get("size") == 16)
    ):
        return (lt,)
    if lt == "duration" and base == "fixed" and node.get("size") == 12:
        return (lt,)
    if (lt in _INT_LOGICALS and base == "int") or (
        lt in _LONG_LOGICALS and base == "long"
    ):
        return (lt,)
    return None


def _fastavro_logical(node: Any) -> tuple[Any, ...] | None:
    """The logical type fastavro applies to a node of the fastavro view, if any."""
    if (
        not isinstance(node, dict)
        or "logicalType" not in node
        or not _keeps_logical(node)
    ):
        return None
    if node["logicalType"] == "decimal":
        return ("decimal", node["precision"], node.get("scale", 0))
    return (node["logicalType"],)


class _Builder:
    def __init__(self, writer: Any, cls: type) -> None:
        self.writer = writer
        self.cls = cls
        # The generated classes of the reader's package, by full name (see `model`).
        self.classes: dict[str, type] = cls.__avro_classes__  # type: ignore[attr-defined]
        self.w_named: dict[str, Any] = (
            writer.get("__named_schemas", {}) if isinstance(writer, dict) else {}
        )
        # The reader's source schema, every logical type kept (the generated code's types).
        source = cls.avro_schema_to_python()  # type: ignore[attr-defined]
        parsed: Any = fastavro.parse_schema(source, _force=True)
        self.reader = parsed
        self.r_named: dict[str, Any] = parsed.get("__named_schemas", {})
        self.ns: dict[str, Any] = {
            "_c": _codec,
            "_logical": _logical,
            "_bad": _bad,
            "_skip_varint": _skip_varint,
        }
        self.consts: dict[int, str] = {}
        self.records: dict[tuple[int, int], str] = {}
        self.skips: dict[int, str] = {}
        self.functions: list[str] = []
        self.counter = 0

    # -- names -------------------------------------------------------------------------

    def const(self, value: Any) -> str:
        """An identifier bound to ``value`` in the generated code's namespace."""
        name = self.consts.get(id(value))
        if name is None:
            name = f"_k{len(self.consts)}"
            self.consts[id(value)] = name
            self.ns[name] = value
        return name

    def tmp(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def w_deref(self, node: Any) -> Any:
        while isinstance(node, str) and node not in _PRIMITIVES:
            node = self.w_named[node]
        return node

    def r_deref(self, node: Any) -> Any:
        while isinstance(node, str) and node not in _PRIMITIVES:
            node = self.r_named[node]
        return node

    # -- fastavro's matching -------------------------------------------------------------

    def match_types(self, w: Any, r: Any) -> bool:
        """fastavro's ``match_types``: can writer type ``w`` be read as reader type ``r``?"""
        if isinstance(w, list) or isinstance(r, list):
            return True
        if isinstance(w, dict) or isinstance(r, dict):
            return self.match_schemas(w, r) is not None
        if w == r or (w, r) in _PROMOTIONS:
            return True
        ws, rs = self.w_named.get(w), self.r_named.get(r)
        if ws is not None and rs is not None:
            return self.match_types(ws, rs)
        return False

    def match_schemas(self, w: Any, r: Any) -> Any:
        """fastavro's ``match_schemas`` (None where it raises): the reader schema ``w`` is read
        with."""
        if isinstance(w, list):
            return r
        if isinstance(r, list):
            for branch in r:
                if self.match_types(w, branch):
                    return branch
            return None
        w_type = w["type"] if isinstance(w, dict) else w
        r_type = r["type"] if isinstance(r, dict) else r
        if w_type == r_type == "map":
            return r if self.match_types(w["values"], r["values"]) else None
        if w_type == r_type == "array":
            return r if self.match_types(w["items"], r["items"]) else None
        known = (
            _PRIMITIVES | _NAMED | {"array", "map", "union", "error_union", "request"}
        )
        if w_type in _NAMED and r_type in _NAMED:
            if w_type == r_type == "fixed" and w["size"] != r["size"]:
                return None
            w_short = w["name"].split(".")[-1]
            aliases = r.get("aliases", [])
            if (
                w_short == r["name"].split(".")[-1]
                or w["name"] in aliases
                or w_short in aliases
            ):
                return r
            return None
        if w_type not in known and r_type in _NAMED:
            return r["name"] if self.match_types(w_type, r["name"]) else None
        if w_type in _NAMED and r_type not in known:
            found = self.r_named.get(r_type)
            if found is not None and self.match_types(w, found):
                return found
            return None
        return r if self.match_types(w_type, r_type) else None

    # -- sameness ------------------------------------------------------------------------

    def same(self, w: Any, r: Any, assumed: set[tuple[int, int]] | None = None) -> bool:
        """Do writer ``w`` and reader ``r`` have the same binary layout and the same values,
        so that the reader's own generated decoder reads ``w``'s bytes as fastavro would?
        """
        assumed = set() if assumed is None else assumed
        w, r = self.w_deref(w), self.r_deref(r)
        if isinstance(w, list) or isinstance(r, list):
            if not (isinstance(w, list) and isinstance(r, list)) or len(w) != len(r):
                return False
            return all(self.same(a, b, assumed) for a, b in zip(w, r, strict=True))
        w_type, r_type = _type(w), _type(r)
        if w_type != r_type or _fastavro_logical(w) != _fastavro_logical(r):
            return False
        if w_type in _PRIMITIVES:
            return True
        if w_type in _NAMED:
            if w["name"] != r["name"]:
                return False
            key = (id(w), id(r))
            if key in assumed:
                return True
            assumed.add(key)
        if w_type == "array":
            return self.same(w["items"], r["items"], assumed)
        if w_type == "map":
            return self.same(w["values"], r["values"], assumed)
        if w_type == "enum":
            return bool(w["symbols"] == r["symbols"])
        if w_type == "fixed":
            return bool(w["size"] == r["size"])
        wf, rf = w["fields"], r["fields"]
        return len(wf) == len(rf) and all(
            a["name"] == b["name"] and self.same(a["type"], b["type"], assumed)
            for a, b in zip(wf, rf, strict=True)
        )

    # -- functions -----------------------------------------------------------------------

    def top(self) -> Reader:
        w = self.w_deref(self.writer)
        r = self.r_deref(self.reader)
        if _type(w) not in ("record", "error") or self.match_schemas(w, r) is not r:
            raise _Unsupported("not a record the reader's record resolves")
        name = self.record(w, r)
        source = "\n".join(self.functions)
        exec(compile(source, "<avrobind resolver>", "exec"), self.ns)  # noqa: S102
        read: Reader = self.ns[name]
        return read

    def klass(self, r: dict[str, Any]) -> type:
        cls = self.classes.get(r["name"])
        if cls is None:
            raise _Unsupported(f"no generated class for {r['name']}")
        return cls

    def record(self, w: dict[str, Any], r: dict[str, Any]) -> str:
        """The name of the function reading writer record ``w`` as reader record ``r``."""
        key = (id(w), id(r))
        name = self.records.get(key)
        if name is not None:
            return name
        cls = self.klass(r)
        if self.same(w, r):
            name = self.records[key] = self.const(cls.__avro_read__)  # type: ignore[attr-defined]
            return name
        name = self.records[key] = f"_r{len(self.records)}"
        fields = dataclasses.fields(cls)
        if len(fields) != len(r["fields"]):
            raise _Unsupported(f"{cls.__name__} does not have the schema's fields")
        by_name = {f["name"]: (i, f) for i, f in enumerate(r["fields"])}
        by_alias = {
            a: (i, f) for i, f in enumerate(r["fields"]) for a in f.get("aliases", ())
        }
        body = ["size = len(data)", f"o = {self.const(cls)}.__new__({self.const(cls)})"]
        filled: set[int] = set()
        for wf in w["fields"]:
            found = by_name.get(wf["name"], by_alias.get(wf["name"]))
            if found is None:
                self.skip(wf["type"], body)
                continue
            i, rf = found
            if i in filled:
                raise _Unsupported("two writer fields for one reader field")
            filled.add(i)
            self.read(wf["type"], rf["type"], f"o.{fields[i].name}", body)
        for i, rf in enumerate(r["fields"]):
            if i in filled:
                continue
            if "default" not in rf:
                raise _Unsupported(f"no default for {rf['name']}")
            f = fields[i]
            if f.default_factory is not dataclasses.MISSING:
                body.append(f"o.{f.name} = {self.const(f.default_factory)}()")
            elif f.default is not dataclasses.MISSING:
                body.append(f"o.{f.name} = {self.const(f.default)}")
            else:
                raise _Unsupported(f"no Python default for {rf['name']}")
        body += ["if pos > size:", "    raise EOFError", "return o, pos"]
        self.functions.append(f"def {name}(data, pos):\n" + _indent(body, 1))
        return name

    # -- reading ---------------------------------------------------------------------------

    def read(self, w: Any, r: Any, target: str, out: list[str]) -> None:
        """Statements reading writer type ``w`` at ``pos`` into ``target`` as reader type
        ``r`` (fastavro's ``read_data``: the reader schema is matched against the writer's
        node as written, then a named type used by name is read as its definition)."""
        if isinstance(w, list):
            self.read_union(w, r, target, out)
            return
        matched = self.match_schemas(w, r)
        if matched is None:
            raise _Unsupported("fastavro cannot resolve these")
        if isinstance(w, str) and w not in _PRIMITIVES:
            # fastavro looks the matched reader type up by name (a definition fails there).
            found = self.r_named.get(matched) if isinstance(matched, str) else None
            if found is None:
                raise _Unsupported("a named type read against a definition")
            self.read(self.w_named[w], found, target, out)
            return
        r = self.r_deref(matched)
        if isinstance(r, list):  # match_schemas picks a branch: never a union
            raise _Unsupported("union in union")
        w_type, r_type = _type(w), _type(r)
        if w_type in _PRIMITIVES:
            self.read_primitive(w, r, target, out)
        elif w_type in ("record", "error"):
            if r_type not in ("record", "error"):
                raise _Unsupported("record read as another kind")
            out.append(f"{target}, pos = {self.record(w, r)}(data, pos)")
        elif w_type == "enum":
            self.read_enum(w, r, target, out)
        elif w_type == "fixed":
            if r_type != "fixed" or w["size"] != r["size"]:
                raise _Unsupported("fixed read as another kind")
            self.read_fixed(w, r, target, out)
        elif w_type == "array":
            self.read_array(w, r, target, out)
        elif w_type == "map":
            self.read_map(w, r, target, out)
        else:
            raise _Unsupported(str(w_type))

    def read_union(self, w: list[Any], r: Any, target: str, out: list[str]) -> None:
        index = self.tmp("i")
        self.varint(index, out)
        first = True
        for k, branch in enumerate(w):
            body: list[str] = []
            if isinstance(r, list):
                chosen = next((b for b in r if self.match_types(branch, b)), None)
            else:
                chosen = r if self.match_types(branch, r) else None
            if chosen is None:
                body.append(
                    f"raise _bad({self.const('writer union branch not in reader')})"
                )
            else:
                self.read(branch, chosen, target, body)
            out.append(f"{'if' if first else 'elif'} {index} == {k}:")
            out += _indent_lines(body or ["pass"])
            first = False
        out.append("else:")
        out.append(f"    raise _c.bad_index({index}, {self.const('union')})")

    def read_primitive(self, w: Any, r: Any, target: str, out: list[str]) -> None:
        w_type, r_type = _type(w), _type(r)
        if r_type not in _PRIMITIVES:
            raise _Unsupported("primitive read as a complex type")
        w_logical, r_logical = _fastavro_logical(w), _fastavro_logical(r)
        if w_logical != r_logical:
            raise _Unsupported(LOGICAL_TYPES_DIFFER, w, r)
        if w_type == r_type:
            self.read_same(r, target, out)
            return
        if _effective_logical(r) is not None or w_logical is not None:
            raise _Unsupported(LOGICAL_TYPES_DIFFER, w, r)
        if (w_type, r_type) not in _PROMOTIONS:
            raise _Unsupported("no promotion")
        if w_type in ("int", "long"):
            if r_type == "long":
                self.varint(target, out)
            else:
                raw = self.tmp("n")
                self.varint(raw, out)
                out.append(f"{target} = float({raw})")
        elif w_type == "float":
            out += [f"({target},) = _c.unpack_float(data, pos)", "pos += 4"]
        elif (
            w_type == "string"
        ):  # as bytes: checked to be UTF-8, as fastavro decodes it first
            raw = self.tmp("r")
            out.append(f"{raw}, pos = _c.read_bytes(data, pos)")
            out.append(f"{raw}.decode()")
            out.append(f"{target} = {raw}")
        else:  # bytes as string
            raw = self.tmp("r")
            out.append(f"{raw}, pos = _c.read_bytes(data, pos)")
            out.append(f"{target} = {raw}.decode()")

    def read_same(self, r: Any, target: str, out: list[str]) -> None:
        """A primitive read as the same type: the reader's conversion of its logical type."""
        name = _type(r)
        logical = _effective_logical(r)
        if logical is not None:
            self.read_logical(logical, target, out)
        elif name == "null":
            out.append(f"{target} = None")
        elif name == "boolean":
            out += [f"{target} = _c.read_boolean(data, pos)", "pos += 1"]
        elif name in ("int", "long"):
            self.varint(target, out)
        elif name == "float":
            out += [f"({target},) = _c.unpack_float(data, pos)", "pos += 4"]
        elif name == "double":
            out += [f"({target},) = _c.unpack_double(data, pos)", "pos += 8"]
        elif name == "bytes":
            out.append(f"{target}, pos = _c.read_bytes(data, pos)")
        else:
            out.append(f"{target}, pos = _c.read_string(data, pos)")

    def read_logical(
        self, logical: tuple[Any, ...], target: str, out: list[str]
    ) -> None:
        name = logical[0]
        if name in ("timestamp-nanos", "local-timestamp-nanos"):
            self.varint(target, out)
        elif name == "uuid":
            out.append(f"{target}, pos = _c.read_uuid(data, pos)")
        elif name == "decimal":
            out.append(
                f"{target}, pos = _c.read_decimal(data, pos, {int(logical[1])}, {int(logical[2])})"
            )
        elif name == "big-decimal":
            raw = self.tmp("r")
            out.append(f"{raw}, pos = _c.read_bytes(data, pos)")
            out.append(f"{target} = _logical.decode_big_decimal({raw})")
        elif name in (
            "timestamp-millis",
            "timestamp-micros",
            "local-timestamp-millis",
            "local-timestamp-micros",
        ):
            out.append(f"{target}, pos = _c.read_{name.replace('-', '_')}(data, pos)")
        else:
            convert = {
                "date": "from_days",
                "time-millis": "from_time_millis",
                "time-micros": "from_time_micros",
            }.get(name)
            if convert is None:
                raise _Unsupported(name)
            raw = self.tmp("n")
            self.varint(raw, out)
            out.append(f"{target} = _c.{convert}({raw})")

    def read_fixed(self, w: Any, r: Any, target: str, out: list[str]) -> None:
        if _fastavro_logical(w) != _fastavro_logical(r):
            raise _Unsupported(LOGICAL_TYPES_DIFFER, w, r)
        logical = _effective_logical(r)
        size = int(w["size"])
        if logical is None:
            out.append(f"{target}, pos = _c.read_fixed(data, pos, {size})")
            return
        raw = self.tmp("r")
        out.append(f"{raw}, pos = _c.read_fixed(data, pos, {size})")
        if logical[0] == "decimal":
            out.append(
                f"{target} = _c.to_decimal({raw}, {int(logical[1])}, {int(logical[2])})"
            )
        elif logical[0] == "uuid":
            out.append(f"{target} = _c.uuid_from_bytes({raw})")
        elif logical[0] == "duration":
            out.append(f"{target} = _logical.Duration.from_bytes({raw})")
        else:
            raise _Unsupported(str(logical[0]))

    def read_enum(self, w: Any, r: Any, target: str, out: list[str]) -> None:
        if _type(r) != "enum":
            raise _Unsupported("enum read as another kind")
        cls = self.klass(r)
        symbols = cls.__avro_symbols__  # type: ignore[attr-defined]
        members: list[Any] = []
        for symbol in w["symbols"]:
            if symbol in r["symbols"]:
                members.append(symbols[symbol])
            elif r.get("default"):
                members.append(symbols[r["default"]])
            else:
                members.append(_Unknown(symbol, r["name"]))
        table = self.const(tuple(members))
        index = self.tmp("i")
        self.varint(index, out)
        out.append(f"if not 0 <= {index} < {len(members)}:")
        out.append(f"    raise _c.bad_index({index}, {self.const(w['name'])})")
        out.append(f"{target} = {table}[{index}]")
        if any(isinstance(m, _Unknown) for m in members):
            out.append(f"if type({target}) is {self.const(_Unknown)}:")
            out.append(f"    raise _bad({target}.message)")

    def read_array(self, w: Any, r: Any, target: str, out: list[str]) -> None:
        if _type(r) != "array":
            raise _Unsupported("array read as another kind")
        items, n, item = self.tmp("a"), self.tmp("n"), self.tmp("v")
        out.append(f"{items} = []")
        inner: list[str] = []
        self.read(w["items"], r["items"], item, inner)
        inner.append(f"{items}.append({item})")
        self.blocks(n, inner, out)
        out.append(f"{target} = {items}")

    def read_map(self, w: Any, r: Any, target: str, out: list[str]) -> None:
        if _type(r) != "map":
            raise _Unsupported("map read as another kind")
        mapping, n, key = self.tmp("d"), self.tmp("n"), self.tmp("k")
        out.append(f"{mapping} = {{}}")
        inner = [f"{key}, pos = _c.read_string(data, pos)"]
        self.read(w["values"], r["values"], f"{mapping}[{key}]", inner)
        self.blocks(n, inner, out)
        out.append(f"{target} = {mapping}")

    def blocks(self, n: str, inner: list[str], out: list[str]) -> None:
        """The blocks of an array or map, ``inner`` run for each item."""
        out.append(f"{n}, pos = _c.read_count(data, pos)")
        out.append(f"while {n}:")
        out.append(f"    for _ in range({n}):")
        out += _indent_lines(inner, 2)
        out.append(f"    {n}, pos = _c.read_count(data, pos)")

    def varint(self, target: str, out: list[str]) -> None:
        out += [
            "b = data[pos]",
            "if b < 0x80:",
            f"    {target} = (b >> 1) ^ -(b & 1)",
            "    pos += 1",
            "else:",
            f"    {target}, pos = _c.read_long(data, pos)",
        ]

    # -- skipping --------------------------------------------------------------------------

    def skip(self, w: Any, out: list[str]) -> None:
        """Statements moving ``pos`` past a value of writer type ``w`` (nothing is built)."""
        w = self.w_deref(w)
        if isinstance(w, list):
            index = self.tmp("i")
            self.varint(index, out)
            first = True
            for k, branch in enumerate(w):
                body: list[str] = []
                self.skip(branch, body)
                if body:
                    out.append(f"{'if' if first else 'elif'} {index} == {k}:")
                    out += _indent_lines(body)
                    first = False
            return
        kind = _type(w)
        if kind in ("null",):
            return
        if kind == "boolean":
            out.append("pos += 1")
        elif kind in ("int", "long", "enum"):
            out.append("pos = _skip_varint(data, pos)")
        elif kind == "float":
            out.append("pos += 4")
        elif kind == "double":
            out.append("pos += 8")
        elif kind in ("string", "bytes"):
            out += ["ln, pos = _c.read_len(data, pos)", "pos += ln"]
        elif kind == "fixed":
            out.append(f"pos += {int(w['size'])}")
        elif kind in ("record", "error"):
            out.append(f"pos = {self.skip_record(w)}(data, pos)")
        elif kind in ("array", "map"):
            n = self.tmp("n")
            inner: list[str] = []
            if kind == "map":
                inner += ["ln, pos = _c.read_len(data, pos)", "pos += ln"]
            self.skip(w["items"] if kind == "array" else w["values"], inner)
            out += [
                f"{n}, pos = _c.read_long(data, pos)",
                f"while {n}:",
                f"    if {n} < 0:",
                "        ln, pos = _c.read_len(data, pos)",
                "        pos += ln",
                "    else:",
                f"        for _ in range({n}):",
                *_indent_lines(inner or ["pass"], 3),
                f"    {n}, pos = _c.read_long(data, pos)",
            ]
        else:
            raise _Unsupported(str(kind))

    def skip_record(self, w: dict[str, Any]) -> str:
        name = self.skips.get(id(w))
        if name is None:
            name = self.skips[id(w)] = f"_s{len(self.skips)}"
            body: list[str] = []
            for f in w["fields"]:
                self.skip(f["type"], body)
            body.append("return pos")
            self.functions.append(f"def {name}(data, pos):\n" + _indent(body, 1))
        return name


class _Unknown:
    """Stands in the enum table for a writer symbol the reader lacks (no default)."""

    def __init__(self, symbol: str, enum: str) -> None:
        self.message = f"{symbol} not found in reader symbol list of {enum}"


def _bad(message: str) -> DecodeError:
    return DecodeError(f"schema resolution: {message}")


def _skip_varint(data: bytes, pos: int) -> int:
    while data[pos] & 0x80:
        pos += 1
    return pos + 1


def _indent_lines(lines: list[str], level: int = 1) -> list[str]:
    pad = "    " * level
    return [pad + line for line in lines]


def _indent(lines: list[str], level: int) -> str:
    return "\n".join(_indent_lines(lines, level)) + "\n"
