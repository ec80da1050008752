"""Kafka clients behind one small interface (``base``): the per-topic classes do framing,
commits, error policy and typing once, above them; a transport only sends and fetches bytes.

- ``aio``: aiokafka (the async classes' default, ``client="aiokafka"``);
- ``confluent``: confluent-kafka, synchronous (the Sync classes);
- ``confluent_async``: the same bridged to asyncio (``client="confluent"`` on the async classes);
- ``memory`` (on ``memory_broker``): an in-process broker, ``bootstrap_servers="memory://[NAME]"``.

``pick(bootstrap_servers, client)`` chooses: a ``bootstrap_servers`` URL whose scheme is in
``SCHEMES`` (e.g. an in-memory broker's ``memory://``) selects that scheme's transports
whatever ``client`` says; otherwise ``CLIENTS[client]``. A new transport registers a
``Transports`` there and needs no change above.

May import: the standard library, aiokafka, the runtime's ``errors`` and the kafka package's
``logs``; confluent-kafka only inside functions (it is optional).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import aio, confluent, memory
from .aio import AioConsumer, AioProducer
from .base import (
    TP,
    AsyncConsumerTransport,
    AsyncProducerTransport,
    Delivered,
    Delivery,
    Fetched,
    OnRevoked,
    RawMessage,
    SyncConsumerTransport,
    SyncProducerTransport,
)
from .confluent import ConfluentConsumer, ConfluentProducer
from .confluent_async import ConfluentAsyncConsumer, ConfluentAsyncProducer
from .memory import (
    MemoryAsyncConsumer,
    MemoryAsyncProducer,
    MemoryConsumer,
    MemoryProducer,
)

__all__ = [
    "CLIENTS",
    "SCHEMES",
    "TP",
    "AsyncConsumerTransport",
    "AsyncProducerTransport",
    "Delivered",
    "Delivery",
    "Fetched",
    "OnRevoked",
    "RawMessage",
    "SyncConsumerTransport",
    "SyncProducerTransport",
    "Transports",
    "pick",
]

Servers = str | Sequence[str]
ProducerFactory = Callable[[Servers, Mapping[str, Any], float], Any]
ConsumerFactory = Callable[[Servers, str | None, Mapping[str, Any], float], Any]


@dataclass(frozen=True)
class Transports:
    """The factories of one client: ``(bootstrap_servers, [group_id,] options, broker_timeout)``
    -> a transport, None where the client has no such kind (aiokafka is async only); and
    ``connection_options``: the options of a consumer's dead-letter producer (same cluster,
    same credentials) taken from the consumer's."""

    name: str
    async_producer: ProducerFactory | None
    async_consumer: ConsumerFactory | None
    sync_producer: ProducerFactory | None
    sync_consumer: ConsumerFactory | None
    connection_options: Callable[[Mapping[str, Any]], dict[str, Any]]


CLIENTS: dict[str, Transports] = {
    "aiokafka": Transports(
        "aiokafka", AioProducer, AioConsumer, None, None, aio.connection_options
    ),
    "confluent": Transports(
        "confluent",
        ConfluentAsyncProducer,
        ConfluentAsyncConsumer,
        ConfluentProducer,
        ConfluentConsumer,
        confluent.connection_options,
    ),
}
SCHEMES: dict[str, Transports] = {
    "memory": Transports(
        "memory",
        MemoryAsyncProducer,
        MemoryAsyncConsumer,
        MemoryProducer,
        MemoryConsumer,
        memory.connection_options,
    ),
}
"""``bootstrap_servers="<scheme>://..."`` -> the transports serving it (filled by the modules
that provide one)."""


def pick(bootstrap_servers: Servers, client: str) -> Transports:
    """The transports for a cluster address and a ``client=`` name (see the module docstring)."""
    if isinstance(bootstrap_servers, str) and "://" in bootstrap_servers:
        scheme = bootstrap_servers.split("://", 1)[0].lower()
        if scheme in SCHEMES:
            return SCHEMES[scheme]
    found = CLIENTS.get(client)
    if found is None:
        raise ValueError(
            f"client must be one of {', '.join(sorted(CLIENTS))}, got {client!r}"
        )
    return found


def _conforms(
    aio_producer: AioProducer,
    aio_consumer: AioConsumer,
    producer: ConfluentProducer,
    consumer: ConfluentConsumer,
    async_producer: ConfluentAsyncProducer,
    async_consumer: ConfluentAsyncConsumer,
    memory_producers: tuple[MemoryAsyncProducer, MemoryProducer],
    memory_consumers: tuple[MemoryAsyncConsumer, MemoryConsumer],
) -> tuple[Any, ...]:
    """Never called: mypy checks here that each transport implements its interface."""
    checked: tuple[
        AsyncProducerTransport,
        AsyncConsumerTransport,
        SyncProducerTransport,
        SyncConsumerTransport,
        AsyncProducerTransport,
        AsyncConsumerTransport,
    ] = (aio_producer, aio_consumer, producer, consumer, async_producer, async_consumer)
    in_memory: tuple[
        AsyncProducerTransport,
        SyncProducerTransport,
        AsyncConsumerTransport,
        SyncConsumerTransport,
    ] = (*memory_producers, *memory_consumers)
    return checked + in_memory
