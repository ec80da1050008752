"""The aiokafka transport (the default of the async classes): ``AIOKafkaProducer`` and
``AIOKafkaConsumer`` driven as the interface says.

Options are aiokafka's keyword arguments (``acks``, ``linger_ms``, ``security_protocol``...),
checked against its constructors when the transport is built. A producer's ``broker_timeout``
becomes its ``request_timeout_ms`` unless that is given: aiokafka fails a send or the bootstrap
after it, and those failures become ``BrokerUnavailableError``; a consumer keeps aiokafka's
request timeout (a group join may take longer) and is watched by ``probe``. aiokafka's loggers
are throttled (``logs.throttle_aiokafka``) once a transport starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from typing import Any, Final

from aiokafka import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaConsumer,
    AIOKafkaProducer,
    TopicPartition,
)
from aiokafka.abc import ConsumerRebalanceListener  # type: ignore[import-untyped, unused-ignore]
from aiokafka.errors import (  # type: ignore[import-untyped, unused-ignore]
    CommitFailedError,
    ConsumerStoppedError,
    IllegalStateError,
    KafkaError,
    KafkaTimeoutError,
    UnknownError,
)

from ...errors import BrokerUnavailableError, DeliveryError, KafkaClientError
from ..logs import throttle_aiokafka
from .base import TP, Fetched, HeaderList, OnRevoked, OutMessage

__all__ = ["AioConsumer", "AioProducer", "check_options", "connection_options"]

log = logging.getLogger("avrobind.kafka")

CLIENT: Final = "aiokafka"
_OWNED_PRODUCER: Final = frozenset(
    {"key_serializer", "value_serializer", "loop", "bootstrap_servers"}
)
_OWNED_CONSUMER: Final = frozenset(
    {"key_deserializer", "value_deserializer", "loop", "bootstrap_servers", "group_id"}
)
# What a dead-letter producer takes over from the consumer's options (same cluster, same auth).
CONNECTION_OPTIONS: Final = (
    "client_id",
    "security_protocol",
    "ssl_context",
    "sasl_mechanism",
    "sasl_plain_username",
    "sasl_plain_password",
    "sasl_kerberos_service_name",
    "sasl_kerberos_domain_name",
    "sasl_oauth_token_provider",
    "request_timeout_ms",
    "retry_backoff_ms",
    "metadata_max_age_ms",
    "connections_max_idle_ms",
    "api_version",
)


def connection_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """A dead-letter producer's options: the consumer's connection options, ``acks="all"``."""
    return {
        "acks": "all",
        **{k: options[k] for k in CONNECTION_OPTIONS if k in options},
    }


def check_options(
    target: Any, options: Mapping[str, Any], owned: frozenset[str]
) -> None:
    """Fail when the transport is built, not at start(), on an option aiokafka would reject."""
    taken = sorted(owned & options.keys())
    if taken:
        raise TypeError(
            f"{', '.join(taken)}: set by avrobind (the serde is built in); do not pass"
        )
    accepted = set(inspect.signature(target.__init__).parameters) - {"self", "topics"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise TypeError(
            f"unknown option(s) for {target.__name__}: {', '.join(unknown)}"
        )


def _translate(exc: BaseException, topic: str | None) -> KafkaClientError:
    text = f"{type(exc).__name__}: {exc}"
    if getattr(exc, "retriable", False) or isinstance(
        exc, (KafkaTimeoutError, UnknownError)
    ):
        return BrokerUnavailableError(
            f"no Kafka broker answered in time ({text})",
            client=CLIENT,
            topic=topic,
            code=type(exc).__name__,
        )
    return DeliveryError(text, client=CLIENT, topic=topic, code=type(exc).__name__)


def _with_timeout(options: dict[str, Any], broker_timeout: float) -> dict[str, Any]:
    options.setdefault("request_timeout_ms", max(1, int(broker_timeout * 1000)))
    return options


class AioProducer:
    """``AIOKafkaProducer`` behind the ``AsyncProducerTransport`` interface."""

    client = CLIENT
    errors: tuple[type[BaseException], ...] = (KafkaError,)

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        options: Mapping[str, Any],
        broker_timeout: float,
    ) -> None:
        check_options(AIOKafkaProducer, options, _OWNED_PRODUCER)
        self._options = _with_timeout(
            {"bootstrap_servers": bootstrap_servers, **options}, broker_timeout
        )
        self._producer: Any = None

    def translate(
        self, exc: BaseException, topic: str | None = None
    ) -> KafkaClientError:
        return _translate(exc, topic)

    async def start(self) -> None:
        throttle_aiokafka()
        producer = AIOKafkaProducer(**self._options)
        try:
            await producer.start()
        except KafkaError as exc:
            await producer.stop()
            raise self.translate(exc) from exc
        self._producer = producer

    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: HeaderList | None,
        partition: int | None,
        timestamp_ms: int | None,
    ) -> Awaitable[Any]:
        future: Awaitable[Any] = await self._producer.send(
            topic,
            value,
            key=key,
            headers=headers,
            partition=partition,
            timestamp_ms=timestamp_ms,
        )
        return future

    async def send_batch(self, topic: str, messages: Sequence[OutMessage]) -> list[Any]:
        send = self._producer.send
        futures = [
            await send(
                topic, value, key=key, headers=headers, partition=p, timestamp_ms=ts
            )
            for value, key, headers, p, ts in messages
        ]
        return list(await asyncio.gather(*futures))

    async def flush(self) -> None:
        await self._producer.flush()

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await _stop(producer)


class _Listener:
    """Commits what the consumer handled of partitions before they go to another member."""

    def __init__(self, owner: AioConsumer, on_revoked: OnRevoked) -> None:
        self._owner = owner
        self._on_revoked = on_revoked

    async def on_partitions_revoked(self, revoked: Iterable[Any]) -> None:
        offsets = self._on_revoked({(tp.topic, tp.partition) for tp in revoked})
        if offsets:
            await self._owner.commit(offsets)

    async def on_partitions_assigned(self, assigned: Iterable[Any]) -> None:
        return None


# aiokafka checks isinstance(); register rather than subclass (its classes are untyped).
ConsumerRebalanceListener.register(_Listener)


class AioConsumer:
    """``AIOKafkaConsumer`` behind the ``AsyncConsumerTransport`` interface."""

    client = CLIENT
    errors: tuple[type[BaseException], ...] = (KafkaError,)

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        group_id: str | None,
        options: Mapping[str, Any],
        broker_timeout: float,
    ) -> None:
        check_options(AIOKafkaConsumer, options, _OWNED_CONSUMER)
        if options.get("enable_auto_commit"):
            raise ValueError(
                "enable_auto_commit would commit messages before they are handled; "
                "this consumer commits itself, after the handler succeeded"
            )
        # broker_timeout is not request_timeout_ms here: a group join may rightly take longer
        # than a broker outage is tolerated (the consumer core probes the brokers instead).
        self._options = {
            "auto_offset_reset": "earliest",
            **options,
            "bootstrap_servers": bootstrap_servers,
            "group_id": group_id,
            "enable_auto_commit": False,
        }
        self._consumer: Any = None

    def translate(
        self, exc: BaseException, topic: str | None = None
    ) -> KafkaClientError:
        return _translate(exc, topic)

    async def start(self, topics: Sequence[str], on_revoked: OnRevoked) -> None:
        throttle_aiokafka()
        consumer = AIOKafkaConsumer(**self._options)
        consumer.subscribe(list(topics), listener=_Listener(self, on_revoked))
        try:
            await consumer.start()
        except KafkaError as exc:
            await consumer.stop()
            raise self.translate(exc) from exc
        self._consumer = consumer

    async def fetch(self, timeout_ms: int, max_records: int) -> Sequence[Fetched]:
        try:
            batch = await self._consumer.getmany(
                timeout_ms=timeout_ms, max_records=max_records
            )
        except ConsumerStoppedError:
            return []
        if len(batch) == 1:
            return next(iter(batch.values()))  # type: ignore[no-any-return, unused-ignore]
        return [m for messages in batch.values() for m in messages]

    async def commit(self, offsets: Mapping[TP, int]) -> bool:
        try:
            await self._consumer.commit(
                {TopicPartition(*tp): o for tp, o in offsets.items()}
            )
        except (CommitFailedError, IllegalStateError) as exc:
            # The group rebalanced: the new owner reads these again (at least once).
            log.warning("could not commit %s: %s", dict(offsets), exc)
            return False
        return True

    def seek(self, tp: TP, offset: int) -> None:
        if self._consumer is not None:
            # Not assigned any more: whoever owns it starts from the committed offset.
            with contextlib.suppress(IllegalStateError):
                self._consumer.seek(TopicPartition(*tp), offset)

    def assignment(self) -> set[TP]:
        if self._consumer is None:
            return set()
        return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    async def committed(self, tp: TP) -> int | None:
        offset = await self._consumer.committed(TopicPartition(*tp))
        return None if offset is None or offset < 0 else int(offset)

    async def probe(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._consumer.topics(), timeout)
        except (TimeoutError, KafkaError):
            return False
        return True

    async def stop(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await _stop(consumer)


async def _stop(client: Any) -> None:
    """Stop an aiokafka client. Without a broker, aiokafka's own stop lets the cancellation
    of its internal tasks escape as CancelledError: that one is not ours to propagate.
    """
    try:
        await client.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        log.warning(
            "aiokafka's %s stopped with its tasks cancelled", type(client).__name__
        )
