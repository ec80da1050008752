"""``MemoryKafka``: a ``memory://`` bootstrap string that can also show what its broker holds
and write into it as another client would."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from codegen.runtime.kafka.transports.base import Delivery, RawMessage
from codegen.runtime.kafka.transports.memory_broker import Broker, broker_for, forget, parse_url

__all__ = ["MemoryKafka"]

HeaderPairs = Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]]


class MemoryKafka(str):
    """A ``memory://NAME`` URL (pass it as ``bootstrap_servers``) with helpers:

    - ``messages(topic)``: every message of the topic, in order of arrival (``partition=`` for
      one partition's log), as raw ``RawMessage``s: ``.key``, ``.value`` (bytes, None for a
      tombstone), ``.headers``, ``.partition``, ``.offset``, ``.timestamp``;
    - ``inject(topic, value, key=..., headers=...)``: raw bytes as another client writes them
      (a poison pill, a tombstone with ``value=None``); returns where they landed;
    - ``create_topic(topic, partitions)``, ``committed(group, topic)``, ``topics()``.
    """

    __slots__ = ()

    @classmethod
    def fresh(cls, partitions: int = 1) -> MemoryKafka:
        """A broker no one else uses (topics created on first produce get ``partitions``)."""
        suffix = f"?partitions={partitions}" if partitions != 1 else ""
        return cls(f"memory://test-{uuid.uuid4().hex}{suffix}")

    @property
    def broker(self) -> Broker:
        return broker_for(self)

    def messages(self, topic: str, partition: int | None = None) -> list[RawMessage]:
        return self.broker.messages(topic, partition)

    def inject(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | str | None = None,
        headers: HeaderPairs | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> Delivery:
        pairs = headers.items() if isinstance(headers, Mapping) else (headers or ())
        raw_headers = [(k, v.encode() if isinstance(v, str) else bytes(v)) for k, v in pairs]
        raw_key = key.encode() if isinstance(key, str) else key
        return self.broker.append(topic, value, raw_key, raw_headers, partition, timestamp_ms)

    def create_topic(self, topic: str, partitions: int = 1) -> None:
        self.broker.create_topic(topic, partitions)

    def committed(self, group: str, topic: str) -> dict[int, int]:
        """The group's committed offsets of ``topic`` by partition (the next offset to read)."""
        return self.broker.committed(group, topic)

    def topics(self) -> list[str]:
        return self.broker.topics()

    def close(self) -> None:
        """Forget the broker (what it held is gone)."""
        forget(parse_url(self)[0])
