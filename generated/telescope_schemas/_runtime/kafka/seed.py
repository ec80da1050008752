"""The seed's classes: ``KafkaAvroProducer[T]`` / ``KafkaAvroConsumer[T]`` take the arguments
of the classes of the same names in the seed project (``topic=``, ``schema_class=`` /
``message_class=``) and build their ``TopicSpec`` from them; ``key_format=`` and
``tombstones=`` say per instance what the configuration says per topic.
``KafkaAvroSyncProducer[T]`` / ``KafkaAvroSyncConsumer[T]`` are their synchronous twins
(confluent-kafka), with the same arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from ..keys import RAW_KINDS, RawKey
from ..serde import Codec, Registration, TopicSpec, codec_for
from .consumer import AvroConsumer
from .producer import AvroProducer
from .records import Headers
from .sync_consumer import SyncAvroConsumer
from .sync_producer import OnDelivery, SyncAvroProducer

T = TypeVar("T")


def _seed_spec(
    topic: str,
    cls: type[T],
    key_schema: Any,
    key_format: str,
    strategy: str,
    tombstones: bool,
    registrations: Mapping[str, Registration] | None = None,
) -> TopicSpec[Any, T]:
    key: Codec[Any] | RawKey[Any] | None = None
    if key_format == "raw":
        if key_schema not in RAW_KINDS:
            raise ValueError(
                f"key_format='raw' needs key_schema= one of {', '.join(RAW_KINDS)}, "
                f"got {key_schema!r}"
            )
        key = RawKey(key_schema)
    elif key_format != "avro":
        raise ValueError(f"key_format must be 'avro' or 'raw', got {key_format!r}")
    elif key_schema is not None:
        key = codec_for(key_schema, registrations)
    return TopicSpec(
        topic, codec_for(cls, registrations), key, strategy, tombstones=tombstones
    )


class _SeedProducerArgs(Generic[T]):
    """The seed producer's constructor, for the async and the sync producer alike (a mixin:
    the producer class follows it in the bases)."""

    # Generated subclasses set this with `references = true`: what `sync` registers per type.
    REGISTRATIONS: ClassVar[Mapping[str, Registration]] = {}

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        schema_registry_url: str | None = None,
        topic: str | None = None,
        schema_class: type[T] | None = None,
        *,
        key_schema: Any = None,
        key_format: str = "avro",
        subject_strategy: str = "topic",
        tombstones: bool = False,
        **options: Any,
    ) -> None:
        if topic is None or schema_class is None:
            raise TypeError(
                f"{type(self).__name__} needs topic=... and schema_class=..."
            )
        spec = _seed_spec(
            topic,
            schema_class,
            key_schema,
            key_format,
            subject_strategy,
            tombstones,
            self.REGISTRATIONS,
        )
        super().__init__(  # type: ignore[call-arg]
            bootstrap_servers, schema_registry_url, spec=spec, **options
        )


class _SeedConsumerArgs(Generic[T]):
    """The seed consumer's constructor, for the async and the sync consumer alike."""

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        schema_registry_url: str | None = None,
        topic: str | None = None,
        group_id: str | None = None,
        message_class: type[T] | None = None,
        *,
        key_schema: Any = None,
        key_format: str = "avro",
        subject_strategy: str = "topic",
        tombstones: bool = False,
        **options: Any,
    ) -> None:
        if topic is None or message_class is None:
            raise TypeError(
                f"{type(self).__name__} needs topic=... and message_class=..."
            )
        spec = _seed_spec(
            topic, message_class, key_schema, key_format, subject_strategy, tombstones
        )
        super().__init__(  # type: ignore[call-arg]
            bootstrap_servers, schema_registry_url, group_id, spec=spec, **options
        )


class KafkaAvroProducer(_SeedProducerArgs[T], AvroProducer[Any, T]):
    """The seed's producer: ``KafkaAvroProducer[Cls](bootstrap_servers=..., schema_registry_url=...,
    topic=..., schema_class=Cls)``. Keys are raw (``str`` as UTF-8) unless ``key_schema`` is
    given (a class or a schema such as ``"string"``; with ``key_format="raw"`` a type name
    written by Kafka's serializers). ``tombstones=True`` allows ``send_tombstone(key)``.
    """

    async def send_tombstone(self, key: Any, headers: Headers | None = None) -> Any:
        """Delete ``key``: send it with no value. Refused unless created with tombstones=True."""
        return await self._send_tombstone(key, headers, None, None)


class KafkaAvroConsumer(_SeedConsumerArgs[T], AvroConsumer[Any, T]):
    """The seed's consumer: ``KafkaAvroConsumer[Cls](bootstrap_servers=..., schema_registry_url=...,
    topic=..., group_id=..., message_class=Cls)``; ``consume(handler)`` calls ``handler(value)``.
    Keys are raw bytes unless ``key_schema`` is given (and ``key_format``, as for the
    producer). With ``tombstones=True`` a tombstone reaches the handler as None (write
    ``KafkaAvroConsumer[Cls | None]``); without, it is skipped with a warning."""


class KafkaAvroSyncProducer(_SeedProducerArgs[T], SyncAvroProducer[Any, T]):
    """The sync twin of ``KafkaAvroProducer`` (confluent-kafka): the same arguments;
    ``produce(value, key=...)``, ``flush()``, and ``produce_tombstone(key)`` with
    ``tombstones=True``."""

    def produce_tombstone(
        self,
        key: Any,
        headers: Headers | None = None,
        *,
        on_delivery: OnDelivery | None = None,
    ) -> None:
        """Delete ``key``: produce it with no value. Refused unless created with tombstones=True."""
        self._produce_tombstone(key, headers, None, None, on_delivery)


class KafkaAvroSyncConsumer(_SeedConsumerArgs[T], SyncAvroConsumer[Any, T]):
    """The sync twin of ``KafkaAvroConsumer`` (confluent-kafka): the same arguments;
    ``consume(handler)`` calls ``handler(value)``."""
