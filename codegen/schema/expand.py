"""Self-contained JSON for a named type: its source, with types defined elsewhere inlined.

A registry, fastavro and a generated class all need a schema that stands alone. The output keeps
the source JSON as written (key order, docs, defaults, custom properties); a type defined in
another file or outside the subtree is inlined at its first use, and gets an explicit
`namespace` where it would otherwise resolve against a different enclosing namespace.
"""

from __future__ import annotations

import copy
from typing import Any

from codegen.schema import model as m


def standalone(named: m.Named) -> Any:
    """The self-contained schema of `named` as a JSON value."""
    return _Expander().named(named, "")


def standalone_type(t: m.Type) -> Any:
    """The self-contained schema of any type (e.g. an unnamed top-level union)."""
    return _Expander().node(t, "")


class _Expander:
    def __init__(self) -> None:
        self.defined: set[str] = set()

    def node(self, t: m.Type, ns: str) -> Any:
        if isinstance(t, m.Ref):
            if t.target.fullname in self.defined:
                return copy.deepcopy(t.source)
            return self.named(t.target, ns)
        if isinstance(t, m.Named):
            if t.fullname in self.defined:
                # Defined earlier in this expansion (it was used before its definition).
                return t.fullname
            return self.named(t, ns)
        if isinstance(t, m.Primitive):
            return copy.deepcopy(t.source)
        if isinstance(t, m.Union):
            return [self.node(b, ns) for b in t.branches]
        if isinstance(t, m.Array):
            return self._replace(t.source, "items", self.node(t.items, ns))
        if isinstance(t, m.Map):
            return self._replace(t.source, "values", self.node(t.values, ns))
        raise TypeError(f"unexpected node {t!r}")

    @staticmethod
    def _replace(source: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
        return {k: (value if k == key else copy.deepcopy(v)) for k, v in source.items()}

    def named(self, t: m.Named, ns: str) -> Any:
        self.defined.add(t.fullname)
        src: dict[str, Any] = t.source
        written = src.get("name", "")
        needs_ns = "." not in written and "namespace" not in src and t.namespace != ns
        out: dict[str, Any] = {}
        for k, v in src.items():
            if k == "fields" and isinstance(t, m.Record):
                out[k] = [self._field(f, t.namespace) for f in t.fields]
            else:
                out[k] = copy.deepcopy(v)
            if k == "name" and needs_ns:
                out["namespace"] = t.namespace
        return out

    def _field(self, f: m.Field, ns: str) -> dict[str, Any]:
        return self._replace(f.source, "type", self.node(f.type, ns))


def local(named: m.Named) -> Any:
    """The JSON of `named` with each named type defined inside it replaced by a marker.

    What a generated module embeds per type; `codegen.runtime.schema.expand` rebuilds the
    self-contained schema from these.
    """
    from codegen.runtime.schema import MARK

    def node(t: m.Type) -> Any:
        if isinstance(t, m.Named):
            return {MARK: t.fullname}
        if isinstance(t, (m.Ref, m.Primitive)):
            return copy.deepcopy(t.source)
        if isinstance(t, m.Union):
            return [node(b) for b in t.branches]
        if isinstance(t, m.Array):
            return _Expander._replace(t.source, "items", node(t.items))
        if isinstance(t, m.Map):
            return _Expander._replace(t.source, "values", node(t.values))
        raise TypeError(f"unexpected node {t!r}")

    out: dict[str, Any] = {}
    for k, v in named.source.items():
        if k == "fields" and isinstance(named, m.Record):
            out[k] = [_Expander._replace(f.source, "type", node(f.type)) for f in named.fields]
        else:
            out[k] = copy.deepcopy(v)
    return out


def check_expressible(schemas: m.SchemaSet) -> None:
    """Every named type has a self-contained form that fastavro (and the spec) can read.

    One case has none: a null-namespace type that must be referenced again from inside a
    namespace (a short name there means a type of that namespace). It only arises when
    null-namespace types are defined inside namespaced ones, so most schema sets skip the check.
    """
    from codegen.errors import InputErrors, SchemaError
    from codegen.runtime.schema import expand

    named = schemas.named
    if not any(n.namespace == "" for n in named.values()) or all(n.namespace == "" for n in named.values()):
        return
    locals_ = {name: local(n) for name, n in named.items()}
    errors = []
    for name, n in named.items():
        try:
            expand(name, locals_.__getitem__)
        except ValueError as e:
            errors.append(SchemaError(str(e), file=n.loc.file, path=n.loc.path or "/"))
    if errors:
        raise InputErrors(errors)
