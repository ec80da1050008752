"""The `--against REF` lint rules: changes since REF that break readers, per named type.

Unlike `check`, which judges each subject under its configured level, these rules look at every
named type (also those no topic names yet) and at one change at a time, whatever the level. A
type is matched with its version at REF by full name or by one of its aliases (a renamed type);
fields by name or alias, as Avro's schema resolution matches them.
"""

from __future__ import annotations

from collections.abc import Iterator

from codegen.schema import model as m
from codegen.workflow.report import Finding


def check_changes(
    old: m.SchemaSet, new: m.SchemaSet, label: str, active: frozenset[str]
) -> list[Finding]:
    """Violations of the active BREAKING rules in `new` compared with `old` (at `label`)."""
    out: list[Finding] = []
    for n in new.named.values():
        prev = _previous(old, n)
        if prev is None:
            continue
        if isinstance(n, m.Record) and isinstance(prev, m.Record):
            out += _fields(prev, n, label, active)
        elif isinstance(n, m.Enum) and isinstance(prev, m.Enum):
            out += _symbols(prev, n, label, active)
    return out


def _qualified(name: str, namespace: str) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _previous(old: m.SchemaSet, n: m.Named) -> m.Named | None:
    found = old.get(n.fullname)
    if found is not None:
        return found
    for alias in n.aliases:
        found = old.get(_qualified(alias, n.namespace))
        if found is not None:
            return found
    return None


def _fields(prev: m.Record, rec: m.Record, label: str, active: frozenset[str]) -> Iterator[Finding]:
    old_names = {f.name for f in prev.fields}
    new_names = {f.name for f in rec.fields}
    if "FIELD_ADDED_WITHOUT_DEFAULT" in active:
        for f in rec.fields:
            if f.has_default or ({f.name, *f.aliases} & old_names):
                continue
            yield Finding(
                "FIELD_ADDED_WITHOUT_DEFAULT",
                f"field {f.name!r} was added to {rec.fullname!r} since {label} without a "
                "default: reading data written before it fails; give it a default",
                rec.loc.file,
                f.loc.path,
            )
    if "FIELD_REMOVED_WITHOUT_DEFAULT" in active:
        for g in prev.fields:
            if g.has_default or ({g.name, *g.aliases} & new_names):
                continue
            yield Finding(
                "FIELD_REMOVED_WITHOUT_DEFAULT",
                f"field {g.name!r} was removed from {rec.fullname!r} since {label}, and it has "
                "no default there: readers still on that schema fail on new data; give it a "
                "default first and remove it once every reader has that version",
                rec.loc.file,
                rec.loc.path,
            )


def _symbols(prev: m.Enum, enum: m.Enum, label: str, active: frozenset[str]) -> Iterator[Finding]:
    if "ENUM_SYMBOL_REMOVED" not in active or enum.default is not None:
        return
    gone = [s for s in prev.symbols if s not in enum.symbols]
    if gone:
        yield Finding(
            "ENUM_SYMBOL_REMOVED",
            f"enum {enum.fullname!r} lost {', '.join(map(repr, gone))} since {label} and has no "
            "default: reading data written with a removed symbol fails; keep the symbol or add "
            "a default",
            enum.loc.file,
            enum.loc.path,
        )
