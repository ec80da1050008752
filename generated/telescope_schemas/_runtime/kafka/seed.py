"""The seed's classes: ``KafkaAvroProducer[T]`` / ``KafkaAvroConsumer[T]`` take the arguments
of the classes of the same names in the seed project (``topic=``, ``schema_class=`` /
``message_class=``) and build their ``TopicSpec`` from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from ..serde import Registration, TopicSpec, codec_for
from .consumer import AvroConsumer
from .producer import AvroProducer

T = TypeVar("T")


class KafkaAvroProducer(AvroProducer[Any, T]):
    """The seed's producer: ``KafkaAvroProducer[Cls](bootstrap_servers=..., schema_registry_url=...,
    topic=..., schema_class=Cls)``. Keys are raw (``str`` as UTF-8) unless ``key_schema`` is
    given (a class or a schema such as ``"string"``)."""

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
        subject_strategy: str = "topic",
        **options: Any,
    ) -> None:
        if topic is None or schema_class is None:
            raise TypeError("KafkaAvroProducer needs topic=... and schema_class=...")
        spec: TopicSpec[Any, T] = TopicSpec(
            topic,
            codec_for(schema_class, self.REGISTRATIONS),
            None if key_schema is None else codec_for(key_schema, self.REGISTRATIONS),
            subject_strategy,
        )
        super().__init__(bootstrap_servers, schema_registry_url, spec=spec, **options)


class KafkaAvroConsumer(AvroConsumer[Any, T]):
    """The seed's consumer: ``KafkaAvroConsumer[Cls](bootstrap_servers=..., schema_registry_url=...,
    topic=..., group_id=..., message_class=Cls)``; ``consume(handler)`` calls ``handler(value)``.
    Keys are raw bytes unless ``key_schema`` is given."""

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        schema_registry_url: str | None = None,
        topic: str | None = None,
        group_id: str | None = None,
        message_class: type[T] | None = None,
        *,
        key_schema: Any = None,
        subject_strategy: str = "topic",
        **options: Any,
    ) -> None:
        if topic is None or message_class is None:
            raise TypeError("KafkaAvroConsumer needs topic=... and message_class=...")
        spec: TopicSpec[Any, T] = TopicSpec(
            topic,
            codec_for(message_class),
            None if key_schema is None else codec_for(key_schema),
            subject_strategy,
        )
        super().__init__(bootstrap_servers, schema_registry_url, group_id, spec=spec, **options)
