"""Every client with every other, through tansu and the local registry, with the generated
classes of `telescope.commands` (string Avro keys, TelescopeCommand values).

Four producers -- the async class on aiokafka, the async class with `client="confluent"`, the
SyncProducer, and confluent-kafka's own `SerializingProducer` with the generated serde's
adapters -- write to one topic; four consumers -- the same three classes and a
`DeserializingConsumer` with the adapters -- each read everything back: every direction, values
equal and typed. Each side has its own registry client (nothing cached is shared).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import pytest
import telescope_schemas as ts
from confluent_kafka import DeserializingConsumer, SerializingProducer
from confluent_kafka.serialization import MessageField, SerializationContext
from telescope_schemas._runtime import errors
from telescope_schemas._runtime.kafka import Delivery, Message
from telescope_schemas._runtime.serde import RecordCodec, TombstoneTopicSerde, TopicSpec

from tests.fixtures_kafka import CONFLUENT_GROUP_OPTIONS, GROUP_OPTIONS, KafkaBroker, create_topic
from tests.kafka.clients import Client

pytestmark = pytest.mark.kafka

TOPIC = "telescope.commands"
KEYS = [f"k{i}" for i in range(8)]
PRODUCERS = ["aiokafka", "confluent", "sync", "serializing"]


def values_of(producer: str) -> list[Any]:
    """Values tagged with their producer (`requested_by`), one per key."""
    return [dataclasses.replace(ts.TelescopeCommand.fake(), requested_by=producer) for _ in KEYS]


async def produce_with(name: str, bootstrap: str, registry_url: str, values: list[Any]) -> None:
    messages = [Message(v, key=k) for k, v in zip(KEYS, values, strict=True)]
    if name == "serializing":
        serde = ts.TelescopeCommandsSerde(registry_url)

        def produce() -> None:
            producer = SerializingProducer(
                {
                    "bootstrap.servers": bootstrap,
                    "key.serializer": serde.key_serializer,
                    "value.serializer": serde.value_serializer,
                    "partitioner": "murmur2_random",
                }
            )
            for m in messages:
                producer.produce(TOPIC, key=m.key, value=m.value)
            assert producer.flush(10) == 0
            serde.close()

        await asyncio.to_thread(produce)
        return
    if name == "sync":
        producer: Any = ts.TelescopeCommandsSyncProducer(bootstrap, registry_url)
    else:
        producer = ts.TelescopeCommandsProducer(bootstrap, registry_url, client=name)
    async with Client(name).wrap(producer) as side:
        await side.send_batch(messages)


async def consume_with(name: str, bootstrap: str, registry_url: str, count: int) -> list[Any]:
    """(key, value, partition) of the first `count` records, read in a group of its own."""
    group = f"{name}-{uuid.uuid4().hex[:6]}"
    if name == "deserializing":
        serde = ts.TelescopeCommandsSerde(registry_url)

        def read() -> list[Any]:
            consumer = DeserializingConsumer(
                {
                    "bootstrap.servers": bootstrap,
                    "group.id": group,
                    "auto.offset.reset": "earliest",
                    "key.deserializer": serde.key_deserializer,
                    "value.deserializer": serde.value_deserializer,
                    **CONFLUENT_GROUP_OPTIONS,
                }
            )
            consumer.subscribe([TOPIC])  # subscribe() works on tansu (see fixtures_kafka)
            out: list[Any] = []
            try:
                for _ in range(300):
                    if len(out) >= count:
                        break
                    m = consumer.poll(0.1)
                    if m is not None and m.error() is None:
                        out.append((m.key(), m.value(), m.partition()))
            finally:
                consumer.close()
                serde.close()
            return out

        return await asyncio.to_thread(read)
    if name == "sync":
        consumer: Any = ts.TelescopeCommandsSyncConsumer(
            bootstrap, registry_url, group, **CONFLUENT_GROUP_OPTIONS
        )
    elif name == "confluent":
        consumer = ts.TelescopeCommandsConsumer(
            bootstrap, registry_url, group, client="confluent", **CONFLUENT_GROUP_OPTIONS
        )
    else:
        consumer = ts.TelescopeCommandsConsumer(bootstrap, registry_url, group, **GROUP_OPTIONS)
    async with Client(name).wrap(consumer) as side:
        return [(r.key, r.value, r.partition) for r in await side.take(count)]


async def test_every_producer_to_every_consumer(
    fresh_kafka_broker: KafkaBroker, registry_url: str
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    await create_topic(bootstrap, TOPIC, partitions=4)
    sent = {name: values_of(name) for name in PRODUCERS}
    for name in PRODUCERS:
        await produce_with(name, bootstrap, registry_url, sent[name])
    expected = sorted(
        (key, value.requested_by, str(value.command_id))
        for name in PRODUCERS
        for key, value in zip(KEYS, sent[name], strict=True)
    )
    by_id = {v.command_id: v for values in sent.values() for v in values}
    for name in ["aiokafka", "confluent", "sync", "deserializing"]:
        got = await consume_with(name, bootstrap, registry_url, len(expected))
        assert sorted((k, v.requested_by, str(v.command_id)) for k, v, _ in got) == expected, name
        for key, value, _ in got:
            assert type(key) is str and type(value) is ts.TelescopeCommand, name
            assert value == by_id[value.command_id], name
        # A key lands on one partition whichever client wrote it (Kafka's murmur2 partitioner;
        # the SerializingProducer was configured with it too).
        partitions = {(k, p) for k, _, p in got}
        assert len(partitions) == len(KEYS), (name, sorted(partitions))


# --- the adapters alone ------------------------------------------------------------------------


def test_adapters_take_the_confluent_serializer_arguments(registry_url: str) -> None:
    serde = ts.TelescopeCommandsSerde(registry_url)
    value = ts.TelescopeCommand.fake()
    ctx = SerializationContext(TOPIC, MessageField.VALUE, None)
    data = serde.value_serializer(value, ctx)
    assert data is not None and data[:1] == b"\x00"
    assert serde.value_deserializer(data, ctx) == value
    assert serde.value_deserializer(data) == value  # ctx is optional
    key = serde.key_serializer("k1", SerializationContext(TOPIC, MessageField.KEY))
    assert key is not None and serde.key_deserializer(key) == "k1"
    assert serde.key_serializer(None) is None and serde.key_deserializer(None) is None
    # A null value is a tombstone: only on a topic that has them.
    with pytest.raises(errors.SerializationError, match="not configured for tombstones"):
        serde.value_serializer(None, ctx)
    with pytest.raises(errors.TombstoneError):
        serde.value_deserializer(None, ctx)
    tombstones = TopicSpec(TOPIC, RecordCodec(ts.TelescopeCommand), tombstones=True)
    with TombstoneTopicSerde(registry_url, spec=tombstones) as compacted:
        assert compacted.value_serializer(None) is None
        assert compacted.value_deserializer(None) is None
    serde.close()


# --- what each producer returns --------------------------------------------------------------


async def test_sends_return_where_the_message_landed(
    client: Client, kafka_broker: KafkaBroker, registry_url: str, unique_topic: str
) -> None:
    bootstrap = kafka_broker.bootstrap
    await create_topic(bootstrap, unique_topic)
    spec = TopicSpec(unique_topic, RecordCodec(ts.TelescopeCommand))
    if client.sync:
        delivered: list[Any] = []
        with ts.TelescopeCommandsSyncProducer(bootstrap, registry_url, spec=spec) as producer:
            for _ in range(3):
                producer.produce(
                    ts.TelescopeCommand.fake(),
                    on_delivery=lambda err, d: delivered.append((err, d)),
                )
            assert producer.flush(10) == 0
        assert [e for e, _ in delivered] == [None] * 3
        landed = [d for _, d in delivered]
    else:
        async with client.producer(bootstrap, registry_url, spec=spec) as producer:
            landed = [await producer.send(ts.TelescopeCommand.fake())]
            landed += await producer.send_batch(ts.TelescopeCommand.fake() for _ in range(2))
    assert [(d.topic, d.partition, d.offset) for d in landed] == [
        (unique_topic, 0, o) for o in range(3)
    ]
    assert all(d.timestamp > 0 for d in landed)
    if client.name != "aiokafka":
        assert all(isinstance(d, Delivery) for d in landed)
