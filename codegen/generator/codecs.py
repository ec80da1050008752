"""The generated binary codec of a record: the bodies of `__avro_write__` and `__avro_read__`.

Each record gets straight-line code for its own schema, working on the dataclass itself (no
intermediate dict, no schema interpretation at run time). The encoder handles the common
cases inline (small ints, `str`, `float`, members of the enum class, records of the exact
class) and calls the runtime's `codec` helpers for the rest, which validate as
`fastavro.validation` does; each field is wrapped so that an error names its path. Output is
byte-identical to `fastavro.schemaless_writer` (union branches chosen the way fastavro
chooses them). The decoder reads from `bytes` at a position and builds the object directly.

Lines are emitted as black formats them (double quotes, no line over 88 characters once
indented): such bodies skip black, which is most of the time `generate` would spend.

Conventions of the generated code: `buf` is the output `bytearray`; `data`, `pos` and `size`
are the input, the read position and `len(data)`; `b`, `ln` and `end` are scratch ints used
right after they are set; every other temporary gets a fresh numbered name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from black.strings import normalize_string_quotes

from codegen.generator import formatting
from codegen.generator.literals import string_literal
from codegen.schema import model as m


class CodeContext(Protocol):
    """What the codec bodies need from the module they are written into (the plan's `_Ctx`);
    a protocol, so that `plan` imports this module and not the other way round."""

    def use(self, key: str) -> str:
        """The alias of an import the module needs (`"codec"`, `"logical"`...)."""
        ...

    def cls_ref(self, named: m.Named) -> str:
        """The expression naming the generated class of `named` from this module."""
        ...

    def hint(self, t: m.Type) -> str:
        """The type hint of values of `t`."""
        ...

    def branch_check(self, b: m.Type, v: str) -> str:
        """Is the Python value `v` valid for branch `b` (as fastavro's validation decides)?"""
        ...

    def function(self, key: str, params: str, returns: str, body: Callable[[], list[str]]) -> str:
        """The name of a module-level function made once per `key`, `body()` its lines."""
        ...


# Arrays and maps nested deeper than this in one function are coded in a function of their own:
# Python refuses more than 20 nested loops and `try` blocks in one function, and decoding one
# level takes two (an array nested 11 deep is valid Avro).
MAX_INLINE_DEPTH = 4

# Method bodies are indented by 8; a body whose lines all fit is already formatted as black
# would format it, and is spliced in after black ran on the rest (see render.py).
BODY_INDENT = 8
LINE_LENGTH = 88


def literal(value: str | bytes) -> str:
    """A str or bytes literal as black writes it."""
    if isinstance(value, str):
        return string_literal(value)  # (black's regular expressions are slow)
    return normalize_string_quotes(repr(value))


def nested_conditional(expr: str, x: str) -> str:
    """`expr` (an expression of `x`) ready to be the `else` part of a conditional expression:
    parenthesized when it is one itself (`None if x is None else ...`, see `union_dec`), as
    black and ruff split an unparenthesized nested one differently (neither would be stable
    under the other)."""
    return f"({expr})" if expr.startswith(f"None if {x} is None else ") else expr


def formatted(lines: list[str], indent: int = BODY_INDENT) -> list[str]:
    """A function body as black formats it, once indented by `indent` (8: a method).

    Bodies are emitted formatted; the statements of the rare one with a line too long (long
    names) go through black (see formatting.py), which formats them as inside the module.
    """
    return formatting.format_body(lines, indent)


def _is_null(t: m.Type) -> bool:
    return isinstance(t, m.Primitive) and t.name == "null"


def _describe(u: m.Union) -> str:
    """The union for error messages: its branches, or their number when that is long."""
    parts = []
    for b in u.branches:
        b = m.deref(b)
        parts.append(b.fullname if isinstance(b, m.Named) else b.kind)
    text = "[" + ", ".join(parts) + "]"
    return text if len(text) <= 40 else f"a union of {len(parts)} branches"


def type_key(t: m.Type) -> Any:
    """A JSON value that is equal for types of the same structure (named types by name)."""
    t = m.deref(t)
    if isinstance(t, m.Named):
        return t.fullname
    if isinstance(t, m.Primitive):
        return [
            t.name,
            t.logical.name if t.logical else None,
            t.logical.precision if t.logical else 0,
            t.logical.scale if t.logical else 0,
        ]
    if isinstance(t, m.Array):
        return ["array", type_key(t.items)]
    if isinstance(t, m.Map):
        return ["map", type_key(t.values)]
    if isinstance(t, m.Union):
        return ["union", [type_key(b) for b in t.branches]]
    raise TypeError(t)


class RecordCodec:
    """Writes the encoder and decoder bodies of one record (lines without indentation)."""

    def __init__(
        self, ctx: CodeContext, record: m.Record, attrs: dict[str, str], name: str
    ) -> None:
        self.ctx = ctx
        self.record = record
        self.attrs = attrs
        self.name = name
        self.counter = 0
        self.depth = 0  # arrays and maps around the code being written, in this function

    def local_hint(self, t: m.Type) -> str:
        """The hint of a local variable: Any where a deep nesting makes it long (black would
        spread it over one line per level)."""
        hint = self.ctx.hint(t)
        return hint if len(hint) <= 40 else f"{self.ctx.use('typing')}.Any"

    def nested(self, direction: str, t: m.Array | m.Map) -> str | None:
        """The function writing (or reading) a container nested too deep to code inline, or
        None while it is not (then the caller codes it one level deeper)."""
        if self.depth < MAX_INLINE_DEPTH:
            return None
        hint = self.local_hint(t)

        def body() -> list[str]:
            inner = RecordCodec(self.ctx, self.record, self.attrs, self.name)
            out: list[str] = []
            if direction == "write":
                inner.enc(t, "x", out)
                return out
            inner.dec(t, "v", out)
            out.append("return v, pos")
            return ["size = len(data)", *out] if any("size" in x for x in out) else out

        key = f"{direction}:{json.dumps(type_key(t))}"
        if direction == "write":
            return self.ctx.function(key, f"buf: bytearray, x: {hint}", "None", body)
        return self.ctx.function(key, "data: bytes, pos: int", f"tuple[{hint}, int]", body)

    def tmp(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    @property
    def codec(self) -> str:
        return self.ctx.use("codec")

    # -- encoder -----------------------------------------------------------------------------

    def write_body(self) -> list[str]:
        out: list[str] = []
        for f in self.record.fields:
            c = self.codec
            attr = self.attrs[f.name]
            x = self.tmp("v")
            out.append("try:")
            body = [f"{x} = self.{attr}"]
            self.enc(f.type, x, body)
            out += ["    " + line for line in body]
            out.append(f"except {c}.FAILURES as e:")
            out.append(f"    {c}.field_error(e, {literal(self.name)}, {literal(attr)})")
        return out or ["pass"]

    def enc(self, t: m.Type, x: str, out: list[str]) -> None:
        """Statements appending the Avro binary of the value in local `x` to `buf`."""
        t = m.deref(t)
        c = self.codec
        if isinstance(t, m.Primitive):
            if t.logical is not None:
                self.enc_logical(t.logical, t.name, x, out)
                return
            if t.name == "null":
                out += [f"if {x} is not None:", f'    raise {c}.wrong("null", {x})']
            elif t.name == "boolean":
                out.append(f"buf.append(1 if {x} is True else {c}.false_byte({x}))")
            elif t.name in ("int", "long"):
                self.enc_int(t.name, x, out)
            elif t.name == "float":
                out.append(f"buf += {c}.float_bytes({x})")
            elif t.name == "double":
                out += [
                    f"if type({x}) is float:",
                    f"    buf += {c}.pack_double({x})",
                    "else:",
                    f"    buf += {c}.double_bytes({x})",
                ]
            elif t.name == "bytes":
                out.append(f"{c}.write_bytes(buf, {x})")
            elif t.name == "string":
                self.enc_string(x, out)
            else:
                raise TypeError(t.name)
        elif isinstance(t, m.Fixed):
            self.enc_fixed(t, x, out)
        elif isinstance(t, m.Enum):
            cls = self.ctx.cls_ref(t)
            out += [
                f"if type({x}) is {cls}:",
                f"    buf += {x}.__avro_code__",
                "else:",
                f"    buf += {c}.enum_code({x}, {cls})",
            ]
        elif isinstance(t, m.Record):
            cls = self.ctx.cls_ref(t)
            out += [
                f"if type({x}) is {cls}:",
                f"    {x}.__avro_write__(buf)",
                "else:",
                f"    {c}.write_record(buf, {x}, {cls})",
            ]
        elif isinstance(t, (m.Array, m.Map)) and (helper := self.nested("write", t)):
            out.append(f"{helper}(buf, {x})")
        elif isinstance(t, m.Array):
            self.depth += 1
            seq, item = x, self.tmp("v")
            out += [f"if type({x}) is not list:", f"    {x} = {c}.as_list({x})"]
            out.append(f"if {seq}:")
            out += ["    " + line for line in self.enc_len(f"len({seq})")]
            out.append(f"    for {item} in {seq}:")
            inner: list[str] = []
            self.enc(t.items, item, inner)
            out += ["        " + line for line in inner]
            out.append("buf.append(0)")
            self.depth -= 1
        elif isinstance(t, m.Map):
            self.depth += 1
            mapping, key, value = x, self.tmp("k"), self.tmp("v")
            out += [f"if type({x}) is not dict:", f"    {x} = {c}.as_dict({x})"]
            out.append(f"if {mapping}:")
            out += ["    " + line for line in self.enc_len(f"len({mapping})")]
            out.append(f"    for {key}, {value} in {mapping}.items():")
            inner = []
            self.enc_string(key, inner)
            self.enc(t.values, value, inner)
            out += ["        " + line for line in inner]
            out.append("buf.append(0)")
            self.depth -= 1
        elif isinstance(t, m.Union):
            self.enc_union(t, x, out)
        else:
            raise TypeError(t)

    def enc_int(self, kind: str, x: str, out: list[str]) -> None:
        out += [
            f"if type({x}) is int and -64 <= {x} <= 63:",
            f"    buf.append(({x} << 1) ^ ({x} >> 63))",
            "else:",
            f"    {self.codec}.write_{kind}(buf, {x})",
        ]

    def enc_len(self, n: str) -> list[str]:
        """A length: one byte when below 64, as most are."""
        return [
            f"if {n} < 64:",
            f"    buf.append({n} << 1)",
            "else:",
            f"    {self.codec}.write_len(buf, {n})",
        ]

    def enc_string(self, x: str, out: list[str]) -> None:
        raw = self.tmp("s")
        out += [
            f"if type({x}) is str:",
            f"    {raw} = {x}.encode()",
            "else:",
            f"    {raw} = {self.codec}.str_bytes({x})",
        ]
        out += self.enc_len(f"len({raw})")
        out.append(f"buf += {raw}")

    def enc_logical(self, lg: m.Logical, base: str, x: str, out: list[str]) -> None:
        c = self.codec
        name = lg.name
        as_long = {
            "timestamp-millis": "timestamp_millis",
            "timestamp-micros": "timestamp_micros",
            "local-timestamp-millis": "local_timestamp_millis",
            "local-timestamp-micros": "local_timestamp_micros",
        }
        if name in as_long:
            out.append(f"{c}.write_{as_long[name]}(buf, {x})")
        elif name == "date":
            out.append(f"{c}.write_int(buf, {c}.date_days({x}))")
        elif name == "time-millis":
            out.append(f"{c}.write_int(buf, {c}.time_millis({x}))")
        elif name == "time-micros":
            out.append(f"{c}.write_long(buf, {c}.time_micros({x}))")
        elif name in ("timestamp-nanos", "local-timestamp-nanos"):
            self.enc_int("long", x, out)
        elif name == "uuid":
            out += ["buf.append(72)", f"buf += {c}.uuid_str({x})"]  # 36 characters, always
        elif name == "decimal":
            out.append(f"{c}.write_decimal(buf, {x}, {lg.precision}, {lg.scale})")
        elif name == "big-decimal":
            out.append(f"{c}.write_big_decimal(buf, {x})")
        else:
            raise ValueError(f"{name} on {base}")

    def enc_fixed(self, t: m.Fixed, x: str, out: list[str]) -> None:
        c = self.codec
        lg = t.logical
        if lg is None:
            out += [
                f"if type({x}) is bytes and len({x}) == {t.size}:",
                f"    buf += {x}",
                "else:",
                f"    buf += {c}.fixed_bytes({x}, {t.size})",
            ]
        elif lg.name == "decimal":
            out.append(f"buf += {c}.decimal_fixed({x}, {lg.precision}, {lg.scale}, {t.size})")
        elif lg.name == "uuid":
            out.append(f"buf += {c}.uuid_fixed({x})")
        elif lg.name == "duration":
            out.append(f"buf += {c}.duration_bytes({x})")
        else:
            raise ValueError(lg.name)

    @staticmethod
    def union_order(u: m.Union) -> list[tuple[int, m.Type, m.Type]]:
        """(index written, branch whose check selects it, branch written), in the order fastavro
        tries them: a value valid for `float` goes to a later `double` when there is one."""
        branches = [m.deref(b) for b in u.branches]
        order: list[tuple[int, m.Type, m.Type]] = []
        for i, b in enumerate(branches):
            target: tuple[int, m.Type] = (i, b)
            if isinstance(b, m.Primitive) and b.name == "float" and b.logical is None:
                for j in range(i + 1, len(branches)):
                    d = branches[j]
                    if isinstance(d, m.Primitive) and d.name == "double" and d.logical is None:
                        target = (j, d)
                        break
            order.append((target[0], b, target[1]))
        return order

    def enc_union(self, u: m.Union, x: str, out: list[str]) -> None:
        c = self.codec
        first = True
        tested: set[str] = set()
        for index, check_type, written in self.union_order(u):
            cond = self.ctx.branch_check(check_type, x)
            if cond in tested:  # `double` after `float`: its values went to it already
                continue
            tested.add(cond)
            out.append(f"{'if' if first else 'elif'} {cond}:")
            first = False
            body: list[str] = []
            if index < 64:
                body.append(f"buf.append({index << 1})")
            else:
                body.append(f"{c}.write_len(buf, {index})")
            if not _is_null(written):  # the branch check tested it already
                self.enc(written, x, body)
            out += ["    " + line for line in body]
        out.append("else:")
        out.append(f"    raise {c}.no_branch({x}, {literal(_describe(u))})")

    # -- decoder -----------------------------------------------------------------------------

    def read_body(self) -> list[str]:
        out = ["o = cls.__new__(cls)"]
        for f in self.record.fields:
            self.dec(f.type, f"o.{self.attrs[f.name]}", out)
        out.append("return o, pos")
        if any("size" in line for line in out):
            out.insert(0, "size = len(data)")
        return out

    def dec(self, t: m.Type, target: str, out: list[str]) -> None:
        """Statements reading a value of type `t` at `pos` into `target` (an assignable)."""
        t = m.deref(t)
        c = self.codec
        if isinstance(t, m.Primitive):
            if t.logical is not None:
                self.dec_logical(t.logical, t.name, target, out)
            elif t.name == "null":
                out.append(f"{target} = None")
            elif t.name == "boolean":
                out += [f"{target} = {c}.read_boolean(data, pos)", "pos += 1"]
            elif t.name in ("int", "long"):
                self.dec_long(target, out)
            elif t.name == "float":
                out += [f"({target},) = {c}.unpack_float(data, pos)", "pos += 4"]
            elif t.name == "double":
                out += [f"({target},) = {c}.unpack_double(data, pos)", "pos += 8"]
            elif t.name == "bytes":
                out.append(f"{target}, pos = {c}.read_bytes(data, pos)")
            elif t.name == "string":
                self.dec_string(target, out)
            else:
                raise TypeError(t.name)
        elif isinstance(t, m.Fixed):
            self.dec_fixed(t, target, out)
        elif isinstance(t, m.Enum):
            cls = self.ctx.cls_ref(t)
            count = len(t.symbols)
            if count <= 64:
                out += [
                    "b = data[pos]",
                    f"if b >= {2 * count} or b & 1:",
                    f"    raise {c}.bad_index(b, {literal(t.fullname)})",
                    f"{target} = {cls}.__avro_members__[b >> 1]",
                    "pos += 1",
                ]
            else:
                i = self.tmp("i")
                out += [
                    f"{i}, pos = {c}.read_long(data, pos)",
                    f"if not 0 <= {i} < {count}:",
                    f"    raise {c}.bad_index({i}, {literal(t.fullname)})",
                    f"{target} = {cls}.__avro_members__[{i}]",
                ]
        elif isinstance(t, m.Record):
            out.append(f"{target}, pos = {self.ctx.cls_ref(t)}.__avro_read__(data, pos)")
        elif isinstance(t, (m.Array, m.Map)) and (helper := self.nested("read", t)):
            out.append(f"{target}, pos = {helper}(data, pos)")
        elif isinstance(t, m.Array):
            self.depth += 1
            items, n, item = self.tmp("a"), self.tmp("n"), self.tmp("v")
            out.append(f"{items}: list[{self.local_hint(t.items)}] = []")
            self.dec_count(n, out)
            out.append(f"while {n}:")
            out.append(f"    for _ in range({n}):")
            inner: list[str] = [f"{item}: {self.local_hint(t.items)}"]
            self.dec(t.items, item, inner)
            inner.append(f"{items}.append({item})")
            out += ["        " + line for line in inner]
            loop: list[str] = []
            self.dec_count(n, loop)
            out += ["    " + line for line in loop]
            out.append(f"{target} = {items}")
            self.depth -= 1
        elif isinstance(t, m.Map):
            self.depth += 1
            mapping, n, key = self.tmp("d"), self.tmp("n"), self.tmp("k")
            out.append(f"{mapping}: dict[str, {self.local_hint(t.values)}] = {{}}")
            self.dec_count(n, out)
            out.append(f"while {n}:")
            out.append(f"    for _ in range({n}):")
            inner = []
            self.dec_string(key, inner)
            self.dec(t.values, f"{mapping}[{key}]", inner)
            out += ["        " + line for line in inner]
            loop = []
            self.dec_count(n, loop)
            out += ["    " + line for line in loop]
            out.append(f"{target} = {mapping}")
            self.depth -= 1
        elif isinstance(t, m.Union):
            self.dec_union(t, target, out)
        else:
            raise TypeError(t)

    def dec_long(self, target: str, out: list[str]) -> None:
        out += [
            "b = data[pos]",
            "if b < 0x80:",
            f"    {target} = (b >> 1) ^ -(b & 1)",
            "    pos += 1",
            "else:",
            f"    {target}, pos = {self.codec}.read_long(data, pos)",
        ]

    def dec_count(self, n: str, out: list[str]) -> None:
        out += [
            f"{n} = data[pos]",
            f"if {n} & 0x81:",
            f"    {n}, pos = {self.codec}.read_count(data, pos)",
            "else:",
            f"    {n} >>= 1",
            "    pos += 1",
        ]

    def dec_string(self, target: str, out: list[str]) -> None:
        out += [
            "ln = data[pos]",
            "if ln & 0x81:",
            f"    ln, pos = {self.codec}.read_len(data, pos)",
            "else:",
            "    ln >>= 1",
            "    pos += 1",
            "end = pos + ln",
            "if end > size:",
            "    raise EOFError",
            f"{target} = data[pos:end].decode()",
            "pos = end",
        ]

    def dec_logical(self, lg: m.Logical, base: str, target: str, out: list[str]) -> None:
        c = self.codec
        name = lg.name
        if name in ("timestamp-nanos", "local-timestamp-nanos"):
            self.dec_long(target, out)
        elif name == "uuid":
            out.append(f"{target}, pos = {c}.read_uuid(data, pos)")
        elif name == "decimal":
            out.append(f"{target}, pos = {c}.read_decimal(data, pos, {lg.precision}, {lg.scale})")
        elif name == "big-decimal":
            raw = self.tmp("r")
            out.append(f"{raw}, pos = {c}.read_bytes(data, pos)")
            out.append(f"{target} = {self.ctx.use('logical')}.decode_big_decimal({raw})")
        elif "timestamp" in name:
            out.append(f"{target}, pos = {c}.read_{name.replace('-', '_')}(data, pos)")
        else:
            n = self.tmp("t")
            self.dec_long(n, out)
            convert = {
                "date": "from_days",
                "time-millis": "from_time_millis",
                "time-micros": "from_time_micros",
            }
            if name not in convert:
                raise ValueError(f"{name} on {base}")
            out.append(f"{target} = {c}.{convert[name]}({n})")

    def dec_fixed(self, t: m.Fixed, target: str, out: list[str]) -> None:
        c = self.codec
        lg = t.logical
        if lg is None:
            out.append(f"{target}, pos = {c}.read_fixed(data, pos, {t.size})")
            return
        raw = self.tmp("r")
        out.append(f"{raw}, pos = {c}.read_fixed(data, pos, {t.size})")
        if lg.name == "decimal":
            out.append(f"{target} = {c}.to_decimal({raw}, {lg.precision}, {lg.scale})")
        elif lg.name == "uuid":
            out.append(f"{target} = {c}.uuid_from_bytes({raw})")
        elif lg.name == "duration":
            out.append(f"{target} = {self.ctx.use('logical')}.Duration.from_bytes({raw})")
        else:
            raise ValueError(lg.name)

    def dec_union(self, u: m.Union, target: str, out: list[str]) -> None:
        c = self.codec
        branches = [m.deref(b) for b in u.branches]
        if len(branches) <= 64:
            out += ["b = data[pos]", "pos += 1"]
            index, shift = "b", 1
        else:
            index, shift = self.tmp("i"), 0
            out.append(f"{index}, pos = {c}.read_long(data, pos)")
        bodies: dict[str, list[int]] = {}  # identical code (["long", "int"]) shares a test
        for i, b in enumerate(branches):
            body: list[str] = []
            self.dec(b, target, body)
            bodies.setdefault("\n".join(body), []).append(i << shift)
        for n, (text, indexes) in enumerate(bodies.items()):
            test = (
                f"{index} == {indexes[0]}" if len(indexes) == 1 else f"{index} in {tuple(indexes)}"
            )
            out.append(f"{'if' if n == 0 else 'elif'} {test}:")
            out += ["    " + line for line in text.split("\n")]
        out.append("else:")
        out.append(f"    raise {c}.bad_index({index}, {literal(_describe(u))})")
