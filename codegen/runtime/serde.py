"""Serdes: typed values <-> Confluent-framed Avro bytes, with the schema registry.

Three layers, each usable alone:

- A ``Codec`` turns values of one schema into Avro binary and back: ``RecordCodec`` for
  generated records, ``EnumCodec`` for generated enums, ``ModelCodec`` for hand-written
  dataclasses-avroschema ``AvroModel`` classes, ``PlainCodec`` for any other schema whose
  Python value is fastavro's (primitives, fixed). ``codec_for`` picks one. They live in
  ``value_codec`` and are re-exported here.
- ``SubjectSerde`` (sync, ``SchemaRegistryClient``) and ``AsyncSubjectSerde`` (asyncio,
  ``AsyncSchemaRegistryClient``) frame one codec under one registry subject:
  ``serialize(value) -> bytes`` and ``deserialize(data) -> value``.
- ``TopicSerde`` / ``AsyncTopicSerde`` hold the key and value serdes of one topic
  (``serialize``/``deserialize`` for values, ``serialize_key``/``deserialize_key`` for keys).
  Generated ``<Topic>Serde`` classes are ``TopicSerde`` subclasses with everything embedded.

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

Tombstones (a message without a value: a key deleted from a compacted topic): with
``TopicSpec(tombstones=True)`` ``deserialize(None)`` returns None (``TombstoneTopicSerde``
types it so); otherwise it raises ``TombstoneError``.

Subject names (``subject_strategy``): ``"topic"`` gives ``<topic>-key`` / ``<topic>-value``,
``"record"`` the schema's full name, ``"topic-record"`` ``<topic>-<full name>``; primitives are
named by their type (``"string"``), as confluent-kafka does.
"""

from __future__ import annotations

import json
import struct
import typing
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, NoReturn, Self, TypeVar, cast

import fastavro
from fastavro.schema import to_parsing_canonical_form

from .codec import DecodeError
from .errors import (
    AvrobindError,
    DeserializationError,
    SchemaNotFoundError,
    SerializationError,
    TombstoneError,
    TruncatedMessageError,
    UnknownSchemaIdError,
)
from .keys import RawKey, UntypedKey
from .registry import (
    AsyncSchemaRegistryClient,
    RegistryConfig,
    SchemaInfo,
    SchemaReference,
    SchemaRegistryClient,
)
from .schema import fastavro_view, inline_first_use
from .value_codec import (
    Codec,
    EnumCodec,
    ModelCodec,
    PlainCodec,
    RecordCodec,
    Registration,
    codec_for,
)
from .wire import HEADER_SIZE, header, parse_header

__all__ = [
    "STRATEGIES",
    "AsyncSubjectSerde",
    "AsyncTopicSerde",
    "Codec",
    "EnumCodec",
    "ModelCodec",
    "PlainCodec",
    "RecordCodec",
    "Registration",
    "SubjectSerde",
    "TombstoneTopicSerde",
    "TopicSerde",
    "TopicSpec",
    "codec_for",
    "subject_name",
]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

STRATEGIES: Final = ("topic", "record", "topic-record")


# --- subject names --------------------------------------------------------------------------


def subject_name(strategy: str, topic: str, role: str, codec: Codec[Any]) -> str:
    """The registry subject of a topic's key or value under a subject strategy."""
    if strategy == "topic":
        return f"{topic}-{role}"
    if strategy == "record":
        return codec.name
    if strategy == "topic-record":
        return f"{topic}-{codec.name}"
    raise ValueError(
        f"subject_strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}"
    )


# --- what a topic holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class TopicSpec(Generic[K, V]):
    """A topic and the schemas of its values and (optionally) keys.

    Keys with a codec are Avro, framed, under a key subject; a ``RawKey`` is written by
    Kafka's own serializer of its type, with no subject. Without either, keys are bytes
    (``str`` keys are sent as UTF-8, as the seed's classes did). ``tombstones``: messages
    without a value are read as None rather than refused (compacted topics).
    """

    topic: str
    value: Codec[V]
    key: Codec[K] | RawKey[K] | None = None
    subject_strategy: str = "topic"
    registry_url: str | None = (
        None  # the configured default (AVROBIND_REGISTRY_URL wins)
    )
    tombstones: bool = False

    def subject(self, role: str, strategy: str | None = None) -> str | None:
        """The subject of ``role`` ("key" or "value"); None for a key without a schema."""
        codec = self.key if role == "key" else self.value
        if not isinstance(codec, Codec):
            return None
        return subject_name(strategy or self.subject_strategy, self.topic, role, codec)

    def tombstone(self) -> None:
        """What a message without a value reads as: None, or ``TombstoneError``."""
        if not self.tombstones:
            raise TombstoneError(
                f"the message has no value (a tombstone), which is not a {self.value.name}: "
                f"topic {self.topic!r} is not configured with tombstones = true",
                field="value",
            )


def registry_config(
    schema_registry_url: str | None,
    registry: RegistryConfig | str | None,
    default_url: str | None,
) -> RegistryConfig:
    """The registry configuration: an explicit config or URL, else ``AVROBIND_REGISTRY_*``
    variables (auth, TLS...) with ``schema_registry_url`` or the configured URL."""
    if isinstance(registry, RegistryConfig):
        return registry
    if isinstance(registry, str):
        schema_registry_url = registry
    return RegistryConfig.from_env(url=schema_registry_url, default_url=default_url)


# --- one subject ----------------------------------------------------------------------------

_Reader = Callable[[bytes, int], tuple[Any, int]]
# A registry call of a registration plan: the client method ("register" or "lookup"), the
# subject, the schema text and its references. The plan is sent the method's answer.
_Call = tuple[str, str, str, tuple[SchemaReference, ...]]
_Plan = Generator[_Call, Any, int]


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

    def _registration_plan(self) -> _Plan:
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
        read = (
            self.codec.reader if same else partial(self.codec.resolve_at, writer=writer)
        )

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

    def register(self) -> int:
        """Register (or, with ``auto_register=False``, look up) the schema; its id (cached)."""
        if self._schema_id is not None:
            return self._schema_id
        plan = self._registration_plan()
        answer: Any = None
        try:
            while True:
                method, subject, schema, refs = plan.send(answer)
                answer = getattr(self.registry, method)(subject, schema, refs)
        except StopIteration as done:
            return self._set_schema_id(done.value)

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
            read = self._readers.get(schema_id) or self._load(schema_id)
        value: T
        try:  # `_decode`, inlined: this is the hot path
            value, end = read(data, HEADER_SIZE)
        except Exception as exc:
            raise self._decode_error(data, exc) from exc
        if end != len(data):
            raise self._leftover(data, end)
        return value

    def _load(self, schema_id: int) -> _Reader:
        try:
            info = self.registry.get_schema_info(schema_id)
        except SchemaNotFoundError as exc:
            raise UnknownSchemaIdError(schema_id, field=self.field) from exc
        named: dict[str, Any] = {}
        self._load_references(info.references, named, set())
        return self._add_writer(info, named)

    def _load_references(
        self,
        refs: Iterable[SchemaReference],
        named: dict[str, Any],
        seen: set[tuple[str, int]],
    ) -> None:
        for ref in refs:
            if (ref.subject, ref.version) in seen:
                continue
            seen.add((ref.subject, ref.version))
            found = self.registry.get_version(ref.subject, ref.version)
            self._load_references(found.references, named, seen)
            _add_named(found.schema, named)


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

    async def register(self) -> int:
        """Register (or, with ``auto_register=False``, look up) the schema; its id (cached)."""
        if self._schema_id is not None:
            return self._schema_id
        plan = self._registration_plan()
        answer: Any = None
        try:
            while True:
                method, subject, schema, refs = plan.send(answer)
                answer = await getattr(self.registry, method)(subject, schema, refs)
        except StopIteration as done:
            return self._set_schema_id(done.value)

    async def serialize(self, value: T) -> bytes:
        """``value`` as framed Avro bytes (the first call registers the schema)."""
        if self._schema_id is None:
            await self.register()
        return self._encode(value)

    def serialize_now(self, value: T) -> bytes:
        """``serialize`` without I/O, once ``register`` has run."""
        if self._schema_id is None:
            raise RuntimeError(
                f"the schema of subject {self.subject!r} is not registered yet"
            )
        return self._encode(value)

    async def deserialize(self, data: bytes) -> T:
        """The value in framed Avro bytes written with any registered schema version."""
        if type(data) is not bytes:
            data = _as_bytes(data)
        read = self._by_header.get(data[:HEADER_SIZE])
        if read is None:
            schema_id = self._header_id(data)
            read = self._readers.get(schema_id) or await self._load(schema_id)
        return self._decode(data, read)

    async def _load(self, schema_id: int) -> _Reader:
        try:
            info = await self.registry.get_schema_info(schema_id)
        except SchemaNotFoundError as exc:
            raise UnknownSchemaIdError(schema_id, field=self.field) from exc
        named: dict[str, Any] = {}
        await self._load_references(info.references, named, set())
        return self._add_writer(info, named)

    async def _load_references(
        self,
        refs: Iterable[SchemaReference],
        named: dict[str, Any],
        seen: set[tuple[str, int]],
    ) -> None:
        for ref in refs:
            if (ref.subject, ref.version) in seen:
                continue
            seen.add((ref.subject, ref.version))
            found = await self.registry.get_version(ref.subject, ref.version)
            await self._load_references(found.references, named, seen)
            _add_named(found.schema, named)


# --- one topic ------------------------------------------------------------------------------


class _TopicSerdeBase(Generic[K, V]):
    """What the sync and async topic serdes share: the spec, the subjects, the options."""

    # Set by generated subclasses: the configured topic and subjects, the key and value
    # types (a generated class carries its schema: ``VALUE_TYPE.avro_schema()``) and SPEC.
    TOPIC: ClassVar[str]
    KEY_SUBJECT: ClassVar[str | None]
    VALUE_SUBJECT: ClassVar[str]
    KEY_TYPE: ClassVar[type | None]
    VALUE_TYPE: ClassVar[type]
    SPEC: ClassVar[TopicSpec[Any, Any]]

    spec: TopicSpec[K, V]
    raw_key: RawKey[K] | None  # keys written by Kafka's own serializers (no subject)
    _TOMBSTONES: ClassVar[bool] = (
        False  # True: the class types deserialize(None) -> None
    )

    def _setup_spec(
        self, spec: TopicSpec[K, V] | None, subject_strategy: str | None
    ) -> None:
        chosen = spec if spec is not None else getattr(type(self), "SPEC", None)
        if chosen is None:
            raise TypeError(f"{type(self).__name__} needs a TopicSpec (spec=...)")
        if self._TOMBSTONES and not chosen.tombstones:
            raise ValueError(
                f"{type(self).__name__} needs a TopicSpec with tombstones=True"
            )
        strategy = subject_strategy or chosen.subject_strategy
        if strategy not in STRATEGIES:
            raise ValueError(
                f"subject_strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}"
            )
        self.spec = chosen
        self.topic = chosen.topic
        self.subject_strategy = strategy
        self.key_subject = chosen.subject("key", strategy)
        value_subject = chosen.subject("value", strategy)
        assert value_subject is not None
        self.value_subject = value_subject
        self.raw_key = chosen.key if isinstance(chosen.key, RawKey) else None
        # What keys without a subject are: raw, or (no key type at all) bytes/str as they are.
        self._plain: RawKey[K] = self.raw_key or UntypedKey()

    def _tombstone(self) -> V:
        """A message without a value: None where the spec allows tombstones."""
        self.spec.tombstone()
        return cast("V", None)  # only TombstoneTopicSerde types it (V | None)


class TopicSerde(_TopicSerdeBase[K, V]):
    """Transport-free serde of one topic's keys and values (sync; any Kafka client).

    ``serde.serialize(value)`` / ``serde.deserialize(data)`` handle values,
    ``serialize_key`` / ``deserialize_key`` keys; ``serde.value`` and ``serde.key`` are the
    ``SubjectSerde`` of each (``key`` is None when the topic has no key schema: its keys are
    raw, ``serde.raw_key``, or bytes). ``registry`` may be a ``SchemaRegistryClient`` (shared, not closed here), a
    ``RegistryConfig`` or a URL; otherwise ``schema_registry_url``, then
    ``AVROBIND_REGISTRY_URL``, then the configured URL is used.
    """

    def __init__(
        self,
        schema_registry_url: str | None = None,
        *,
        spec: TopicSpec[K, V] | None = None,
        registry: SchemaRegistryClient | RegistryConfig | str | None = None,
        auto_register: bool = True,
        subject_strategy: str | None = None,
    ) -> None:
        self._setup_spec(spec, subject_strategy)
        if isinstance(registry, AsyncSchemaRegistryClient):
            raise TypeError(
                "TopicSerde needs a SchemaRegistryClient, not the async client"
            )
        if isinstance(registry, SchemaRegistryClient):
            self.registry, self._owns_registry = registry, False
        else:
            config = registry_config(
                schema_registry_url, registry, self.spec.registry_url
            )
            self.registry, self._owns_registry = SchemaRegistryClient(config), True
        self.value: SubjectSerde[V] = SubjectSerde(
            self.spec.value,
            self.value_subject,
            self.registry,
            auto_register=auto_register,
        )
        self.key: SubjectSerde[K] | None = None
        if isinstance(self.spec.key, Codec) and self.key_subject is not None:
            self.key = SubjectSerde(
                self.spec.key,
                self.key_subject,
                self.registry,
                auto_register=auto_register,
                field="key",
            )

    def register(self) -> None:
        """Register (or look up) the key and value schemas now rather than on first use."""
        if self.key is not None:
            self.key.register()
        self.value.register()

    def serialize(self, value: V) -> bytes:
        """A value as framed Avro bytes."""
        return self.value.serialize(value)

    def deserialize(self, data: bytes) -> V:
        """The value in framed Avro bytes (any registered version of its schema).

        A tombstone (None) raises ``TombstoneError`` unless the topic has tombstones
        (``TombstoneTopicSerde``: then it is None)."""
        if data is None:
            return self._tombstone()
        return self.value.deserialize(data)

    def serialize_key(self, key: K) -> bytes:
        """A key as framed Avro bytes, or raw (Kafka's serializers) without a key schema."""
        if self.key is None:
            return self._plain.encode(key)
        return self.key.serialize(key)

    def deserialize_key(self, data: bytes) -> K:
        """The key in ``data`` (framed Avro, or raw without a key schema)."""
        if self.key is None:
            return self._plain.decode(data)
        return self.key.deserialize(data)

    def close(self) -> None:
        """Close the registry client (unless it was passed in)."""
        if self._owns_registry:
            self.registry.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(topic={self.topic!r}, key={self.key!r}, value={self.value!r})"


class TombstoneTopicSerde(TopicSerde[K, V]):
    """The ``TopicSerde`` of a topic with tombstones (compacted): ``deserialize(None)`` is None,
    and typed so; its spec has ``tombstones=True``."""

    _TOMBSTONES = True

    @typing.overload
    def deserialize(self, data: bytes) -> V: ...
    @typing.overload
    def deserialize(self, data: None) -> None: ...
    @typing.overload
    def deserialize(self, data: bytes | None) -> V | None: ...
    def deserialize(self, data: bytes | None) -> V | None:
        """The value in framed Avro bytes, or None for a tombstone (no value)."""
        if data is None:
            return None
        return self.value.deserialize(data)


class AsyncTopicSerde(_TopicSerdeBase[K, V]):
    """The asyncio twin of ``TopicSerde`` (what the Kafka producer and consumer use)."""

    def __init__(
        self,
        schema_registry_url: str | None = None,
        *,
        spec: TopicSpec[K, V] | None = None,
        registry: AsyncSchemaRegistryClient | RegistryConfig | str | None = None,
        auto_register: bool = True,
        subject_strategy: str | None = None,
    ) -> None:
        self._setup_spec(spec, subject_strategy)
        if isinstance(registry, SchemaRegistryClient):
            raise TypeError(
                "AsyncTopicSerde needs an AsyncSchemaRegistryClient, not the sync client"
            )
        if isinstance(registry, AsyncSchemaRegistryClient):
            self.registry, self._owns_registry = registry, False
        else:
            config = registry_config(
                schema_registry_url, registry, self.spec.registry_url
            )
            self.registry, self._owns_registry = AsyncSchemaRegistryClient(config), True
        self.value: AsyncSubjectSerde[V] = AsyncSubjectSerde(
            self.spec.value,
            self.value_subject,
            self.registry,
            auto_register=auto_register,
        )
        self.key: AsyncSubjectSerde[K] | None = None
        if isinstance(self.spec.key, Codec) and self.key_subject is not None:
            self.key = AsyncSubjectSerde(
                self.spec.key,
                self.key_subject,
                self.registry,
                auto_register=auto_register,
                field="key",
            )

    async def register(self) -> None:
        """Register (or look up) the key and value schemas now rather than on first use."""
        if self.key is not None:
            await self.key.register()
        await self.value.register()

    async def serialize(self, value: V) -> bytes:
        """A value as framed Avro bytes."""
        return await self.value.serialize(value)

    async def deserialize(self, data: bytes) -> V:
        """The value in framed Avro bytes (any registered version of its schema); a
        tombstone (None) is None on topics with tombstones, else ``TombstoneError``."""
        if data is None:
            return self._tombstone()
        return await self.value.deserialize(data)

    async def serialize_key(self, key: K) -> bytes:
        """A key as framed Avro bytes, or raw (Kafka's serializers) without a key schema."""
        if self.key is None:
            return self._plain.encode(key)
        return await self.key.serialize(key)

    def serialize_key_now(self, key: K) -> bytes:
        """``serialize_key`` without I/O, once ``register`` has run."""
        if self.key is None:
            return self._plain.encode(key)
        return self.key.serialize_now(key)

    async def deserialize_key(self, data: bytes) -> K:
        """The key in ``data`` (framed Avro, or raw without a key schema)."""
        if self.key is None:
            return self._plain.decode(data)
        return await self.key.deserialize(data)

    async def aclose(self) -> None:
        """Close the registry client (unless it was passed in)."""
        if self._owns_registry:
            await self.registry.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(topic={self.topic!r}, key={self.key!r}, value={self.value!r})"
