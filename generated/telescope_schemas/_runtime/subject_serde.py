"""``SubjectSerde`` / ``AsyncSubjectSerde``: one codec framed under one registry subject.

``serialize(value) -> bytes`` writes the Confluent wire format (``0x00``, the 4-byte schema id,
the Avro body); ``deserialize(data) -> value`` reads any registered version of the schema.
The two classes share everything but the registry calls (``_SubjectBase``).

Registration: with ``auto_register=True`` (the default) the first ``serialize`` registers the
schema under its subject (the registry answers with the existing id when it has it); with
``auto_register=False`` it looks the schema up under the subject (in any version) and raises
``SchemaNotFoundError`` when it is not there -- register it with ``avrobind sync`` first.
A codec with a ``Registration`` (``references = true``) registers what ``avrobind sync``
does instead of its self-contained schema: the schema naming the shared types it uses, with a
Confluent reference to each, every referenced subject registered (or looked up) first.

Reading: the header's schema id is resolved once per id. A writer schema with the same Parsing
Canonical Form as the serde's own is read directly; another one (an older or newer version) is
fetched, parsed once and resolved against the serde's schema by fastavro (fields the reader
lacks are dropped, missing ones take their defaults). After the first message of each schema
id, neither direction makes an HTTP request.

Keys and values of a primitive ``"bytes"`` schema are written raw after the header, without
Avro's length prefix: that is what Confluent's serializers (Java, and confluent-kafka's
``AvroSerializer``) do, so they interoperate. Every other schema's body is exactly what
``fastavro.schemaless_writer`` writes. Keys may instead be raw (``RawKey``, in ``keys.py``):
written by Kafka's own serializers, with no subject and no framing.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Generator, Iterable
from typing import Any, Generic, NoReturn, TypeVar

import fastavro
from fastavro.schema import to_parsing_canonical_form

from .codec import DecodeError
from .errors import (
    AvrobindError,
    DeserializationError,
    SchemaNotFoundError,
    SerializationError,
    TruncatedMessageError,
    UnknownSchemaIdError,
    WriterSchemaNeeded,
)
from .registry import (
    AsyncSchemaRegistryClient,
    SchemaInfo,
    SchemaReference,
    SchemaRegistryClient,
)
from .schema import fastavro_view, inline_first_use
from .value_codec import Codec, Registration
from .wire import HEADER_SIZE, header, parse_header

__all__ = ["AsyncSubjectSerde", "SubjectSerde", "WriterSchemaNeeded"]

T = TypeVar("T")
_T = TypeVar("_T")

# --- one subject ----------------------------------------------------------------------------

_Reader = Callable[[bytes, int], tuple[Any, int]]
# A registry call of a plan: the client method ("register", "lookup", "get_schema_info",
# "get_version") and its arguments. The plan is sent the method's answer, or has its
# exception thrown in; the sync and async serdes make the calls.
_Call = tuple[Any, ...]
_Plan = Generator[_Call, Any, _T]


class _SubjectBase(Generic[T]):
    """Framing and caches of one codec under one subject; no I/O (the subclasses do it)."""

    def __init__(
        self,
        codec: Codec[T],
        subject: str,
        *,
        auto_register: bool = True,
        field: str = "value",
    ) -> None:
        self.codec = codec
        self.subject = subject
        self.auto_register = auto_register
        self.field = field
        self._schema_id: int | None = None
        self._header = b""
        self._readers: dict[int, _Reader] = {}
        self._by_header: dict[bytes, _Reader] = {}  # the same, by the 5 header bytes

    @property
    def schema(self) -> str:
        """The schema (JSON text) values are written with."""
        return self.codec.schema

    @property
    def schema_id(self) -> int | None:
        """The id of ``schema`` under ``subject`` once known (after ``register``)."""
        return self._schema_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.subject!r}, {self.codec!r}, schema_id={self._schema_id})"

    def serialize_now(self, value: T) -> bytes:
        """``serialize`` without I/O, once ``register`` has run."""
        if self._schema_id is None:
            raise RuntimeError(
                f"the schema of subject {self.subject!r} is not registered yet"
            )
        return self._encode(value)

    def deserialize_cached(self, data: bytes) -> T:
        """``deserialize`` without I/O: raises ``WriterSchemaNeeded`` when the writer schema of
        ``data`` is not cached yet (``load`` its id, then call again)."""
        if type(data) is not bytes:
            data = _as_bytes(data)
        read = self._by_header.get(data[:HEADER_SIZE])
        if read is None:
            schema_id = self._header_id(data)
            read = self._readers.get(schema_id)
            if read is None:
                raise WriterSchemaNeeded(self, schema_id)
        return self._decode(data, read)

    def _set_schema_id(self, schema_id: int) -> int:
        self._header = header(schema_id)
        self._schema_id = schema_id
        self._remember(schema_id, self.codec.reader)
        return schema_id

    def _remember(self, schema_id: int, read: _Reader) -> _Reader:
        read = self._readers.setdefault(schema_id, read)
        self._by_header[header(schema_id)] = read
        return read

    def _not_registered(self) -> SchemaNotFoundError:
        return SchemaNotFoundError(
            text=(
                f"the {self.codec.name} schema is not registered under subject {self.subject!r} "
                "and auto_register is off: register it first (run `avrobind sync`)"
            ),
            subject=self.subject,
        )

    def _registration_plan(self) -> _Plan[int]:
        """The registry calls that register (or look up) the schema; ends with its id.

        Run by ``register`` of the sync and async serdes, which make the calls.
        """
        registration = self.codec.registration
        refs: tuple[SchemaReference, ...] = ()
        if registration is None:
            schema = self.schema
        else:
            schema = registration.schema
            refs = yield from self._references_plan(registration.references, {})
        if self.auto_register:
            schema_id: int = yield ("register", self.subject, schema, refs)
            return schema_id
        found = yield ("lookup", self.subject, schema, refs)
        if found is None:
            raise self._not_registered()
        return int(found.schema_id)

    def _references_plan(
        self, used: tuple[Registration, ...], done: dict[str, SchemaReference]
    ) -> Generator[_Call, Any, tuple[SchemaReference, ...]]:
        """References to the subjects of ``used``, each looked up (registered first when
        missing and ``auto_register``) after the subjects it references, depth first.

        A reference names the version that holds the exact schema, as ``avrobind sync`` does:
        after ``sync`` nothing is registered, and a changed shared type gets a new version of
        its own subject before the schemas referencing it are registered.
        """
        refs = []
        for reg in used:
            ref = done.get(reg.name)
            if ref is None:
                inner = yield from self._references_plan(reg.references, done)
                found = yield ("lookup", reg.name, reg.schema, inner)
                if found is None and self.auto_register:
                    yield ("register", reg.name, reg.schema, inner)
                    found = yield ("lookup", reg.name, reg.schema, inner)
                if found is None:
                    raise SchemaNotFoundError(
                        text=(
                            f"the {reg.name} schema, referenced by the {self.codec.name} schema "
                            f"of subject {self.subject!r}, is not registered under subject "
                            f"{reg.name!r}"
                            + (
                                ""
                                if self.auto_register
                                else " and auto_register is off: register it first "
                                "(run `avrobind sync`)"
                            )
                        ),
                        subject=reg.name,
                    )
                ref = done[reg.name] = SchemaReference(
                    reg.name, reg.name, found.version
                )
            refs.append(ref)
        return tuple(refs)

    def _encode(self, value: T) -> bytes:
        try:
            return self.codec.encode(value, self._header)
        except Exception as exc:  # noqa: BLE001 -- `_encode_failed` raises
            self._encode_failed(value, exc)

    def _encode_failed(self, value: T, exc: Exception) -> NoReturn:
        """Raise the error of a failed encoding (the serde's subject in it)."""
        if isinstance(exc, SerializationError):
            if exc.subject is None:
                exc.subject = self.subject
            raise exc
        if isinstance(exc, AvrobindError):
            raise exc
        raise SerializationError(
            f"cannot encode {type(value).__name__} as {self.codec.name} "
            f"(subject {self.subject!r}): {type(exc).__name__}: {exc}",
            subject=self.subject,
        ) from exc

    def _decode(self, data: bytes, read: _Reader) -> T:
        value: T
        try:
            value, end = read(data, HEADER_SIZE)
        except Exception as exc:
            raise self._decode_error(data, exc) from exc
        if end != len(data):
            raise self._leftover(data, end)
        return value

    def _leftover(self, data: bytes, end: int) -> DeserializationError:
        schema_id = parse_header(data)
        return DeserializationError(
            f"{len(data) - end} bytes are left after the Avro body of schema id {schema_id}: "
            "the message is corrupt or was not written with that schema",
            schema_id=schema_id,
            field=self.field,
        )

    def _decode_error(self, data: bytes, exc: Exception) -> DeserializationError:
        schema_id = parse_header(data)
        if isinstance(exc, (EOFError, IndexError, struct.error)):
            # The generated decoders index past the end (IndexError, struct.error) only when
            # the input is short; stream readers report it as EOFError.
            return TruncatedMessageError(
                f"the Avro body ends early: {len(data)} bytes are not a whole message of "
                f"schema id {schema_id}",
                size=len(data),
                schema_id=schema_id,
                field=self.field,
            )
        reason = (
            str(exc) if isinstance(exc, DecodeError) else f"{type(exc).__name__}: {exc}"
        )
        return DeserializationError(
            f"cannot decode the Avro body as {self.codec.name} (schema id {schema_id}): {reason}",
            schema_id=schema_id,
            field=self.field,
        )

    def _header_id(self, data: bytes) -> int:
        try:
            return parse_header(data)
        except DeserializationError as exc:
            exc.field = self.field
            raise

    def _writer_plan(self, schema_id: int) -> _Plan[_Reader]:
        """The registry calls that fetch writer schema ``schema_id`` and the schemas it
        references (depth first); ends with its reader, cached."""
        try:
            info: SchemaInfo = yield ("get_schema_info", schema_id)
        except SchemaNotFoundError as exc:
            raise UnknownSchemaIdError(schema_id, field=self.field) from exc
        named: dict[str, Any] = {}
        yield from self._referenced_plan(info.references, named, set())
        return self._add_writer(info, named)

    def _referenced_plan(
        self,
        refs: Iterable[SchemaReference],
        named: dict[str, Any],
        seen: set[tuple[str, int]],
    ) -> _Plan[None]:
        for ref in refs:
            if (ref.subject, ref.version) in seen:
                continue
            seen.add((ref.subject, ref.version))
            found = yield ("get_version", ref.subject, ref.version)
            yield from self._referenced_plan(found.references, named, seen)
            _add_named(found.schema, named)

    def _add_writer(self, info: SchemaInfo, named: dict[str, Any]) -> _Reader:
        """The reader of messages written with ``info``'s schema (parsed once, then cached)."""
        schema_id = info.schema_id
        if info.schema_type.upper() != "AVRO":
            raise DeserializationError(
                f"schema id {schema_id} is a {info.schema_type} schema, not Avro",
                schema_id=schema_id,
                field=self.field,
            )
        try:
            source = fastavro_view(json.loads(info.schema))
            if named:
                # The schema names types of its references. fastavro cannot resolve such a
                # writer against a reader that defines them inline: define each at first use.
                parsed = fastavro.parse_schema(
                    source, named_schemas=dict(named), _force=True
                )
                source = inline_first_use(parsed, named)
            writer = fastavro.parse_schema(source, _write_hint=True, _force=True)
            same = to_parsing_canonical_form(writer) == self.codec.canonical
        except Exception as exc:
            raise DeserializationError(
                f"the registry's schema id {schema_id} is not usable Avro: "
                f"{type(exc).__name__}: {exc}",
                schema_id=schema_id,
                field=self.field,
            ) from exc
        # The same binary layout needs no resolution.
        read = self.codec.reader if same else self.codec.resolver(writer)

        return self._remember(schema_id, read)


def _as_bytes(data: Any) -> bytes:
    if not isinstance(data, (bytearray, memoryview)):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    return bytes(data)


def _add_named(schema: str, named: dict[str, Any]) -> None:
    fastavro.parse_schema(
        fastavro_view(json.loads(schema)), named_schemas=named, _force=True
    )


class SubjectSerde(_SubjectBase[T]):
    """Sync serde of one codec under one subject (``SchemaRegistryClient``; thread-safe)."""

    def __init__(
        self,
        codec: Codec[T],
        subject: str,
        registry: SchemaRegistryClient,
        *,
        auto_register: bool = True,
        field: str = "value",
    ) -> None:
        super().__init__(codec, subject, auto_register=auto_register, field=field)
        self.registry = registry

    def _drive(self, plan: _Plan[_T]) -> _T:
        answer: Any = None
        error: Exception | None = None
        try:
            while True:
                call = plan.send(answer) if error is None else plan.throw(error)
                error = None
                try:
                    answer = getattr(self.registry, call[0])(*call[1:])
                except Exception as exc:  # noqa: BLE001 -- thrown into the plan
                    error = exc
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def register(self) -> int:
        """Register (or, with ``auto_register=False``, look up) the schema; its id (cached)."""
        if self._schema_id is not None:
            return self._schema_id
        return self._set_schema_id(self._drive(self._registration_plan()))

    def serialize(self, value: T) -> bytes:
        """``value`` as framed Avro bytes (the first call registers the schema)."""
        if self._schema_id is None:
            self.register()
        try:  # `_encode`, inlined: this is the hot path
            return self.codec.encode(value, self._header)
        except Exception as exc:  # noqa: BLE001 -- `_encode_failed` raises
            self._encode_failed(value, exc)

    def deserialize(self, data: bytes) -> T:
        """The value in framed Avro bytes written with any registered schema version."""
        if type(data) is not bytes:
            data = _as_bytes(data)
        read = self._by_header.get(data[:HEADER_SIZE])
        if read is None:
            schema_id = self._header_id(data)
            read = self._readers.get(schema_id) or self.load(schema_id)
        value: T
        try:  # `_decode`, inlined: this is the hot path
            value, end = read(data, HEADER_SIZE)
        except Exception as exc:
            raise self._decode_error(data, exc) from exc
        if end != len(data):
            raise self._leftover(data, end)
        return value

    def load(self, schema_id: int) -> _Reader:
        """Fetch, parse and cache the writer schema ``schema_id`` (and its references);
        ``UnknownSchemaIdError`` when the registry does not have it."""
        return self._drive(self._writer_plan(schema_id))


class AsyncSubjectSerde(_SubjectBase[T]):
    """The asyncio twin of ``SubjectSerde`` (``AsyncSchemaRegistryClient``)."""

    def __init__(
        self,
        codec: Codec[T],
        subject: str,
        registry: AsyncSchemaRegistryClient,
        *,
        auto_register: bool = True,
        field: str = "value",
    ) -> None:
        super().__init__(codec, subject, auto_register=auto_register, field=field)
        self.registry = registry

    async def _drive(self, plan: _Plan[_T]) -> _T:
        answer: Any = None
        error: Exception | None = None
        try:
            while True:
                call = plan.send(answer) if error is None else plan.throw(error)
                error = None
                try:
                    answer = await getattr(self.registry, call[0])(*call[1:])
                except Exception as exc:  # noqa: BLE001 -- thrown into the plan
                    error = exc
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def register(self) -> int:
        """Register (or, with ``auto_register=False``, look up) the schema; its id (cached)."""
        if self._schema_id is not None:
            return self._schema_id
        return self._set_schema_id(await self._drive(self._registration_plan()))

    async def serialize(self, value: T) -> bytes:
        """``value`` as framed Avro bytes (the first call registers the schema)."""
        if self._schema_id is None:
            await self.register()
        return self._encode(value)

    async def deserialize(self, data: bytes) -> T:
        """The value in framed Avro bytes written with any registered schema version."""
        if type(data) is not bytes:
            data = _as_bytes(data)
        read = self._by_header.get(data[:HEADER_SIZE])
        if read is None:
            schema_id = self._header_id(data)
            read = self._readers.get(schema_id) or await self.load(schema_id)
        return self._decode(data, read)

    async def load(self, schema_id: int) -> _Reader:
        """Fetch, parse and cache the writer schema ``schema_id`` (and its references);
        ``UnknownSchemaIdError`` when the registry does not have it."""
        return await self._drive(self._writer_plan(schema_id))
