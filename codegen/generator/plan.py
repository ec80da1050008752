"""What to generate: the Python side of a schema set (modules, classes, fields, expressions).

The plan turns the typed schema model into everything the templates print: module paths and
imports, escaped names, type hints, default values and the conversion expressions between a
dataclass and fastavro's datum (`to_avro` / `from_avro`). Templates stay free of logic; every
string that comes from a schema reaches the code through `repr`-safe rendering here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codegen.errors import SchemaError
from codegen.generator import codecs, dicts, naming
from codegen.runtime import logical as L
from codegen.schema import model as m
from codegen.schema.defaults import union_branch
from codegen.schema.expand import local

# Module-level names every generated model module may use; class names must avoid them.
IMPORT_ALIASES = {
    "dataclasses": "_dataclasses",
    "datetime": "_dt",
    "decimal": "_decimal",
    "typing": "_t",
    "uuid": "_uuid",
    "logical": "_logical",
    "model": "_model",
    "schema": "_schema",
    "codec": "_codec",
    "dicts": "_dicts",
}

# fastavro converts these itself when reading, so decoding them is the identity.
_FASTAVRO_DECODES = {
    "date",
    "time-millis",
    "time-micros",
    "timestamp-millis",
    "timestamp-micros",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "uuid-string",
    "decimal",
}


@dataclass
class PyField:
    avro_name: str
    attr: str
    hint: str
    default: str | None  # an expression (a callable when `factory`), or None when required
    factory: bool
    doc: str | None
    enc: str  # expression converting `self.<attr>` for fastavro
    dec: str  # expression converting `datum[<avro_name>]` from fastavro
    dec_x: str = ""  # the same conversion of a local `x` (fields with a default)

    @property
    def default_value(self) -> str:
        """An expression giving a fresh default value (a factory's result, called inline)."""
        assert self.default is not None
        if not self.factory:
            return self.default
        if self.default in ("list", "dict"):
            return "[]" if self.default == "list" else "{}"
        return self.default.removeprefix("lambda: ")


@dataclass
class PyClass:
    kind: str  # "record" | "enum"
    name: str
    named: m.Named
    module: PyModule
    doc: str | None = None
    fields: list[PyField] = field(default_factory=list)
    members: list[tuple[str, str]] = field(default_factory=list)  # (python name, symbol)
    meta: list[tuple[str, str]] = field(default_factory=list)  # (attribute, literal)
    write_body: list[str] = field(default_factory=list)  # `__avro_write__` (see codecs.py)
    read_body: list[str] = field(default_factory=list)  # `__avro_read__`
    # The bodies, black-formatted: the template leaves a marker, render.py splices them in.
    spliced: dict[str, list[str]] = field(default_factory=dict)

    @property
    def fullname(self) -> str:
        return self.named.fullname


@dataclass
class PyHelper:
    name: str
    params: str
    returns: str
    body: list[str]

    @property
    def marker(self) -> str:
        return f"helper.{self.name}"


@dataclass
class PyModule:
    namespace: str
    segments: tuple[str, ...]
    is_package: bool = False
    classes: list[PyClass] = field(default_factory=list)
    helpers: list[PyHelper] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)  # keys of IMPORT_ALIASES used
    module_refs: dict[tuple[str, ...], str] = field(default_factory=dict)  # other module -> alias
    _helper_keys: dict[str, str] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    schemas: list[tuple[str, str]] = field(default_factory=list)  # (full name, local JSON)

    @property
    def path(self) -> str:
        """File path inside the package."""
        if self.is_package:
            return "/".join((*self.segments, "__init__.py"))
        return "/".join(self.segments) + ".py"

    @property
    def dotted(self) -> str:
        return ".".join(self.segments)

    @property
    def depth(self) -> int:
        """How many packages below the package root this module's own package is."""
        return len(self.segments) if self.is_package else len(self.segments) - 1

    def relative(self, target: tuple[str, ...]) -> tuple[str, str]:
        """(from-part, name) to import module `target` (segments from the package root)."""
        dots = "." * (self.depth + 1)
        return dots + ".".join(target[:-1]), target[-1]

    @property
    def enums(self) -> list[PyClass]:
        return [c for c in self.classes if c.kind == "enum"]

    @property
    def records(self) -> list[PyClass]:
        return [c for c in self.classes if c.kind == "record"]


@dataclass
class Plan:
    package: str
    modules: list[PyModule]
    classes: dict[str, PyClass]  # Avro full name -> class


def build(schemas: m.SchemaSet, package: str) -> Plan:
    """Plan the generated package for a loaded schema set."""
    planner = _Planner(schemas, package)
    return planner.run()


class _Planner:
    def __init__(self, schemas: m.SchemaSet, package: str) -> None:
        self.schemas = schemas
        self.package = package
        self.modules: dict[str, PyModule] = {}
        self.classes: dict[str, PyClass] = {}
        self.attrs: dict[str, dict[str, str]] = {}  # record full name -> Avro field -> attribute
        self.module_aliases: frozenset[str] = frozenset()

    def run(self) -> Plan:
        all_named = list(self.schemas.named.values())
        named = [n for n in all_named if isinstance(n, (m.Record, m.Enum))]
        namespaces = sorted({n.namespace for n in all_named})
        segs = {ns: naming.module_segments(ns) for ns in namespaces}
        seen_paths: dict[tuple[str, ...], str] = {}
        for ns in namespaces:
            s = segs[ns]
            if s in seen_paths:
                raise SchemaError(
                    f"namespaces {seen_paths[s]!r} and {ns!r} map to the same Python module {'.'.join(s)!r}"
                )
            seen_paths[s] = ns
            is_pkg = any(o != s and o[: len(s)] == s for o in segs.values())
            self.modules[ns] = PyModule(namespace=ns, segments=s, is_package=is_pkg)
        # Module-level names a generated class body may refer to: no class or field may take one.
        self.module_aliases = frozenset(module_alias(md.segments) for md in self.modules.values())
        module_level = frozenset(IMPORT_ALIASES.values()) | self.module_aliases
        for ns in namespaces:
            mod = self.modules[ns]
            for n in sorted((n for n in all_named if n.namespace == ns), key=lambda n: n.fullname):
                mod.schemas.append(
                    (n.fullname, json.dumps(local(n), ensure_ascii=False, separators=(",", ":")))
                )
                mod.sources.add(str(n.loc.file))
            in_mod = sorted((n for n in named if n.namespace == ns), key=lambda n: n.fullname)
            names = naming.assign([n.name for n in in_mod], module_level)
            for n in in_mod:
                kind = "record" if isinstance(n, m.Record) else "enum"
                cls = PyClass(kind=kind, name=names[n.name], named=n, module=mod)
                mod.classes.append(cls)
                self.classes[n.fullname] = cls
        # Field names, once for all: a record's default may build another module's record.
        # (What a module's fields may not take, computed once per module, not per record.)
        reserved = {
            ns: naming.RECORD_RESERVED | module_level | frozenset(c.name for c in mod.classes)
            for ns, mod in self.modules.items()
        }
        for cls in self.classes.values():
            if isinstance(cls.named, m.Record):
                self.attrs[cls.fullname] = naming.assign(
                    [f.name for f in cls.named.fields], reserved[cls.module.namespace]
                )
        # Enums first (records' defaults may name them), then records, each by full name.
        for mod in self.modules.values():
            mod.classes.sort(key=lambda c: (c.kind != "enum", c.fullname))
            for cls in mod.classes:
                self.fill(cls)
        mods = sorted(self.modules.values(), key=lambda md: md.segments)
        return Plan(package=self.package, modules=mods, classes=self.classes)

    # -- classes ------------------------------------------------------------------------

    def fill(self, cls: PyClass) -> None:
        n = cls.named
        cls.doc = n.doc
        if isinstance(n, m.Enum):
            members = naming.enum_members(n.symbols)
            cls.members = [(members[s], s) for s in n.symbols]
            return
        assert isinstance(n, m.Record)
        if n.namespace:
            cls.meta.append(("namespace", codecs.literal(n.namespace)))
        if n.aliases:
            # A tuple as black writes it: the class then needs no black (see layout.py).
            aliases = ", ".join(codecs.literal(a) for a in n.aliases)
            cls.meta.append(("aliases", f"({aliases},)" if len(n.aliases) == 1 else f"({aliases})"))
        ctx = _Ctx(self, cls.module)
        attrs = self.attrs[n.fullname]
        for f in n.fields:
            attr = attrs[f.name]
            default: str | None = None
            factory = False
            if f.has_default:
                try:
                    default, mutable = ctx.default(f.type, f.default)
                except ValueError as e:
                    raise SchemaError(
                        f"invalid default for field {f.name!r}: {e}",
                        file=f.loc.file,
                        path=f.loc.path,
                    ) from e
                if mutable or ctx.defers(f.type, f.default):
                    factory = True
                    default = {"[]": "list", "{}": "dict"}.get(default, f"lambda: {default}")
            cls.fields.append(
                PyField(
                    avro_name=f.name,
                    attr=attr,
                    hint=ctx.hint(f.type),
                    default=default,
                    factory=factory,
                    doc=f.doc,
                    enc=ctx.enc(f.type, f"self.{attr}", 0),
                    dec=ctx.dec(f.type, f"datum[{codecs.literal(f.name)}]", 0),
                    dec_x=ctx.dec(f.type, "x", 0) if f.has_default else "",
                )
            )
        codec = codecs.RecordCodec(ctx, n, attrs, cls.name)
        cls.write_body = codec.write_body()
        cls.read_body = codec.read_body()
        cls.spliced[f"{cls.name}.write"] = codecs.formatted(cls.write_body)
        cls.spliced[f"{cls.name}.read"] = codecs.formatted(cls.read_body)
        # `to_avro` and `from_avro`: the conversions to and from fastavro's datum.
        to_avro = [
            "return {",
            *(f"    {codecs.literal(f.avro_name)}: {f.enc}," for f in cls.fields),
            "}",
        ]
        from_avro = ["o = cls.__new__(cls)"]
        for pf in cls.fields:
            if pf.default is None:
                from_avro.append(f"o.{pf.attr} = {pf.dec}")
            else:
                # Read with another writer schema, a field the writer lacks is MISSING (fastavro
                # would give its raw JSON default): it takes the Python default instead.
                from_avro.append(f"x = datum[{codecs.literal(pf.avro_name)}]")
                dec = codecs.nested_conditional(pf.dec_x, "x")
                from_avro.append(
                    f"o.{pf.attr} = {pf.default_value} if x is _schema.MISSING else {dec}"
                )
        from_avro.append("return o")
        cls.spliced[f"{cls.name}.to_avro"] = codecs.formatted(
            to_avro if cls.fields else ["return {}"]
        )
        cls.spliced[f"{cls.name}.from_avro"] = codecs.formatted(
            from_avro if cls.fields else ["return cls.__new__(cls)"]
        )
        fields = [
            (pf.avro_name, pf.attr, f.type, None if pf.default is None else pf.default_value)
            for pf, f in zip(cls.fields, n.fields, strict=True)
        ]
        to_dict, from_dict = dicts.bodies(ctx, cls.name, fields)
        cls.spliced[f"{cls.name}.to_dict"] = codecs.formatted(to_dict)
        cls.spliced[f"{cls.name}.from_dict"] = codecs.formatted(from_dict)


class _Ctx:
    """Expression building inside one module (knows how to name other modules' classes)."""

    def __init__(self, planner: _Planner, module: PyModule) -> None:
        self.p = planner
        self.mod = module

    def use(self, key: str) -> str:
        self.mod.imports.add(key)
        return IMPORT_ALIASES[key]

    def cls_ref(self, named: m.Named) -> str:
        target = self.p.classes[named.fullname]
        if target.module is self.mod:
            return target.name
        segs = target.module.segments
        alias = self.mod.module_refs.get(segs)
        if alias is None:
            alias = module_alias(segs)
            self.mod.module_refs[segs] = alias
        return f"{alias}.{target.name}"

    def function(self, key: str, params: str, returns: str, body: Callable[[], list[str]]) -> str:
        """The name of a module-level function made once per `key` (see `codecs.py`)."""
        name = self.mod._helper_keys.get(key)
        if name is None:
            name = self.mod._helper_keys[key] = (
                f"_{key.partition(':')[0]}_{len(self.mod._helper_keys)}"
            )
            helper = PyHelper(name, params, returns, [])
            self.mod.helpers.append(helper)
            helper.body = body()  # (may make the functions it calls)
        return name

    # -- type hints ------------------------------------------------------------------

    def hint(self, t: m.Type) -> str:
        t = m.deref(t)
        if isinstance(t, m.Primitive):
            lg = t.logical
            if lg is not None:
                return self.logical_hint(lg)
            return {
                "null": "None",
                "boolean": "bool",
                "int": "int",
                "long": "int",
                "float": "float",
                "double": "float",
                "bytes": "bytes",
                "string": "str",
            }[t.name]
        if isinstance(t, (m.Record, m.Enum)):
            return self.cls_ref(t)
        if isinstance(t, m.Fixed):
            return self.logical_hint(t.logical) if t.logical else "bytes"
        if isinstance(t, m.Array):
            return f"list[{self.hint(t.items)}]"
        if isinstance(t, m.Map):
            return f"dict[str, {self.hint(t.values)}]"
        if isinstance(t, m.Union):
            parts: list[str] = []
            for b in t.branches:
                h = self.hint(b)
                if h not in parts:
                    parts.append(h)
            if "int" in parts and "float" in parts:
                parts.remove("int")  # an int is a valid float for type checkers (PEP 484)
            if "None" in parts:
                parts.remove("None")
                parts.append("None")
            return " | ".join(parts)
        raise TypeError(t)

    def logical_hint(self, lg: m.Logical) -> str:
        name = lg.name
        if name == "date":
            return f"{self.use('datetime')}.date"
        if name in ("time-millis", "time-micros"):
            return f"{self.use('datetime')}.time"
        if name in (
            "timestamp-millis",
            "timestamp-micros",
            "local-timestamp-millis",
            "local-timestamp-micros",
        ):
            return f"{self.use('datetime')}.datetime"
        if name in ("timestamp-nanos", "local-timestamp-nanos"):
            return "int"  # nanoseconds since the epoch: datetime would drop the last 3 digits
        if name in ("decimal", "big-decimal"):
            return f"{self.use('decimal')}.Decimal"
        if name == "uuid":
            return f"{self.use('uuid')}.UUID"
        if name == "duration":
            return f"{self.use('logical')}.Duration"
        raise ValueError(name)

    # -- conversions -----------------------------------------------------------------

    def enc(self, t: m.Type, x: str, depth: int) -> str:
        """Expression turning the Python value `x` into what fastavro writes."""
        t = m.deref(t)
        if isinstance(t, m.Primitive):
            return self.enc_logical(t.logical, x, t.name) if t.logical else x
        if isinstance(t, m.Fixed):
            return self.enc_logical(t.logical, x, "fixed") if t.logical else x
        if isinstance(t, m.Enum):
            return f"{x}.value"
        if isinstance(t, m.Record):
            return f"{x}.to_avro()"
        if isinstance(t, m.Array):
            v = f"v{depth}"
            inner = self.enc(t.items, v, depth + 1)
            return x if inner == v else f"[{inner} for {v} in {x}]"
        if isinstance(t, m.Map):
            k, v = f"k{depth}", f"v{depth}"
            inner = self.enc(t.values, v, depth + 1)
            return x if inner == v else f"{{{k}: {inner} for {k}, {v} in {x}.items()}}"
        if isinstance(t, m.Union):
            return self.union_enc(t, x)
        raise TypeError(t)

    def enc_logical(self, lg: m.Logical | None, x: str, base: str) -> str:
        """The datum keeps what fastavro converts itself as the Python value (`dec_logical`
        reads it back as it is); the other logical types are given to fastavro encoded."""
        assert lg is not None
        key = "uuid-string" if lg.name == "uuid" and base == "string" else lg.name
        if key in _FASTAVRO_DECODES or key in ("timestamp-nanos", "local-timestamp-nanos"):
            return x
        L_ = self.use("logical")
        if key == "big-decimal":
            return f"{L_}.encode_big_decimal({x})"
        if key == "uuid":
            return f"{L_}.encode_uuid_fixed({x})"
        if key == "duration":
            return f"{x}.to_bytes()"
        raise ValueError(key)

    def dec(self, t: m.Type, x: str, depth: int) -> str:
        """Expression turning fastavro's datum `x` into the Python value."""
        t = m.deref(t)
        if isinstance(t, m.Primitive):
            return self.dec_logical(t.logical, x, t.name) if t.logical else x
        if isinstance(t, m.Fixed):
            return self.dec_logical(t.logical, x, "fixed") if t.logical else x
        if isinstance(t, m.Enum):
            return f"{self.cls_ref(t)}.__avro_symbols__[{x}]"
        if isinstance(t, m.Record):
            return f"{self.cls_ref(t)}.from_avro({x})"
        if isinstance(t, m.Array):
            v = f"v{depth}"
            inner = self.dec(t.items, v, depth + 1)
            return x if inner == v else f"[{inner} for {v} in {x}]"
        if isinstance(t, m.Map):
            k, v = f"k{depth}", f"v{depth}"
            inner = self.dec(t.values, v, depth + 1)
            return x if inner == v else f"{{{k}: {inner} for {k}, {v} in {x}.items()}}"
        if isinstance(t, m.Union):
            return self.union_dec(t, x)
        raise TypeError(t)

    def dec_logical(self, lg: m.Logical | None, x: str, base: str) -> str:
        assert lg is not None
        key = "uuid-string" if lg.name == "uuid" and base == "string" else lg.name
        if key in _FASTAVRO_DECODES or key in ("timestamp-nanos", "local-timestamp-nanos"):
            return x
        L_ = self.use("logical")
        if key == "big-decimal":
            return f"{L_}.decode_big_decimal({x})"
        if key == "uuid":
            return f"{L_}.decode_uuid_fixed({x})"
        if key == "duration":
            return f"{L_}.Duration.from_bytes({x})"
        raise ValueError(key)

    # -- unions ------------------------------------------------------------------------

    def union_enc(self, u: m.Union, x: str) -> str:
        branches = [m.deref(b) for b in u.branches]
        non_null = [b for b in branches if not (isinstance(b, m.Primitive) and b.name == "null")]
        if len(non_null) == 1 and len(branches) == 2 and not isinstance(non_null[0], m.Named):
            inner = self.enc(non_null[0], x, 0)
            return x if inner == x else f"None if {x} is None else {inner}"
        return f"{self.helper(u, 'enc')}({x})"

    def union_dec(self, u: m.Union, x: str) -> str:
        branches = [m.deref(b) for b in u.branches]
        non_null = [b for b in branches if not (isinstance(b, m.Primitive) and b.name == "null")]
        if len(non_null) == 1 and len(branches) == 2 and not isinstance(non_null[0], m.Named):
            inner = self.dec(non_null[0], x, 0)
            return x if inner == x else f"None if {x} is None else {inner}"
        return f"{self.helper(u, 'dec')}({x})"

    def helper(self, u: m.Union, direction: str) -> str:
        key = direction + ":" + json.dumps([codecs.type_key(b) for b in u.branches])
        name = self.mod._helper_keys.get(key)
        if name is not None:
            return name
        name = f"_{direction}_union_{len(self.mod._helper_keys)}"
        self.mod._helper_keys[key] = name
        t = self.use("typing")
        if direction == "enc":
            body = self.union_enc_body(u)
        elif direction == "dec":
            body = self.union_dec_body(u)
        elif direction == "to_dict":
            body = dicts.union_to_dict_body(self, u)
        else:
            body = dicts.union_from_dict_body(self, u)
        if direction in ("enc", "to_dict"):  # from a value of the union
            helper = PyHelper(name, f"v: {self.hint(u)}", f"{t}.Any", body)
        else:  # to one
            helper = PyHelper(name, f"v: {t}.Any", self.hint(u), body)
        self.mod.helpers.append(helper)
        return name

    def union_enc_body(self, u: m.Union) -> list[str]:
        """Pick the branch the way fastavro would (first branch the value is valid for),
        and name it for named types so fastavro cannot pick another of the same shape."""
        lines: list[str] = []
        for b in (m.deref(b) for b in u.branches):
            cond = self.branch_check(b, "v")
            value = self.enc(b, "v", 0)
            if isinstance(b, m.Named):
                value = f"({codecs.literal(b.fullname)}, {value})"
            lines.append(f"if {cond}:")
            lines.append(f"    return {value}")
        lines.append(
            f'raise TypeError(f"{{type(v).__name__}} value {{v!r:.80}} matches no branch of {_short(u)}")'
        )
        return lines

    def union_dec_body(self, u: m.Union) -> list[str]:
        lines: list[str] = []
        branches = [m.deref(b) for b in u.branches]
        named = [b for b in branches if isinstance(b, m.Named)]
        if named:
            lines.append("if isinstance(v, tuple):")
            lines.append("    name, v = v")
            for nb in named:
                value = self.typed_dec(nb, from_tuple=True)
                lines.append(f"    if name == {codecs.literal(nb.fullname)}:")
                lines.append(f"        return {value}")
            lines.append('    raise ValueError(f"unknown union branch {name!r}")')
        for b in branches:
            if isinstance(b, m.Named):
                continue
            cond = self.raw_check(b, "v")
            lines.append(f"if {cond}:")
            lines.append(f"    return {self.dec(b, 'v', 0)}")
        # A value without a branch name (e.g. from Avro JSON): the first named type it fits.
        for nb in named:
            if isinstance(nb, m.Record):
                names = tuple(sorted(f.name for f in nb.fields if not f.has_default))
                keys = (
                    "("
                    + ", ".join(codecs.literal(k) for k in names)
                    + (",)" if len(names) == 1 else ")")
                )
                fits = f" and all(k in v for k in {keys})" if names else ""
                lines.append(f"if isinstance(v, dict){fits}:")
            elif isinstance(nb, m.Enum):
                symbols = "[" + ", ".join(codecs.literal(sym) for sym in nb.symbols) + "]"
                lines.append(f"if isinstance(v, str) and v in {symbols}:")
            elif isinstance(nb.logical, m.Logical) and nb.logical.name == "decimal":
                lines.append(f"if {self.logical_check(nb.logical, 'v')}:")
            else:
                lines.append(f"if isinstance(v, bytes) and len(v) == {nb.size}:")
            lines.append(f"    return {self.typed_dec(nb, from_tuple=False)}")
        lines.append(
            f'raise ValueError(f"{{type(v).__name__}} value {{v!r:.80}} matches no branch of {_short(u)}")'
        )
        return lines

    def typed_dec(self, nb: m.Record | m.Enum | m.Fixed, *, from_tuple: bool) -> str:
        """`dec` of a named branch's value `v`, typed for a return statement (`v` unpacked from
        a tuple, and an enum looked up by symbol, are Any to type checkers)."""
        value = self.dec(nb, "v", 0)
        if (value == "v" and from_tuple) or isinstance(nb, m.Enum):
            value = f"{self.use('typing')}.cast({self.hint(nb)}, {value})"
        return value

    def branch_check(self, b: m.Type, v: str) -> str:
        """Is the Python value `v` valid for branch `b` (as fastavro's validation decides)?"""
        if isinstance(b, m.Primitive):
            lg = b.logical
            if lg is not None and lg.name not in ("timestamp-nanos", "local-timestamp-nanos"):
                return self.logical_check(lg, v)
            return {
                "null": f"{v} is None",
                "boolean": f"isinstance({v}, bool)",
                "int": f"isinstance({v}, int) and not isinstance({v}, bool) and -2147483648 <= {v} <= 2147483647",
                "long": f"isinstance({v}, int) and not isinstance({v}, bool) and -9223372036854775808 <= {v} <= 9223372036854775807",
                "float": f"isinstance({v}, (int, float)) and not isinstance({v}, bool)",
                "double": f"isinstance({v}, (int, float)) and not isinstance({v}, bool)",
                "bytes": f"isinstance({v}, (bytes, bytearray))",
                "string": f"isinstance({v}, str)",
            }[b.name]
        if isinstance(b, m.Fixed):
            if b.logical is not None:
                return self.logical_check(b.logical, v)
            return f"isinstance({v}, (bytes, bytearray)) and len({v}) == {b.size}"
        if isinstance(b, (m.Record, m.Enum)):
            return f"isinstance({v}, {self.cls_ref(b)})"
        if isinstance(b, m.Array):
            return f"isinstance({v}, (list, tuple))"
        if isinstance(b, m.Map):
            return f"isinstance({v}, dict)"
        raise TypeError(b)

    def logical_check(self, lg: m.Logical, v: str) -> str:
        dt = self.use("datetime") if lg.name in ("date",) or "time" in lg.name else ""
        if lg.name == "date":
            return f"isinstance({v}, {dt}.date) and not isinstance({v}, {dt}.datetime)"
        if lg.name in ("time-millis", "time-micros"):
            return f"isinstance({v}, {dt}.time)"
        if "timestamp" in lg.name:
            return f"isinstance({v}, {dt}.datetime)"
        if lg.name in ("decimal", "big-decimal"):
            return f"isinstance({v}, {self.use('decimal')}.Decimal)"
        if lg.name == "uuid":
            return f"isinstance({v}, {self.use('uuid')}.UUID)"
        if lg.name == "duration":
            return f"isinstance({v}, {self.use('logical')}.Duration)"
        raise ValueError(lg.name)

    def raw_check(self, b: m.Type, v: str) -> str:
        """Is fastavro's decoded value `v` from branch `b` (unnamed branches only)?"""
        if isinstance(b, m.Primitive):
            lg = b.logical
            key = None if lg is None else ("uuid-string" if lg.name == "uuid" else lg.name)
            if key in _FASTAVRO_DECODES and lg is not None:
                return self.logical_check(lg, v)
            return {
                "null": f"{v} is None",
                "boolean": f"isinstance({v}, bool)",
                "int": f"isinstance({v}, int)",
                "long": f"isinstance({v}, int)",
                "float": f"isinstance({v}, float)",
                "double": f"isinstance({v}, float)",
                "bytes": f"isinstance({v}, bytes)",
                "string": f"isinstance({v}, str)",
            }[b.name]
        if isinstance(b, m.Array):
            return f"isinstance({v}, list)"
        if isinstance(b, m.Map):
            return f"isinstance({v}, dict)"
        raise TypeError(b)

    # -- defaults --------------------------------------------------------------------

    def defers(self, t: m.Type, value: Any) -> bool:
        """A default naming a class of another module is built lazily (modules may import
        each other, and the other one may not be initialised yet)."""
        t = m.deref(t)
        if isinstance(t, m.Union):
            return self.defers(t.branches[union_branch(t, value)], value)
        if isinstance(t, m.Enum):
            return self.p.classes[t.fullname].module is not self.mod
        return False

    def default(self, t: m.Type, v: Any) -> tuple[str, bool]:
        """(expression, mutable) for a JSON default of type `t`."""
        t = m.deref(t)
        if isinstance(t, m.Primitive):
            return self.primitive_default(t, v), False
        if isinstance(t, m.Enum):
            members = naming.enum_members(t.symbols)
            return f"{self.cls_ref(t)}.{members[v]}", False
        if isinstance(t, m.Fixed):
            raw = v.encode("latin-1")
            if t.logical is not None:
                return self.logical_default_bytes(t.logical, raw), False
            return codecs.literal(raw), False
        if isinstance(t, m.Array):
            items = [self.default(t.items, x)[0] for x in v]
            return f"[{', '.join(items)}]", True
        if isinstance(t, m.Map):
            pairs = [f"{codecs.literal(k)}: {self.default(t.values, x)[0]}" for k, x in v.items()]
            return f"{{{', '.join(pairs)}}}", True
        if isinstance(t, m.Record):
            attrs = self.p.attrs[t.fullname]
            args = [
                f"{attrs[f.name]}={self.default(f.type, v[f.name])[0]}"
                for f in t.fields
                if f.name in v
            ]
            return f"{self.cls_ref(t)}({', '.join(args)})", True
        if isinstance(t, m.Union):
            return self.default(t.branches[union_branch(t, v)], v)
        raise TypeError(t)

    def primitive_default(self, t: m.Primitive, v: Any) -> str:
        lg = t.logical
        if t.name == "bytes":
            raw = v.encode("latin-1")
            return self.logical_default_bytes(lg, raw) if lg else codecs.literal(raw)
        if t.name in ("float", "double"):
            return _float_literal(float(v))
        if lg is None:
            return codecs.literal(v) if isinstance(v, str) else repr(v)
        dt = "_dt"
        if lg.name == "date":
            self.use("datetime")
            d = L.decode_date(v)
            return f"{dt}.date({d.year}, {d.month}, {d.day})"
        if lg.name in ("time-millis", "time-micros"):
            self.use("datetime")
            tm = L.decode_time_millis(v) if lg.name == "time-millis" else L.decode_time_micros(v)
            return f"{dt}.time({tm.hour}, {tm.minute}, {tm.second}, {tm.microsecond})"
        if lg.name in (
            "timestamp-millis",
            "timestamp-micros",
            "local-timestamp-millis",
            "local-timestamp-micros",
        ):
            self.use("datetime")
            decode = {
                "timestamp-millis": L.decode_timestamp_millis,
                "timestamp-micros": L.decode_timestamp_micros,
                "local-timestamp-millis": L.decode_local_timestamp_millis,
                "local-timestamp-micros": L.decode_local_timestamp_micros,
            }[lg.name]
            try:
                d = decode(v)
            except OverflowError:
                raise ValueError(f"{v} is outside the range of datetime") from None
            tz = ", tzinfo=_dt.timezone.utc" if d.tzinfo is not None else ""
            return f"{dt}.datetime({d.year}, {d.month}, {d.day}, {d.hour}, {d.minute}, {d.second}, {d.microsecond}{tz})"
        if lg.name == "uuid":
            import uuid

            try:
                u = uuid.UUID(v)
            except ValueError:
                raise ValueError(f"{v!r} is not a UUID") from None
            if str(u) != v:
                raise ValueError(f"{v!r} is not a UUID in canonical form ({str(u)!r})")
            return f"{self.use('uuid')}.UUID({codecs.literal(str(u))})"
        return codecs.literal(v) if isinstance(v, str) else repr(v)

    def logical_default_bytes(self, lg: m.Logical | None, raw: bytes) -> str:
        if lg is None:
            return codecs.literal(raw)
        if lg.name == "decimal":
            d = L.decode_decimal(raw, lg.precision, lg.scale)
            return f"{self.use('decimal')}.Decimal({codecs.literal(str(d))})"
        if lg.name == "big-decimal":
            d = L.decode_big_decimal(raw)
            return f"{self.use('decimal')}.Decimal({codecs.literal(str(d))})"
        if lg.name == "uuid":
            import uuid

            return f"{self.use('uuid')}.UUID({codecs.literal(str(uuid.UUID(bytes=raw)))})"
        if lg.name == "duration":
            du = L.Duration.from_bytes(raw)
            return f"{self.use('logical')}.Duration({du.months}, {du.days}, {du.milliseconds})"
        raise ValueError(lg.name)


def module_alias(segments: tuple[str, ...]) -> str:
    """The name a module imports another generated module under."""
    return "_ns_" + "_".join(segments)


def _float_literal(f: float) -> str:
    if math.isnan(f):
        return 'float("nan")'
    if f in (float("inf"), float("-inf")):
        return 'float("inf")' if f > 0 else 'float("-inf")'
    return repr(f).replace("e+", "e")  # as black writes it (`1e16`): bodies skip black


def _short(u: m.Union) -> str:
    parts = []
    for b in u.branches:
        b = m.deref(b)
        parts.append(b.fullname if isinstance(b, m.Named) else b.kind)
    text = "[" + ", ".join(parts) + "]"
    # The text lands inside an f-string literal: keep it free of quotes and braces.
    return text.replace("{", "(").replace("}", ")").replace('"', "'")[:120]
