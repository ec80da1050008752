"""What the async and sync producers and consumers share: their constructors (the topic's
serde, the client's transport, the policies), life-cycle context managers, encoding and
tombstone checks. The asyncio and synchronous classes differ only in how they do I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, Self, TypeAlias, TypeVar

from ..errors import DeserializationError, SerializationError
from ..registry import AsyncSchemaRegistryClient, RegistryConfig, SchemaRegistryClient
from ..serde import AsyncTopicSerde, TopicSerde, TopicSpec
from .core import ConsumerCore, check_policy
from .telemetry import load as load_telemetry
from .transports import Transports, pick

K = TypeVar("K")
V = TypeVar("V")

BROKER_TIMEOUT: Final = 30.0
RegistryLike: TypeAlias = (
    AsyncSchemaRegistryClient | SchemaRegistryClient | RegistryConfig | str | None
)
"""A registry client to share (the async one for the async classes, the sync one for the Sync
classes; not closed by them), a ``RegistryConfig`` or a URL."""


class _Lifecycle:
    """`async with`: start (stopping again if starting fails), then stop on the way out."""

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


class _SyncLifecycle:
    """`with`: start (closing again if starting fails), then close on the way out."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _Embedded:
    """The class attributes generated subclasses set (see TopicSerde); SPEC is used when
    ``spec=`` is not given."""

    TOPIC: ClassVar[str]
    KEY_SUBJECT: ClassVar[str | None]
    VALUE_SUBJECT: ClassVar[str]
    KEY_TYPE: ClassVar[type | None]
    VALUE_TYPE: ClassVar[type]
    SPEC: ClassVar[TopicSpec[Any, Any]]

    _SYNC: ClassVar[bool] = False  # the Sync classes: a sync serde and sync transports
    _CLIENT: ClassVar[str] = "aiokafka"  # the default ``client``

    def _transports(
        self, bootstrap_servers: str | Sequence[str], client: str | None
    ) -> Transports:
        transports = pick(bootstrap_servers, client or self._CLIENT)
        kinds = (
            (transports.sync_producer, transports.sync_consumer)
            if self._SYNC
            else (transports.async_producer, transports.async_consumer)
        )
        if None in kinds:
            raise ValueError(
                f"client {transports.name!r} has no {'synchronous' if self._SYNC else 'asyncio'} "
                f"clients (for {type(self).__name__})"
            )
        return transports

    def _serde(self, spec: TopicSpec[Any, Any] | None, **kwargs: Any) -> Any:
        cls = TopicSerde if self._SYNC else AsyncTopicSerde
        return cls(spec=spec or getattr(type(self), "SPEC", None), **kwargs)


class _ProducerBase(_Embedded, Generic[K, V]):
    """A producer's constructor, encoding and tombstone checks."""

    _TOMBSTONES: ClassVar[bool] = (
        False  # True: a class with send_tombstone/produce_tombstone
    )

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        schema_registry_url: str | None = None,
        *,
        spec: TopicSpec[Any, V] | None = None,
        registry: RegistryLike = None,
        auto_register: bool = True,
        subject_strategy: str | None = None,
        client: str | None = None,
        broker_timeout: float = BROKER_TIMEOUT,
        **options: Any,
    ) -> None:
        transports = self._transports(bootstrap_servers, client)
        factory = transports.sync_producer if self._SYNC else transports.async_producer
        assert factory is not None
        self._transport: Any = factory(bootstrap_servers, options, broker_timeout)
        self.serde = self._serde(
            spec,
            schema_registry_url=schema_registry_url,
            registry=registry,
            auto_register=auto_register,
            subject_strategy=subject_strategy,
        )
        if self._TOMBSTONES and not self.serde.spec.tombstones:
            raise ValueError(
                f"{type(self).__name__} needs a TopicSpec with tombstones=True"
            )
        self.topic: str = self.serde.topic
        self.client = transports.name
        self.broker_timeout = broker_timeout
        self._telemetry = load_telemetry(self.topic)  # None without opentelemetry-api
        self._started = False
        self._closed = False  # stopped or closed: not to be started again
        self._setup()

    def _setup(self) -> None:
        """What a subclass adds to the constructor."""

    def _encode(self, value: V, key: K | None) -> tuple[bytes, bytes | None]:
        serde = self.serde
        data = serde.value.serialize_now(value)
        return data, None if key is None else serde.serialize_key_now(key)

    def _check_tombstone(self, key: K) -> None:
        """A tombstone (a key and no value) is allowed on the topic, and has a key."""
        self.serde.spec.tombstone_allowed()
        if key is None:
            raise SerializationError("a tombstone deletes a key: it needs one")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(topic={self.topic!r}, client={self.client!r}, "
            f"started={self._started})"
        )


class _ConsumerBase(_Embedded, Generic[K, V]):
    """A consumer's constructor (its policies, serde, transport, dead-letter producer and
    core) and the methods that do no I/O."""

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        schema_registry_url: str | None = None,
        group_id: str | None = None,
        *,
        spec: TopicSpec[K, V] | None = None,
        registry: RegistryLike = None,
        subject_strategy: str | None = None,
        on_error: str | None = None,
        dead_letter_topic: str | None = None,
        dead_letter_options: Mapping[str, Any] | None = None,
        unknown_schema_ids: str = "raise",
        poll_timeout_ms: int = 500,
        max_records: int = 500,
        client: str | None = None,
        broker_timeout: float = BROKER_TIMEOUT,
        **options: Any,
    ) -> None:
        on_error = check_policy(on_error, dead_letter_topic, unknown_schema_ids)
        transports = self._transports(bootstrap_servers, client)
        consumer = transports.sync_consumer if self._SYNC else transports.async_consumer
        producer = transports.sync_producer if self._SYNC else transports.async_producer
        assert consumer is not None and producer is not None
        self._transport: Any = consumer(
            bootstrap_servers, group_id, options, broker_timeout
        )
        self._dlq: Any = None
        if on_error == "dead_letter":
            dlq_options = {
                **transports.connection_options(options),
                **(dead_letter_options or {}),
            }
            self._dlq = producer(bootstrap_servers, dlq_options, broker_timeout)
        self.serde = self._serde(
            spec,
            schema_registry_url=schema_registry_url,
            registry=registry,
            subject_strategy=subject_strategy,
        )
        self.topic: str = self.serde.topic
        self.group_id = group_id
        self.on_error = on_error
        self.dead_letter_topic = dead_letter_topic
        self.client = transports.name
        self.broker_timeout = broker_timeout
        self._core: ConsumerCore[K, V] = ConsumerCore(
            self.serde,
            group_id=group_id,
            on_error=on_error,
            unknown_schema_ids=unknown_schema_ids,
            dead_letter_topic=dead_letter_topic,
            poll_timeout_ms=poll_timeout_ms,
            max_records=max_records,
            broker_timeout=broker_timeout,
        )
        self._core.transport = self._transport
        self._telemetry = self._core.telemetry = load_telemetry(self.topic, group_id)
        self._started = False
        self._closed = False  # stopped or closed: not to be started again

    def skip(self, error: DeserializationError) -> None:
        """Move past the message that raised ``error`` (with ``on_error="raise"``): it counts
        as handled and is committed past, like a skipped one."""
        self._core.skip(error)

    def assignment(self) -> set[int]:
        """The partitions of the topic this consumer holds now (empty before the group join)."""
        if not self._started:
            return set()
        return {p for t, p in self._transport.assignment() if t == self.topic}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(topic={self.topic!r}, group_id={self.group_id!r}, "
            f"on_error={self.on_error!r}, client={self.client!r})"
        )
