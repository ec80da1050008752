"""The in-memory transport: ``bootstrap_servers="memory://[NAME]"`` runs every per-topic class
(async on either ``client``, and the Sync classes) on the in-process broker of
``memory_broker``, with no socket. A service's code needs no change: only its configuration.

Options are those of the client the class would otherwise use (aiokafka's keyword arguments or
librdkafka's dotted names), so the same configuration works on both: the options a class owns
are refused as the real clients refuse them; ``auto_offset_reset`` / ``"auto.offset.reset"``
(``earliest``, the default, or ``latest``) and an aiokafka-style ``partitioner`` callable are
honoured; everything about connections, batching and timeouts has nothing to act on and is
accepted as it is. Sends are acknowledged at once; a consumer's group join happens on
``start()`` and partitions move between members on their next fetch, after the previous owner
committed what it had handled (the callback every transport calls before a revocation).
There is no session timeout: a consumer that is never stopped keeps its partitions.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from typing import Any, Final

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # type: ignore[import-untyped, unused-ignore]

from ...errors import DeliveryError, KafkaClientError
from .base import TP, Delivery, Fetched, HeaderList, OnDelivery, OnRevoked, OutMessage
from .memory_broker import (
    SCHEME,
    Broker,
    BrokerError,
    Member,
    broker_for,
    group_options_reset,
)

__all__ = [
    "MemoryAsyncConsumer",
    "MemoryAsyncProducer",
    "MemoryConsumer",
    "MemoryProducer",
    "connection_options",
]

log = logging.getLogger("avrobind.kafka")

CLIENT: Final = "memory"
_OWNED_PRODUCER: Final = frozenset(
    {"key_serializer", "value_serializer", "loop", "bootstrap_servers"}
    | {"bootstrap.servers", "key.serializer", "value.serializer"}
)
_OWNED_CONSUMER: Final = frozenset(
    {"key_deserializer", "value_deserializer", "loop", "bootstrap_servers", "group_id"}
    | {"bootstrap.servers", "group.id", "key.deserializer", "value.deserializer"}
)
# librdkafka's configuration names without a dot (the others all have one).
_LIBRDKAFKA_PLAIN: Final = frozenset(
    {
        "acks",
        "partitioner",
        "logger",
        "error_cb",
        "oauth_cb",
        "stats_cb",
        "throttle_cb",
        "debug",
    }
    | {"retries", "linger.ms"}
)


def connection_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """A dead-letter producer needs nothing of the consumer's options in memory."""
    return {}


def _check(options: Mapping[str, Any], owned: frozenset[str], target: Any) -> None:
    taken = sorted(owned & options.keys())
    if taken:
        raise TypeError(
            f"{', '.join(taken)}: set by avrobind (the serde is built in); do not pass"
        )
    if options.get("enable_auto_commit") or options.get("enable.auto.commit") not in (
        None,
        False,
        "false",
    ):
        raise ValueError(
            "enable_auto_commit would commit messages before they are handled; "
            "this consumer commits itself, after the handler succeeded"
        )
    accepted = set(inspect.signature(target.__init__).parameters) - {"self", "topics"}
    unknown = sorted(
        k
        for k in options
        if k not in accepted and "." not in k and k not in _LIBRDKAFKA_PLAIN
    )
    if unknown:
        raise TypeError(
            f"unknown option(s) {', '.join(unknown)}: neither aiokafka's {target.__name__} "
            "arguments nor librdkafka configuration names"
        )


def _url(bootstrap_servers: str | Sequence[str]) -> str:
    if not isinstance(
        bootstrap_servers, str
    ) or not bootstrap_servers.lower().startswith(SCHEME + "://"):
        raise ValueError(
            f"the in-memory transport serves memory:// URLs, not {bootstrap_servers!r}"
        )
    return bootstrap_servers


def _translate(exc: BaseException, topic: str | None = None) -> KafkaClientError:
    code = getattr(exc, "code", type(exc).__name__)
    return DeliveryError(str(exc), client=CLIENT, topic=topic, code=code)


class _Done:
    """An awaitable that is already complete (a send the in-memory broker acknowledged)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Any]:
        return self.value
        yield  # pragma: no cover -- makes this a generator


class _Producing:
    """What both producers do: options, the broker, one append."""

    client = CLIENT
    errors: tuple[type[BaseException], ...] = (BrokerError,)

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        options: Mapping[str, Any],
        broker_timeout: float,
    ) -> None:
        _check(options, _OWNED_PRODUCER, AIOKafkaProducer)
        self._broker: Broker = broker_for(_url(bootstrap_servers))
        partitioner = options.get("partitioner")
        self._partitioner = partitioner if callable(partitioner) else None

    def translate(
        self, exc: BaseException, topic: str | None = None
    ) -> KafkaClientError:
        return _translate(exc, topic)

    def _append(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: HeaderList | None,
        partition: int | None,
        timestamp_ms: int | None,
    ) -> Delivery:
        return self._broker.append(
            topic, value, key, headers, partition, timestamp_ms, self._partitioner
        )


class MemoryAsyncProducer(_Producing):
    """The ``AsyncProducerTransport`` of ``memory://``."""

    async def start(self) -> None:
        return None

    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: HeaderList | None,
        partition: int | None,
        timestamp_ms: int | None,
    ) -> Awaitable[Any]:
        delivery = self._append(topic, value, key, headers, partition, timestamp_ms)
        await asyncio.sleep(
            0
        )  # a send yields to the loop, as a real acknowledgement does
        return _Done(delivery)

    async def send_batch(self, topic: str, messages: Sequence[OutMessage]) -> list[Any]:
        append = self._append
        deliveries = [append(topic, v, k, h, p, ts) for v, k, h, p, ts in messages]
        await asyncio.sleep(0)
        return deliveries

    async def flush(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class MemoryProducer(_Producing):
    """The ``SyncProducerTransport`` of ``memory://``: deliveries are reported from ``poll``
    and ``flush``, as confluent-kafka reports them."""

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        options: Mapping[str, Any],
        broker_timeout: float,
    ) -> None:
        super().__init__(bootstrap_servers, options, broker_timeout)
        self._pending: list[tuple[OnDelivery, Delivery]] = []
        self._lock = threading.Lock()  # the Sync producer may be shared by threads

    def start(self) -> None:
        return None

    def produce(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: HeaderList | None,
        partition: int | None,
        timestamp_ms: int | None,
        on_delivery: OnDelivery,
    ) -> None:
        delivery = self._append(topic, value, key, headers, partition, timestamp_ms)
        with self._lock:
            self._pending.append((on_delivery, delivery))

    def poll(self, timeout: float) -> int:
        with self._lock:
            pending, self._pending = self._pending, []
        for on_delivery, delivery in pending:
            on_delivery(delivery, None)
        return len(pending)

    def flush(self, timeout: float | None) -> int:
        self.poll(0)
        return 0

    def close(self) -> None:
        self.poll(0)


class _Consuming:
    """What both consumers do: join the group, hand over revoked partitions, collect."""

    client = CLIENT
    errors: tuple[type[BaseException], ...] = (BrokerError,)

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        group_id: str | None,
        options: Mapping[str, Any],
        broker_timeout: float,
    ) -> None:
        _check(options, _OWNED_CONSUMER, AIOKafkaConsumer)
        self._broker: Broker = broker_for(_url(bootstrap_servers))
        self._group_id = group_id
        self._reset = group_options_reset(options)
        self._member: Member | None = None
        self._on_revoked: OnRevoked | None = None

    def translate(
        self, exc: BaseException, topic: str | None = None
    ) -> KafkaClientError:
        return _translate(exc, topic)

    def _join(self, topics: Sequence[str], on_revoked: OnRevoked) -> None:
        self._on_revoked = on_revoked
        self._member = self._broker.join(topics, self._group_id, self._reset)
        # Partitions nobody holds are taken at once (``latest`` means "from the join on");
        # the rest come on the fetches after their owners let them go.
        self._broker.take(self._member)

    def _poll(self, max_records: int) -> tuple[list[Any], int]:
        """Hand over what the group moved away (committing first), take what it gave, collect;
        and the broker's version seen before collecting (to wait for the next change).
        """
        broker, member = self._broker, self._member
        if member is None:
            return [], broker.version
        gone = broker.to_release(member)
        if gone:
            assert self._on_revoked is not None
            offsets = self._on_revoked(gone)
            if offsets:
                broker.commit(member, offsets)
            broker.release(member, gone)
        with broker.lock:
            seen = broker.version
            broker.take(member)
            return broker.collect(member, max_records), seen

    def _commit(self, offsets: Mapping[TP, int]) -> bool:
        if self._member is not None and self._broker.commit(self._member, offsets):
            return True
        # The group rebalanced: the new owner reads these again (at least once).
        log.warning(
            "could not commit %s: the partitions moved to another member", dict(offsets)
        )
        return False

    def seek(self, tp: TP, offset: int) -> None:
        member = self._member
        if member is not None and tp in member.owned:
            member.position[tp] = offset

    def assignment(self) -> set[TP]:
        return set(self._member.owned) if self._member is not None else set()

    def _committed(self, tp: TP) -> int | None:
        if self._group_id is None:
            return None
        return self._broker.committed(self._group_id, tp[0]).get(tp[1])

    def _leave(self) -> None:
        member, self._member = self._member, None
        if member is not None:
            self._broker.leave(member)


class MemoryAsyncConsumer(_Consuming):
    """The ``AsyncConsumerTransport`` of ``memory://``."""

    async def start(self, topics: Sequence[str], on_revoked: OnRevoked) -> None:
        self._join(topics, on_revoked)

    async def fetch(self, timeout_ms: int, max_records: int) -> Sequence[Fetched]:
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            messages, seen = self._poll(max_records)
            left = deadline - time.monotonic()
            if messages or self._member is None or left <= 0:
                # Suspend once, as a client that reads from a socket does: a consumer with
                # messages always at hand must not starve the loop's other tasks.
                await asyncio.sleep(0)
                return messages
            woken: asyncio.Future[None] = loop.create_future()
            wake = _waker(loop, woken)
            if not self._broker.add_waker(wake, seen):
                continue
            try:
                # Not wait_for: on 3.11 it loses a cancellation that meets a wake-up.
                await asyncio.wait({woken}, timeout=left)
            finally:
                self._broker.remove_waker(wake)
                woken.cancel()

    async def commit(self, offsets: Mapping[TP, int]) -> bool:
        return self._commit(offsets)

    async def committed(self, tp: TP) -> int | None:
        return self._committed(tp)

    async def probe(self, timeout: float) -> bool:
        return True

    async def stop(self) -> None:
        self._leave()


class MemoryConsumer(_Consuming):
    """The ``SyncConsumerTransport`` of ``memory://``."""

    def start(self, topics: Sequence[str], on_revoked: OnRevoked) -> None:
        self._join(topics, on_revoked)

    def fetch(self, timeout_ms: int, max_records: int) -> Sequence[Fetched]:
        broker = self._broker
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            messages, seen = self._poll(max_records)
            left = deadline - time.monotonic()
            if messages or self._member is None or left <= 0:
                return messages
            changed = broker.changed
            with changed:
                changed.wait_for(lambda: broker.version != seen, left)  # noqa: B023

    def commit(self, offsets: Mapping[TP, int]) -> bool:
        return self._commit(offsets)

    def committed(self, tp: TP) -> int | None:
        return self._committed(tp)

    def probe(self, timeout: float) -> bool:
        return True

    def stop(self) -> None:
        self._leave()


def _waker(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]
) -> Callable[[], None]:
    """A callback for the broker (any thread) that completes ``future`` on its loop."""

    def done() -> None:
        if not future.done():
            future.set_result(None)

    def wake() -> None:
        with contextlib.suppress(
            RuntimeError
        ):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(done)

    return wake
