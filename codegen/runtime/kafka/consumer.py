"""aiokafka producers and consumers of typed Avro values in the Confluent wire format.

``AvroProducer[K, V]`` and ``AvroConsumer[K, V]`` work on a ``TopicSpec`` (the topic and
the codecs of its keys and values); generated ``<Topic>Producer`` / ``<Topic>Consumer``
classes embed theirs. ``KafkaAvroProducer[T]`` / ``KafkaAvroConsumer[T]`` take the arguments
of the seed's classes of the same names (``topic=``, ``schema_class=`` / ``message_class=``).

Producer: ``start()`` registers the schemas (or, with ``auto_register=False``, checks that
they are registered), so a missing registry fails at start-up, not at the first send.
``send(value, key=..., headers=...)`` waits for the broker's acknowledgement and returns
aiokafka's ``RecordMetadata``; ``send_batch`` encodes every message first (nothing is sent
when one cannot be encoded), then sends them all and waits for every acknowledgement.
Options are passed to ``AIOKafkaProducer`` unchanged (``acks``, ``enable_idempotence``,
``compression_type``, TLS/SASL settings...).

Consumer (at least once): offsets are committed only for records that were handled --
``consume(handler)`` (the handler gets each value, as in the seed) and
``consume_records(handler)`` (it gets each ``Record``) count a record as handled when its
handler returned; ``async for record in consumer`` counts it when the loop asks for the next
one, or at ``await consumer.commit()``. Handled offsets are committed before each new fetch,
on ``commit()``, before partitions are revoked and at ``stop()``. When a handler raises (or
the task is cancelled), the consumer seeks back to that record, so nothing after it is
skipped and a later ``consume`` starts with it again; ``enable_auto_commit`` is always off.
``auto_offset_reset`` defaults to ``"earliest"`` (a new group reads the topic from the
start); other options go to ``AIOKafkaConsumer``.

Undecodable messages (a ``DeserializationError``: wrong magic byte, truncated, unknown schema
id, corrupt body, null value) follow ``on_error``:

- ``"raise"`` (default): the error is raised, with ``topic``/``partition``/``offset`` set,
  and the message stays uncommitted (consuming again meets it again, unless the application
  calls ``consumer.skip(error)``);
- ``"skip"``: logged as a warning, then committed past like a handled one;
- ``"dead_letter"`` (implied by ``dead_letter_topic=...``): the raw key, value and headers
  are sent to the dead-letter topic with ``avrobind.error.*`` headers (``topic``,
  ``partition``, ``offset``, ``class``, ``message``, ``schema_id``); only once the broker has
  acknowledged it is the message committed past.

Registry outages are not message errors: ``RegistryUnavailableError`` is raised whatever
``on_error`` says, and the message stays uncommitted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, Self, TypeAlias, TypeVar

from aiokafka import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaConsumer,
    AIOKafkaProducer,
    TopicPartition,
)
from aiokafka.abc import ConsumerRebalanceListener  # type: ignore[import-untyped, unused-ignore]
from aiokafka.errors import (  # type: ignore[import-untyped, unused-ignore]
    CommitFailedError,
    ConsumerStoppedError,
    IllegalStateError,
)

from .errors import DeserializationError
from .registry import AsyncSchemaRegistryClient, RegistryConfig
from .serde import AsyncTopicSerde, TopicSpec, codec_for, raw_key

__all__ = [
    "AvroConsumer",
    "AvroProducer",
    "KafkaAvroConsumer",
    "KafkaAvroProducer",
    "Message",
    "Record",
]

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

Headers: TypeAlias = Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]]
RegistryLike: TypeAlias = AsyncSchemaRegistryClient | RegistryConfig | str | None

ON_ERROR: Final = ("raise", "skip", "dead_letter")
ERROR_HEADER_PREFIX: Final = "avrobind.error."
_FORBIDDEN_PRODUCER: Final = frozenset({"key_serializer", "value_serializer", "loop"})
_FORBIDDEN_CONSUMER: Final = frozenset({"key_deserializer", "value_deserializer", "loop"})
# What the dead-letter producer takes over from the consumer's options (same cluster, same auth).
_CONNECTION_OPTIONS: Final = (
    "client_id",
    "security_protocol",
    "ssl_context",
    "sasl_mechanism",
    "sasl_plain_username",
    "sasl_plain_password",
    "sasl_kerberos_service_name",
    "sasl_kerberos_domain_name",
    "sasl_oauth_token_provider",
    "request_timeout_ms",
    "retry_backoff_ms",
    "metadata_max_age_ms",
    "connections_max_idle_ms",
    "api_version",
)


@dataclass(frozen=True, slots=True)
class Message(Generic[K, V]):
    """One message for ``send_batch``: a value with an optional key, headers, partition."""

    value: V
    key: K | None = None
    headers: Headers | None = None
    partition: int | None = None
    timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Record(Generic[K, V]):
    """A consumed message: the typed value and key, and where the message came from.

    ``headers`` keeps the order and duplicates of Kafka headers (a null header value is
    ``b""``); ``timestamp`` is in milliseconds since the epoch.
    """

    value: V
    key: K | None
    headers: tuple[tuple[str, bytes], ...]
    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: int = 0

    def header(self, name: str) -> bytes | None:
        """The last value of header ``name``, or None."""
        found = None
        for key, value in self.headers:
            if key == name:
                found = value
        return found


def _headers(headers: Headers | None) -> list[tuple[str, bytes]] | None:
    if headers is None:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: list[tuple[str, bytes]] = []
    for name, value in pairs:
        if not isinstance(name, str):
            raise TypeError(f"header names are str, got {type(name).__name__}")
        if isinstance(value, str):
            value = value.encode()
        elif not isinstance(value, (bytes, bytearray)):
            raise TypeError(f"header {name!r}: values are bytes or str, got {type(value).__name__}")
        out.append((name, bytes(value)))
    return out


def _check_options(target: Any, options: Mapping[str, Any], forbidden: frozenset[str]) -> None:
    """Fail in the constructor, not at start(), on an option aiokafka would reject."""
    taken = sorted(forbidden & options.keys())
    if taken:
        raise TypeError(f"{', '.join(taken)}: the Avro serde is built in; do not pass these")
    accepted = set(inspect.signature(target.__init__).parameters) - {"self", "topics"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise TypeError(f"unknown option(s) for {target.__name__}: {', '.join(unknown)}")


class _Stopped(Exception):
    """The consumer was stopped while a consume loop was waiting."""


# --- producer -------------------------------------------------------------------------------


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
        if key is None:
            return data, None
        if self.serde.key is None:
            return data, raw_key(key)
        return data, self.serde.key.serialize_now(key)

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
        future = await producer.send(
            self.topic,
            data,
            key=key_bytes,
            headers=_headers(headers),
            partition=partition,
            timestamp_ms=timestamp_ms,
        )
        return await future

    async def send_batch(self, messages: Iterable[V | Message[K, V]]) -> list[Any]:
        """Send values (or ``Message``s) in order; waits for all; returns their RecordMetadata.

        Everything is encoded before the first message is sent.
        """
        producer = self._started()
        encoded = []
        for item in messages:
            message: Message[K, V] = item if isinstance(item, Message) else Message(item)
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


# --- consumer -------------------------------------------------------------------------------


class _RebalanceListener:
    """Commits handled offsets of partitions before they go to another consumer."""

    def __init__(self, owner: AvroConsumer[Any, Any]) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: Iterable[Any]) -> None:
        await self._owner._on_revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: Iterable[Any]) -> None:
        return None


# aiokafka checks isinstance(); register rather than subclass (its classes are untyped).
ConsumerRebalanceListener.register(_RebalanceListener)


class AvroConsumer(_Lifecycle, Generic[K, V]):
    """Consumes typed records of one topic in a consumer group, at least once.

    See the module docstring for commits and ``on_error``. ``registry`` is as for
    ``AvroProducer``. ``poll_timeout_ms`` bounds each fetch wait, ``max_records`` each batch.
    """

    TOPIC: ClassVar[str]
    KEY_SUBJECT: ClassVar[str | None]
    VALUE_SUBJECT: ClassVar[str]
    KEY_TYPE: ClassVar[type | None]
    VALUE_TYPE: ClassVar[type]
    SPEC: ClassVar[TopicSpec[Any, Any]]

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        schema_registry_url: str | None = None,
        group_id: str | None = None,
        *,
        spec: TopicSpec[K, V] | None = None,
        registry: RegistryLike = None,
        subject_strategy: str | None = None,
        on_error: str | None = None,
        dead_letter_topic: str | None = None,
        dead_letter_options: Mapping[str, Any] | None = None,
        poll_timeout_ms: int = 500,
        max_records: int = 500,
        **options: Any,
    ) -> None:
        _check_options(AIOKafkaConsumer, options, _FORBIDDEN_CONSUMER)
        if options.get("enable_auto_commit"):
            raise ValueError(
                "enable_auto_commit would commit messages before they are handled; "
                "this consumer commits itself, after the handler succeeded"
            )
        if on_error is None:
            on_error = "dead_letter" if dead_letter_topic else "raise"
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, got {on_error!r}")
        if on_error == "dead_letter" and not dead_letter_topic:
            raise ValueError("on_error='dead_letter' needs dead_letter_topic='<topic>'")
        if on_error != "dead_letter" and dead_letter_topic:
            raise ValueError(f"dead_letter_topic is set but on_error is {on_error!r}")
        self.serde: AsyncTopicSerde[K, V] = AsyncTopicSerde(
            schema_registry_url,
            spec=spec or getattr(type(self), "SPEC", None),
            registry=registry,
            subject_strategy=subject_strategy,
        )
        self.topic = self.serde.topic
        self.group_id = group_id
        self.on_error = on_error
        self.dead_letter_topic = dead_letter_topic
        self._poll_timeout_ms = poll_timeout_ms
        self._max_records = max_records
        self._options: dict[str, Any] = {
            "auto_offset_reset": "earliest",
            **options,
            "bootstrap_servers": bootstrap_servers,
            "group_id": group_id,
            "enable_auto_commit": False,
        }
        self._dlq_options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "acks": "all",
            **{k: options[k] for k in _CONNECTION_OPTIONS if k in options},
            **(dead_letter_options or {}),
        }
        if on_error == "dead_letter":
            _check_options(AIOKafkaProducer, self._dlq_options, _FORBIDDEN_PRODUCER)
        self._consumer: Any = None
        self._dlq: Any = None
        self._stopping = False
        self._buffer: collections.deque[Any] = collections.deque()
        self._inflight: Record[K, V] | None = None
        self._handled: dict[Any, int] = {}  # partition -> next offset to commit
        self._committed: dict[Any, int] = {}

    # -- life cycle

    async def start(self) -> None:
        """Connect and subscribe (the group is joined on the first fetch)."""
        if self._stopping:
            raise RuntimeError(f"{type(self).__name__} was stopped; create a new one")
        if self._consumer is not None:
            return
        if self.on_error == "dead_letter" and self._dlq is None:
            dlq = AIOKafkaProducer(**self._dlq_options)
            await dlq.start()
            self._dlq = dlq
        consumer = AIOKafkaConsumer(**self._options)
        consumer.subscribe([self.topic], listener=_RebalanceListener(self))
        await consumer.start()
        self._consumer = consumer

    async def stop(self) -> None:
        """Commit what was handled, leave the group, and close the registry client."""
        self._stopping = True
        consumer, self._consumer = self._consumer, None
        dlq, self._dlq = self._dlq, None
        try:
            if consumer is not None:
                try:
                    await self._commit_handled(consumer)
                finally:
                    await consumer.stop()
        finally:
            try:
                if dlq is not None:
                    await dlq.stop()
            finally:
                await self.serde.aclose()

    # -- consuming

    async def consume(self, handler: Callable[[V], Awaitable[object] | object]) -> None:
        """Call ``handler(value)`` for each message until ``stop()``; commits after success."""
        await self.consume_records(lambda record: handler(record.value))

    async def consume_records(
        self, handler: Callable[[Record[K, V]], Awaitable[object] | object]
    ) -> None:
        """Call ``handler(record)`` for each message until ``stop()``; commits after success."""
        self._rewind_inflight()
        try:
            while not self._stopping:
                try:
                    record = await self._next_record()
                except _Stopped:
                    return
                try:
                    result = handler(record)
                    if inspect.isawaitable(result):
                        await result
                except BaseException:
                    self._rewind(record.partition, record.offset)
                    raise
                self._mark(record.partition, record.offset)
        except Exception:
            await self._commit_quietly()
            raise

    def __aiter__(self) -> Self:
        # A new loop: a record the previous loop yielded but did not finish is not handled.
        self._rewind_inflight()
        return self

    async def __anext__(self) -> Record[K, V]:
        if self._inflight is not None:
            self._mark(self._inflight.partition, self._inflight.offset)
            self._inflight = None
        if self._stopping:
            raise StopAsyncIteration
        try:
            record = await self._next_record()
        except _Stopped:
            raise StopAsyncIteration from None
        except Exception:
            await self._commit_quietly()
            raise
        self._inflight = record
        return record

    async def commit(self) -> None:
        """Commit every record handled so far, including the last one ``async for`` yielded."""
        if self._inflight is not None:
            self._mark(self._inflight.partition, self._inflight.offset)
            self._inflight = None
        if self._consumer is not None:
            await self._commit_handled(self._consumer)

    def skip(self, error: DeserializationError) -> None:
        """Move past the message that raised ``error`` (with ``on_error="raise"``): it counts
        as handled and is committed past, like a skipped one."""
        if error.topic != self.topic or error.partition is None or error.offset is None:
            raise ValueError(f"{error!r} is not about a message of topic {self.topic!r}")
        self._mark(error.partition, error.offset)
        self._rewind(error.partition, error.offset + 1)
        log.warning("skipping an undecodable message: %s", error)

    def assignment(self) -> set[int]:
        """The partitions of the topic this consumer holds now (empty before the group join)."""
        if self._consumer is None:
            return set()
        return {tp.partition for tp in self._consumer.assignment() if tp.topic == self.topic}

    async def committed(self, partition: int = 0) -> int | None:
        """The group's committed offset of a partition of the topic (None if none)."""
        offset = await self._started().committed(TopicPartition(self.topic, partition))
        return None if offset is None else int(offset)

    # -- internals

    def _started(self) -> Any:
        if self._consumer is None:
            raise RuntimeError(
                f"{type(self).__name__} is not started (use `async with` or start())"
            )
        return self._consumer

    def _mark(self, partition: int, offset: int) -> None:
        self._handled[TopicPartition(self.topic, partition)] = offset + 1

    def _rewind(self, partition: int, offset: int) -> None:
        """Make ``offset`` the next message read from ``partition`` (it was not handled)."""
        tp = TopicPartition(self.topic, partition)
        self._buffer = collections.deque(m for m in self._buffer if m.partition != partition)
        consumer = self._consumer
        if consumer is not None:
            # Not assigned any more: whoever owns it starts from the committed offset.
            with contextlib.suppress(IllegalStateError):
                consumer.seek(tp, offset)

    def _rewind_inflight(self) -> None:
        if self._inflight is not None:
            self._rewind(self._inflight.partition, self._inflight.offset)
            self._inflight = None

    async def _next_raw(self) -> Any:
        while not self._buffer:
            if self._stopping:
                raise _Stopped
            consumer = self._started()
            await self._commit_handled(consumer)
            try:
                batch = await consumer.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=self._max_records
                )
            except ConsumerStoppedError:
                raise _Stopped from None
            for messages in batch.values():
                self._buffer.extend(messages)
        return self._buffer.popleft()

    async def _next_record(self) -> Record[K, V]:
        while True:
            message = await self._next_raw()
            try:
                return await self._decode(message)
            except DeserializationError as exc:
                exc.locate(message.topic, message.partition, message.offset)
                if self.on_error == "raise":
                    self._rewind(message.partition, message.offset)
                    raise
                if self.on_error == "skip":
                    log.warning("skipping an undecodable message: %s", exc)
                else:
                    try:
                        await self._dead_letter(message, exc)
                    except BaseException:
                        self._rewind(message.partition, message.offset)
                        raise
                self._mark(message.partition, message.offset)
            except BaseException:
                # Not the message's fault (registry unreachable, cancelled): read it again.
                self._rewind(message.partition, message.offset)
                raise

    async def _decode(self, message: Any) -> Record[K, V]:
        if message.value is None:
            raise DeserializationError(
                "the message has no value (a tombstone), which is not a valid "
                f"{self.serde.spec.value.name}",
                field="value",
            )
        value = await self.serde.deserialize(message.value)
        key = None if message.key is None else await self.serde.deserialize_key(message.key)
        return Record(
            value=value,
            key=key,
            headers=tuple((k, b"" if v is None else bytes(v)) for k, v in message.headers or ()),
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            timestamp=message.timestamp,
            timestamp_type=message.timestamp_type,
        )

    async def _dead_letter(self, message: Any, exc: DeserializationError) -> None:
        error_headers = {
            "topic": message.topic,
            "partition": str(message.partition),
            "offset": str(message.offset),
            "class": type(exc).__name__,
            "message": str(exc)[:4000],
        }
        if exc.schema_id is not None:
            error_headers["schema_id"] = str(exc.schema_id)
        headers = [(k, b"" if v is None else bytes(v)) for k, v in message.headers or ()]
        headers += [(ERROR_HEADER_PREFIX + k, v.encode()) for k, v in error_headers.items()]
        assert self._dlq is not None and self.dead_letter_topic is not None
        await self._dlq.send_and_wait(
            self.dead_letter_topic,
            message.value,
            key=message.key,
            headers=headers,
            timestamp_ms=message.timestamp if message.timestamp and message.timestamp > 0 else None,
        )
        log.warning("sent an undecodable message to %s: %s", self.dead_letter_topic, exc)

    async def _commit_handled(self, consumer: Any) -> None:
        if self.group_id is None or not self._handled:
            return
        assigned = consumer.assignment()
        offsets = {
            tp: offset
            for tp, offset in self._handled.items()
            if tp in assigned and self._committed.get(tp) != offset
        }
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The group rebalanced: the new owner reads these again (at least once).
            log.warning("could not commit %s: %s", offsets, exc)
            return
        self._committed.update(offsets)

    async def _commit_quietly(self) -> None:
        """Commit what was handled while an error is on its way out (a failure is logged)."""
        consumer = self._consumer
        if consumer is not None:
            try:
                await self._commit_handled(consumer)
            except Exception as exc:  # noqa: BLE001 -- a failed commit only means redelivery
                log.warning("could not commit handled messages: %s", exc)

    async def _on_revoked(self, revoked: set[Any]) -> None:
        await self._commit_quietly()
        self._buffer = collections.deque(
            m for m in self._buffer if TopicPartition(m.topic, m.partition) not in revoked
        )
        if (
            self._inflight is not None
            and TopicPartition(self.topic, self._inflight.partition) in revoked
        ):
            self._inflight = None
        for tp in revoked:
            self._handled.pop(tp, None)
            self._committed.pop(tp, None)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(topic={self.topic!r}, group_id={self.group_id!r}, "
            f"on_error={self.on_error!r})"
        )


# --- the seed's classes ---------------------------------------------------------------------


class KafkaAvroProducer(AvroProducer[Any, T]):
    """The seed's producer: ``KafkaAvroProducer[Cls](bootstrap_servers=..., schema_registry_url=...,
    topic=..., schema_class=Cls)``. Keys are raw (``str`` as UTF-8) unless ``key_schema`` is
    given (a class or a schema such as ``"string"``)."""

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        schema_registry_url: str | None = None,
        topic: str | None = None,
        schema_class: type[T] | None = None,
        *,
        key_schema: Any = None,
        subject_strategy: str = "topic",
        **options: Any,
    ) -> None:
        if topic is None or schema_class is None:
            raise TypeError("KafkaAvroProducer needs topic=... and schema_class=...")
        spec: TopicSpec[Any, T] = TopicSpec(
            topic,
            codec_for(schema_class),
            None if key_schema is None else codec_for(key_schema),
            subject_strategy,
        )
        super().__init__(bootstrap_servers, schema_registry_url, spec=spec, **options)


class KafkaAvroConsumer(AvroConsumer[Any, T]):
    """The seed's consumer: ``KafkaAvroConsumer[Cls](bootstrap_servers=..., schema_registry_url=...,
    topic=..., group_id=..., message_class=Cls)``; ``consume(handler)`` calls ``handler(value)``.
    Keys are raw bytes unless ``key_schema`` is given."""

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        schema_registry_url: str | None = None,
        topic: str | None = None,
        group_id: str | None = None,
        message_class: type[T] | None = None,
        *,
        key_schema: Any = None,
        subject_strategy: str = "topic",
        **options: Any,
    ) -> None:
        if topic is None or message_class is None:
            raise TypeError("KafkaAvroConsumer needs topic=... and message_class=...")
        spec: TopicSpec[Any, T] = TopicSpec(
            topic,
            codec_for(message_class),
            None if key_schema is None else codec_for(key_schema),
            subject_strategy,
        )
        super().__init__(bootstrap_servers, schema_registry_url, group_id, spec=spec, **options)
