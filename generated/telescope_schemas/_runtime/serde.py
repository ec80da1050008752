"""Serdes: typed values <-> Confluent-framed Avro bytes, with the schema registry.

Three layers, each usable alone:

- A ``Codec`` turns values of one schema into Avro binary and back: ``RecordCodec`` for
  generated records, ``EnumCodec`` for generated enums, ``ModelCodec`` for hand-written
  dataclasses-avroschema ``AvroModel`` classes, ``PlainCodec`` for any other schema whose
  Python value is fastavro's (primitives, fixed). ``codec_for`` picks one. They live in
  ``value_codec`` and are re-exported here.
- ``SubjectSerde`` (sync, ``SchemaRegistryClient``) and ``AsyncSubjectSerde`` (asyncio,
  ``AsyncSchemaRegistryClient``) frame one codec under one registry subject:
  ``serialize(value) -> bytes`` and ``deserialize(data) -> value``; they live in
  ``subject_serde`` (registration, caches, reading other versions) and are re-exported here.
- ``TopicSerde`` / ``AsyncTopicSerde`` hold the key and value serdes of one topic
  (``serialize``/``deserialize`` for values, ``serialize_key``/``deserialize_key`` for keys).
  Generated ``<Topic>Serde`` classes are ``TopicSerde`` subclasses with everything embedded.
  ``TopicSerde``'s ``value_serializer``, ``key_serializer``, ``value_deserializer`` and
  ``key_deserializer`` take ``(obj_or_bytes, ctx=None)``: they drop into confluent-kafka's
  ``SerializingProducer`` / ``DeserializingConsumer`` configuration as they are.

Tombstones (a message without a value: a key deleted from a compacted topic): with
``TopicSpec(tombstones=True)`` ``deserialize(None)`` returns None (``TombstoneTopicSerde``
types it so); otherwise it raises ``TombstoneError``.

Subject names (``subject_strategy``): ``"topic"`` gives ``<topic>-key`` / ``<topic>-value``,
``"record"`` the schema's full name, ``"topic-record"`` ``<topic>-<full name>``; primitives are
named by their type (``"string"``), as confluent-kafka does.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, Self, TypeVar, cast

from .errors import SerializationError, TombstoneError
from .keys import RawKey, UntypedKey
from .registry import AsyncSchemaRegistryClient, RegistryConfig, SchemaRegistryClient
from .subject_serde import AsyncSubjectSerde, SubjectSerde
from .value_codec import (
    Codec,
    EnumCodec,
    ModelCodec,
    PlainCodec,
    RecordCodec,
    Registration,
    codec_for,
)

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

    def tombstone_allowed(self) -> None:
        """Refuse to write a tombstone (a null value) on a topic without tombstones."""
        if not self.tombstones:
            raise SerializationError(
                f"topic {self.topic!r} is not configured for tombstones: a null value is not "
                f"a {self.value.name} (set tombstones = true for the topic, or tombstones=True)"
            )

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
    key: Any  # the key's subject serde (sync or async), None without a key schema
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

    def serialize_key_now(self, key: K) -> bytes:
        """``serialize_key`` without I/O, once ``register`` has run."""
        if self.key is None:
            return self._plain.encode(key)
        return self.key.serialize_now(key)  # type: ignore[no-any-return]

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

    # -- confluent-kafka's serializer interface: callables (obj_or_bytes, ctx=None)

    def value_serializer(self, value: V | None, ctx: object = None) -> bytes | None:
        """``SerializingProducer``'s ``value.serializer``: a value as framed Avro bytes; None
        (a tombstone) stays None on a topic with tombstones. ``ctx`` is not needed: the
        subjects are this serde's, whatever topic the producer writes to."""
        if value is None:
            self.spec.tombstone_allowed()
            return None
        return self.value.serialize(value)

    def key_serializer(self, key: K | None, ctx: object = None) -> bytes | None:
        """``SerializingProducer``'s ``key.serializer``: ``serialize_key``; None (no key)
        stays None."""
        return None if key is None else self.serialize_key(key)

    def value_deserializer(self, data: bytes | None, ctx: object = None) -> V | None:
        """``DeserializingConsumer``'s ``value.deserializer``: ``deserialize`` (None, a
        tombstone, is None on a topic with tombstones, else ``TombstoneError``)."""
        return self.deserialize(data)  # type: ignore[arg-type]

    def key_deserializer(self, data: bytes | None, ctx: object = None) -> K | None:
        """``DeserializingConsumer``'s ``key.deserializer``: ``deserialize_key``; None (no
        key) stays None."""
        return None if data is None else self.deserialize_key(data)

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
