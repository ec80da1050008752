"""confluent-kafka for asyncio (``client="confluent"``): the synchronous transports of
``confluent`` bridged to the event loop by threads.

Producer: ``produce`` is called on the loop (it only enqueues); one thread polls librdkafka for
delivery reports and hands them to the loop in bulk (one loop wake-up per poll, not per
message), where they complete each send's future -- or, for ``send_batch``, one future for the
whole batch. This measured several times faster than confluent-kafka's own
``confluent_kafka.aio.AIOProducer`` (see the README's "Clients" section).

Consumer: every librdkafka call runs on one worker thread of its own, in order (librdkafka's
consumer is not to be called from two threads at once). ``seek`` only records the position; the
worker applies it before the next fetch. Rebalance callbacks run on the worker (inside a fetch
or ``stop``); the consumer's state is asked on the loop thread, then the offsets are committed
on the worker.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import functools
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from ...errors import KafkaClientError
from .base import TP, Fetched, HeaderList, OnRevoked, OutMessage
from .confluent import (
    ConfluentConsumer,
    ConfluentProducer,
    message_delivery,
    translate_error,
)

__all__ = ["ConfluentAsyncConsumer", "ConfluentAsyncProducer"]

_T = TypeVar("_T")
_POLL_S = 0.05


class _Batch:
    """Deliveries of a ``send_batch``: completed on the loop once all are in (one future)."""

    __slots__ = ("future", "left", "reports")

    def __init__(self, future: asyncio.Future[Any], size: int) -> None:
        self.future = future
        self.left = size
        self.reports: list[Any] = [None] * size


class ConfluentAsyncProducer:
    """``ConfluentProducer`` behind the ``AsyncProducerTransport`` interface."""

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        options: Mapping[str, Any],
        broker_timeout: float,
    ) -> None:
        self._sync = ConfluentProducer(bootstrap_servers, options, broker_timeout)
        self.client = self._sync.client
        self.errors = self._sync.errors
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        # Filled by the poll thread, emptied on the loop: (future, error, message) of one send,
        # or a whole _Batch; deque appends and pops are atomic.
        self._done: collections.deque[Any] = collections.deque()
        self._wake_pending = False
        self._pending = 0  # sends and batches not completed yet
        self._idle = asyncio.Event()

    def translate(
        self, exc: BaseException, topic: str | None = None
    ) -> KafkaClientError:
        return self._sync.translate(exc, topic)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Event()
        self._idle.set()
        await self._loop.run_in_executor(None, self._sync.start)
        self._thread = threading.Thread(
            target=self._poll_loop, name="avrobind-confluent-producer", daemon=True
        )
        self._thread.start()

    def _poll_loop(self) -> None:
        while not self._closing.is_set():
            self._sync.poll(_POLL_S)

    async def _produce(self, topic: str, message: OutMessage, callback: Any) -> None:
        value, key, headers, partition, timestamp_ms = message
        while True:
            try:
                self._sync.produce_raw(
                    topic, value, key, headers, partition, timestamp_ms, callback
                )
                return
            except BufferError:
                # librdkafka's queue is full: the poll thread drains it (bounded by its
                # message.timeout.ms, after which deliveries fail).
                await asyncio.sleep(_POLL_S)

    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: HeaderList | None,
        partition: int | None,
        timestamp_ms: int | None,
    ) -> Awaitable[Any]:
        assert self._loop is not None, "not started"
        future: asyncio.Future[Any] = self._loop.create_future()
        callback = functools.partial(self._delivered, future)
        await self._produce(
            topic, (value, key, headers, partition, timestamp_ms), callback
        )
        self._pending += 1
        self._idle.clear()
        return future

    async def send_batch(self, topic: str, messages: Sequence[OutMessage]) -> list[Any]:
        """Send ``(value, key, headers, partition, timestamp_ms)`` messages in order; once all
        are acknowledged, where they landed (or the first failure, raised)."""
        assert self._loop is not None, "not started"
        if not messages:
            return []
        batch = _Batch(self._loop.create_future(), len(messages))
        report = self._batch_delivered
        self._pending += 1
        self._idle.clear()
        for index, message in enumerate(messages):
            await self._produce(topic, message, functools.partial(report, batch, index))
        reports: list[Any] = await batch.future
        return [_outcome(error, message, topic) for error, message in reports]

    # -- on the poll thread: queue what is done; wake the loop once per poll, not per message

    def _delivered(self, future: asyncio.Future[Any], error: Any, message: Any) -> None:
        self._done.append((future, error, message))
        self._wake()

    def _batch_delivered(
        self, batch: _Batch, index: int, error: Any, message: Any
    ) -> None:
        batch.reports[index] = (error, message)
        batch.left -= 1  # only this thread counts down
        if batch.left == 0:
            self._done.append(batch)
            self._wake()

    def _wake(self) -> None:
        if self._wake_pending:
            return
        self._wake_pending = True
        assert self._loop is not None
        with contextlib.suppress(
            RuntimeError
        ):  # the loop is closed: nobody waits any more
            self._loop.call_soon_threadsafe(self._complete)

    # -- on the loop

    def _complete(self) -> None:
        self._wake_pending = (
            False  # first: what is queued after this wakes the loop again
        )
        done = self._done
        while done:
            item = done.popleft()
            self._pending -= 1
            if type(item) is _Batch:
                if not item.future.done():
                    item.future.set_result(item.reports)
                continue
            future, error, message = item
            if future.done():
                continue
            if error is not None:
                future.set_exception(translate_error(error, message.topic()))
            else:
                future.set_result(message_delivery(message))
        if self._pending == 0:
            self._idle.set()

    async def flush(self) -> None:
        await self._idle.wait()

    async def stop(self) -> None:
        if self._thread is None:
            return
        try:
            # Deliveries end by message.timeout.ms at the latest (then as errors).
            await self._idle.wait()
        finally:
            self._closing.set()
            thread, self._thread = self._thread, None
            assert self._loop is not None
            await self._loop.run_in_executor(None, thread.join)
            await self._loop.run_in_executor(None, self._sync.close)


def _outcome(error: Any, message: Any, topic: str) -> Any:
    if error is not None:
        raise translate_error(error, topic)
    return message_delivery(message)


class ConfluentAsyncConsumer:
    """``ConfluentConsumer`` behind the ``AsyncConsumerTransport`` interface."""

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        group_id: str | None,
        options: Mapping[str, Any],
        broker_timeout: float,
    ) -> None:
        self._sync = ConfluentConsumer(
            bootstrap_servers, group_id, options, broker_timeout
        )
        self.client = self._sync.client
        self.errors = self._sync.errors
        self._broker_timeout = broker_timeout
        self._worker: concurrent.futures.ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._seeks: dict[TP, int] = {}
        self._seeks_lock = threading.Lock()

    def translate(
        self, exc: BaseException, topic: str | None = None
    ) -> KafkaClientError:
        return self._sync.translate(exc, topic)

    async def _call(self, fn: Callable[..., _T], *args: Any) -> _T:
        assert self._loop is not None and self._worker is not None, "not started"
        return await self._loop.run_in_executor(self._worker, fn, *args)

    def _on_loop(self, on_revoked: OnRevoked) -> OnRevoked:
        """``on_revoked`` run on the loop thread for a caller on the worker thread."""
        loop = self._loop
        assert loop is not None

        def call(partitions: set[TP]) -> Mapping[TP, int]:
            answer: concurrent.futures.Future[Mapping[TP, int]] = (
                concurrent.futures.Future()
            )

            def run() -> None:
                try:
                    answer.set_result(on_revoked(partitions))
                except BaseException as exc:  # noqa: BLE001 -- handed to the worker
                    answer.set_exception(exc)

            try:
                loop.call_soon_threadsafe(run)
                return answer.result(timeout=self._broker_timeout)
            except (RuntimeError, concurrent.futures.TimeoutError):
                # the loop is gone or stuck: commit nothing (at least once holds)
                return {}

        return call

    async def start(self, topics: Sequence[str], on_revoked: OnRevoked) -> None:
        self._loop = asyncio.get_running_loop()
        self._worker = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="avrobind-confluent-consumer"
        )
        try:
            await self._call(self._sync.start, list(topics), self._on_loop(on_revoked))
        except BaseException:
            self._worker.shutdown(wait=False)
            self._worker = None
            raise

    def _apply_seeks(self) -> None:
        with self._seeks_lock:
            seeks, self._seeks = self._seeks, {}
        for tp, offset in seeks.items():
            self._sync.seek(tp, offset)

    def _fetch(self, timeout_ms: int, max_records: int) -> Sequence[Fetched]:
        self._apply_seeks()
        return self._sync.fetch(timeout_ms, max_records)

    async def fetch(self, timeout_ms: int, max_records: int) -> Sequence[Fetched]:
        return await self._call(self._fetch, timeout_ms, max_records)

    async def commit(self, offsets: Mapping[TP, int]) -> bool:
        return await self._call(self._sync.commit, dict(offsets))

    def seek(self, tp: TP, offset: int) -> None:
        with self._seeks_lock:
            self._seeks[tp] = offset

    def assignment(self) -> set[TP]:
        return self._sync.assignment()

    async def committed(self, tp: TP) -> int | None:
        return await self._call(self._sync.committed, tp)

    async def probe(self, timeout: float) -> bool:
        return await self._call(self._sync.probe, timeout)

    async def stop(self) -> None:
        worker = self._worker
        if worker is None:
            return
        try:
            await self._call(self._sync.stop)
        finally:
            self._worker = None
            worker.shutdown(wait=False)
