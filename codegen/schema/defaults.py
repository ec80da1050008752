"""Validation of field defaults against their type, per the Avro JSON encoding of defaults.

A union default matches the union's first branch (`union-defaults = "first-branch"`, the
default: Avro <= 1.11, Confluent Platform 7 and most Java readers in the field) or any branch
(`"any-branch"`: Avro 1.12, where the first branch that matches is the one). A default is also
checked as its logical type reads it (a uuid in canonical form, a timestamp within datetime's
range...), so that every problem is found when the schemas load, all at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from codegen.runtime import logical as L
from codegen.schema import model as m
from codegen.schema.compat import ANY_BRANCH, FIRST_BRANCH

_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)
# Textual float and double defaults that Java's parser accepts (Double.parseDouble) and real
# schemas use; the schema keeps the text, the generated default is math.nan or +-math.inf.
FLOAT_WORDS = frozenset({"NaN", "Infinity", "-Infinity"})


def check_default(t: m.Type, value: Any, union_defaults: str = FIRST_BRANCH) -> str | None:
    """None when `value` is a valid default for `t`, else what is wrong (with a path inside it)."""
    return _Checker(union_defaults).check(m.deref(t), value, "")


def union_branch(u: m.Union, value: Any) -> int:
    """The branch a (valid) union default belongs to: the first it matches.

    Under the first-branch rule that is always branch 0; under the any-branch rule it is the
    branch Avro 1.12 reads the default with.
    """
    checker = _Checker(ANY_BRANCH)
    for i, b in enumerate(u.branches):
        if checker.check(m.deref(b), value, "") is None:
            return i
    return 0


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _latin1(v: str) -> bool:
    return all(ord(c) <= 0xFF for c in v)


def _where(path: str) -> str:
    return f" at {path}" if path else ""


class _Checker:
    def __init__(self, union_defaults: str) -> None:
        self.any_branch = union_defaults == ANY_BRANCH

    def check(self, t: m.Type, v: Any, path: str) -> str | None:
        if isinstance(t, m.Primitive):
            problem = _check_primitive(t.name, v, path)
            if problem is None and t.logical is not None:
                problem = _logical_problem(t.logical, t.name, v, path)
            return problem
        if isinstance(t, m.Enum):
            if not isinstance(v, str) or v not in t.symbols:
                return f"{_json(v)} is not a symbol of enum {t.fullname!r}{_where(path)}"
            return None
        if isinstance(t, m.Fixed):
            if not isinstance(v, str) or not _latin1(v):
                return f"expected a string of {t.size} bytes (code points 0-255) for fixed {t.fullname!r}, got {_json(v)}{_where(path)}"
            if len(v) != t.size:
                return f"fixed {t.fullname!r} needs {t.size} bytes, the default has {len(v)}{_where(path)}"
            return _logical_problem(t.logical, "fixed", v, path) if t.logical else None
        if isinstance(t, m.Array):
            if not isinstance(v, list):
                return f"expected a JSON array, got {_json(v)}{_where(path)}"
            for i, item in enumerate(v):
                problem = self.check(m.deref(t.items), item, f"{path}[{i}]")
                if problem:
                    return problem
            return None
        if isinstance(t, m.Map):
            if not isinstance(v, dict):
                return f"expected a JSON object, got {_json(v)}{_where(path)}"
            for k, item in v.items():
                problem = self.check(m.deref(t.values), item, f"{path}[{k!r}]")
                if problem:
                    return problem
            return None
        if isinstance(t, m.Record):
            if not isinstance(v, dict):
                return f"expected a JSON object for record {t.fullname!r}, got {_json(v)}{_where(path)}"
            names = {f.name for f in t.fields}
            for f in t.fields:
                sub = f"{path}.{f.name}" if path else f.name
                if f.name in v:
                    problem = self.check(m.deref(f.type), v[f.name], sub)
                    if problem:
                        return problem
                elif not f.has_default:
                    return f"missing field {f.name!r} of record {t.fullname!r}{_where(path)}"
            extra = sorted(set(v) - names)
            if extra:
                return f"unknown field(s) {', '.join(map(repr, extra))} for record {t.fullname!r}{_where(path)}"
            return None
        if isinstance(t, m.Union):
            # Avro up to 1.11 (Confluent Platform 7, most registries and Java readers in the field)
            # requires a union default to match the FIRST branch; 1.12 relaxed it. A schema that
            # only 1.12 accepts breaks older readers, so the strict rule is the default.
            first = m.deref(t.branches[0])
            problem = self.check(first, v, path)
            if problem is None:
                return None
            for b in t.branches[1:]:
                if self.check(m.deref(b), v, path) is None:
                    if self.any_branch:
                        return None
                    return (
                        f"a union default must match the union's first branch ({_describe(first)}); "
                        f"{_json(v)} is a {_describe(m.deref(b))}: put that branch first{_where(path)}"
                    )
            kinds = ", ".join(_describe(m.deref(b)) for b in t.branches)
            return f"{_json(v)} matches no branch of the union [{kinds}]{_where(path)}"
        return f"cannot check a default for {t.kind}"


def _check_primitive(name: str, v: Any, path: str) -> str | None:
    ok: bool
    if name == "null":
        ok = v is None
    elif name == "boolean":
        ok = isinstance(v, bool)
    elif name == "int":
        ok = _is_int(v) and _INT_RANGE[0] <= v <= _INT_RANGE[1]
    elif name == "long":
        ok = _is_int(v) and _LONG_RANGE[0] <= v <= _LONG_RANGE[1]
    elif name in ("float", "double"):
        ok = (isinstance(v, (int, float)) and not isinstance(v, bool)) or v in FLOAT_WORDS
    elif name == "bytes":
        ok = isinstance(v, str) and _latin1(v)
    elif name == "string":
        ok = isinstance(v, str)
    else:  # pragma: no cover - the loader only builds known primitives
        ok = False
    if ok:
        return None
    expected = {
        "null": "null",
        "boolean": "true or false",
        "int": "an integer in the int range",
        "long": "an integer in the long range",
        "float": 'a number (or "NaN", "Infinity", "-Infinity")',
        "double": 'a number (or "NaN", "Infinity", "-Infinity")',
        "bytes": "a string of code points 0-255",
        "string": "a string",
    }[name]
    return f"expected {expected} for {name}, got {_json(v)}{_where(path)}"


_TIMESTAMPS = {
    "timestamp-millis": L.decode_timestamp_millis,
    "timestamp-micros": L.decode_timestamp_micros,
    "local-timestamp-millis": L.decode_local_timestamp_millis,
    "local-timestamp-micros": L.decode_local_timestamp_micros,
}


def _logical_problem(lg: m.Logical, base: str, v: Any, path: str) -> str | None:
    """Why a default valid for the underlying type is not a value of its logical type."""
    try:
        if lg.name == "uuid" and base == "string":
            try:
                u = uuid.UUID(v)
            except ValueError:
                return f"{_json(v)} is not a UUID{_where(path)}"
            if str(u) != v:
                return f"{_json(v)} is not a UUID in canonical form ({str(u)!r}){_where(path)}"
        elif lg.name == "date":
            L.decode_date(v)
        elif lg.name == "time-millis":
            L.decode_time_millis(v)
        elif lg.name == "time-micros":
            L.decode_time_micros(v)
        elif lg.name in _TIMESTAMPS:
            _TIMESTAMPS[lg.name](v)
        elif lg.name == "big-decimal":
            L.decode_big_decimal(v.encode("latin-1"))
        elif lg.name == "duration":
            L.Duration.from_bytes(v.encode("latin-1"))
    except (ValueError, OverflowError, OSError) as e:
        detail = str(e) or type(e).__name__
        if lg.name == "date" or lg.name in _TIMESTAMPS:
            detail = "outside the range of Python's datetime"
        return f"{_json(v)} is not a valid {lg.name} ({detail}){_where(path)}"
    return None


def _describe(t: m.Type) -> str:
    if isinstance(t, m.Primitive):
        return t.name
    if isinstance(t, m.Named):
        return t.fullname
    return t.kind


def _json(v: Any) -> str:
    import json

    text = json.dumps(v)
    return text if len(text) <= 60 else text[:57] + "..."
