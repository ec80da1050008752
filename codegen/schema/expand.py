"""Self-contained JSON for a named type: its source, with types defined elsewhere inlined.

A registry, fastavro and a generated class all need a schema that stands alone. The output keeps
the source JSON as written (key order, docs, defaults, custom properties); a type defined in
another file or outside the subtree is inlined at its first use, and gets an explicit
`namespace` where it would otherwise resolve against a different enclosing namespace.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from codegen.errors import InputErrors, SchemaError
from codegen.runtime.schema import MARK, expand
from codegen.schema import model as m


def standalone(
    named: m.Named, external: Callable[[str], Iterable[str] | None] | None = None
) -> Any:
    """The self-contained schema of `named` as a JSON value.

    The same assembly the generated packages run (`codegen.runtime.schema.expand`), over the
    local JSON of every type reachable from `named`; see there for `external`.
    """
    return expand(named.fullname, _lookup(named), external)


def _lookup(root: m.Named) -> Callable[[str], Any]:
    """Local JSON by full name, for the named types reachable from `root`."""
    reachable: dict[str, m.Named] = {}
    todo: list[m.Type | m.Named] = [root]
    while todo:
        t = todo.pop()
        if isinstance(t, m.Ref):
            t = t.target
        if isinstance(t, m.Named):
            if t.fullname in reachable:
                continue
            reachable[t.fullname] = t
            if isinstance(t, m.Record):
                todo.extend(f.type for f in t.fields)
        elif isinstance(t, m.Union):
            todo.extend(t.branches)
        elif isinstance(t, m.Array):
            todo.append(t.items)
        elif isinstance(t, m.Map):
            todo.append(t.values)
    cache: dict[str, Any] = {}

    def lookup(full: str) -> Any:
        if full not in cache:
            cache[full] = local(reachable[full])
        return copy.deepcopy(cache[full])

    return lookup


def _replace(source: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {k: (value if k == key else copy.deepcopy(v)) for k, v in source.items()}


def local(named: m.Named) -> Any:
    """The JSON of `named` with each named type defined inside it replaced by a marker.

    What a generated module embeds per type; `codegen.runtime.schema.expand` rebuilds the
    self-contained schema from these.
    """

    def node(t: m.Type) -> Any:
        if isinstance(t, m.Named):
            return {MARK: t.fullname}
        if isinstance(t, (m.Ref, m.Primitive)):
            return copy.deepcopy(t.source)
        if isinstance(t, m.Union):
            return [node(b) for b in t.branches]
        if isinstance(t, m.Array):
            return _replace(t.source, "items", node(t.items))
        if isinstance(t, m.Map):
            return _replace(t.source, "values", node(t.values))
        raise TypeError(f"unexpected node {t!r}")

    out: dict[str, Any] = {}
    for k, v in named.source.items():
        if k == "fields" and isinstance(named, m.Record):
            out[k] = [_replace(f.source, "type", node(f.type)) for f in named.fields]
        else:
            out[k] = copy.deepcopy(v)
    return out


def check_expressible(schemas: m.SchemaSet) -> None:
    """Every named type has a self-contained form that fastavro (and the spec) can read.

    One case has none: a null-namespace type that must be referenced again from inside a
    namespace (a short name there means a type of that namespace). It only arises when
    null-namespace types are defined inside namespaced ones, so most schema sets skip the check.
    """
    named = schemas.named
    if not any(n.namespace == "" for n in named.values()) or all(
        n.namespace == "" for n in named.values()
    ):
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
