"""The registry's behaviour: subjects, versions, ids, references, compatibility, config and modes.

Follows Confluent Schema Registry (see `shared/reference/registry-api.md`): ids are global and
never reused; a subject's versions grow from 1 and soft-deleted numbers are not reused; the same
schema (by identity, see `codegen.schema.forms`) keeps its id across subjects while one of its
versions, deleted or not, still exists.

Every method may be called from any thread. Parsing, validation and compatibility checks hold no
lock (a huge schema may take seconds); the in-memory `State` is read and changed under one short
lock that is never held across parsing or SQLite; writes commit one at a time: the SQLite
transaction (which allocates ids and version numbers), then the state. A registration holds its
subject's lock from its compatibility check to its commit, so the versions it was checked
against are still the subject's when it is written; what others may change meanwhile (levels,
modes, references) is checked again at the commit.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from codegen.registry_server import errors
from codegen.registry_server.errors import COMPATIBILITY_LEVELS, MODES, RegistryError
from codegen.registry_server.state import (
    DEFAULT_LEVEL,
    GLOBAL,
    LATEST,
    UNION_DEFAULTS,
    Reference,
    Refs,
    State,
    Stored,
    Version,
    definitions,
)
from codegen.registry_server.store import SchemaRow, Store, StoreError, VersionRow
from codegen.schema import compat
from codegen.schema.forms import ParsedSchema, SchemaInvalid, parse

# Deeper types are refused (42201): the parsers and the checker recurse, and Python's stack is
# finite. Records, arrays, maps and unions each count one level.
MAX_DEPTH = 128
_MAX_VERSION = 2**31 - 1
_CACHE_SIZE = 256
_PREVIOUS = re.compile(r"previous\[(\d+)\]")

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class SchemaRequest:
    """The body of a register, look-up or compatibility call, already type-checked."""

    schema: str | None
    schema_type: str = "AVRO"
    references: tuple[dict[str, Any], ...] = ()
    id: int | None = None
    version: int | None = None


@dataclass
class _Prepared:
    """A request's schema parsed in the name space of its (resolved) references."""

    parsed: ParsedSchema
    asked: Refs  # as the request named them (`latest` included)
    refs: Refs  # resolved
    target_ids: tuple[int, ...]
    loaded: compat.Loaded | None = None  # as the checker sees it, once checked

    @property
    def key(self) -> tuple[str, Refs]:
        return (self.parsed.identity, self.refs)


@dataclass(frozen=True)
class _Ids:
    """Where a registration goes: its schema id (None: a new one) and version (None: next)."""

    schema_id: int | None
    version: int | None
    write_schema: bool  # no row holds this schema under `schema_id` yet
    stale: tuple[Version, ...]  # soft-deleted earlier versions of the same schema, dropped


def parse_version(text: str) -> int:
    """A version path segment: 1..2^31-1, `latest` or -1 (both meaning latest); else 42202."""
    value = text.strip()
    if value.lower() == "latest":
        return LATEST
    try:
        number = int(value)
    except ValueError:
        raise errors.invalid_version(text) from None
    if number == LATEST or 1 <= number <= _MAX_VERSION:
        return number
    raise errors.invalid_version(text)


class _Cache(OrderedDict[K, V]):
    """A small thread-safe LRU."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def find(self, key: K) -> V | None:
        with self._lock:
            found = self.get(key)
            if found is not None:
                self.move_to_end(key)
            return found

    def keep(self, key: K, value: V) -> None:
        with self._lock:
            self[key] = value
            if len(self) > _CACHE_SIZE:
                self.popitem(last=False)


class Registry:
    """All registry operations; thread-safe."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._state = State.load(store)
        self._lock = threading.Lock()  # the state's; held for dictionary work only
        self._commit_lock = threading.Lock()
        self._subject_locks: dict[str, threading.Lock] = {}
        self._parse_cache: _Cache[tuple[str, Refs, tuple[int, ...]], ParsedSchema] = _Cache()
        self._compat_cache: _Cache[tuple[str, str, tuple[tuple[int, int], ...]], list[str]] = (
            _Cache()
        )

    def _subject_lock(self, subject: str) -> threading.Lock:
        return self._subject_locks.setdefault(subject, threading.Lock())

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """A store transaction; SQLite failures answer 50001 (and nothing changed)."""
        try:
            with self._store.transaction():
                yield
        except StoreError as exc:
            raise errors.store_error(f"Error while {what}: {exc}") from None

    # ---- parsing -----------------------------------------------------------------------------

    def _prepare(self, request: SchemaRequest, normalize: bool) -> _Prepared:
        """Parse a request's schema (42201 when invalid); references resolved, cached by text."""
        if request.schema_type.upper() != "AVRO":
            raise errors.invalid_schema(
                f"schema type {request.schema_type} is not supported; this registry serves AVRO only"
            )
        if request.schema is None or not request.schema.strip():
            raise errors.invalid_schema("Empty schema")
        asked = tuple(_reference(r) for r in request.references)
        with self._lock:
            refs, targets = self._state.resolve(asked)
        target_ids = tuple(t.id for t in targets)
        key = (request.schema, refs, target_ids)
        parsed = self._parse_cache.find(key)
        if parsed is None:
            parsed = _parse(request.schema, definitions(targets))
            self._parse_cache.keep(key, parsed)
        if normalize:
            parsed = _parse(parsed.normalized, parsed.external)
        return _Prepared(parsed, asked, refs, target_ids)

    def _validate(self, prepared: _Prepared) -> None:
        with self._lock:
            known = prepared.key in self._state.by_identity
        if known:
            return  # stored before, hence validated before
        try:
            prepared.parsed.validate()
        except SchemaInvalid as exc:
            raise errors.invalid_schema(str(exc)) from None
        except RecursionError:
            raise errors.invalid_schema("nested too deeply to be validated") from None

    def _still_resolves(self, prepared: _Prepared) -> bool:
        refs, targets = self._state.resolve(prepared.asked)
        return refs == prepared.refs and tuple(t.id for t in targets) == prepared.target_ids

    # ---- compatibility -----------------------------------------------------------------------

    def _needed(self, subject: str) -> tuple[str, list[tuple[int, Stored]]]:
        """The level and the versions it checks against: the latest, or all when transitive."""
        level = self._state.level(subject)
        live: Sequence[Version] = self._state.live(subject)
        if level == "NONE" or not live:
            return level, []
        chosen = live if level.endswith("_TRANSITIVE") else live[-1:]
        return level, [(v.version, self._state.schemas[v.schema_id]) for v in chosen]

    def _verdict(
        self, level: str, prepared: _Prepared, previous: list[tuple[int, Stored]]
    ) -> list[str]:
        """Why `prepared` is incompatible with the (version, schema) pairs; empty: it is not."""
        if level == "NONE" or not previous:
            return []
        # A sync checks, then registers: the same question twice in a row.
        key = (
            prepared.parsed.expanded_text,
            level,
            tuple((number, stored.id) for number, stored in previous),
        )
        cached = self._compat_cache.find(key)
        if cached is None:
            try:
                if prepared.loaded is None:
                    prepared.loaded = compat.load(
                        prepared.parsed.expanded_text, union_defaults=UNION_DEFAULTS
                    )
                old = [stored.loaded() for _, stored in previous]
                result = compat.check_level(prepared.loaded, old, level)
            except RecursionError:
                raise errors.invalid_schema("nested too deeply to be checked") from None
            cached = []
            if not result.compatible:
                # check_level names the old schemas by position; version numbers say more.
                cached = [
                    _PREVIOUS.sub(lambda m: f"version {previous[int(m[1])][0]}", message)
                    for message in result.messages
                ]
                cached.append(f"{{compatibility: '{level}'}}")
            self._compat_cache.keep(key, cached)
        return list(cached)

    def check_compatibility(
        self,
        subject: str,
        version: str | None,
        request: SchemaRequest,
        normalize: bool,
        verbose: bool,
    ) -> tuple[bool, list[str]]:
        """`POST /compatibility/subjects/{s}/versions[/{v}]`: (compatible, messages)."""
        number = LATEST if version is None else parse_version(version)
        with self._lock:
            live = self._state.live(subject)
            if number == LATEST:
                level, previous = self._needed(subject)
            else:
                match = [v for v in live if v.version == number]
                if not match:
                    raise (
                        errors.subject_not_found(subject)
                        if not live
                        else errors.version_not_found(number)
                    )
                level = self._state.level(subject)
                previous = [(number, self._state.schemas[match[0].schema_id])]
        try:
            prepared = self._prepare(request, normalize)
            self._validate(prepared)
        except RegistryError as exc:
            if verbose and exc.code == errors.INVALID_SCHEMA:
                return False, [exc.message]
            raise
        messages = self._verdict(level, prepared, previous)
        return not messages, messages

    # ---- registration ------------------------------------------------------------------------

    def _check_mode(self, subject: str, request: SchemaRequest) -> str:
        mode = self._state.mode(subject)
        if mode in ("READONLY", "READONLY_OVERRIDE"):
            raise errors.not_permitted(f"Subject {subject} is in read-only mode")
        if request.id is not None and mode != "IMPORT":
            raise errors.not_permitted(f"Subject {subject} is not in import mode")
        if request.id is None and mode != "READWRITE":
            raise errors.not_permitted(f"Subject {subject} is not in read-write mode")
        return mode

    def register(self, subject: str, request: SchemaRequest, normalize: bool) -> int:
        """`POST /subjects/{s}/versions`: the schema's id (existing or new)."""
        with self._subject_lock(subject):
            while True:
                with self._lock:
                    mode = self._check_mode(subject, request)
                prepared = self._prepare(request, normalize)
                self._validate(prepared)
                if normalize:
                    self._warm_normalized(subject, deleted=False)
                with self._lock:
                    existing = self._registered(subject, prepared, normalize, deleted=False)
                    if existing is not None:
                        if request.id is not None and request.id != existing.schema_id:
                            raise errors.id_does_not_match(existing.schema_id, request.id)
                        return existing.schema_id
                    level, previous = self._needed(subject)
                if mode != "IMPORT":
                    messages = self._verdict(level, prepared, previous)
                    if messages:
                        raise errors.incompatible(subject, messages)
                with self._commit_lock:
                    with self._lock:
                        if (
                            self._check_mode(subject, request) != mode
                            or self._state.level(subject) != level
                            or not self._still_resolves(prepared)
                        ):
                            continue  # changed while we were checking: check again
                        ids = self._ids(subject, prepared, request, mode)
                    return self._commit_registration(subject, prepared, ids, normalize)

    def _warm_normalized(self, subject: str, deleted: bool) -> None:
        """Compute the normalized identities a `normalize=true` call compares, outside the lock."""
        with self._lock:
            parsed = [
                self._state.schemas[v.schema_id].parsed
                for v in self._state.visible(subject, deleted)
            ]
        for p in parsed:
            _ = p.normalized_identity

    def _registered(
        self, subject: str, prepared: _Prepared, normalize: bool, deleted: bool
    ) -> Version | None:
        """The newest version of `subject` holding this schema (under `normalize`'s identity)."""
        if not normalize:
            schema_id = self._state.by_identity.get(prepared.key)
            if schema_id is None:
                return None
            found = self._state.versions_of(schema_id, subject, deleted)
            return found[-1] if found else None
        wanted = prepared.parsed.normalized_identity
        for v in reversed(self._state.visible(subject, deleted)):
            stored = self._state.schemas[v.schema_id]
            if stored.refs == prepared.refs and stored.parsed.normalized_identity == wanted:
                return v
        return None

    def _ids(self, subject: str, prepared: _Prepared, request: SchemaRequest, mode: str) -> _Ids:
        schema_id = self._state.live_id(prepared.key)
        if request.id is not None:
            if schema_id is not None and schema_id != request.id:
                raise errors.id_does_not_match(schema_id, request.id)
            if self._state.usage.get(request.id) and schema_id != request.id:
                raise RegistryError(
                    422,
                    errors.ID_DOES_NOT_MATCH,
                    f"Overwrite new schema with id {request.id} is not permitted.",
                )
            schema_id = request.id
        versions = self._state.subjects.get(subject, {})
        number = None
        if request.version is not None and mode == "IMPORT":
            if request.version in versions:
                raise RegistryError(
                    422, errors.INVALID_VERSION, f"Version {request.version} already exists"
                )
            number = request.version
        write = schema_id is None or not self._state.usage.get(schema_id)
        users = self._state.usage.get(schema_id, ()) if schema_id is not None else ()
        stale = tuple(versions[n] for s, n in users if s == subject and versions[n].deleted)
        return _Ids(schema_id, number, write, stale)

    def _commit_registration(
        self, subject: str, prepared: _Prepared, ids: _Ids, normalize: bool
    ) -> int:
        parsed = prepared.parsed
        text = parsed.normalized if normalize else parsed.canonical
        stored = None
        with self._writing("registering schema"):
            if ids.schema_id is None:
                schema_id = self._store.next_schema_id()
                stored = Stored(schema_id, text, prepared.refs, parsed)
                self._store.insert_schema(SchemaRow(schema_id, text, stored.refs_json()))
            else:
                schema_id = ids.schema_id
                if ids.write_schema:  # IMPORT mode, reusing an id no version uses any more
                    stored = Stored(schema_id, text, prepared.refs, parsed)
                    self._store.replace_schema(SchemaRow(schema_id, text, stored.refs_json()))
            number = ids.version or self._store.next_version(subject)
            self._store.insert_version(VersionRow(subject, number, schema_id, False))
            # Confluent drops a soft-deleted earlier version of the same schema on re-registration.
            stale = [v for v in ids.stale if v.version < number]
            for old in stale:
                self._store.remove_version(subject, old.version)
        with self._lock:
            if stored is not None:
                stored.keep_loaded(prepared.loaded)
                self._state.add_schema(stored)
            else:
                self._state.by_identity[prepared.key] = schema_id
            self._state.put_version(subject, Version(number, schema_id, False))
            for old in stale:
                self._state.remove_version(subject, old)
        return schema_id

    # ---- look-ups ----------------------------------------------------------------------------

    def lookup(
        self, subject: str, request: SchemaRequest, normalize: bool, deleted: bool
    ) -> dict[str, Any]:
        """`POST /subjects/{s}`: the newest version of `subject` holding this schema."""
        self._check_subject(subject, deleted)
        prepared = self._prepare(request, normalize)
        if normalize:
            self._warm_normalized(subject, deleted)
        return self._looked_up(subject, prepared, normalize, deleted)

    def _check_subject(self, subject: str, deleted: bool) -> None:
        with self._lock:
            if not self._state.visible(subject, deleted):
                raise errors.subject_not_found(subject)

    def _looked_up(
        self, subject: str, prepared: _Prepared, normalize: bool, deleted: bool
    ) -> dict[str, Any]:
        with self._lock:
            found = self._registered(subject, prepared, normalize, deleted)
            if found is None:
                raise errors.schema_not_found()
            return self._version_json(subject, found)

    # ---- fast paths: no parsing and no waiting, for the event loop -------------------------

    def _cached(self, request: SchemaRequest) -> _Prepared | None:
        """The request's schema if this exact text was parsed before (else None)."""
        if request.schema is None or request.schema_type.upper() != "AVRO":
            return None
        try:
            asked = tuple(_reference(r) for r in request.references)
            with self._lock:
                refs, targets = self._state.resolve(asked)
        except RegistryError:
            return None  # the full path reports it, in its order
        target_ids = tuple(t.id for t in targets)
        parsed = self._parse_cache.find((request.schema, refs, target_ids))
        return None if parsed is None else _Prepared(parsed, asked, refs, target_ids)

    def registered_id(self, subject: str, request: SchemaRequest) -> int | None:
        """`register` of a schema already a live version of `subject` (a serializer's everyday
        call), answered without parsing: its id; None when the full `register` is needed."""
        prepared = self._cached(request)
        if prepared is None:
            return None
        with self._lock:
            self._check_mode(subject, request)
            existing = self._registered(subject, prepared, False, deleted=False)
            if existing is None:
                return None
            if request.id is not None and request.id != existing.schema_id:
                raise errors.id_does_not_match(existing.schema_id, request.id)
            return existing.schema_id

    def lookup_cached(
        self, subject: str, request: SchemaRequest, deleted: bool
    ) -> dict[str, Any] | None:
        """`lookup` (without `normalize`) answered without parsing; None when it must parse."""
        self._check_subject(subject, deleted)
        prepared = self._cached(request)
        return None if prepared is None else self._looked_up(subject, prepared, False, deleted)

    def _version_json(self, subject: str, version: Version) -> dict[str, Any]:
        stored = self._state.schemas[version.schema_id]
        return {"subject": subject, "version": version.version, "id": stored.id, **stored.to_json()}

    def subjects(self, prefix: str | None, deleted: bool, deleted_only: bool) -> list[str]:
        with self._lock:
            out = []
            for subject in self._state.subjects:
                if prefix and not subject.startswith(prefix):
                    continue
                live = bool(self._state.live(subject))
                if (deleted_only and not live) or (not deleted_only and (live or deleted)):
                    out.append(subject)
            return sorted(out)

    def versions(self, subject: str, deleted: bool, deleted_only: bool) -> list[int]:
        with self._lock:
            visible = self._state.visible(subject, deleted or deleted_only)
            if not visible:
                raise errors.subject_not_found(subject)
            return [v.version for v in visible if not deleted_only or v.deleted]

    def version(self, subject: str, version: str, deleted: bool) -> dict[str, Any]:
        """`GET /subjects/{s}/versions/{v}`."""
        number = parse_version(version)
        with self._lock:
            return self._version_json(subject, self._state.find(subject, number, deleted))

    def referenced_by(self, subject: str, version: str) -> list[int]:
        """Ids of the undeleted schemas that reference `subject` at `version`."""
        number = parse_version(version)
        with self._lock:
            target = self._state.find(subject, number, True)
            return sorted(self._state.referrers(subject, target.version))

    # ---- schemas by id -----------------------------------------------------------------------

    def _stored(self, schema_id: int) -> Stored:
        stored = self._state.schemas.get(schema_id)
        if stored is None or not self._state.usage.get(schema_id):
            raise errors.schema_not_found(schema_id)
        return stored

    def schema_by_id(self, schema_id: int) -> dict[str, Any]:
        with self._lock:
            return self._stored(schema_id).to_json()

    def id_versions(self, schema_id: int, deleted: bool) -> list[dict[str, Any]]:
        with self._lock:
            self._stored(schema_id)
            pairs = sorted(self._state.usage[schema_id])
            return [
                {"subject": s, "version": n}
                for s, n in pairs
                if deleted or not self._state.subjects[s][n].deleted
            ]

    def id_subjects(self, schema_id: int, deleted: bool) -> list[str]:
        return sorted({p["subject"] for p in self.id_versions(schema_id, deleted)})

    # ---- deletes -----------------------------------------------------------------------------

    def _check_writable(self, subject: str) -> None:
        if self._state.mode(subject) in ("READONLY", "READONLY_OVERRIDE"):
            raise errors.not_permitted(f"Subject {subject} is in read-only mode")

    def delete_subject(self, subject: str, permanent: bool) -> list[int]:
        """`DELETE /subjects/{s}`: the deleted version numbers."""
        with self._subject_lock(subject), self._commit_lock:
            with self._lock:
                everything = self._state.visible(subject, True)
                if not everything:
                    raise errors.subject_not_found(subject)
                live = [v for v in everything if not v.deleted]
                if not permanent and not live:
                    raise errors.subject_soft_deleted(subject)
                self._check_writable(subject)
                targets = everything if permanent else live
                referenced = self._state.referenced()
                for v in targets:
                    if (subject, v.version) in referenced:
                        raise errors.reference_exists(subject, v.version)
                    if permanent and not v.deleted:
                        raise errors.subject_not_soft_deleted(subject)
            self._delete(subject, targets, permanent, drop_settings=not permanent)
            return [v.version for v in targets]

    def delete_version(self, subject: str, version: str, permanent: bool) -> int:
        """`DELETE /subjects/{s}/versions/{v}`: the deleted version number."""
        number = parse_version(version)
        with self._subject_lock(subject), self._commit_lock:
            with self._lock:
                everything = self._state.visible(subject, True)
                if number == LATEST:
                    live = self._state.live(subject)
                    target = live[-1] if live else None
                else:
                    target = self._state.subjects.get(subject, {}).get(number)
                    if target is not None and target.deleted and not permanent:
                        raise errors.version_soft_deleted(subject, number)
                if target is None:
                    raise (
                        errors.subject_not_found(subject)
                        if not everything
                        else errors.version_not_found(number)
                    )
                self._check_writable(subject)
                if (subject, target.version) in self._state.referenced():
                    raise errors.reference_exists(subject, target.version)
                if permanent and not target.deleted:
                    raise errors.version_not_soft_deleted(subject, target.version)
                last = not permanent and self._state.live(subject) == [target]
            self._delete(subject, [target], permanent, drop_settings=last)
            return target.version

    def _delete(
        self, subject: str, targets: list[Version], permanent: bool, drop_settings: bool
    ) -> None:
        with self._lock:
            settings = [
                kind
                for kind in ("compatibility", "mode")
                if drop_settings and subject in self._state.settings(kind)
            ]
        with self._writing("deleting"):
            for v in targets:
                if permanent:
                    self._store.remove_version(subject, v.version)
                else:
                    self._store.mark_deleted(subject, v.version)
            for kind in settings:
                self._store.remove_setting(kind, subject)
        with self._lock:
            for v in targets:
                if permanent:
                    self._state.remove_version(subject, v)
                else:
                    self._state.put_version(subject, Version(v.version, v.schema_id, True))
            for kind in settings:
                del self._state.settings(kind)[subject]

    # ---- config and mode ---------------------------------------------------------------------

    def _set(self, kind: str, subject: str, value: str | None) -> None:
        """Write a setting (None removes it), then keep it in memory."""
        with self._commit_lock:
            with self._writing(f"updating the {kind}"):
                if value is None:
                    self._store.remove_setting(kind, subject)
                else:
                    self._store.put_setting(kind, subject, value)
            with self._lock:
                if value is None:
                    self._state.settings(kind).pop(subject, None)
                else:
                    self._state.settings(kind)[subject] = value

    def get_level(self, subject: str | None, default_to_global: bool) -> str:
        with self._lock:
            if subject is None:
                return self._state.levels.get(GLOBAL, DEFAULT_LEVEL)
            level = self._state.levels.get(subject)
            if level is None:
                if not default_to_global:
                    raise errors.compatibility_not_configured(subject)
                level = self._state.level(subject)
            return level

    def set_level(self, subject: str | None, level: object) -> str:
        if not isinstance(level, str) or level.upper() not in COMPATIBILITY_LEVELS:
            raise errors.invalid_compatibility_level()
        self._set("compatibility", subject or GLOBAL, level.upper())
        return level.upper()

    def delete_level(self, subject: str | None) -> str:
        """Remove a subject's own level (40401 without one) or reset the global one; the old level."""
        with self._lock:
            if subject is None:
                previous = self._state.levels.get(GLOBAL, DEFAULT_LEVEL)
            elif subject not in self._state.levels:
                raise errors.subject_not_found(subject)
            else:
                previous = self._state.levels[subject]
        self._set("compatibility", subject or GLOBAL, None)
        return previous

    def get_mode(self, subject: str | None, default_to_global: bool) -> str:
        with self._lock:
            if subject is not None and subject not in self._state.modes and not default_to_global:
                raise errors.mode_not_configured(subject)
            return self._state.mode(subject)

    def set_mode(self, subject: str | None, mode: object, force: bool) -> str:
        if not isinstance(mode, str) or mode.upper() not in MODES:
            raise errors.invalid_mode(mode)
        mode = mode.upper()
        with self._lock:
            if mode == "IMPORT" and not force:
                scope = [subject] if subject is not None else list(self._state.subjects)
                if any(self._state.live(s) for s in scope):
                    raise errors.not_permitted("Cannot import since found existing subjects")
        self._set("mode", subject or GLOBAL, mode)
        return mode

    def delete_mode(self, subject: str) -> str:
        with self._lock:
            if subject not in self._state.modes:
                raise errors.subject_not_found(subject)
            previous = self._state.modes[subject]
        self._set("mode", subject, None)
        return previous


def _parse(text: str, external: Any) -> ParsedSchema:
    try:
        parsed = parse(text, external, max_depth=MAX_DEPTH)
        # Every string of the schema is in its canonical form; SQLite and HTTP need UTF-8.
        parsed.canonical.encode("utf-8")
    except SchemaInvalid as exc:
        raise errors.invalid_schema(str(exc)) from None
    except UnicodeEncodeError as exc:
        raise errors.invalid_schema(
            f"not valid Unicode: it holds a lone surrogate ({exc.object[exc.start]!a})"
        ) from None
    return parsed


def _reference(raw: dict[str, Any]) -> Reference:
    name, subject, version = raw.get("name"), raw.get("subject"), raw.get("version")
    if not isinstance(name, str) or not isinstance(subject, str):
        raise errors.invalid_schema(f"Invalid reference: {json.dumps(raw)}")
    if (
        not isinstance(version, int)
        or isinstance(version, bool)
        or (version < 1 and version != LATEST)
    ):
        raise errors.invalid_schema(f"Invalid reference: {json.dumps(raw)}")
    return Reference(name, subject, version)
