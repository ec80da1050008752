"""The dict form of a record: the bodies of `to_dict` and `__avro_from_dict__`.

The form (see README, "Dicts and JSON") is keyed by Avro field names; records are dicts, enums
their symbols, and every other value is the Python value the class holds (`datetime`, `UUID`,
`Decimal`, `Duration`, `bytes`...). A union with one non-null branch is its value or None; a
union with more is None or a one-entry dict `{branch: value}`, the branch named as Avro's JSON
encoding names it (full name, or the type: "string", "long", "array"...) and chosen as
`serialize()` chooses it. That wrapper is what makes the form exact: no two branches of an Avro
union share a name, while values of several branches can look alike (two records with the
same fields, an enum symbol and a string).

`__avro_from_dict__` accepts that form and also the JSON form of each value (`to_json`: ISO
8601 text for dates and times, text for UUIDs and decimals, Avro's one-character-per-byte text
for bytes), converting through the runtime's `dicts` module; `parse_obj` then checks every
value by encoding the record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Protocol

from codegen.generator import codecs
from codegen.generator.codecs import CodeContext, literal, nested_conditional
from codegen.schema import model as m


class DictContext(CodeContext, Protocol):
    """What the dict-form bodies need from the module they are written into (the plan's
    `_Ctx`): the codecs' context, and the module's union helpers."""

    def helper(self, u: m.Union, direction: str) -> str:
        """The name of the module's helper converting values of `u` in `direction`."""
        ...


# A field as `bodies` takes it: Avro name, attribute, type, default (an expression) or None.
Field = tuple[str, str, m.Type, str | None]

# The runtime's parsing helper for each logical type (`dicts.as_*`).
_PARSERS = {
    "date": "as_date",
    "time-millis": "as_time",
    "time-micros": "as_time",
    "timestamp-millis": "as_datetime",
    "timestamp-micros": "as_datetime",
    "local-timestamp-millis": "as_datetime",
    "local-timestamp-micros": "as_datetime",
    "decimal": "as_decimal",
    "big-decimal": "as_decimal",
    "uuid": "as_uuid",
    "duration": "as_duration",
}


def branch_name(t: m.Type) -> str:
    """The name of a union branch in Avro's JSON encoding."""
    t = m.deref(t)
    return t.fullname if isinstance(t, m.Named) else t.kind


def _tuple(items: Iterable[str]) -> str:
    """A tuple of str literals as black writes it (no magic trailing comma)."""
    parts = [literal(i) for i in items]
    return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"


def _single(u: m.Union) -> m.Type | None:
    """The branch of a union with at most one non-null branch (None if it has more)."""
    rest = [b for b in u.branches if not _is_null(b)]
    if len(rest) > 1:
        return None
    return rest[0] if rest else m.deref(u.branches[0])


def _is_null(t: m.Type) -> bool:
    t = m.deref(t)
    return isinstance(t, m.Primitive) and t.name == "null"


def to_dict(ctx: DictContext, t: m.Type, x: str, depth: int) -> str:
    """Expression: the dict form of the Python value `x` (fresh containers)."""
    t = m.deref(t)
    if isinstance(t, (m.Primitive, m.Fixed)):
        return x
    if isinstance(t, m.Enum):
        return f"{x}.value"
    if isinstance(t, m.Record):
        return f"{x}.to_dict()"
    if isinstance(t, (m.Array, m.Map)):
        return _each(t, x, depth, partial(to_dict, ctx))
    if isinstance(t, m.Union):
        single = _single(t)
        if single is None:
            return f"{ctx.helper(t, 'to_dict')}({x})"
        inner = to_dict(ctx, single, x, depth)
        return x if inner == x else f"None if {x} is None else {inner}"
    raise TypeError(t)


def from_dict(ctx: DictContext, t: m.Type, x: str, depth: int) -> str:
    """Expression: the Python value of `x` in the dict (or JSON) form."""
    t = m.deref(t)
    if isinstance(t, (m.Primitive, m.Fixed)):
        if t.logical is not None and t.logical.name in _PARSERS:
            return f"{ctx.use('dicts')}.{_PARSERS[t.logical.name]}({x})"
        if (isinstance(t, m.Primitive) and t.name == "bytes") or isinstance(t, m.Fixed):
            return f"{ctx.use('dicts')}.as_bytes({x})"
        return x  # checked by `parse_obj`, which encodes the record
    if isinstance(t, m.Enum):
        return f"{ctx.use('dicts')}.member({ctx.cls_ref(t)}, {x})"
    if isinstance(t, m.Record):
        return f"{ctx.cls_ref(t)}.__avro_from_dict__({x})"
    if isinstance(t, (m.Array, m.Map)):
        checked = "items" if isinstance(t, m.Array) else "entries"
        return _each(t, f"{ctx.use('dicts')}.{checked}({x})", depth, partial(from_dict, ctx))
    if isinstance(t, m.Union):
        single = _single(t)
        if single is None:
            return f"{ctx.helper(t, 'from_dict')}({x})"
        inner = from_dict(ctx, single, x, depth)
        return x if inner == x else f"None if {x} is None else {inner}"
    raise TypeError(t)


def _each(
    t: m.Array | m.Map, x: str, depth: int, convert: Callable[[m.Type, str, int], str]
) -> str:
    """Expression: a fresh list or dict of the items of `x` converted by `convert`."""
    v = f"v{depth}"
    if isinstance(t, m.Array):
        inner = convert(t.items, v, depth + 1)
        return f"list({x})" if inner == v else f"[{inner} for {v} in {x}]"
    k = f"k{depth}"
    inner = convert(t.values, v, depth + 1)
    return f"dict({x})" if inner == v else f"{{{k}: {inner} for {k}, {v} in {x}.items()}}"


def union_to_dict_body(ctx: DictContext, u: m.Union) -> list[str]:
    """Body of a helper giving the dict form of `v`, a value of union `u` (several branches):
    None, or `{branch: value}` for the branch `serialize()` writes."""
    lines: list[str] = []
    tested: set[str] = set()
    for _, check_type, written in codecs.RecordCodec.union_order(u):
        cond = ctx.branch_check(check_type, "v")
        if cond in tested:
            continue
        tested.add(cond)
        lines.append(f"if {cond}:")
        if _is_null(written):
            lines.append("    return None")
        else:
            value = to_dict(ctx, written, "v", 0)
            lines.append(f"    return {{{literal(branch_name(written))}: {value}}}")
    lines.append(f"raise {ctx.use('codec')}.no_branch(v, {literal(codecs._describe(u))})")
    return lines


def union_from_dict_body(ctx: DictContext, u: m.Union) -> list[str]:
    """Body of a helper reading `v`, None or `{branch: value}`, as a value of union `u`."""
    lines: list[str] = []
    branches = [m.deref(b) for b in u.branches]
    if any(_is_null(b) for b in branches):
        lines += ["if v is None:", "    return None"]
    names = _tuple(branch_name(b) for b in branches if not _is_null(b))
    lines.append(f"name, x = {ctx.use('dicts')}.branch(v, {names})")
    for b in branches:
        if _is_null(b):
            continue
        value = from_dict(ctx, b, "x", 0)
        if value == "x":  # `x` is Any
            value = f"{ctx.use('typing')}.cast({ctx.hint(b)}, {value})"
        lines.append(f"if name == {literal(branch_name(b))}:")
        lines.append(f"    return {value}")
    lines.append("raise AssertionError(name)  # `branch` returned one of the names")
    return lines


def bodies(ctx: DictContext, name: str, fields: list[Field]) -> tuple[list[str], list[str]]:
    """The bodies of `to_dict` and `__avro_from_dict__` of record class `name`."""
    check = f"{ctx.use('dicts')}.check_fields(data, cls)"
    if not fields:
        return ["return {}"], [check, "return cls.__new__(cls)"]
    to = ["return {"]
    for avro_name, attr, t, _ in fields:
        to.append(f"    {literal(avro_name)}: {to_dict(ctx, t, 'self.' + attr, 0)},")
    to.append("}")
    c = ctx.use("codec")
    back = [check, "o = cls.__new__(cls)"]
    for avro_name, attr, t, default in fields:
        key = literal(avro_name)
        value = from_dict(ctx, t, f"data[{key}]", 0)
        plain = value == f"data[{key}]"  # taken as it is (`parse_obj` checks it): cannot fail
        if default is not None:
            value = (
                f"data.get({key}, {default})"
                if plain
                else f"{default} if {key} not in data else "
                + nested_conditional(value, f"data[{key}]")
            )
        if plain:
            back.append(f"o.{attr} = {value}")
            continue
        back += [
            "try:",
            f"    o.{attr} = {value}",
            f"except {c}.FAILURES as e:",
            f"    {c}.field_error(e, {literal(name)}, {literal(attr)})",
        ]
    back.append("return o")
    return to, back
