"""``SyncAvroProducer``: typed values of one topic produced synchronously (confluent-kafka).

For services without asyncio (threads, Django, workers). ``produce(value, key=...)`` encodes,
hands the message to librdkafka and returns at once; ``flush()`` waits for the deliveries.
Like confluent-kafka's ``Producer``, it is thread-safe and needs no start: the first
``produce`` registers the schemas (or, with ``auto_register=False``, checks them) and connects;
``with`` does that on entry, and flushes and closes on exit.

Deliveries: ``on_delivery(error, delivery)`` is called (from ``produce``, ``poll`` or
``flush``) with ``(None, Delivery)`` once the broker has the message, or ``(KafkaClientError,
None)`` when it failed. A failed message without a callback is never silent: ``flush()`` raises
the first such error (``BrokerUnavailableError`` after ``broker_timeout``, ``DeliveryError``
when the broker refused it). Options are librdkafka's configuration names (``"linger.ms"``,
``"compression.type"``, ``"enable.idempotence"``...); the serializers and the cluster are the
class's own and are refused.

``TombstoneSyncAvroProducer`` adds ``produce_tombstone(key)`` for topics with tombstones.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

from ..errors import KafkaClientError
from ..serde import TopicSerde
from .bases import _ProducerBase, _SyncLifecycle
from .records import Headers, _headers
from .transports import Delivered, SyncProducerTransport

K = TypeVar("K")
V = TypeVar("V")

OnDelivery: TypeAlias = Callable[[KafkaClientError | None, Delivered | None], object]

log = logging.getLogger("avrobind.kafka.producer")


class SyncAvroProducer(_SyncLifecycle, _ProducerBase[K, V]):
    """Produces typed values (and keys) of one topic synchronously, on confluent-kafka.

    ``registry`` may be a ``SchemaRegistryClient`` (shared, not closed here), a
    ``RegistryConfig`` or a URL; otherwise ``schema_registry_url``, then
    ``AVROBIND_REGISTRY_URL``, then the configured URL. See the module docstring.
    """

    _SYNC = True
    _CLIENT = "confluent"
    serde: TopicSerde[Any, V]
    _transport: SyncProducerTransport

    def _setup(self) -> None:
        self._lock = threading.Lock()
        # (of messages without their own callback)
        self._failures: list[KafkaClientError] = []

    def start(self) -> None:
        """Register (or check) the schemas and connect; the first ``produce`` does it too."""
        with self._lock:
            if self._closed:
                raise RuntimeError(
                    f"{type(self).__name__} was closed; create a new one"
                )
            if self._started:
                return
            self.serde.register()
            self._transport.start()
            self._started = True

    def _callback(self, on_delivery: OnDelivery | None) -> Callable[[Any, Any], None]:
        if on_delivery is None:
            return self._on_failure

        def delivered(
            delivery: Delivered | None, error: KafkaClientError | None
        ) -> None:
            on_delivery(error, delivery)  # confluent-kafka's order: the error first

        return delivered

    def _on_failure(
        self, delivery: Delivered | None, error: KafkaClientError | None
    ) -> None:
        if error is not None:
            log.error("a message to %s was not delivered: %s", self.topic, error)
            self._failures.append(error)

    def produce(
        self,
        value: V,
        key: K | None = None,
        headers: Headers | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        on_delivery: OnDelivery | None = None,
    ) -> None:
        """Encode and enqueue one value; returns at once (see ``on_delivery`` and ``flush``)."""
        if not self._started:
            self.start()
        data, key_bytes = self._encode(value, key)
        self._produce(
            data, key_bytes, headers, partition, timestamp_ms, on_delivery, key
        )

    def _produce(
        self,
        data: bytes | None,
        key: bytes | None,
        headers: Headers | None,
        partition: int | None,
        timestamp_ms: int | None,
        on_delivery: OnDelivery | None,
        typed_key: Any = None,
    ) -> None:
        transport = self._transport
        out = _headers(headers)
        callback = self._callback(on_delivery)
        telemetry = self._telemetry
        span = None
        if telemetry is not None:
            span, out = telemetry.start_send(typed_key, out)
            callback = _traced(telemetry, span, callback)
        try:
            try:
                transport.produce(
                    self.topic, data, key, out, partition, timestamp_ms, callback
                )
            except transport.errors as exc:
                raise transport.translate(exc, self.topic) from exc
        except BaseException as exc:
            if telemetry is not None:
                telemetry.end_send(span, None, exc)
            raise
        transport.poll(0)  # serve the delivery callbacks that are ready

    def _produce_tombstone(
        self,
        key: K,
        headers: Headers | None,
        partition: int | None,
        timestamp_ms: int | None,
        on_delivery: OnDelivery | None,
    ) -> None:
        self._check_tombstone(key)
        if not self._started:
            self.start()
        key_bytes = self.serde.serialize_key_now(
            key
        )  # no value: no schema, no registry call
        self._produce(
            None, key_bytes, headers, partition, timestamp_ms, on_delivery, key
        )

    def poll(self, timeout: float = 0) -> int:
        """Serve delivery callbacks (waiting at most ``timeout`` s); how many were served."""
        if not self._started:
            return 0
        return self._transport.poll(timeout)

    def flush(self, timeout: float | None = None) -> int:
        """Wait for every message produced so far (at most ``timeout`` s); the number still
        waiting. Raises the first failure of a message that had no ``on_delivery``."""
        if not self._started:
            return 0
        pending = self._transport.flush(timeout)
        if self._failures:
            failures, self._failures = self._failures, []
            error = failures[0]
            if len(failures) > 1:
                error.add_note(
                    f"{len(failures) - 1} more message(s) failed too (see the log)"
                )
            raise error
        return pending

    def close(self) -> None:
        """Flush (raising as ``flush`` does), disconnect and close the registry client."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._started:
                try:
                    self.flush(self.broker_timeout)
                finally:
                    self._started = False
                    self._transport.close()
        finally:
            self.serde.close()


def _traced(
    telemetry: Any, span: Any, callback: Callable[[Any, Any], None]
) -> Callable[[Any, Any], None]:
    """``callback`` that first ends the message's PRODUCER span."""

    def delivered(delivery: Delivered | None, error: KafkaClientError | None) -> None:
        telemetry.end_send(span, delivery, error)
        callback(delivery, error)

    return delivered


class TombstoneSyncAvroProducer(SyncAvroProducer[K, V]):
    """A ``SyncAvroProducer`` of a topic with tombstones (compacted): adds
    ``produce_tombstone``. Its spec has ``tombstones=True``."""

    _TOMBSTONES = True

    def produce_tombstone(
        self,
        key: K,
        headers: Headers | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        on_delivery: OnDelivery | None = None,
    ) -> None:
        """Delete ``key`` from the compacted topic: enqueue it with no value (a tombstone)."""
        self._produce_tombstone(key, headers, partition, timestamp_ms, on_delivery)
