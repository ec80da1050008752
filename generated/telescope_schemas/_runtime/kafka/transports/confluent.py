"""The confluent-kafka transport (librdkafka), synchronous: what the Sync classes run on, and
what ``confluent_async`` bridges to asyncio for ``client="confluent"``.

confluent-kafka is optional: it is imported when a transport is built, and its absence is a
clear ``ImportError`` (``pip install confluent-kafka``). Options are librdkafka's configuration
names (``"linger.ms"``, ``"security.protocol"``, ``"sasl.username"``...); the ones avrobind sets
itself are refused (``OWNED_PRODUCER`` / ``OWNED_CONSUMER``). Defaults: producers partition keys
with ``murmur2_random`` (Kafka's own partitioner, as Java and aiokafka do; librdkafka's default
would put a key on another partition) and ``message.timeout.ms`` is ``broker_timeout``;
consumers read from ``"earliest"`` and never auto-commit.
librdkafka's log lines and error events go to the ``avrobind.kafka.confluent`` logger,
throttled (see ``logs``), unless ``logger`` / ``error_cb`` options are given.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ...errors import BrokerUnavailableError, DeliveryError, KafkaClientError
from ..logs import CLIENT_LOGGER, throttle
from .base import TP, Delivery, Fetched, HeaderList, OnDelivery, OnRevoked, RawMessage

__all__ = [
    "ConfluentConsumer",
    "ConfluentProducer",
    "check_options",
    "confluent_kafka",
    "connection_options",
]

CLIENT: Final = "confluent"
OWNED_PRODUCER: Final = frozenset(
    {"bootstrap.servers", "key.serializer", "value.serializer"}
)
OWNED_CONSUMER: Final = frozenset(
    {"bootstrap.servers", "group.id", "key.deserializer", "value.deserializer"}
)
# What a dead-letter producer takes over from the consumer's options (same cluster, same auth).
CONNECTION_PREFIXES: Final = (
    "client.id",
    "security.protocol",
    "ssl.",
    "sasl.",
    "socket.",
    "broker.",
    "api.version",
    "metadata.",
    "reconnect.",
    "retry.backoff",
    "oauth_cb",
    "logger",
    "error_cb",
)
# Error codes that mean "no broker answered" rather than "the broker refused this".
_UNREACHABLE: Final = frozenset(
    {
        "_ALL_BROKERS_DOWN",
        "_TRANSPORT",
        "_MSG_TIMED_OUT",
        "_TIMED_OUT",
        "_TIMED_OUT_QUEUE",
        "_RESOLVE",
        "_WAIT_COORD",
        "REQUEST_TIMED_OUT",
        "NOT_LEADER_FOR_PARTITION",
        "LEADER_NOT_AVAILABLE",
        "NETWORK_EXCEPTION",
        "COORDINATOR_NOT_AVAILABLE",
        "NOT_COORDINATOR",
    }
)
# Commit refusals that only mean "the group rebalanced": the new owner reads them again.
_REBALANCED: Final = frozenset(
    {
        "REBALANCE_IN_PROGRESS",
        "ILLEGAL_GENERATION",
        "UNKNOWN_MEMBER_ID",
        "_ASSIGNMENT_LOST",
        "_STATE",
        "_NO_OFFSET",
        "FENCED_INSTANCE_ID",
    }
)

log = logging.getLogger("avrobind.kafka")
client_log = logging.getLogger(CLIENT_LOGGER)


def confluent_kafka() -> Any:
    """The confluent_kafka module, or an ImportError that says how to get it."""
    try:
        import confluent_kafka as module
    except ImportError as exc:
        raise ImportError(
            "client='confluent' and the Sync producer/consumer classes run on confluent-kafka, "
            "which is not installed: pip install 'confluent-kafka>=2.0'"
        ) from exc
    return module


def connection_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """A dead-letter producer's options: the consumer's connection options, ``acks="all"``."""
    return {
        "acks": "all",
        **{k: v for k, v in options.items() if k.startswith(CONNECTION_PREFIXES)},
    }


def check_options(
    options: Mapping[str, Any], owned: frozenset[str], owner: str
) -> None:
    """Refuse the options avrobind sets itself, with the reason."""
    taken = sorted(owned & options.keys())
    if taken:
        raise TypeError(
            f"{', '.join(taken)}: set by {owner} itself (the serdes are built in, the cluster "
            "and group are its arguments); do not pass"
        )
    if options.get("enable.auto.commit") not in (None, False, "false"):
        raise ValueError(
            "enable.auto.commit would commit messages before they are handled; "
            "this consumer commits itself, after the handler succeeded"
        )


def _error_name(error: Any) -> str:
    name = error.name()
    return str(name)


def translate_error(error: Any, topic: str | None = None) -> KafkaClientError:
    """avrobind's error for a confluent-kafka ``KafkaError``."""
    name = _error_name(error)
    text = f"{name}: {error.str()}"
    if name in _UNREACHABLE:
        return BrokerUnavailableError(
            f"no Kafka broker answered in time ({text})",
            client=CLIENT,
            topic=topic,
            code=name,
        )
    return DeliveryError(text, client=CLIENT, topic=topic, code=name)


def _translate(exc: BaseException, topic: str | None = None) -> KafkaClientError:
    error = exc.args[0] if exc.args else None
    if error is not None and hasattr(error, "name"):
        return translate_error(error, topic)
    return KafkaClientError(f"{type(exc).__name__}: {exc}", client=CLIENT, topic=topic)


def _on_error(error: Any) -> None:
    if error.fatal():
        client_log.error("confluent-kafka fatal error: %s", error.str())
    else:
        client_log.warning("confluent-kafka: %s", error.str())


def _config(base: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    config = {**base, **options}
    if "logger" not in config:
        logger = logging.getLogger(CLIENT_LOGGER)
        throttle(logger)
        config["logger"] = logger
    config.setdefault("error_cb", _on_error)
    return config


def _build(factory: Any, config: dict[str, Any]) -> Any:
    ck = confluent_kafka()
    try:
        return factory(config)
    except ck.KafkaException as exc:
        raise ValueError(
            f"confluent-kafka refused the options: {exc.args[0].str()} (options of "
            "client='confluent' and the Sync classes are librdkafka's configuration names, "
            "e.g. 'linger.ms')"
        ) from None


def _probe(client: Any, timeout: float) -> bool:
    ck = confluent_kafka()
    try:
        client.list_topics(timeout=timeout)
    except ck.KafkaException:
        return False
    return True


class ConfluentProducer:
    """``confluent_kafka.Producer`` behind the ``SyncProducerTransport`` interface."""

    client = CLIENT

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        options: Mapping[str, Any],
        broker_timeout: float,
    ) -> None:
        self._ck = confluent_kafka()
        self.errors: tuple[type[BaseException], ...] = (self._ck.KafkaException,)
        check_options(options, OWNED_PRODUCER, "the producer")
        servers = (
            bootstrap_servers
            if isinstance(bootstrap_servers, str)
            else ",".join(bootstrap_servers)
        )
        self._config = _config({"bootstrap.servers": servers}, options)
        if "delivery.timeout.ms" not in options:
            self._config.setdefault(
                "message.timeout.ms", max(1, int(broker_timeout * 1000))
            )
        # Kafka's (Java's, aiokafka's) partitioner rather than librdkafka's CRC32 default: a
        # key lands on the same partition whichever client produced it.
        self._config.setdefault("partitioner", "murmur2_random")
        self.broker_timeout = broker_timeout
        self._producer: Any = None

    def translate(
        self, exc: BaseException, topic: str | None = None
    ) -> KafkaClientError:
        return _translate(exc, topic)

    def start(self) -> None:
        producer = _build(self._ck.Producer, self._config)
        if not _probe(producer, self.broker_timeout):
            raise BrokerUnavailableError(
                f"no Kafka broker at {self._config['bootstrap.servers']} answered within "
                f"{self.broker_timeout:g} s",
                client=CLIENT,
            )
        self._producer = producer

    def produce_raw(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: HeaderList | None,
        partition: int | None,
        timestamp_ms: int | None,
        callback: Callable[[Any, Any], None],
    ) -> None:
        """Enqueue one message; ``callback(kafka_error, message)`` is confluent-kafka's own
        delivery callback. ``BufferError`` when librdkafka's queue is full."""
        kwargs: dict[str, Any] = {"on_delivery": callback}
        if headers:
            kwargs["headers"] = headers
        if partition is not None:
            kwargs["partition"] = partition
        if timestamp_ms is not None:
            kwargs["timestamp"] = timestamp_ms
        self._producer.produce(topic, value, key, **kwargs)

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
        """``produce_raw``, serving deliveries while the queue is full (up to broker_timeout)."""

        def delivered(error: Any, message: Any) -> None:
            if error is not None:
                on_delivery(None, translate_error(error, topic))
            else:
                on_delivery(message_delivery(message), None)

        deadline = None
        while True:
            try:
                return self.produce_raw(
                    topic, value, key, headers, partition, timestamp_ms, delivered
                )
            except BufferError:
                now = time.monotonic()
                deadline = deadline or now + self.broker_timeout
                if now >= deadline:
                    raise BrokerUnavailableError(
                        f"librdkafka's queue stayed full for {self.broker_timeout:g} s: the "
                        "broker does not take messages as fast as they are produced",
                        client=CLIENT,
                        topic=topic,
                        code="_QUEUE_FULL",
                    ) from None
                self._producer.poll(0.05)

    def poll(self, timeout: float) -> int:
        return int(self._producer.poll(timeout))

    def flush(self, timeout: float | None) -> int:
        if timeout is None:
            return int(self._producer.flush())
        return int(self._producer.flush(timeout))

    def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.flush(self.broker_timeout)


def message_delivery(message: Any) -> Delivery:
    """The ``Delivery`` of an acknowledged confluent-kafka message."""
    return Delivery(
        message.topic(), message.partition(), message.offset(), message.timestamp()[1]
    )


class ConfluentConsumer:
    """``confluent_kafka.Consumer`` behind the ``SyncConsumerTransport`` interface.

    ``fetch`` polls for the first message (returning as soon as one is there, as aiokafka's
    ``getmany`` does), then takes what else librdkafka already holds, up to ``max_records``.
    """

    client = CLIENT

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        group_id: str | None,
        options: Mapping[str, Any],
        broker_timeout: float,
    ) -> None:
        self._ck = confluent_kafka()
        self.errors: tuple[type[BaseException], ...] = (self._ck.KafkaException,)
        check_options(options, OWNED_CONSUMER, "the consumer")
        servers = (
            bootstrap_servers
            if isinstance(bootstrap_servers, str)
            else ",".join(bootstrap_servers)
        )
        self._config = _config(
            {
                "bootstrap.servers": servers,
                # librdkafka needs a group even to read: without one, a group of its own
                # (nothing is committed for it).
                "group.id": (
                    group_id if group_id is not None else f"avrobind-{uuid.uuid4().hex}"
                ),
                "auto.offset.reset": "earliest",
                "enable.partition.eof": False,
            },
            options,
        )
        self._config["enable.auto.commit"] = False
        self._config.setdefault("enable.auto.offset.store", False)
        self.broker_timeout = broker_timeout
        self._consumer: Any = None
        self._assigned: frozenset[TP] = frozenset()

    def translate(
        self, exc: BaseException, topic: str | None = None
    ) -> KafkaClientError:
        return _translate(exc, topic)

    def start(self, topics: Sequence[str], on_revoked: OnRevoked) -> None:
        consumer = _build(self._ck.Consumer, self._config)

        def assigned(_: Any, partitions: list[Any]) -> None:
            self._assigned = self._assigned | {
                (p.topic, p.partition) for p in partitions
            }

        def revoked(_: Any, partitions: list[Any]) -> None:
            gone = {(p.topic, p.partition) for p in partitions}
            try:
                offsets = on_revoked(gone)
                if offsets:
                    self.commit(offsets)
            except Exception as exc:  # noqa: BLE001
                # (Not committing only means redelivery.)
                log.warning("could not commit before a rebalance: %s", exc)
            finally:
                self._assigned = self._assigned - gone

        def lost(_: Any, partitions: list[Any]) -> None:
            gone = {(p.topic, p.partition) for p in partitions}
            on_revoked(gone)  # nothing can be committed for them any more
            self._assigned = self._assigned - gone

        try:
            consumer.subscribe(
                list(topics), on_assign=assigned, on_revoke=revoked, on_lost=lost
            )
        except BaseException:
            consumer.close()
            raise
        if not _probe(consumer, self.broker_timeout):
            consumer.close()
            raise BrokerUnavailableError(
                f"no Kafka broker at {self._config['bootstrap.servers']} answered within "
                f"{self.broker_timeout:g} s",
                client=CLIENT,
            )
        self._consumer = consumer

    def fetch(self, timeout_ms: int, max_records: int) -> Sequence[Fetched]:
        consumer = self._consumer
        first = consumer.poll(timeout_ms / 1000)
        if first is None:
            return []
        messages = [first]
        if max_records > 1:
            messages += consumer.consume(max_records - 1, 0)
        out: list[Fetched] = []
        append = out.append
        log_append = self._ck.TIMESTAMP_LOG_APPEND_TIME
        for m in messages:
            if m.error() is not None:
                self._fetch_error(m.error())
                continue
            kind, timestamp = m.timestamp()
            append(
                RawMessage(
                    m.topic(),
                    m.partition(),
                    m.offset(),
                    m.key(),
                    m.value(),
                    m.headers(),
                    timestamp,
                    1 if kind == log_append else 0,
                )
            )
        return out

    def _fetch_error(self, error: Any) -> None:
        if _error_name(error) == "_PARTITION_EOF":
            return
        if error.fatal():
            raise translate_error(error)
        client_log.warning("confluent-kafka consumer: %s", error.str())

    def commit(self, offsets: Mapping[TP, int]) -> bool:
        ck = self._ck
        partitions = [ck.TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        try:
            result = self._consumer.commit(offsets=partitions, asynchronous=False)
        except ck.KafkaException as exc:
            if _error_name(exc.args[0]) in _REBALANCED:
                log.warning("could not commit %s: %s", dict(offsets), exc.args[0].str())
                return False
            raise
        failed = [p for p in result or () if p.error is not None]
        if failed:
            log.warning(
                "could not commit %s",
                ", ".join(f"{p.topic}[{p.partition}]: {p.error}" for p in failed),
            )
            return False
        return True

    def seek(self, tp: TP, offset: int) -> None:
        if self._consumer is None or tp not in self._assigned:
            return  # whoever owns it starts from the committed offset
        try:
            self._consumer.seek(self._ck.TopicPartition(tp[0], tp[1], offset))
        except self._ck.KafkaException as exc:
            log.warning("could not seek %s[%d] to %d: %s", tp[0], tp[1], offset, exc)

    def assignment(self) -> set[TP]:
        return set(self._assigned)

    def committed(self, tp: TP) -> int | None:
        ck = self._ck
        (found,) = self._consumer.committed(
            [ck.TopicPartition(*tp)], timeout=self.broker_timeout
        )
        return None if found.offset < 0 else int(found.offset)

    def probe(self, timeout: float) -> bool:
        return _probe(self._consumer, timeout)

    def stop(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.close()
