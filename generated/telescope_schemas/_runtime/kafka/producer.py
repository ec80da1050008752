"""``AvroProducer``: typed values of one topic sent in the Confluent wire format (asyncio).

``start()`` registers the schemas (or, with ``auto_register=False``, checks that they are
registered), so a missing registry fails at start-up, not at the first send; then it connects.
``send(value, key=..., headers=...)`` waits for the broker's acknowledgement and returns where
the message landed (``topic``, ``partition``, ``offset``, ``timestamp``: aiokafka's
``RecordMetadata``, or a ``Delivery``); ``send_batch`` encodes every message first (nothing is
sent when one cannot be encoded), then sends them all and waits for every acknowledgement.

The client: ``client="aiokafka"`` (default; options are ``AIOKafkaProducer``'s keyword
arguments: ``acks``, ``linger_ms``, ``enable_idempotence``, TLS/SASL...) or
``client="confluent"`` (options are librdkafka's configuration names, passed as
``**{"linger.ms": 5}``). ``broker_timeout`` (seconds, default 30) bounds the wait for a broker:
past it ``start`` or a send raises ``BrokerUnavailableError``; a message the broker refuses
raises ``DeliveryError``.

``TombstoneAvroProducer`` (the producers of topics with tombstones) adds
``send_tombstone(key)``: the key and no value, which deletes the key of a compacted topic.
The sync producers (``sync_producer``) share ``_ProducerBase``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from ..serde import AsyncTopicSerde
from .bases import _Lifecycle, _ProducerBase
from .records import Headers, Message, _headers
from .transports import AsyncProducerTransport
from .transports.base import OutMessage

K = TypeVar("K")
V = TypeVar("V")


class AvroProducer(_Lifecycle, _ProducerBase[K, V]):
    """Sends typed values (and keys) of one topic, Avro-encoded in the Confluent wire format.

    ``registry`` may be an ``AsyncSchemaRegistryClient`` (shared, not closed here), a
    ``RegistryConfig`` or a URL; otherwise ``schema_registry_url``, then
    ``AVROBIND_REGISTRY_URL``, then the configured URL is used. An async context manager;
    a stopped producer cannot be started again. See the module docstring for ``client``.
    """

    serde: AsyncTopicSerde[Any, V]
    _transport: AsyncProducerTransport

    async def start(self) -> None:
        """Register (or check) the schemas, then connect to the cluster."""
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} was stopped; create a new one")
        if self._started:
            return
        await self.serde.register()
        await self._transport.start()
        self._started = True

    async def stop(self) -> None:
        """Deliver what is pending, disconnect, and close the registry client."""
        self._closed = True
        started, self._started = self._started, False
        try:
            if started:
                await self._transport.stop()
        finally:
            await self.serde.aclose()

    def _check_started(self) -> None:
        if not self._started:
            raise RuntimeError(
                f"{type(self).__name__} is not started (use `async with` or start())"
            )

    async def send(
        self,
        value: V,
        key: K | None = None,
        headers: Headers | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> Any:
        """Send one value and wait until the broker has it; returns where it landed."""
        self._check_started()
        data, key_bytes = self._encode(value, key)
        return await self._send(data, key_bytes, headers, partition, timestamp_ms, key)

    async def _send(
        self,
        data: bytes | None,
        key: bytes | None,
        headers: Headers | None,
        partition: int | None,
        timestamp_ms: int | None,
        typed_key: Any = None,
    ) -> Any:
        transport = self._transport
        out = _headers(headers)
        telemetry = self._telemetry
        if telemetry is None:
            try:
                future = await transport.send(
                    self.topic, data, key, out, partition, timestamp_ms
                )
                return await future
            except transport.errors as exc:
                raise transport.translate(exc, self.topic) from exc
        span, out = telemetry.start_send(typed_key, out)
        try:
            try:
                future = await transport.send(
                    self.topic, data, key, out, partition, timestamp_ms
                )
                delivered = await future
            except transport.errors as exc:
                raise transport.translate(exc, self.topic) from exc
        except BaseException as exc:
            telemetry.end_send(span, None, exc)
            raise
        telemetry.end_send(span, delivered, None)
        return delivered

    async def _send_tombstone(
        self,
        key: K,
        headers: Headers | None,
        partition: int | None,
        timestamp_ms: int | None,
    ) -> Any:
        self._check_tombstone(key)
        self._check_started()
        key_bytes = self.serde.serialize_key_now(
            key
        )  # no value: no schema, no registry call
        return await self._send(None, key_bytes, headers, partition, timestamp_ms, key)

    async def send_batch(self, messages: Iterable[V | Message[K, V]]) -> list[Any]:
        """Send values (or ``Message``s) in order; waits for all; returns where they landed.

        Everything is encoded before the first message is sent.
        """
        self._check_started()
        encoded: list[OutMessage] = []
        keys: list[Any] = []
        for item in messages:
            message: Message[K, V] = (
                item if isinstance(item, Message) else Message(item)
            )
            data, key_bytes = self._encode(message.value, message.key)
            keys.append(message.key)
            encoded.append(
                (
                    data,
                    key_bytes,
                    _headers(message.headers),
                    message.partition,
                    message.timestamp_ms,
                )
            )
        transport = self._transport
        telemetry = self._telemetry
        spans: list[Any] = []
        if telemetry is not None:
            for i, (body, key_bytes, out, p, ts) in enumerate(encoded):
                span, out = telemetry.start_send(keys[i], out)
                spans.append(span)
                encoded[i] = (body, key_bytes, out, p, ts)
        try:
            try:
                delivered = await transport.send_batch(self.topic, encoded)
            except transport.errors as exc:
                raise transport.translate(exc, self.topic) from exc
        except BaseException as exc:
            for span in spans:
                telemetry.end_send(span, None, exc)  # type: ignore[union-attr]
            raise
        for span, delivery in zip(spans, delivered, strict=False):
            telemetry.end_send(span, delivery, None)  # type: ignore[union-attr]
        return delivered

    async def flush(self) -> None:
        """Wait until every message sent so far is delivered."""
        self._check_started()
        await self._transport.flush()


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
        wait until the broker has it; returns where it landed."""
        return await self._send_tombstone(key, headers, partition, timestamp_ms)
