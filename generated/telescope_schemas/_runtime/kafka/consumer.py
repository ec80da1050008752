"""``AvroConsumer``: typed records of one topic consumed in a group, at least once (asyncio).

Consumer (at least once): offsets are committed only for records that were handled --
``consume(handler)`` (the handler gets each value, as in the seed) and
``consume_records(handler)`` (it gets each ``Record``) count a record as handled when its
handler returned; ``async for record in consumer`` counts it when the loop asks for the next
one, or at ``await consumer.commit()``. Batches (``async for batch in consumer.batches()``,
``consume_batches(handler)``) count as handled as a whole, the same way. Handled offsets are
committed before each new fetch, on ``commit()``, before partitions are revoked and at
``stop()``. When a handler or loop body raises (or the task is cancelled), the consumer seeks
back to that record (or batch), so nothing after it is skipped and a later ``consume`` starts
with it again; auto-commit is always off. New groups read from the start of the topic
(``auto_offset_reset="earliest"`` / ``"auto.offset.reset": "earliest"``) unless told otherwise.

The client: ``client="aiokafka"`` (default; options are ``AIOKafkaConsumer``'s keyword
arguments) or ``client="confluent"`` (librdkafka's configuration names). ``broker_timeout``
(seconds, default 30): a consumer that reaches no broker for that long raises
``BrokerUnavailableError`` rather than waiting silently.

Tombstones (messages without a value, which delete a key of a compacted topic): on a topic
whose spec has ``tombstones=True`` the consumer yields them as records whose ``value`` is None
(generated consumers of such topics are typed ``V | None``). On any other topic a tombstone
is skipped with one warning naming topic, partition and offset, and committed past like a
handled record; it is never raised nor dead-lettered, whatever ``on_error`` says.

Undecodable messages (a ``DeserializationError``: wrong magic byte, truncated, corrupt body
or key) follow ``on_error``:

- ``"raise"`` (default): the error is raised, with ``topic``/``partition``/``offset`` set,
  and the message stays uncommitted (consuming again meets it again, unless the application
  calls ``consumer.skip(error)``);
- ``"skip"``: logged as a warning, then committed past like a handled one;
- ``"dead_letter"`` (implied by ``dead_letter_topic=...``): the raw key, value and headers
  are sent to the dead-letter topic with ``avrobind.error.*`` headers (``topic``,
  ``partition``, ``offset``, ``class``, ``message``, ``schema_id``); only once the broker has
  acknowledged it is the message committed past.

An unknown schema id (``UnknownSchemaIdError``) raises whatever ``on_error`` says, unless
``unknown_schema_ids="on_error"``: it is a registry fault (a registry that lost its data, the
wrong registry) far more often than a bad message, and skipping would lose every message.
Registry outages are not message errors either: ``RegistryUnavailableError`` is raised and the
message stays uncommitted. The logic lives in ``core``; this class drives it with asyncio.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Self, TypeVar

from ..serde import AsyncTopicSerde
from .bases import _ConsumerBase, _Lifecycle
from .core import Commit, DeadLetter, Fetch, Load, Plan, Probe, Step, Stopped
from .records import Record
from .transports import AsyncConsumerTransport

log = logging.getLogger("avrobind.kafka.consumer")

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class AvroConsumer(_Lifecycle, _ConsumerBase[K, V]):
    """Consumes typed records of one topic in a consumer group, at least once.

    See the module docstring for commits, ``on_error`` and ``client``. ``registry`` is as for
    ``AvroProducer``. ``poll_timeout_ms`` bounds each fetch wait, ``max_records`` each fetch.
    """

    serde: AsyncTopicSerde[K, V]
    _transport: AsyncConsumerTransport

    # -- life cycle

    async def start(self) -> None:
        """Connect and subscribe (the group is joined on the first fetch)."""
        if self._core.stopping:
            raise RuntimeError(f"{type(self).__name__} was stopped; create a new one")
        if self._started:
            return
        if self._dlq is not None:
            await self._dlq.start()
        await self._transport.start([self.topic], self._core.revoked)
        self._started = True

    async def stop(self) -> None:
        """Commit what was handled, leave the group, and close the registry client."""
        self._core.stopping = True
        started, self._started = self._started, False
        try:
            if started:
                try:
                    await self._run(self._core.commit_plan())
                finally:
                    await self._transport.stop()
        finally:
            try:
                if self._dlq is not None:
                    await self._dlq.stop()
            finally:
                await self.serde.aclose()

    # -- the driver: performs the core's steps

    async def _run(self, plan: Plan[T]) -> T:
        try:
            step = next(plan)
            while True:
                try:
                    answer = await self._do(step)
                except BaseException as exc:  # noqa: BLE001
                    # (The plan rewinds, then re-raises.)
                    step = plan.throw(exc)
                else:
                    step = plan.send(answer)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def _do(self, step: Step) -> Any:
        transport = self._transport
        try:
            if type(step) is Fetch:
                return await transport.fetch(step.timeout_ms, step.max_records)
            if type(step) is Load:
                return await step.serde.load(step.schema_id)
            if type(step) is Commit:
                return await transport.commit(step.offsets)
            if type(step) is DeadLetter:
                assert self._dlq is not None
                sent = await self._dlq.send(
                    step.topic,
                    step.value,
                    step.key,
                    step.headers,
                    None,
                    step.timestamp_ms,
                )
                return await sent
            assert type(step) is Probe
            return await transport.probe(step.timeout)
        except transport.errors as exc:
            raise transport.translate(exc, self.topic) from exc

    async def _next_record(self) -> Record[K, V]:
        record = self._core.ready()
        if record is None:
            record = await self._run(self._core.next_record())
        return record

    async def _commit_quietly(self) -> None:
        """Commit what was handled while an error is on its way out (a failure is logged)."""
        if self._started:
            try:
                await self._run(self._core.commit_plan())
            except Exception as exc:  # noqa: BLE001
                # (A failed commit only means redelivery.)
                log.warning("could not commit handled messages: %s", exc)

    def _check_started(self) -> None:
        if not self._started:
            raise RuntimeError(
                f"{type(self).__name__} is not started (use `async with` or start())"
            )

    # -- consuming

    async def consume(self, handler: Callable[[V], Awaitable[object] | object]) -> None:
        """Call ``handler(value)`` for each message until ``stop()``; commits after success."""
        await self.consume_records(lambda record: handler(record.value))

    async def consume_records(
        self, handler: Callable[[Record[K, V]], Awaitable[object] | object]
    ) -> None:
        """Call ``handler(record)`` for each message until ``stop()``; commits after success."""
        await self._consume(self._next_record, handler, lambda record: (record,))

    async def consume_batches(
        self,
        handler: Callable[[list[Record[K, V]]], Awaitable[object] | object],
        max_records: int = 500,
        timeout_ms: int = 1000,
    ) -> None:
        """Call ``handler(batch)`` for each batch (see ``batches``) until ``stop()``; a batch
        is committed after its handler succeeded, and read again whole if it raised."""

        async def take() -> list[Record[K, V]]:
            return await self._run(self._core.next_batch(max_records, timeout_ms))

        await self._consume(take, handler, lambda batch: batch)

    async def _consume(
        self,
        take: Callable[[], Awaitable[T]],
        handler: Callable[[T], Awaitable[object] | object],
        records: Callable[[T], Sequence[Record[K, V]]],
    ) -> None:
        self._check_started()
        core = self._core
        telemetry = self._telemetry
        core.rewind_inflight()
        try:
            while not core.stopping:
                try:
                    item = await take()
                except Stopped:
                    return
                scope = None
                if telemetry is not None:
                    telemetry.consumed(len(records(item)))
                    scope = telemetry.start_process(records(item))
                try:
                    result = handler(item)
                    if inspect.isawaitable(result):
                        await result
                except BaseException as exc:
                    if telemetry is not None and scope is not None:
                        telemetry.end_process(scope, exc)
                    core.rewind_records(records(item))
                    raise
                if telemetry is not None and scope is not None:
                    telemetry.end_process(scope, None)
                core.mark(records(item))
        except Exception:
            await self._commit_quietly()
            raise

    def __aiter__(self) -> Self:
        # A new loop: a record the previous loop yielded but did not finish is not handled.
        self._core.rewind_inflight()
        return self

    async def __anext__(self) -> Record[K, V]:
        core = self._core
        core.finish_inflight()
        if core.stopping:
            raise StopAsyncIteration
        self._check_started()
        try:
            record = await self._next_record()
        except Stopped:
            raise StopAsyncIteration from None
        except Exception:
            await self._commit_quietly()
            raise
        core.hand_out((record,))
        return record

    async def batches(
        self, max_records: int = 500, timeout_ms: int = 1000
    ) -> AsyncIterator[list[Record[K, V]]]:
        """``async for batch in consumer.batches():`` lists of up to ``max_records`` records,
        yielded as soon as full or ``timeout_ms`` after their first record arrived. A batch
        counts as handled when the loop asks for the next one (or at ``commit()``); if the
        loop body raises or breaks, the whole batch is read again."""
        self._check_started()
        core = self._core
        core.rewind_inflight()
        while not core.stopping:
            try:
                batch = await self._run(core.next_batch(max_records, timeout_ms))
            except Stopped:
                return
            except Exception:
                await self._commit_quietly()
                raise
            core.hand_out(batch)
            try:
                yield batch
            except BaseException:
                core.settle(batch, handled=False)
                raise
            core.settle(batch, handled=True)

    async def commit(self) -> None:
        """Commit every record handled so far, including the last one (or batch) ``async
        for`` yielded."""
        self._core.finish_inflight()
        if self._started:
            await self._run(self._core.commit_plan())

    async def committed(self, partition: int = 0) -> int | None:
        """The group's committed offset of a partition of the topic (None if none)."""
        self._check_started()
        return await self._transport.committed((self.topic, partition))
