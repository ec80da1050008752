"""``AvroConsumer``: typed records of one topic consumed with aiokafka, at least once.

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

Tombstones (messages without a value, which delete a key of a compacted topic): on a topic
whose spec has ``tombstones=True`` the consumer yields them as records whose ``value`` is None
(generated consumers of such topics are typed ``V | None``). On any other topic a tombstone
is skipped with one warning naming topic, partition and offset, and committed past like a
handled record; it is never raised nor dead-lettered, whatever ``on_error`` says.

Undecodable messages (a ``DeserializationError``: wrong magic byte, truncated, unknown schema
id, corrupt body or key) follow ``on_error``:

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

import collections
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final, Generic, Self, TypeVar

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

from ..errors import DeserializationError
from ..serde import AsyncTopicSerde, TopicSpec
from .producer import _FORBIDDEN_PRODUCER, RegistryLike, _check_options, _Lifecycle
from .records import Record

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")

ON_ERROR: Final = ("raise", "skip", "dead_letter")
ERROR_HEADER_PREFIX: Final = "avrobind.error."
_FORBIDDEN_CONSUMER: Final = frozenset(
    {"key_deserializer", "value_deserializer", "loop"}
)
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


class _Stopped(Exception):
    """The consumer was stopped while a consume loop was waiting."""


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
            raise ValueError(
                f"on_error must be one of {', '.join(ON_ERROR)}, got {on_error!r}"
            )
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
            raise ValueError(
                f"{error!r} is not about a message of topic {self.topic!r}"
            )
        self._mark(error.partition, error.offset)
        self._rewind(error.partition, error.offset + 1)
        log.warning("skipping an undecodable message: %s", error)

    def assignment(self) -> set[int]:
        """The partitions of the topic this consumer holds now (empty before the group join)."""
        if self._consumer is None:
            return set()
        return {
            tp.partition for tp in self._consumer.assignment() if tp.topic == self.topic
        }

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
        self._buffer = collections.deque(
            m for m in self._buffer if m.partition != partition
        )
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
            if message.value is None and not self.serde.spec.tombstones:
                log.warning(
                    "skipping a tombstone (a message without a value) at %s[%d]@%d: "
                    "the topic is not configured with tombstones = true",
                    message.topic,
                    message.partition,
                    message.offset,
                )
                self._mark(message.partition, message.offset)
                continue
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
        value = await self.serde.deserialize(message.value)  # None: a tombstone
        key = (
            None
            if message.key is None
            else await self.serde.deserialize_key(message.key)
        )
        return Record(
            value=value,
            key=key,
            headers=tuple(
                (k, b"" if v is None else bytes(v)) for k, v in message.headers or ()
            ),
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
        headers = [
            (k, b"" if v is None else bytes(v)) for k, v in message.headers or ()
        ]
        headers += [
            (ERROR_HEADER_PREFIX + k, v.encode()) for k, v in error_headers.items()
        ]
        assert self._dlq is not None and self.dead_letter_topic is not None
        await self._dlq.send_and_wait(
            self.dead_letter_topic,
            message.value,
            key=message.key,
            headers=headers,
            timestamp_ms=(
                message.timestamp
                if message.timestamp and message.timestamp > 0
                else None
            ),
        )
        log.warning(
            "sent an undecodable message to %s: %s", self.dead_letter_topic, exc
        )

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
            except Exception as exc:  # noqa: BLE001
                # (A failed commit only means redelivery.)
                log.warning("could not commit handled messages: %s", exc)

    async def _on_revoked(self, revoked: set[Any]) -> None:
        await self._commit_quietly()
        self._buffer = collections.deque(
            m
            for m in self._buffer
            if TopicPartition(m.topic, m.partition) not in revoked
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
