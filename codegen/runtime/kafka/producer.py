"""``AvroProducer``: typed values of one topic sent with aiokafka in the Confluent wire format.

Producer: ``start()`` registers the schemas (or, with ``auto_register=False``, checks that
they are registered), so a missing registry fails at start-up, not at the first send.
``send(value, key=..., headers=...)`` waits for the broker's acknowledgement and returns
aiokafka's ``RecordMetadata``; ``send_batch`` encodes every message first (nothing is sent
when one cannot be encoded), then sends them all and waits for every acknowledgement.
Options are passed to ``AIOKafkaProducer`` unchanged (``acks``, ``enable_idempotence``,
``compression_type``, TLS/SASL settings...).

``TombstoneAvroProducer`` (the producers of topics with tombstones) adds
``send_tombstone(key)``: the key and no value, which deletes the key of a compacted topic.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, Self, TypeAlias, TypeVar

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped, unused-ignore]

from ..errors import SerializationError
from ..registry import AsyncSchemaRegistryClient, RegistryConfig
from ..serde import AsyncTopicSerde, TopicSpec
from .records import Headers, Message, _headers

K = TypeVar("K")
V = TypeVar("V")

RegistryLike: TypeAlias = AsyncSchemaRegistryClient | RegistryConfig | str | None

_FORBIDDEN_PRODUCER: Final = frozenset({"key_serializer", "value_serializer", "loop"})


def _check_options(
    target: Any, options: Mapping[str, Any], forbidden: frozenset[str]
) -> None:
    """Fail in the constructor, not at start(), on an option aiokafka would reject."""
    taken = sorted(forbidden & options.keys())
    if taken:
        raise TypeError(
            f"{', '.join(taken)}: the Avro serde is built in; do not pass these"
        )
    accepted = set(inspect.signature(target.__init__).parameters) - {"self", "topics"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise TypeError(
            f"unknown option(s) for {target.__name__}: {', '.join(unknown)}"
        )


class _Lifecycle:
    """`async with`: start (stopping again if starting fails), then stop on the way out."""

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


class AvroProducer(_Lifecycle, Generic[K, V]):
    """Sends typed values (and keys) of one topic, Avro-encoded in the Confluent wire format.

    ``registry`` may be an ``AsyncSchemaRegistryClient`` (shared, not closed here), a
    ``RegistryConfig`` or a URL; otherwise ``schema_registry_url``, then
    ``AVROBIND_REGISTRY_URL``, then the configured URL is used. An async context manager;
    a stopped producer cannot be started again.
    """

    # Generated subclasses set these (see TopicSerde); SPEC is used when spec= is not given.
    TOPIC: ClassVar[str]
    KEY_SUBJECT: ClassVar[str | None]
    VALUE_SUBJECT: ClassVar[str]
    KEY_TYPE: ClassVar[type | None]
    VALUE_TYPE: ClassVar[type]
    SPEC: ClassVar[TopicSpec[Any, Any]]
    _TOMBSTONES: ClassVar[bool] = False  # True: a class with send_tombstone

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        schema_registry_url: str | None = None,
        *,
        spec: TopicSpec[Any, V] | None = None,
        registry: RegistryLike = None,
        auto_register: bool = True,
        subject_strategy: str | None = None,
        **options: Any,
    ) -> None:
        _check_options(AIOKafkaProducer, options, _FORBIDDEN_PRODUCER)
        self.serde: AsyncTopicSerde[Any, V] = AsyncTopicSerde(
            schema_registry_url,
            spec=spec or getattr(type(self), "SPEC", None),
            registry=registry,
            auto_register=auto_register,
            subject_strategy=subject_strategy,
        )
        if self._TOMBSTONES and not self.serde.spec.tombstones:
            raise ValueError(
                f"{type(self).__name__} needs a TopicSpec with tombstones=True"
            )
        self.topic = self.serde.topic
        self._options = {"bootstrap_servers": bootstrap_servers, **options}
        self._producer: Any = None
        self._stopped = False

    async def start(self) -> None:
        """Register (or check) the schemas, then connect to the cluster."""
        if self._stopped:
            raise RuntimeError(f"{type(self).__name__} was stopped; create a new one")
        if self._producer is not None:
            return
        await self.serde.register()
        producer = AIOKafkaProducer(**self._options)
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        """Deliver what is pending, disconnect, and close the registry client."""
        self._stopped = True
        producer, self._producer = self._producer, None
        try:
            if producer is not None:
                await producer.stop()
        finally:
            await self.serde.aclose()

    def _encode(self, value: V, key: K | None) -> tuple[bytes, bytes | None]:
        data = self.serde.value.serialize_now(value)
        return data, None if key is None else self.serde.serialize_key_now(key)

    def _started(self) -> Any:
        if self._producer is None:
            raise RuntimeError(
                f"{type(self).__name__} is not started (use `async with` or start())"
            )
        return self._producer

    async def send(
        self,
        value: V,
        key: K | None = None,
        headers: Headers | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> Any:
        """Send one value and wait until the broker has it; returns aiokafka's RecordMetadata."""
        producer = self._started()
        data, key_bytes = self._encode(value, key)
        return await self._send(
            producer, data, key_bytes, headers, partition, timestamp_ms
        )

    async def _send(
        self,
        producer: Any,
        data: bytes | None,
        key: bytes | None,
        headers: Headers | None,
        partition: int | None,
        timestamp_ms: int | None,
    ) -> Any:
        future = await producer.send(
            self.topic,
            data,
            key=key,
            headers=_headers(headers),
            partition=partition,
            timestamp_ms=timestamp_ms,
        )
        return await future

    async def _send_tombstone(
        self,
        key: K,
        headers: Headers | None,
        partition: int | None,
        timestamp_ms: int | None,
    ) -> Any:
        """A message with ``key`` and no value: no schema, so no registry call."""
        spec = self.serde.spec
        if not spec.tombstones:
            raise SerializationError(
                f"topic {self.topic!r} is not configured for tombstones: a null value is not "
                f"a {spec.value.name} (set tombstones = true for the topic, or tombstones=True)"
            )
        if key is None:
            raise SerializationError(
                "a tombstone deletes a key: send_tombstone needs one"
            )
        producer = self._started()
        key_bytes = self.serde.serialize_key_now(key)
        return await self._send(
            producer, None, key_bytes, headers, partition, timestamp_ms
        )

    async def send_batch(self, messages: Iterable[V | Message[K, V]]) -> list[Any]:
        """Send values (or ``Message``s) in order; waits for all; returns their RecordMetadata.

        Everything is encoded before the first message is sent.
        """
        producer = self._started()
        encoded = []
        for item in messages:
            message: Message[K, V] = (
                item if isinstance(item, Message) else Message(item)
            )
            data, key_bytes = self._encode(message.value, message.key)
            encoded.append((data, key_bytes, _headers(message.headers), message))
        futures = [
            await producer.send(
                self.topic,
                data,
                key=key_bytes,
                headers=headers,
                partition=message.partition,
                timestamp_ms=message.timestamp_ms,
            )
            for data, key_bytes, headers, message in encoded
        ]
        return list(await asyncio.gather(*futures))

    async def flush(self) -> None:
        """Wait until every message sent so far is delivered."""
        await self._started().flush()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(topic={self.topic!r}, started={self._producer is not None})"


class TombstoneAvroProducer(AvroProducer[K, V]):
    """An ``AvroProducer`` of a topic with tombstones (compacted): adds ``send_tombstone``.
    Its spec has ``tombstones=True``."""

    _TOMBSTONES = True

    async def send_tombstone(
        self,
        key: K,
        headers: Headers | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> Any:
        """Delete ``key`` from the compacted topic: send it with no value (a tombstone) and
        wait until the broker has it; returns aiokafka's RecordMetadata."""
        return await self._send_tombstone(key, headers, partition, timestamp_ms)
