"""The transport interface: what a Kafka client must do for the per-topic classes.

A transport sends and fetches bytes; it knows nothing of schemas, commits policy or errors
policy. Producers: ``send`` (async) / ``produce`` (sync) one message, ``flush``, start and
stop. Consumers: subscribe with a revocation callback, ``fetch`` a batch of messages,
``commit`` explicit offsets, ``seek``, ``assignment``, ``committed`` and ``probe`` (can a
broker be reached now?). Partitions are ``(topic, partition)`` tuples; an offset to commit is
the next one to read, as in Kafka.

A fetched message is any object with the attributes of ``Fetched`` (aiokafka's
``ConsumerRecord`` is one as it is; other clients build ``RawMessage``s). ``Delivered`` is
what a send returns once acknowledged (aiokafka's ``RecordMetadata``, or a ``Delivery``).

Failures of the client are raised as ``KafkaClientError``s: a transport lists the exception
types its client raises (``errors``) and turns one into avrobind's (``translate``), so the
per-topic classes catch and translate in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeAlias

from ...errors import KafkaClientError

TP: TypeAlias = tuple[str, int]
"""A partition of a topic: ``(topic, partition)``."""

OnRevoked: TypeAlias = Callable[[set[TP]], Mapping[TP, int]]
"""Called by a consumer transport before partitions go to another member: returns the offsets
the transport commits before letting them go (handled, not yet committed)."""

HeaderList: TypeAlias = list[tuple[str, bytes]]
OutMessage: TypeAlias = tuple[
    bytes | None, bytes | None, HeaderList | None, int | None, int | None
]
"""A message to send: ``(value, key, headers, partition, timestamp_ms)``."""


class Fetched(Protocol):
    """One fetched message (read-only attributes; ``timestamp`` in ms, ``timestamp_type`` 0
    for create time and 1 for log-append time, as in Kafka's protocol)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes | None]] | None: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def timestamp_type(self) -> int: ...


class RawMessage(NamedTuple):
    """A ``Fetched`` message built by transports whose client has no such object (a tuple:
    cheaper to build than a frozen dataclass, on the hot path)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] | None
    timestamp: int
    timestamp_type: int = 0


class Delivered(Protocol):
    """Where an acknowledged message landed."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """An acknowledged message: topic, partition, offset and timestamp (ms; -1 if unknown)."""

    topic: str
    partition: int
    offset: int
    timestamp: int = -1


OnDelivery: TypeAlias = Callable[[Delivered | None, KafkaClientError | None], None]
"""A sync producer's callback: ``(delivery, None)`` once acknowledged, ``(None, error)``."""


class _Translating(Protocol):
    client: str
    errors: tuple[type[BaseException], ...]

    def translate(
        self, exc: BaseException, topic: str | None = None
    ) -> KafkaClientError: ...


class AsyncProducerTransport(_Translating, Protocol):
    async def start(self) -> None: ...
    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: HeaderList | None,
        partition: int | None,
        timestamp_ms: int | None,
    ) -> Awaitable[Any]:
        """Enqueue one message; the awaitable completes with a ``Delivered`` once acknowledged
        (or raises one of ``errors``)."""
        ...

    async def send_batch(self, topic: str, messages: Sequence[OutMessage]) -> list[Any]:
        """Send the messages in order and wait for all: their ``Delivered``s, or the first
        failure."""
        ...

    async def flush(self) -> None: ...
    async def stop(self) -> None: ...


class SyncProducerTransport(_Translating, Protocol):
    def start(self) -> None: ...
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
        """Enqueue one message without waiting; ``on_delivery`` is called from ``poll``/``flush``."""
        ...

    def poll(self, timeout: float) -> int: ...
    def flush(self, timeout: float | None) -> int:
        """Wait for the deliveries (at most ``timeout`` s); the number still pending."""
        ...

    def close(self) -> None: ...


class AsyncConsumerTransport(_Translating, Protocol):
    async def start(self, topics: Sequence[str], on_revoked: OnRevoked) -> None: ...
    async def fetch(self, timeout_ms: int, max_records: int) -> Sequence[Fetched]: ...
    async def commit(self, offsets: Mapping[TP, int]) -> bool:
        """Commit; False (logged) when the group rebalanced and the commit was refused."""
        ...

    def seek(self, tp: TP, offset: int) -> None:
        """The next fetch of ``tp`` starts at ``offset`` (ignored if ``tp`` is not assigned)."""
        ...

    def assignment(self) -> set[TP]: ...
    async def committed(self, tp: TP) -> int | None: ...
    async def probe(self, timeout: float) -> bool: ...
    async def stop(self) -> None: ...


class SyncConsumerTransport(_Translating, Protocol):
    def start(self, topics: Sequence[str], on_revoked: OnRevoked) -> None: ...
    def fetch(self, timeout_ms: int, max_records: int) -> Sequence[Fetched]: ...
    def commit(self, offsets: Mapping[TP, int]) -> bool: ...
    def seek(self, tp: TP, offset: int) -> None: ...
    def assignment(self) -> set[TP]: ...
    def committed(self, tp: TP) -> int | None: ...
    def probe(self, timeout: float) -> bool: ...
    def stop(self) -> None: ...
