"""The registry's working state in memory: what the store holds, indexed for the requests.

Rebuilt from the store at start (every stored schema parsed once, then kept), and changed only
after a store transaction committed, so it never holds anything the database does not. Not
thread-safe by itself: `service.Registry` reads and changes it under one short lock, and never
holds that lock while parsing or checking schemas.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from codegen.registry_server import errors
from codegen.registry_server.store import SchemaRow, Store, VersionRow
from codegen.schema import compat
from codegen.schema.forms import Named, ParsedSchema, SchemaInvalid, merge_definitions, parse

# Avro 1.12's rule for union defaults (any branch): a project may choose it (`union-defaults`),
# and the generator already holds the others to the first branch.
UNION_DEFAULTS = "any-branch"

DEFAULT_LEVEL = "BACKWARD"
DEFAULT_MODE = "READWRITE"
GLOBAL = ""
LATEST = -1


@dataclass(frozen=True, order=True)
class Reference:
    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


Refs = tuple[Reference, ...]
IdentityKey = tuple[str, Refs]


@dataclass(frozen=True)
class Version:
    version: int
    schema_id: int
    deleted: bool


class Stored:
    """A schema as stored under its id, with its parsed forms kept for later checks."""

    def __init__(self, schema_id: int, text: str, refs: Refs, parsed: ParsedSchema) -> None:
        self.id = schema_id
        self.text = text
        self.refs = refs
        self.parsed = parsed
        self._loaded: compat.Loaded | None = None

    def loaded(self) -> compat.Loaded:
        """The schema as the compatibility checker sees it (parsed on first use, then kept)."""
        if self._loaded is None:
            self._loaded = compat.load(self.parsed.expanded_text, union_defaults=UNION_DEFAULTS)
        return self._loaded

    def keep_loaded(self, loaded: compat.Loaded | None) -> None:
        self._loaded = loaded

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema": self.text}
        if self.refs:
            out["references"] = [r.to_json() for r in self.refs]
        return out

    def refs_json(self) -> str:
        return json.dumps([r.to_json() for r in self.refs])


class State:
    """Schemas by id and by identity, subjects' versions, levels and modes."""

    def __init__(self) -> None:
        self.schemas: dict[int, Stored] = {}
        self.subjects: dict[str, dict[int, Version]] = {}
        # id -> the (subject, version) pairs using it, deleted ones included
        self.usage: dict[int, set[tuple[str, int]]] = {}
        self.by_identity: dict[IdentityKey, int] = {}
        self.levels: dict[str, str] = {}
        self.modes: dict[str, str] = {}
        self._live: dict[str, list[Version]] = {}  # cache of live(), dropped on every change

    # ---- loading -----------------------------------------------------------------------------

    @classmethod
    def load(cls, store: Store) -> State:
        state = cls()
        schemas, versions, settings = store.load()
        rows = {row.id: row for row in schemas}
        for vrow in versions:
            state.subjects.setdefault(vrow.subject, {})[vrow.version] = Version(
                vrow.version, vrow.schema_id, vrow.deleted
            )
            state.usage.setdefault(vrow.schema_id, set()).add((vrow.subject, vrow.version))
        for schema_id in rows:
            state._load_schema(schema_id, rows)
        for stored in state.schemas.values():
            key = (stored.parsed.identity, stored.refs)
            if state.usage.get(stored.id) or key not in state.by_identity:
                state.by_identity[key] = stored.id
        for setting in settings:
            target = state.levels if setting.kind == "compatibility" else state.modes
            target[setting.subject] = setting.value
        return state

    def _load_schema(self, schema_id: int, rows: dict[int, SchemaRow]) -> Stored:
        stored = self.schemas.get(schema_id)
        if stored is not None:
            return stored
        row = rows[schema_id]
        refs = tuple(Reference(r["name"], r["subject"], r["version"]) for r in json.loads(row.refs))
        parts = []
        for ref in refs:  # referenced schemas are stored before their referrers
            target = self.subjects.get(ref.subject, {}).get(ref.version)
            if target is not None and target.schema_id in rows:
                parts.append(self._load_schema(target.schema_id, rows).parsed.definitions())
        try:
            external = merge_definitions(parts)
        except SchemaInvalid:
            external = {}
        # strict=False: a reference permanently deleted after its referrer was soft-deleted
        stored = Stored(schema_id, row.schema, refs, parse(row.schema, external, strict=False))
        self.schemas[schema_id] = stored
        return stored

    # ---- reading -----------------------------------------------------------------------------

    def live(self, subject: str) -> list[Version]:
        """The subject's undeleted versions, oldest first (do not modify the list)."""
        cached = self._live.get(subject)
        if cached is None:
            versions = self.subjects.get(subject, {})
            cached = sorted((v for v in versions.values() if not v.deleted), key=_number)
            self._live[subject] = cached
        return cached

    def visible(self, subject: str, deleted: bool) -> list[Version]:
        if not deleted:
            return self.live(subject)
        return sorted(self.subjects.get(subject, {}).values(), key=_number)

    def find(self, subject: str, number: int, deleted: bool) -> Version:
        """A version by number (or LATEST): 40401 without the subject, 40402 without it."""
        if number == LATEST:
            visible = self.visible(subject, deleted)
            if not visible:
                raise errors.subject_not_found(subject)
            return visible[-1]
        found = self.subjects.get(subject, {}).get(number)
        if found is None or (found.deleted and not deleted):
            if not self.visible(subject, deleted):
                raise errors.subject_not_found(subject)
            raise errors.version_not_found(number)
        return found

    def level(self, subject: str) -> str:
        return self.levels.get(subject) or self.levels.get(GLOBAL) or DEFAULT_LEVEL

    def mode(self, subject: str | None) -> str:
        """The mode in force for `subject` (a global READONLY_OVERRIDE beats subject modes)."""
        global_mode = self.modes.get(GLOBAL, DEFAULT_MODE)
        if subject is None or global_mode == "READONLY_OVERRIDE":
            return global_mode
        return self.modes.get(subject, global_mode)

    def resolve(self, refs: Refs) -> tuple[Refs, list[Stored]]:
        """References with `latest` made concrete, and the schemas they name (else 42201)."""
        resolved = []
        targets = []
        for ref in refs:
            if ref.version == LATEST:
                live = self.live(ref.subject)
                target = live[-1] if live else None
            else:
                target = self.subjects.get(ref.subject, {}).get(ref.version)
            if target is None:
                raise errors.invalid_schema(
                    f'No schema reference found for subject "{ref.subject}" and version {ref.version}'
                )
            targets.append(self.schemas[target.schema_id])
            resolved.append(Reference(ref.name, ref.subject, target.version))
        return tuple(resolved), targets

    def live_id(self, key: IdentityKey) -> int | None:
        """The id of this schema if a version (deleted or not) still uses it."""
        schema_id = self.by_identity.get(key)
        return schema_id if schema_id is not None and self.usage.get(schema_id) else None

    def versions_of(self, schema_id: int, subject: str, deleted: bool) -> list[Version]:
        """The subject's versions holding `schema_id`, oldest first."""
        versions = self.subjects.get(subject, {})
        found = [versions[n] for s, n in self.usage.get(schema_id, ()) if s == subject]
        return sorted((v for v in found if deleted or not v.deleted), key=_number)

    def _referring(self) -> Iterator[tuple[int, Refs]]:
        """(id, references) of the schemas with references that an undeleted version uses."""
        for schema_id, users in self.usage.items():
            refs = self.schemas[schema_id].refs
            if refs and any(not self.subjects[s][n].deleted for s, n in users):
                yield schema_id, refs

    def referenced(self) -> set[tuple[str, int]]:
        """(subject, version) pairs named by the references of undeleted versions."""
        return {(r.subject, r.version) for _, refs in self._referring() for r in refs}

    def referrers(self, subject: str, version: int) -> set[int]:
        """Ids of the undeleted schemas that reference `subject` at `version`."""
        return {
            schema_id
            for schema_id, refs in self._referring()
            if any(r.subject == subject and r.version == version for r in refs)
        }

    # ---- changing (after the store committed) ------------------------------------------------

    def add_schema(self, stored: Stored) -> None:
        self.schemas[stored.id] = stored
        self.by_identity[(stored.parsed.identity, stored.refs)] = stored.id

    def put_version(self, subject: str, version: Version) -> None:
        versions = self.subjects.setdefault(subject, {})
        replaced = versions.get(version.version)
        versions[version.version] = version
        self.usage.setdefault(version.schema_id, set()).add((subject, version.version))
        live = self._live.get(subject)
        if (
            live is not None
            and replaced is None
            and not version.deleted
            and (not live or live[-1].version < version.version)
        ):
            # The usual case, a new latest version: no re-sort of a long history (and a new
            # list, as readers may hold the old one).
            self._live[subject] = [*live, version]
        else:
            self._live.pop(subject, None)

    def remove_version(self, subject: str, version: Version) -> None:
        versions = self.subjects[subject]
        del versions[version.version]
        if not versions:
            del self.subjects[subject]
        self.usage.get(version.schema_id, set()).discard((subject, version.version))
        self._live.pop(subject, None)

    def settings(self, kind: str) -> dict[str, str]:
        return self.levels if kind == "compatibility" else self.modes


def _number(version: Version) -> int:
    return version.version


def definitions(targets: list[Stored]) -> dict[str, Named]:
    """The named types a schema with these references may use (42201 on a clash)."""
    try:
        return merge_definitions([t.parsed.definitions() for t in targets])
    except SchemaInvalid as exc:
        raise errors.invalid_schema(str(exc)) from None


def version_row(subject: str, version: Version) -> VersionRow:
    return VersionRow(subject, version.version, version.schema_id, version.deleted)
