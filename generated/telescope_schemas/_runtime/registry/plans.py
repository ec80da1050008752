"""The sans-IO request plans: every client operation as the requests it makes and what their
answers mean, independent of how the requests are sent.

A plan is a generator: it yields a ``Call`` (one registry request), receives its ``Reply`` (or
has the request's ``RegistryError`` thrown in), and returns the operation's result; it reads
and updates the caches on the way. ``Plans`` builds the ``Operation`` of each client method:
its plan, an answer the caches already hold, and the key under which concurrent equal calls
share one run. The sync and async clients only drive operations (see ``transport``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, NamedTuple, TypeAlias, TypeVar, cast
from urllib.parse import quote

from ..errors import RegistryResponseError
from .cache import Caches
from .models import (
    CompatibilityResult,
    ReferenceLike,
    RegisteredSchema,
    SchemaInfo,
    SchemaKey,
    SchemaReference,
    SubjectVersion,
    check_subject,
    reference,
    schema_key,
)

_T = TypeVar("_T")

_MAX_VERSION: Final = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Call:
    """One registry request and what its answers mean."""

    method: str
    path: str
    action: str  # completes "while trying to ..." in messages
    params: Mapping[str, str] | None = None
    body: bytes | None = None
    retry: bool = True  # may be resent after it possibly reached the server
    absent: frozenset[int] = frozenset()  # error codes answered as "nothing there"
    subject: str | None = None
    schema_id: int | None = None
    version: int | str | None = None
    level: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    data: Any
    url: str
    content_type: str | None
    absent: bool = False


Plan: TypeAlias = Generator[Call, Reply, _T]


@dataclass(frozen=True, slots=True)
class Operation(Generic[_T]):
    """One client call: its plan, the answer if the caches already hold it (then nothing is
    run), and the key under which concurrent equal calls share one run of the plan."""

    plan: Plan[_T]
    cached: _T | None = None
    share: Hashable | None = None


def _quote(segment: str) -> str:
    quoted = quote(segment, safe="")
    # "." and ".." would be collapsed as dot-segments by URL normalisation.
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _version_segment(version: int | str) -> str:
    if version == "latest" or version == -1:
        return "latest"
    if (
        isinstance(version, bool)
        or not isinstance(version, int)
        or not 1 <= version <= _MAX_VERSION
    ):
        raise ValueError(
            f"a version must be 1..{_MAX_VERSION}, -1 or 'latest', got {version!r}"
        )
    return str(version)


def _schema_body(key: SchemaKey) -> bytes:
    body: dict[str, Any] = {"schema": key.schema}
    if key.schema_type != "AVRO":
        body["schemaType"] = key.schema_type
    if key.references:
        body["references"] = [r.to_json() for r in key.references]
    return json.dumps(body, separators=(",", ":")).encode()


def _json_body(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _flags(**flags: bool | str | None) -> dict[str, str] | None:
    params = {
        name: ("true" if value is True else value)
        for name, value in flags.items()
        if isinstance(value, str) or value is True
    }
    return params or None


def excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _required(plan: Plan[_T | None]) -> Plan[_T]:
    found = yield from plan
    assert found is not None  # nothing is "absent" without an absent code
    return found


class _Setting(NamedTuple):
    """A setting a subject may have of its own, else the registry's: level or mode."""

    path: str
    noun: str  # in messages
    unset: int  # the error code of "the subject has no setting of its own"
    keys: tuple[str, ...]  # where an answer holds the value


_CONFIG: Final = _Setting(
    "/config", "compatibility level", 40408, ("compatibilityLevel", "compatibility")
)
_MODE: Final = _Setting("/mode", "mode", 40409, ("mode",))


def _setting_path(setting: _Setting, subject: str | None) -> str:
    if subject is None:
        return setting.path
    return f"{setting.path}/{_quote(check_subject(subject))}"


class Plans:
    """The operations of the registry API as plans over one set of caches (see module doc)."""

    def __init__(
        self, caches: Caches, latest_ttl: float, redact: Callable[[str], str]
    ) -> None:
        self._caches = caches
        self._latest_ttl = latest_ttl
        self._redact = redact

    # -- operations, one per client method

    def register(
        self,
        subject: str,
        schema: str,
        references: Sequence[ReferenceLike] | None,
        normalize: bool,
        schema_type: str,
    ) -> Operation[int]:
        key = schema_key(subject, schema, references, schema_type, normalize)
        return Operation(
            self._register_plan(key), self._caches.ids.get(key), ("register", key)
        )

    def lookup(
        self,
        subject: str,
        schema: str,
        references: Sequence[ReferenceLike] | None,
        normalize: bool,
        deleted: bool,
        schema_type: str,
    ) -> Operation[RegisteredSchema | None]:
        key = schema_key(subject, schema, references, schema_type, normalize)
        if deleted:
            return Operation(self._lookup_plan(key, deleted=True))
        return Operation(
            self._lookup_plan(key, False),
            self._caches.lookups.get(key),
            ("lookup", key),
        )

    def get_schema_info(self, schema_id: int) -> Operation[SchemaInfo]:
        return Operation(
            self._schema_info_plan(schema_id),
            self._caches.schemas.get(schema_id),
            ("schema", schema_id),
        )

    def get_versions_by_id(self, schema_id: int) -> Operation[list[SubjectVersion]]:
        return Operation(self._versions_by_id_plan(schema_id))

    def get_latest(self, subject: str) -> Operation[RegisteredSchema | None]:
        plan = self._version_plan(subject, "latest", frozenset({40401, 40402}))
        if self._latest_ttl <= 0:
            return Operation(plan)
        return Operation(plan, self._caches.latest(subject), ("latest", subject))

    def get_version(
        self, subject: str, version: int | str
    ) -> Operation[RegisteredSchema]:
        return Operation(_required(self._version_plan(subject, version)))

    def get_versions(self, subject: str, deleted: bool) -> Operation[list[int]]:
        return Operation(self._versions_plan(subject, deleted))

    def get_subjects(self, prefix: str | None, deleted: bool) -> Operation[list[str]]:
        return Operation(self._subjects_plan(prefix, deleted))

    def test_compatibility(
        self,
        subject: str,
        schema: str,
        version: int | str,
        references: Sequence[ReferenceLike] | None,
        verbose: bool,
        normalize: bool,
        schema_type: str,
    ) -> Operation[CompatibilityResult]:
        key = schema_key(subject, schema, references, schema_type, normalize)
        return Operation(self._compatibility_plan(key, version, verbose))

    def get_compatibility(
        self, subject: str | None, default_to_global: bool
    ) -> Operation[str | None]:
        return Operation(self._get_setting_plan(_CONFIG, subject, default_to_global))

    def set_compatibility(self, level: str, subject: str | None) -> Operation[str]:
        return Operation(self._set_config_plan(level, subject))

    def delete_compatibility(self, subject: str) -> Operation[str | None]:
        return Operation(self._delete_setting_plan(_CONFIG, subject))

    def get_mode(
        self, subject: str | None, default_to_global: bool
    ) -> Operation[str | None]:
        return Operation(self._get_setting_plan(_MODE, subject, default_to_global))

    def set_mode(self, mode: str, subject: str | None, force: bool) -> Operation[str]:
        return Operation(self._set_mode_plan(mode, subject, force))

    def delete_mode(self, subject: str) -> Operation[str | None]:
        return Operation(self._delete_setting_plan(_MODE, subject))

    def delete_subject(self, subject: str, permanent: bool) -> Operation[list[int]]:
        return Operation(self._delete_subject_plan(subject, permanent))

    def delete_version(
        self, subject: str, version: int | str, permanent: bool
    ) -> Operation[int]:
        return Operation(self._delete_version_plan(subject, version, permanent))

    # -- decoding

    def _shape_error(
        self, call: Call, reply: Reply, problem: str
    ) -> RegistryResponseError:
        body = excerpt(self._redact(json.dumps(reply.data, ensure_ascii=False)))
        return RegistryResponseError(
            f"schema registry answered {call.method} {reply.url} with unexpected JSON "
            f"({problem}): {body!r}",
            url=reply.url,
            method=call.method,
            subject=call.subject,
            content_type=reply.content_type,
            body=body,
        )

    def _field(self, call: Call, reply: Reply, name: str, kind: type[_T]) -> _T:
        data = reply.data
        if not isinstance(data, dict):
            raise self._shape_error(call, reply, "expected a JSON object")
        value = data.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self._shape_error(call, reply, f"expected {kind.__name__} {name!r}")
        return value

    def _references(
        self, call: Call, reply: Reply
    ) -> tuple[SchemaReference, ...] | None:
        raw = reply.data.get("references") if isinstance(reply.data, dict) else None
        if raw is None:
            return None
        try:
            return tuple(reference(r) for r in raw)
        except (ValueError, TypeError):
            raise self._shape_error(call, reply, "malformed 'references'") from None

    def _schema_type(self, reply: Reply) -> str:
        value = reply.data.get("schemaType") if isinstance(reply.data, dict) else None
        return value if isinstance(value, str) and value else "AVRO"

    def _registered(self, call: Call, reply: Reply, subject: str) -> RegisteredSchema:
        data = reply.data
        found_subject = data.get("subject") if isinstance(data, dict) else None
        return RegisteredSchema(
            subject=found_subject if isinstance(found_subject, str) else subject,
            version=self._field(call, reply, "version", int),
            schema_id=self._field(call, reply, "id", int),
            schema=self._field(call, reply, "schema", str),
            schema_type=self._schema_type(reply),
            references=self._references(call, reply) or (),
        )

    def _list_of(self, call: Call, reply: Reply, kind: type[_T]) -> list[_T]:
        data = reply.data
        if not isinstance(data, list) or not all(
            isinstance(item, kind) and not isinstance(item, bool) for item in data
        ):
            raise self._shape_error(call, reply, f"expected a list of {kind.__name__}")
        return cast("list[_T]", data)

    def _level(self, call: Call, reply: Reply, *keys: str) -> str:
        data = reply.data
        if isinstance(data, str):
            return data
        if isinstance(data, dict):
            for key in keys:
                value = data.get(key)
                if isinstance(value, str):
                    return value
        raise self._shape_error(call, reply, f"expected {' or '.join(map(repr, keys))}")

    # -- plans: the request sequence and result of each operation, independent of I/O

    def _register_plan(self, key: SchemaKey) -> Plan[int]:
        cached = self._caches.ids.get(key)
        if cached is not None:
            return cached
        call = Call(
            "POST",
            f"/subjects/{_quote(key.subject)}/versions",
            f"register a schema under subject {key.subject!r}",
            params=_flags(normalize=key.normalize),
            body=_schema_body(key),
            subject=key.subject,
        )
        reply = yield call
        schema_id = self._field(call, reply, "id", int)
        self._caches.put_id(key, schema_id)
        return schema_id

    def _lookup_plan(
        self, key: SchemaKey, deleted: bool
    ) -> Plan[RegisteredSchema | None]:
        if not deleted:
            cached = self._caches.lookups.get(key)
            if cached is not None:
                return cached
        call = Call(
            "POST",
            f"/subjects/{_quote(key.subject)}",
            f"look up a schema under subject {key.subject!r}",
            params=_flags(normalize=key.normalize, deleted=deleted),
            body=_schema_body(key),
            absent=frozenset({40401, 40403}),
            subject=key.subject,
        )
        reply = yield call
        if reply.absent:
            return None
        found = self._registered(call, reply, key.subject)
        if self._references(call, reply) is None and key.references:
            found = RegisteredSchema(
                found.subject,
                found.version,
                found.schema_id,
                found.schema,
                found.schema_type,
                key.references,
            )
        if not deleted:
            self._caches.put_lookup(key, found)
        return found

    def _schema_info_plan(self, schema_id: int) -> Plan[SchemaInfo]:
        if isinstance(schema_id, bool) or not isinstance(schema_id, int):
            raise TypeError(f"schema_id must be an int, got {type(schema_id).__name__}")
        cached = self._caches.schemas.get(schema_id)
        if cached is not None:
            return cached
        call = Call(
            "GET",
            f"/schemas/ids/{schema_id}",
            f"fetch the schema with id {schema_id}",
            schema_id=schema_id,
        )
        reply = yield call
        info = SchemaInfo(
            schema_id=schema_id,
            schema=self._field(call, reply, "schema", str),
            schema_type=self._schema_type(reply),
            references=self._references(call, reply) or (),
        )
        self._caches.put_schema(info)
        return info

    def _versions_by_id_plan(self, schema_id: int) -> Plan[list[SubjectVersion]]:
        call = Call(
            "GET",
            f"/schemas/ids/{int(schema_id)}/versions",
            f"list the subjects using schema id {schema_id}",
            schema_id=schema_id,
        )
        reply = yield call
        pairs: list[SubjectVersion] = []
        for item in reply.data if isinstance(reply.data, list) else [None]:
            subject = item.get("subject") if isinstance(item, dict) else None
            version = item.get("version") if isinstance(item, dict) else None
            if not isinstance(subject, str) or not isinstance(version, int):
                raise self._shape_error(
                    call, reply, "expected [{'subject', 'version'}]"
                )
            pairs.append(SubjectVersion(subject, version))
        return pairs

    def _version_plan(
        self, subject: str, version: int | str, absent: frozenset[int] = frozenset()
    ) -> Plan[RegisteredSchema | None]:
        segment = _version_segment(version)
        if segment == "latest" and absent:
            cached = self._caches.latest(check_subject(subject))
            if cached is not None:
                return cached
        call = Call(
            "GET",
            f"/subjects/{_quote(check_subject(subject))}/versions/{segment}",
            f"fetch version {segment} of subject {subject!r}",
            absent=absent,
            subject=subject,
            version=segment if segment == "latest" else version,
        )
        reply = yield call
        if reply.absent:
            return None
        found = self._registered(call, reply, subject)
        if segment == "latest":
            self._caches.put_latest(subject, found)
        return found

    def _versions_plan(self, subject: str, deleted: bool) -> Plan[list[int]]:
        call = Call(
            "GET",
            f"/subjects/{_quote(check_subject(subject))}/versions",
            f"list the versions of subject {subject!r}",
            params=_flags(deleted=deleted),
            absent=frozenset({40401}),
            subject=subject,
        )
        reply = yield call
        return [] if reply.absent else self._list_of(call, reply, int)

    def _subjects_plan(self, prefix: str | None, deleted: bool) -> Plan[list[str]]:
        call = Call(
            "GET",
            "/subjects",
            "list the subjects",
            params=_flags(subjectPrefix=prefix or None, deleted=deleted),
        )
        reply = yield call
        subjects = self._list_of(call, reply, str)
        # Registries that ignore subjectPrefix (older Karapace) return everything.
        return [s for s in subjects if s.startswith(prefix)] if prefix else subjects

    def _compatibility_plan(
        self, key: SchemaKey, version: int | str, verbose: bool
    ) -> Plan[CompatibilityResult]:
        segment = _version_segment(version)
        call = Call(
            "POST",
            f"/compatibility/subjects/{_quote(key.subject)}/versions/{segment}",
            f"check a schema's compatibility with version {segment} of subject {key.subject!r}",
            params=_flags(verbose=verbose, normalize=key.normalize),
            body=_schema_body(key),
            # Against "latest" of a subject with no versions there is nothing to check:
            # Confluent answers 40401 (no subject), Karapace 40402 (no version).
            absent=frozenset({40401, 40402}) if segment == "latest" else frozenset(),
            subject=key.subject,
            version=segment if segment == "latest" else version,
        )
        reply = yield call
        if reply.absent:
            return CompatibilityResult(True, ())
        compatible = self._field(call, reply, "is_compatible", bool)
        raw = reply.data.get("messages") or []
        raw = raw if isinstance(raw, list) else [raw]
        messages = tuple(self._redact(str(m)) for m in raw)
        return CompatibilityResult(compatible, messages)

    def _get_setting_plan(
        self, setting: _Setting, subject: str | None, default_to_global: bool
    ) -> Plan[str | None]:
        scope = f"subject {subject!r}" if subject is not None else "the registry"
        call = Call(
            "GET",
            _setting_path(setting, subject),
            f"read the {setting.noun} of {scope}",
            params=_flags(defaultToGlobal=default_to_global),
            absent=(
                frozenset({40401, setting.unset})
                if subject is not None
                else frozenset()
            ),
            subject=subject,
        )
        reply = yield call
        if reply.absent:
            return None
        return self._level(call, reply, *setting.keys)

    def _delete_setting_plan(self, setting: _Setting, subject: str) -> Plan[str | None]:
        call = Call(
            "DELETE",
            _setting_path(setting, subject),
            f"remove the {setting.noun} of subject {subject!r}",
            absent=frozenset({40401, setting.unset}),
            subject=subject,
        )
        reply = yield call
        if reply.absent:
            return None
        return self._level(call, reply, *setting.keys)

    def _set_config_plan(self, level: str, subject: str | None) -> Plan[str]:
        scope = f"subject {subject!r}" if subject is not None else "the registry"
        call = Call(
            "PUT",
            _setting_path(_CONFIG, subject),
            f"set the compatibility level of {scope} to {level!r}",
            body=_json_body({"compatibility": level}),
            subject=subject,
            level=level,
        )
        reply = yield call
        return self._level(call, reply, "compatibility", "compatibilityLevel")

    def _set_mode_plan(self, mode: str, subject: str | None, force: bool) -> Plan[str]:
        scope = f"subject {subject!r}" if subject is not None else "the registry"
        call = Call(
            "PUT",
            _setting_path(_MODE, subject),
            f"set the mode of {scope} to {mode!r}",
            params=_flags(force=force),
            body=_json_body({"mode": mode}),
            subject=subject,
        )
        reply = yield call
        return self._level(call, reply, "mode")

    def _delete_plan(
        self,
        path: str,
        what: str,
        soft_deleted: int,
        permanent: bool,
        subject: str,
        version: int | str | None = None,
    ) -> Plan[tuple[Call, Reply]]:
        """Soft-delete ``what``, then hard-delete it if ``permanent``: the last call and its
        reply. The subject's cache entries are forgotten whatever happens."""
        try:
            last = Call(
                "DELETE",
                path,
                f"delete {what}",
                retry=False,
                # Already soft-deleted is fine on the way to a permanent delete.
                absent=frozenset({soft_deleted}) if permanent else frozenset(),
                subject=subject,
                version=version,
            )
            reply = yield last
            if permanent:
                last = Call(
                    "DELETE",
                    path,
                    f"permanently delete {what}",
                    params={"permanent": "true"},
                    retry=False,
                    subject=subject,
                    version=version,
                )
                reply = yield last
            return last, reply
        finally:
            self._caches.forget_subject(subject)

    def _delete_subject_plan(self, subject: str, permanent: bool) -> Plan[list[int]]:
        path = f"/subjects/{_quote(check_subject(subject))}"
        call, reply = yield from self._delete_plan(
            path, f"subject {subject!r}", 40404, permanent, subject
        )
        return self._list_of(call, reply, int)

    def _delete_version_plan(
        self, subject: str, version: int | str, permanent: bool
    ) -> Plan[int]:
        segment = _version_segment(version)
        path = f"/subjects/{_quote(check_subject(subject))}/versions/{segment}"
        call, reply = yield from self._delete_plan(
            path,
            f"version {segment} of subject {subject!r}",
            40406,
            permanent,
            subject,
            version,
        )
        data = reply.data
        if isinstance(data, bool) or not isinstance(data, int):
            raise self._shape_error(call, reply, "expected the deleted version number")
        return data
