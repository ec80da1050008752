"""The registry's behaviour: subjects, versions, ids, references, compatibility, config and modes.

Follows Confluent Schema Registry (see `shared/reference/registry-api.md`): ids are global and
never reused; a subject's versions grow from 1 and soft-deleted numbers are not reused; the same
schema (by identity, see `codegen.schema.forms`) keeps its id across subjects while one of its
versions, deleted or not, still exists.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from codegen.registry_server import errors
from codegen.registry_server.errors import COMPATIBILITY_LEVELS, MODES, RegistryError
from codegen.registry_server.store import SchemaRow, Store, VersionRow
from codegen.schema.compat import check_level
from codegen.schema.forms import (
    Named,
    ParsedSchema,
    SchemaInvalid,
    merge_definitions,
    parse,
)

DEFAULT_LEVEL = "BACKWARD"
DEFAULT_MODE = "READWRITE"
_GLOBAL = ""
_LATEST = -1
_MAX_VERSION = 2**31 - 1
_PARSE_CACHE_SIZE = 4096


@dataclass(frozen=True, order=True)
class Reference:
    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True)
class SchemaRequest:
    """The body of a register, look-up or compatibility call, already type-checked."""

    schema: str | None
    schema_type: str = "AVRO"
    references: tuple[dict[str, Any], ...] = ()
    id: int | None = None
    version: int | None = None


@dataclass
class _Version:
    version: int
    schema_id: int
    deleted: bool


class _Stored:
    """A schema as stored under its id, parsed on first use."""

    def __init__(self, schema_id: int, text: str, refs: tuple[Reference, ...]) -> None:
        self.id = schema_id
        self.text = text
        self.refs = refs
        self.parsed: ParsedSchema | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema": self.text}
        if self.refs:
            out["references"] = [r.to_json() for r in self.refs]
        return out


def parse_version(text: str) -> int:
    """A version path segment: 1..2^31-1, `latest` or -1 (both meaning latest); else 42202."""
    value = text.strip()
    if value.lower() == "latest":
        return _LATEST
    try:
        number = int(value)
    except ValueError:
        raise errors.invalid_version(text) from None
    if number == _LATEST or 1 <= number <= _MAX_VERSION:
        return number
    raise errors.invalid_version(text)


class Registry:
    """All registry operations; thread-safe, with one lock around state and store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.RLock()
        self._schemas: dict[int, _Stored] = {}
        self._subjects: dict[str, dict[int, _Version]] = {}
        # id -> the (subject, version) pairs using it, deleted ones included
        self._usage: dict[int, set[tuple[str, int]]] = {}
        self._by_identity: dict[tuple[str, tuple[Reference, ...]], int] = {}
        self._levels: dict[str, str] = {}
        self._modes: dict[str, str] = {}
        self._parse_cache: OrderedDict[tuple[str, tuple[Reference, ...]], ParsedSchema] = (
            OrderedDict()
        )
        self._compat_cache: OrderedDict[tuple[str, str, tuple[tuple[int, int], ...]], list[str]] = (
            OrderedDict()
        )
        self._next_id = 1
        self._load()

    # ---- loading -----------------------------------------------------------------------------

    def _load(self) -> None:
        schemas, versions, settings = self._store.load()
        for srow in schemas:
            refs = tuple(
                Reference(r["name"], r["subject"], r["version"]) for r in json.loads(srow.refs)
            )
            self._schemas[srow.id] = _Stored(srow.id, srow.schema, refs)
            self._next_id = max(self._next_id, srow.id + 1)
        for vrow in versions:
            self._subjects.setdefault(vrow.subject, {})[vrow.version] = _Version(
                vrow.version, vrow.schema_id, vrow.deleted
            )
            self._usage.setdefault(vrow.schema_id, set()).add((vrow.subject, vrow.version))
        for stored in self._schemas.values():
            key = (self._parsed(stored).identity, stored.refs)
            if self._usage.get(stored.id) or key not in self._by_identity:
                self._by_identity[key] = stored.id
        for setting in settings:
            target = self._levels if setting.kind == "compatibility" else self._modes
            target[setting.subject] = setting.value

    # ---- parsing -----------------------------------------------------------------------------

    def _parsed(self, stored: _Stored) -> ParsedSchema:
        if stored.parsed is None:
            try:
                _, external = self._resolve(stored.refs)
            except RegistryError:
                external = {}  # a reference permanently deleted after its referrer was soft-deleted
            stored.parsed = parse(stored.text, external, strict=False)
        return stored.parsed

    def _resolve(self, refs: Iterable[Reference]) -> tuple[tuple[Reference, ...], dict[str, Named]]:
        parts = []
        resolved = []
        for ref in refs:
            versions = self._subjects.get(ref.subject, {})
            if ref.version == _LATEST:
                live = [v for v in versions.values() if not v.deleted]
                target = max(live, key=lambda v: v.version) if live else None
            else:
                target = versions.get(ref.version)
            if target is None:
                raise errors.invalid_schema(
                    f'No schema reference found for subject "{ref.subject}" and version {ref.version}'
                )
            parts.append(self._parsed(self._schemas[target.schema_id]).definitions())
            resolved.append(Reference(ref.name, ref.subject, target.version))
        try:
            return tuple(resolved), merge_definitions(parts)
        except SchemaInvalid as exc:
            raise errors.invalid_schema(str(exc)) from None

    def _prepare(
        self, request: SchemaRequest, normalize: bool
    ) -> tuple[ParsedSchema, tuple[Reference, ...]]:
        """Parse a request's schema (42201 when invalid); references resolved, cached by text."""
        if request.schema_type.upper() != "AVRO":
            raise errors.invalid_schema(
                f"schema type {request.schema_type} is not supported; this registry serves AVRO only"
            )
        if request.schema is None or not request.schema.strip():
            raise errors.invalid_schema("Empty schema")
        refs = tuple(_reference(r) for r in request.references)
        refs, external = self._resolve(refs)
        key = (request.schema, refs)
        parsed = self._parse_cache.get(key)
        if parsed is None:
            try:
                parsed = parse(request.schema, external)
            except SchemaInvalid as exc:
                raise errors.invalid_schema(str(exc)) from None
            self._parse_cache[key] = parsed
            if len(self._parse_cache) > _PARSE_CACHE_SIZE:
                self._parse_cache.popitem(last=False)
        if normalize:
            parsed = parse(parsed.normalized, external)
        return parsed, refs

    def _validate(self, parsed: ParsedSchema, refs: tuple[Reference, ...]) -> None:
        if (parsed.identity, refs) in self._by_identity:
            return  # stored before, hence validated before
        try:
            parsed.validate()
        except SchemaInvalid as exc:
            raise errors.invalid_schema(str(exc)) from None

    # ---- compatibility -----------------------------------------------------------------------

    def level(self, subject: str) -> str:
        return self._levels.get(subject) or self._levels.get(_GLOBAL) or DEFAULT_LEVEL

    def _incompatibilities(
        self, subject: str, new: ParsedSchema, previous: Sequence[_Version]
    ) -> list[str]:
        level = self.level(subject)
        if level == "NONE" or not previous:
            return []
        # A sync checks, then registers: the same question twice in a row.
        key = (new.expanded_text, level, tuple((v.version, v.schema_id) for v in previous))
        cached = self._compat_cache.get(key)
        if cached is None:
            cached = self._compat_cache[key] = self._check(new, previous, level)
            if len(self._compat_cache) > _PARSE_CACHE_SIZE:
                self._compat_cache.popitem(last=False)
        return list(cached)

    def _check(self, new: ParsedSchema, previous: Sequence[_Version], level: str) -> list[str]:
        old = [self._parsed(self._schemas[v.schema_id]).expanded() for v in previous]
        # Avro 1.12's rule for union defaults (any branch): a project may choose it
        # (`union-defaults`), and its generator already holds the others to the first branch.
        result = check_level(new.expanded(), old, level, union_defaults="any-branch")
        if result.compatible:
            return []
        messages = []
        for message in result.messages:
            # check_level names the old schemas by position; the subject's version numbers say more.
            for i, v in enumerate(previous):
                message = message.replace(f"previous[{i}]", f"version {v.version}")
            messages.append(message)
        return [*messages, f"{{compatibility: '{level}'}}"]

    def check_compatibility(
        self,
        subject: str,
        version: str | None,
        request: SchemaRequest,
        normalize: bool,
        verbose: bool,
    ) -> tuple[bool, list[str]]:
        """`POST /compatibility/subjects/{s}/versions[/{v}]`: (compatible, messages)."""
        number = _LATEST if version is None else parse_version(version)
        with self._lock:
            live = self._live(subject)
            if number == _LATEST:
                previous = live  # the level decides between the latest and all of them
            else:
                match = [v for v in live if v.version == number]
                if not match:
                    raise (
                        errors.subject_not_found(subject)
                        if not live
                        else errors.version_not_found(number)
                    )
                previous = match
            try:
                parsed, refs = self._prepare(request, normalize)
                self._validate(parsed, refs)
            except RegistryError as exc:
                if verbose and exc.code == errors.INVALID_SCHEMA:
                    return False, [exc.message]
                raise
            messages = self._incompatibilities(subject, parsed, previous)
            return not messages, messages

    # ---- subjects and versions ---------------------------------------------------------------

    def _live(self, subject: str) -> list[_Version]:
        """The subject's undeleted versions, oldest first."""
        versions = self._subjects.get(subject, {})
        return sorted((v for v in versions.values() if not v.deleted), key=lambda v: v.version)

    def _visible(self, subject: str, deleted: bool) -> list[_Version]:
        versions = self._subjects.get(subject, {})
        return sorted(
            (v for v in versions.values() if deleted or not v.deleted), key=lambda v: v.version
        )

    def _version_json(self, subject: str, version: _Version) -> dict[str, Any]:
        stored = self._schemas[version.schema_id]
        return {"subject": subject, "version": version.version, "id": stored.id, **stored.to_json()}

    def register(self, subject: str, request: SchemaRequest, normalize: bool) -> int:
        """`POST /subjects/{s}/versions`: the schema's id (existing or new)."""
        with self._lock:
            mode = self.mode(subject)
            if mode in ("READONLY", "READONLY_OVERRIDE"):
                raise errors.not_permitted(f"Subject {subject} is in read-only mode")
            if request.id is not None and mode != "IMPORT":
                raise errors.not_permitted(f"Subject {subject} is not in import mode")
            if request.id is None and mode != "READWRITE":
                raise errors.not_permitted(f"Subject {subject} is not in read-write mode")
            parsed, refs = self._prepare(request, normalize)
            self._validate(parsed, refs)
            live = self._live(subject)
            for v in live:
                stored = self._schemas[v.schema_id]
                if stored.refs == refs and self._same(self._parsed(stored), parsed, normalize):
                    if request.id is not None and request.id != stored.id:
                        raise errors.id_does_not_match(stored.id, request.id)
                    return stored.id
            key = (parsed.identity, refs)
            schema_id = self._by_identity.get(key)
            if schema_id is not None and not self._usage.get(schema_id):
                schema_id = None  # every version using it was permanently deleted: Confluent assigns a new id
            if request.id is not None:
                if schema_id is not None and schema_id != request.id:
                    raise errors.id_does_not_match(schema_id, request.id)
                taken = self._schemas.get(request.id)
                if taken is not None and self._usage.get(request.id) and schema_id != request.id:
                    raise RegistryError(
                        422,
                        errors.ID_DOES_NOT_MATCH,
                        f"Overwrite new schema with id {request.id} is not permitted.",
                    )
                schema_id = request.id
            if mode != "IMPORT":
                messages = self._incompatibilities(subject, parsed, live)
                if messages:
                    raise errors.incompatible(subject, messages)
            versions = self._subjects.get(subject, {})
            number = max(versions, default=0) + 1
            if request.version is not None and mode == "IMPORT":
                if request.version in versions:
                    raise RegistryError(
                        422, errors.INVALID_VERSION, f"Version {request.version} already exists"
                    )
                number = request.version
            with self._store.transaction():
                if schema_id is None or schema_id not in self._schemas:
                    text = parsed.normalized if normalize else parsed.canonical
                    schema_id = self._add_schema(schema_id, text, parsed, refs)
                self._by_identity[key] = schema_id
                self._put_version(subject, _Version(number, schema_id, False))
                for old in list(versions.values()):
                    # Confluent drops a soft-deleted earlier version of the same schema on re-registration.
                    if old.deleted and old.schema_id == schema_id and old.version < number:
                        self._remove_version(subject, old)
            return schema_id

    @staticmethod
    def _same(stored: ParsedSchema, new: ParsedSchema, normalize: bool) -> bool:
        if stored.identity == new.identity:
            return True
        return normalize and stored.normalized_identity == new.normalized_identity

    def _add_schema(
        self, schema_id: int | None, text: str, parsed: ParsedSchema, refs: tuple[Reference, ...]
    ) -> int:
        if schema_id is None:
            schema_id = self._next_id
        self._next_id = max(self._next_id, schema_id + 1)
        stored = _Stored(schema_id, text, refs)
        stored.parsed = parsed
        self._store.add_schema(
            SchemaRow(schema_id, stored.text, json.dumps([r.to_json() for r in refs]))
        )
        self._schemas[schema_id] = stored
        return schema_id

    def _put_version(self, subject: str, version: _Version) -> None:
        self._store.put_version(
            VersionRow(subject, version.version, version.schema_id, version.deleted)
        )
        self._subjects.setdefault(subject, {})[version.version] = version
        self._usage.setdefault(version.schema_id, set()).add((subject, version.version))

    def _remove_version(self, subject: str, version: _Version) -> None:
        self._store.remove_version(subject, version.version)
        versions = self._subjects[subject]
        del versions[version.version]
        if not versions:
            del self._subjects[subject]
        self._usage.get(version.schema_id, set()).discard((subject, version.version))

    def lookup(
        self, subject: str, request: SchemaRequest, normalize: bool, deleted: bool
    ) -> dict[str, Any]:
        """`POST /subjects/{s}`: the newest version of `subject` holding this schema."""
        with self._lock:
            candidates = self._visible(subject, deleted)
            if not candidates:
                raise errors.subject_not_found(subject)
            parsed, refs = self._prepare(request, normalize)
            for v in reversed(candidates):
                stored = self._schemas[v.schema_id]
                if stored.refs == refs and self._same(self._parsed(stored), parsed, normalize):
                    return self._version_json(subject, v)
            raise errors.schema_not_found()

    def subjects(self, prefix: str | None, deleted: bool, deleted_only: bool) -> list[str]:
        with self._lock:
            out = []
            for subject, versions in self._subjects.items():
                if prefix and not subject.startswith(prefix):
                    continue
                live = any(not v.deleted for v in versions.values())
                if (deleted_only and not live) or (not deleted_only and (live or deleted)):
                    out.append(subject)
            return sorted(out)

    def versions(self, subject: str, deleted: bool, deleted_only: bool) -> list[int]:
        with self._lock:
            visible = self._visible(subject, deleted or deleted_only)
            if not visible:
                raise errors.subject_not_found(subject)
            return [v.version for v in visible if not deleted_only or v.deleted]

    def _find(self, subject: str, number: int, deleted: bool) -> _Version:
        visible = self._visible(subject, deleted)
        if number == _LATEST:
            found = visible[-1] if visible else None
        else:
            found = next((v for v in visible if v.version == number), None)
        if found is None:
            raise (
                errors.subject_not_found(subject)
                if not visible
                else errors.version_not_found(number)
            )
        return found

    def version(self, subject: str, version: str, deleted: bool) -> dict[str, Any]:
        """`GET /subjects/{s}/versions/{v}`."""
        number = parse_version(version)
        with self._lock:
            return self._version_json(subject, self._find(subject, number, deleted))

    def referenced_by(self, subject: str, version: str) -> list[int]:
        """Ids of the undeleted schemas that reference `subject` at `version`."""
        number = parse_version(version)
        with self._lock:
            target = self._find(subject, number, True)
            return sorted(self._referrers(subject, target.version))

    def _referrers(self, subject: str, version: int) -> set[int]:
        ids = set()
        for versions in self._subjects.values():
            for v in versions.values():
                if v.deleted:
                    continue
                for ref in self._schemas[v.schema_id].refs:
                    if ref.subject == subject and ref.version == version:
                        ids.add(v.schema_id)
        return ids

    # ---- deletes -----------------------------------------------------------------------------

    def _check_writable(self, subject: str) -> None:
        if self.mode(subject) in ("READONLY", "READONLY_OVERRIDE"):
            raise errors.not_permitted(f"Subject {subject} is in read-only mode")

    def delete_subject(self, subject: str, permanent: bool) -> list[int]:
        """`DELETE /subjects/{s}`: the deleted version numbers."""
        with self._lock:
            everything = self._visible(subject, True)
            if not everything:
                raise errors.subject_not_found(subject)
            live = [v for v in everything if not v.deleted]
            if not permanent and not live:
                raise errors.subject_soft_deleted(subject)
            self._check_writable(subject)
            targets = everything if permanent else live
            for v in targets:
                if self._referrers(subject, v.version):
                    raise errors.reference_exists(subject, v.version)
                if permanent and not v.deleted:
                    raise errors.subject_not_soft_deleted(subject)
            with self._store.transaction():
                for v in targets:
                    if permanent:
                        self._remove_version(subject, v)
                    else:
                        self._put_version(subject, _Version(v.version, v.schema_id, True))
                if not permanent:
                    self._drop_subject_settings(subject)
            return [v.version for v in targets]

    def delete_version(self, subject: str, version: str, permanent: bool) -> int:
        """`DELETE /subjects/{s}/versions/{v}`: the deleted version number."""
        number = parse_version(version)
        with self._lock:
            everything = self._visible(subject, True)
            if number == _LATEST:
                live = [v for v in everything if not v.deleted]
                target = live[-1] if live else None
            else:
                target = next((v for v in everything if v.version == number), None)
                if target is not None and target.deleted and not permanent:
                    raise errors.version_soft_deleted(subject, number)
            if target is None:
                raise (
                    errors.subject_not_found(subject)
                    if not everything
                    else errors.version_not_found(number)
                )
            self._check_writable(subject)
            if self._referrers(subject, target.version):
                raise errors.reference_exists(subject, target.version)
            if permanent and not target.deleted:
                raise errors.version_not_soft_deleted(subject, target.version)
            with self._store.transaction():
                if permanent:
                    self._remove_version(subject, target)
                else:
                    self._put_version(subject, _Version(target.version, target.schema_id, True))
                    if not self._live(subject):
                        self._drop_subject_settings(subject)
            return target.version

    def _drop_subject_settings(self, subject: str) -> None:
        if self._levels.pop(subject, None) is not None:
            self._store.remove_setting("compatibility", subject)
        if self._modes.pop(subject, None) is not None:
            self._store.remove_setting("mode", subject)

    # ---- schemas by id -----------------------------------------------------------------------

    def _stored(self, schema_id: int) -> _Stored:
        stored = self._schemas.get(schema_id)
        if stored is None or not self._usage.get(schema_id):
            raise errors.schema_not_found(schema_id)
        return stored

    def schema_by_id(self, schema_id: int) -> dict[str, Any]:
        with self._lock:
            return self._stored(schema_id).to_json()

    def id_versions(self, schema_id: int, deleted: bool) -> list[dict[str, Any]]:
        with self._lock:
            self._stored(schema_id)
            pairs = sorted(self._usage[schema_id])
            return [
                {"subject": s, "version": n}
                for s, n in pairs
                if deleted or not self._subjects[s][n].deleted
            ]

    def id_subjects(self, schema_id: int, deleted: bool) -> list[str]:
        return sorted({p["subject"] for p in self.id_versions(schema_id, deleted)})

    # ---- config and mode ---------------------------------------------------------------------

    def get_level(self, subject: str | None, default_to_global: bool) -> str:
        with self._lock:
            if subject is None:
                return self._levels.get(_GLOBAL, DEFAULT_LEVEL)
            level = self._levels.get(subject)
            if level is None:
                if not default_to_global:
                    raise errors.compatibility_not_configured(subject)
                level = self.level(subject)
            return level

    def set_level(self, subject: str | None, level: object) -> str:
        if not isinstance(level, str) or level.upper() not in COMPATIBILITY_LEVELS:
            raise errors.invalid_compatibility_level()
        with self._lock:
            self._levels[subject or _GLOBAL] = level.upper()
            self._store.put_setting("compatibility", subject or _GLOBAL, level.upper())
            return level.upper()

    def delete_level(self, subject: str | None) -> str:
        """Remove a subject's own level (40401 without one) or reset the global one; the old level."""
        with self._lock:
            if subject is None:
                previous = self._levels.pop(_GLOBAL, DEFAULT_LEVEL)
                self._store.remove_setting("compatibility", _GLOBAL)
                return previous
            if subject not in self._levels:
                raise errors.subject_not_found(subject)
            self._store.remove_setting("compatibility", subject)
            return self._levels.pop(subject)

    def mode(self, subject: str | None) -> str:
        """The mode in force for `subject` (a global READONLY_OVERRIDE beats subject modes)."""
        global_mode = self._modes.get(_GLOBAL, DEFAULT_MODE)
        if subject is None or global_mode == "READONLY_OVERRIDE":
            return global_mode
        return self._modes.get(subject, global_mode)

    def get_mode(self, subject: str | None, default_to_global: bool) -> str:
        with self._lock:
            if subject is not None and subject not in self._modes and not default_to_global:
                raise errors.mode_not_configured(subject)
            return self.mode(subject)

    def set_mode(self, subject: str | None, mode: object, force: bool) -> str:
        if not isinstance(mode, str) or mode.upper() not in MODES:
            raise errors.invalid_mode(mode)
        mode = mode.upper()
        with self._lock:
            if mode == "IMPORT" and not force:
                scope = [subject] if subject is not None else list(self._subjects)
                if any(self._live(s) for s in scope):
                    raise errors.not_permitted("Cannot import since found existing subjects")
            self._modes[subject or _GLOBAL] = mode
            self._store.put_setting("mode", subject or _GLOBAL, mode)
            return mode

    def delete_mode(self, subject: str) -> str:
        with self._lock:
            if subject not in self._modes:
                raise errors.subject_not_found(subject)
            self._store.remove_setting("mode", subject)
            return self._modes.pop(subject)


def _reference(raw: dict[str, Any]) -> Reference:
    name, subject, version = raw.get("name"), raw.get("subject"), raw.get("version")
    if not isinstance(name, str) or not isinstance(subject, str):
        raise errors.invalid_schema(f"Invalid reference: {json.dumps(raw)}")
    if (
        not isinstance(version, int)
        or isinstance(version, bool)
        or (version < 1 and version != _LATEST)
    ):
        raise errors.invalid_schema(f"Invalid reference: {json.dumps(raw)}")
    return Reference(name, subject, version)
