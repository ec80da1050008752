"""``SyncAvroConsumer``: typed records of one topic consumed synchronously (confluent-kafka),
at least once, with the async consumer's semantics (the same ``core``).

``for record in consumer`` (a record counts as handled when the loop asks for the next one, or
at ``commit()``), ``consume(handler)`` / ``consume_records(handler)`` (handled when the handler
returned), ``for batch in consumer.batches(max_records=500, timeout=1.0)`` and
``consume_batches(handler)``. Offsets are committed only after success; a handler or loop body
that raises leaves its record (or batch) uncommitted and read again. ``on_error``,
``dead_letter_topic``, ``unknown_schema_ids``, tombstones and ``broker_timeout`` are as for the
async ``AvroConsumer``.

No start is needed: the first read subscribes (``with`` does it on entry, and commits and
closes on exit). A consumer is used by one thread; ``stop()`` may be called from any thread (or
a signal handler): the running loop returns after its current poll, at most
``poll_timeout_ms`` later, and the consumer reads no more. Options are librdkafka's configuration names
(``"session.timeout.ms"``, ``"auto.offset.reset"``...); ``enable.auto.commit``, the
deserializers, the cluster and the group are the class's own and are refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Self, TypeVar

from ..serde import TopicSerde
from .bases import _ConsumerBase, _SyncLifecycle
from .core import Commit, DeadLetter, Fetch, Load, Plan, Probe, Step, Stopped
from .records import Record
from .transports import Delivered, SyncConsumerTransport

log = logging.getLogger("avrobind.kafka.consumer")

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class SyncAvroConsumer(_SyncLifecycle, _ConsumerBase[K, V]):
    """Consumes typed records of one topic in a consumer group, synchronously, at least once.

    See the module docstring. ``registry`` is as for ``SyncAvroProducer``;
    ``poll_timeout_ms`` bounds each poll, ``max_records`` each fetch.
    """

    _SYNC = True
    _CLIENT = "confluent"
    serde: TopicSerde[K, V]
    _transport: SyncConsumerTransport

    # -- life cycle

    def start(self) -> None:
        """Connect and subscribe (the first read does it too)."""
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} was closed; create a new one")
        if self._started:
            return
        if self._dlq is not None:
            self._dlq.start()
        self._transport.start([self.topic], self._core.revoked)
        self._started = True

    def stop(self) -> None:
        """End consuming: the running loop (``consume``, ``for``...) returns after its current
        poll, and later ones at once. Safe from any thread and from signal handlers; ``close()``
        (or the end of the ``with`` block) then commits and leaves the group."""
        self._core.stopping = True

    def close(self) -> None:
        """Commit what was handled, leave the group, and close the registry client."""
        if self._closed:
            return
        self._closed = True
        self._core.stopping = True
        started, self._started = self._started, False
        try:
            if started:
                try:
                    self._run(self._core.commit_plan())
                finally:
                    self._transport.stop()
        finally:
            try:
                if self._dlq is not None:
                    self._dlq.close()
            finally:
                self.serde.close()

    # -- the driver: performs the core's steps

    def _run(self, plan: Plan[T]) -> T:
        try:
            step = next(plan)
            while True:
                try:
                    answer = self._do(step)
                except BaseException as exc:  # noqa: BLE001
                    # (The plan rewinds, then re-raises.)
                    step = plan.throw(exc)
                else:
                    step = plan.send(answer)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def _do(self, step: Step) -> Any:
        transport = self._transport
        try:
            if type(step) is Fetch:
                return transport.fetch(step.timeout_ms, step.max_records)
            if type(step) is Load:
                return step.serde.load(step.schema_id)
            if type(step) is Commit:
                return transport.commit(step.offsets)
            if type(step) is DeadLetter:
                return self._dead_letter(step)
            assert type(step) is Probe
            return transport.probe(step.timeout)
        except transport.errors as exc:
            raise transport.translate(exc, self.topic) from exc

    def _dead_letter(self, step: DeadLetter) -> None:
        """Produce to the dead-letter topic and wait for the broker's acknowledgement."""
        dlq = self._dlq
        assert dlq is not None
        outcome: list[Any] = []

        def delivered(delivery: Delivered | None, error: Any) -> None:
            outcome.append(error)

        dlq.produce(
            step.topic,
            step.value,
            step.key,
            step.headers,
            None,
            step.timestamp_ms,
            delivered,
        )
        while not outcome:
            dlq.flush(self.broker_timeout)
        if outcome[0] is not None:
            raise outcome[0]

    def _ensure_started(self) -> None:
        if not self._started:
            self.start()

    def _next_record(self) -> Record[K, V]:
        record = self._core.ready()
        if record is None:
            record = self._run(self._core.next_record())
        return record

    def _commit_quietly(self) -> None:
        if self._started:
            try:
                self._run(self._core.commit_plan())
            except Exception as exc:  # noqa: BLE001
                # (A failed commit only means redelivery.)
                log.warning("could not commit handled messages: %s", exc)

    # -- consuming

    def consume(self, handler: Callable[[V], object]) -> None:
        """Call ``handler(value)`` for each message until ``stop()``; commits after success."""
        self.consume_records(lambda record: handler(record.value))

    def consume_records(self, handler: Callable[[Record[K, V]], object]) -> None:
        """Call ``handler(record)`` for each message until ``stop()``; commits after success."""
        self._consume(self._next_record, handler, lambda record: (record,))

    def consume_batches(
        self,
        handler: Callable[[list[Record[K, V]]], object],
        max_records: int = 500,
        timeout: float = 1.0,
    ) -> None:
        """Call ``handler(batch)`` for each batch (see ``batches``) until ``stop()``; a batch
        is committed after its handler succeeded, and read again whole if it raised."""

        def take() -> list[Record[K, V]]:
            return self._run(self._core.next_batch(max_records, int(timeout * 1000)))

        self._consume(take, handler, lambda batch: batch)

    def _consume(
        self,
        take: Callable[[], T],
        handler: Callable[[T], object],
        records: Callable[[T], Sequence[Record[K, V]]],
    ) -> None:
        self._ensure_started()
        core = self._core
        telemetry = self._telemetry
        core.rewind_inflight()
        try:
            while not core.stopping:
                try:
                    item = take()
                except Stopped:
                    return
                scope = None
                if telemetry is not None:
                    telemetry.consumed(len(records(item)))
                    scope = telemetry.start_process(records(item))
                try:
                    handler(item)
                except BaseException as exc:
                    if telemetry is not None and scope is not None:
                        telemetry.end_process(scope, exc)
                    core.rewind_records(records(item))
                    raise
                if telemetry is not None and scope is not None:
                    telemetry.end_process(scope, None)
                core.mark(records(item))
        except Exception:
            self._commit_quietly()
            raise

    def __iter__(self) -> Self:
        # A new loop: a record the previous loop yielded but did not finish is not handled.
        self._ensure_started()
        self._core.rewind_inflight()
        return self

    def __next__(self) -> Record[K, V]:
        core = self._core
        core.finish_inflight()
        if core.stopping:
            raise StopIteration
        self._ensure_started()
        try:
            record = self._next_record()
        except Stopped:
            raise StopIteration from None
        except Exception:
            self._commit_quietly()
            raise
        core.hand_out((record,))
        return record

    def batches(
        self, max_records: int = 500, timeout: float = 1.0
    ) -> Iterator[list[Record[K, V]]]:
        """``for batch in consumer.batches():`` lists of up to ``max_records`` records, yielded
        as soon as full or ``timeout`` seconds after their first record arrived. A batch
        counts as handled when the loop asks for the next one (or at ``commit()``); if the
        loop body raises or breaks, the whole batch is read again."""
        self._ensure_started()
        core = self._core
        core.rewind_inflight()
        while not core.stopping:
            try:
                batch = self._run(core.next_batch(max_records, int(timeout * 1000)))
            except Stopped:
                return
            except Exception:
                self._commit_quietly()
                raise
            core.hand_out(batch)
            try:
                yield batch
            except BaseException:
                core.settle(batch, handled=False)
                raise
            core.settle(batch, handled=True)

    def commit(self) -> None:
        """Commit every record handled so far, including the last one (or batch) the loop
        yielded."""
        self._core.finish_inflight()
        if self._started:
            self._run(self._core.commit_plan())

    def committed(self, partition: int = 0) -> int | None:
        """The group's committed offset of a partition of the topic (None if none)."""
        self._ensure_started()
        return self._transport.committed((self.topic, partition))
