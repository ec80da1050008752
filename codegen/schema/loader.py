"""Load .avsc files into the typed model, resolving named types across files.

Loading is two-pass so that file order never matters: the first pass parses every file and
collects every named definition (a file may use a type defined in a file read later, and two
files may use each other's types); the second resolves references. Problems are collected, not
raised one by one, so a user sees every mistake of a run at once.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from codegen.errors import InputError, InputErrors, SchemaError, json_pointer
from codegen.schema import model as m
from codegen.schema.compat import FIRST_BRANCH
from codegen.schema.defaults import check_default

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NAMED_KINDS = ("record", "error", "enum", "fixed")
_ORDERS = ("ascending", "descending", "ignore")
_INT_LOGICALS = {"date", "time-millis"}
_LONG_LOGICALS = {
    "time-micros",
    "timestamp-millis",
    "timestamp-micros",
    "timestamp-nanos",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "local-timestamp-nanos",
}


def discover(schema_dir: Path) -> list[Path]:
    """Every .avsc file under `schema_dir`, recursively, in a stable order."""
    if not schema_dir.exists():
        raise InputErrors([SchemaError("schema directory does not exist", file=schema_dir)])
    if not schema_dir.is_dir():
        raise InputErrors([SchemaError("schema path is not a directory", file=schema_dir)])
    return sorted(p for p in schema_dir.rglob("*.avsc") if p.is_file())


def load_directory(schema_dir: Path, *, union_defaults: str = FIRST_BRANCH) -> m.SchemaSet:
    """Load every .avsc file under `schema_dir` (see `load_files`)."""
    files = discover(schema_dir)
    if not files:
        raise InputErrors([SchemaError("no .avsc files found", file=schema_dir)])
    return load_files(files, union_defaults=union_defaults)


def load_files(paths: Iterable[Path], *, union_defaults: str = FIRST_BRANCH) -> m.SchemaSet:
    """Load and resolve the given files; raises `InputErrors` listing every problem found.

    `union_defaults` is the `[tool.avrobind]` rule for union defaults (see `defaults`).
    """
    return load_sources(((p, None) for p in paths), union_defaults=union_defaults)


def load_sources(
    sources: Iterable[tuple[Path, str | None]], *, union_defaults: str = FIRST_BRANCH
) -> m.SchemaSet:
    """Like `load_files`, for (path, text) pairs; a None text is read from the path.

    Used to load schemas as they were at a git revision (the path is then only a label).
    """
    loader = _Loader()
    files = [loader.read_file(p, text) for p, text in sources]
    loader.resolve()
    loader.check_defaults(union_defaults)
    if loader.errors:
        order = {str(f.path): i for i, f in enumerate(files)}
        raise InputErrors(sorted(loader.errors, key=lambda e: _reading_order(e, order)))
    return m.SchemaSet(files=files, named=loader.named)


# JSON nesting (objects and arrays) a schema file may have. Real schemas stay far below it; the
# loader, the generator and the compatibility checks all recurse along the nesting.
MAX_DEPTH = 200


def json_depth(data: Any) -> int:
    """How deeply `data` nests objects and arrays (a scalar: 0), without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json_text(text: str, file: Path) -> Any:
    """Strict JSON: duplicate keys and NaN/Infinity literals are errors, as in Java Avro.

    So is JSON nested more than `MAX_DEPTH` levels deep.
    """

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise ValueError(f"duplicate key {key!r}")
            out[key] = value
        return out

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    too_deep = f"avrobind reads schemas nested up to {MAX_DEPTH} levels of JSON objects and arrays"
    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as e:
        raise SchemaError(
            f"invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})", file=file
        ) from e
    except ValueError as e:
        raise SchemaError(f"invalid JSON: {e}", file=file) from e
    except RecursionError:
        raise SchemaError(f"nested too deeply to read: {too_deep}", file=file) from None
    depth = json_depth(data)
    if depth > MAX_DEPTH:
        raise SchemaError(f"nested {depth} levels deep: {too_deep}", file=file)
    return data


class _Loader:
    def __init__(self) -> None:
        self.errors: list[SchemaError] = []
        self.named: dict[str, m.Named] = {}
        self.refs: list[tuple[m.Ref, str]] = []  # (reference, enclosing namespace)
        self.fields: list[m.Field] = []

    def error(self, loc: m.Location, message: str) -> None:
        self.errors.append(SchemaError(message, file=loc.file, path=loc.path or "/"))

    # -- pass 1: parse -------------------------------------------------------------------

    def read_file(self, path: Path, text: str | None = None) -> m.SchemaFile:
        if text is None:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                self.errors.append(SchemaError(f"cannot read file: {e}", file=path))
                return m.SchemaFile(path=path, json=None)
        try:
            data = parse_json_text(text, path)
        except SchemaError as e:
            self.errors.append(e)
            return m.SchemaFile(path=path, json=None)
        sf = m.SchemaFile(path=path, json=data)
        if isinstance(data, list):
            # A file holding a JSON array: a union of schemas, usually several definitions.
            sf.roots = [self.parse(item, path, (i,), "") for i, item in enumerate(data)]
            self.check_union_branches(sf.roots, m.Location(path, ""))
        else:
            sf.roots = [self.parse(data, path, (), "")]
        return sf

    def parse(self, js: Any, file: Path, at: tuple[str | int, ...], ns: str) -> m.Type:
        loc = m.Location(file, json_pointer(*at))
        if isinstance(js, str):
            if js in m.PRIMITIVES:
                return m.Primitive(source=js, loc=loc, name=js)
            return self.ref(js, js, loc, ns)
        if isinstance(js, list):
            branches = [self.parse(b, file, (*at, i), ns) for i, b in enumerate(js)]
            for b in branches:
                if isinstance(b, m.Union):
                    self.error(b.loc, "a union may not directly contain another union")
            self.check_union_branches(branches, loc)
            return m.Union(source=js, loc=loc, branches=branches)
        if not isinstance(js, dict):
            self.error(loc, f"expected a schema (a type name, object or array), got {_show(js)}")
            return m.Primitive(source="null", loc=loc, name="null")
        t = js.get("type")
        if t is None:
            self.error(loc, "schema object has no 'type'")
            return m.Primitive(source="null", loc=loc, name="null")
        if not isinstance(t, str):
            self.error(loc, f"'type' must be a string, got {_show(t)}")
            return m.Primitive(source="null", loc=loc, name="null")
        if t in m.PRIMITIVES:
            return m.Primitive(source=js, loc=loc, name=t, logical=self.logical(js, t, loc))
        if t in ("record", "error"):
            return self.record(js, file, at, ns, loc)
        if t == "enum":
            return self.enum(js, loc, ns)
        if t == "fixed":
            return self.fixed(js, loc, ns)
        if t == "array":
            if "items" not in js:
                self.error(loc, "array schema has no 'items'")
                return m.Array(source=js, loc=loc, items=m.Primitive(source="null", loc=loc))
            return m.Array(
                source=js, loc=loc, items=self.parse(js["items"], file, (*at, "items"), ns)
            )
        if t == "map":
            if "values" not in js:
                self.error(loc, "map schema has no 'values'")
                return m.Map(source=js, loc=loc, values=m.Primitive(source="null", loc=loc))
            return m.Map(
                source=js, loc=loc, values=self.parse(js["values"], file, (*at, "values"), ns)
            )
        return self.ref(t, js, loc, ns)

    def ref(self, name: str, source: Any, loc: m.Location, ns: str) -> m.Ref:
        if not _valid_fullname(name):
            self.error(loc, f"invalid type name {name!r}")
        full = name if "." in name or not ns else f"{ns}.{name}"
        r = m.Ref(source=source, loc=loc, fullname=full)
        self.refs.append((r, ns))
        return r

    def names(self, js: dict[str, Any], loc: m.Location, ns: str, kind: str) -> tuple[str, str]:
        """(full name, namespace for nested definitions) of a named type, per the spec."""
        name = js.get("name")
        if not isinstance(name, str):
            self.error(
                loc, f"{kind} has no 'name'" if name is None else f"{kind} 'name' must be a string"
            )
            return "", ns
        if "." in name:
            full = name
            if not _valid_fullname(name):
                self.error(
                    loc,
                    f"invalid {kind} name {name!r}: each part must match [A-Za-z_][A-Za-z0-9_]*",
                )
            return full, name.rpartition(".")[0]
        if not _NAME.match(name):
            self.error(loc, f"invalid {kind} name {name!r}: must match [A-Za-z_][A-Za-z0-9_]*")
        space = js.get("namespace", ns)
        if space is None:
            space = ""
        if not isinstance(space, str) or (space and not _valid_fullname(space)):
            self.error(loc, f"invalid namespace {space!r}")
            space = ""
        if name in m.PRIMITIVES and not space:
            self.error(loc, f"{kind} name {name!r} is a primitive type name")
        full = f"{space}.{name}" if space else name
        return full, space

    def define(self, node: m.Named) -> None:
        if not node.fullname:
            return
        prior = self.named.get(node.fullname)
        if prior is not None:
            self.error(
                node.loc,
                f"duplicate definition of {node.fullname!r} (first defined at {prior.loc})",
            )
            return
        self.named[node.fullname] = node

    def common(
        self, js: dict[str, Any], loc: m.Location, ns: str, kind: str
    ) -> tuple[str, str, str | None, list[str]]:
        full, inner_ns = self.names(js, loc, ns, kind)
        doc = js.get("doc")
        if doc is not None and not isinstance(doc, str):
            self.error(loc, f"'doc' of {full or kind} must be a string")
            doc = None
        aliases = self.aliases(js, loc)
        return full, inner_ns, doc, aliases

    def aliases(self, js: dict[str, Any], loc: m.Location) -> list[str]:
        raw = js.get("aliases", [])
        if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
            self.error(loc, "'aliases' must be a list of strings")
            return []
        for a in raw:
            if not _valid_fullname(a):
                self.error(loc, f"invalid alias {a!r}")
        return list(raw)

    def record(
        self, js: dict[str, Any], file: Path, at: tuple[str | int, ...], ns: str, loc: m.Location
    ) -> m.Record:
        full, inner_ns, doc, aliases = self.common(js, loc, ns, "record")
        rec = m.Record(
            source=js,
            loc=loc,
            fullname=full,
            doc=doc,
            aliases=aliases,
            is_error=js["type"] == "error",
        )
        self.define(rec)
        raw_fields = js.get("fields")
        if not isinstance(raw_fields, list):
            self.error(loc, f"record {full!r} has no 'fields' list")
            return rec
        seen: set[str] = set()
        for i, fj in enumerate(raw_fields):
            floc = m.Location(file, json_pointer(*at, "fields", i))
            if not isinstance(fj, dict):
                self.error(floc, f"field must be an object, got {_show(fj)}")
                continue
            fname = fj.get("name")
            if not isinstance(fname, str) or not _NAME.match(fname):
                self.error(floc, f"invalid field name {fname!r}: must match [A-Za-z_][A-Za-z0-9_]*")
                fname = f"_invalid{i}"
            elif fname in seen:
                self.error(floc, f"duplicate field name {fname!r} in record {full!r}")
            seen.add(fname)
            if "type" not in fj:
                self.error(floc, f"field {fname!r} has no 'type'")
                continue
            ftype = self.parse(fj["type"], file, (*at, "fields", i, "type"), inner_ns)
            fdoc = fj.get("doc")
            if fdoc is not None and not isinstance(fdoc, str):
                self.error(floc, f"'doc' of field {fname!r} must be a string")
                fdoc = None
            order = fj.get("order", "ascending")
            if order not in _ORDERS:
                self.error(
                    floc,
                    f"invalid 'order' {order!r} of field {fname!r}: one of {', '.join(_ORDERS)}",
                )
            fld = m.Field(
                name=fname,
                type=ftype,
                source=fj,
                loc=floc,
                default=fj.get("default", m.MISSING),
                doc=fdoc,
                aliases=self.aliases(fj, floc),
            )
            rec.fields.append(fld)
            self.fields.append(fld)
        return rec

    def enum(self, js: dict[str, Any], loc: m.Location, ns: str) -> m.Enum:
        full, _, doc, aliases = self.common(js, loc, ns, "enum")
        symbols = js.get("symbols")
        node = m.Enum(source=js, loc=loc, fullname=full, doc=doc, aliases=aliases)
        self.define(node)
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            self.error(loc, f"enum {full!r} must have a 'symbols' list of strings")
            return node
        for s in symbols:
            if not _NAME.match(s):
                self.error(
                    loc, f"invalid symbol {s!r} in enum {full!r}: must match [A-Za-z_][A-Za-z0-9_]*"
                )
        dups = sorted({s for s in symbols if symbols.count(s) > 1})
        if dups:
            self.error(loc, f"duplicate symbols in enum {full!r}: {', '.join(dups)}")
        node.symbols = list(symbols)
        if "default" in js:
            if js["default"] not in symbols:
                self.error(
                    loc, f"enum {full!r} default {js['default']!r} is not one of its symbols"
                )
            else:
                node.default = js["default"]
        return node

    def fixed(self, js: dict[str, Any], loc: m.Location, ns: str) -> m.Fixed:
        full, _, doc, aliases = self.common(js, loc, ns, "fixed")
        size = js.get("size")
        node = m.Fixed(source=js, loc=loc, fullname=full, doc=doc, aliases=aliases)
        self.define(node)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            self.error(
                loc, f"fixed {full!r} must have a non-negative integer 'size', got {_show(size)}"
            )
            return node
        node.size = size
        node.logical = self.logical(js, "fixed", loc, size=size)
        return node

    def logical(
        self, js: dict[str, Any], base: str, loc: m.Location, size: int = 0
    ) -> m.Logical | None:
        """The logical type of a schema, or None where the spec says to ignore it.

        Unknown logical types and invalid ones (a decimal whose scale exceeds its precision, a
        logical type on the wrong underlying type) are ignored and the underlying type is used,
        as the Avro specification requires.
        """
        lt = js.get("logicalType")
        if not isinstance(lt, str):
            return None
        if lt in ("decimal",) and base in ("bytes", "fixed"):
            precision, scale = js.get("precision"), js.get("scale", 0)
            if not (_is_int(precision) and _is_int(scale)):
                return None
            assert isinstance(precision, int) and isinstance(scale, int)
            if precision <= 0 or not 0 <= scale <= precision:
                return None
            if base == "fixed" and precision > _max_fixed_precision(size):
                return None
            return m.Logical("decimal", precision, scale)
        if lt == "big-decimal" and base == "bytes":
            return m.Logical(lt)
        if lt == "uuid" and (base == "string" or (base == "fixed" and size == 16)):
            return m.Logical(lt)
        if lt == "duration" and base == "fixed" and size == 12:
            return m.Logical(lt)
        if (lt in _INT_LOGICALS and base == "int") or (lt in _LONG_LOGICALS and base == "long"):
            return m.Logical(lt)
        return None

    def check_union_branches(self, branches: list[m.Type], loc: m.Location) -> None:
        seen: dict[str, int] = {}
        for i, b in enumerate(branches):
            key = _union_key(b)
            if key in seen:
                self.error(
                    b.loc,
                    f"union has two branches of the same type {key!r} (branches {seen[key]} and {i})",
                )
            else:
                seen[key] = i

    # -- pass 2: resolve -------------------------------------------------------------------

    def resolve(self) -> None:
        for ref, _ns in self.refs:
            target = self.named.get(ref.fullname)
            if target is None:
                written = ref.source if isinstance(ref.source, str) else ref.source.get("type")
                near = suggest_types(written, self.named)
                hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
                looked = f" (looked for {ref.fullname!r})" if written != ref.fullname else ""
                self.error(ref.loc, f"unknown type {written!r}{looked}{hint}")
                continue
            ref.target = target
        # Unions must be checked again once references know their names.
        # (Duplicate named branches are caught by name already; nothing more to do here.)

    def check_defaults(self, union_defaults: str) -> None:
        """Every field default, also when other problems were found (all are reported at once);
        a default whose type uses an unknown name cannot be checked and is left alone."""
        unresolved = bool(self.errors)  # else every name is known
        for f in self.fields:
            if f.has_default and (not unresolved or _resolved(f.type)):
                problem = check_default(f.type, f.default, union_defaults)
                if problem is not None:
                    self.error(f.loc, f"invalid default for field {f.name!r}: {problem}")


# What other languages and schema tools call Avro's primitives.
_PRIMITIVE_SYNONYMS = {
    "str": "string",
    "text": "string",
    "char": "string",
    "varchar": "string",
    "integer": "int",
    "int32": "int",
    "i32": "int",
    "short": "int",
    "int64": "long",
    "i64": "long",
    "bigint": "long",
    "bool": "boolean",
    "binary": "bytes",
    "byte": "bytes",
    "bytearray": "bytes",
    "none": "null",
    "nil": "null",
    "float32": "float",
    "float64": "double",
    "number": "double",
}


def suggest_types(written: str, known: Iterable[str]) -> list[str]:
    """What an unknown type name probably meant: a primitive (`String`, `integer`, `str`), or
    defined types with the same (or a close) short name."""
    short = written.rpartition(".")[2]
    lower = short.lower()
    if "." not in written:
        if lower in m.PRIMITIVES:
            return [lower]
        if lower in _PRIMITIVE_SYNONYMS:
            return [_PRIMITIVE_SYNONYMS[lower]]
    by_short: dict[str, list[str]] = {}
    for name in known:
        by_short.setdefault(name.rpartition(".")[2], []).append(name)
    if short in by_short:
        return sorted(by_short[short])
    folded = sorted(n for s, names in by_short.items() if s.lower() == lower for n in names)
    if folded:
        return folded
    close = difflib.get_close_matches(short, list(by_short), n=3, cutoff=0.8)
    return sorted(n for s in close for n in by_short[s])


def _reading_order(error: InputError, files: dict[str, int]) -> tuple[int, list[tuple[int, str]]]:
    """Errors by file, then by place in the file (`/fields/2` before `/fields/10`)."""
    steps = [(int(p), "") if p.isdigit() else (-1, p) for p in error.path.split("/")]
    return files.get(error.file or "", len(files)), steps


def _resolved(t: m.Type) -> bool:
    """Whether every name `t` uses (through references too) was resolved."""
    seen: set[int] = set()
    stack: list[m.Type | m.Named] = [t]
    while stack:
        for node in m.walk(stack.pop()):
            if isinstance(node, m.Ref):
                if node.target is None:
                    return False
                if id(node.target) not in seen:
                    seen.add(id(node.target))
                    stack.append(node.target)
    return True


def _union_key(t: m.Type) -> str:
    if isinstance(t, m.Primitive):
        return t.name
    if isinstance(t, (m.Array, m.Map, m.Union)):
        return t.kind
    return t.fullname


def _valid_fullname(name: str) -> bool:
    return all(_NAME.match(part) for part in name.split("."))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _max_fixed_precision(size: int) -> int:
    if size <= 0:
        return 0
    return math.floor(math.log10(2 ** (8 * size - 1) - 1))


def _show(v: Any) -> str:
    text = json.dumps(v) if not isinstance(v, str) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."
