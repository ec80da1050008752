"""Generated producers and consumers against a real broker (tansu) and a real registry.

Tests of the generated per-topic classes get a broker of their own (`fresh_kafka_broker`):
their topic names are fixed, and another test's messages on the same topic would blur what
is checked. Tests of the runtime classes share the session broker with unique topics.
Committed offsets are read back from the broker, not from the consumer's memory.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import telescope_schemas as ts
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from telescope_schemas._runtime import errors
from telescope_schemas._runtime.kafka import (
    AvroConsumer,
    KafkaAvroProducer,
    Message,
)
from telescope_schemas._runtime.registry import AsyncSchemaRegistryClient, RegistryConfig
from telescope_schemas._runtime.serde import AsyncTopicSerde, PlainCodec, RecordCodec, TopicSpec

from tests.fixtures_kafka import (
    GROUP_OPTIONS,
    KafkaBroker,
    committed_offsets,
    create_topic,
    read_raw,
)
from tests.fixtures_registry import RegistryServers
from tests.kafka import evolution
from tests.kafka.consuming import confluent_read, consume_n, take
from tests.kafka.seed_models import SeedCommand

pytestmark = pytest.mark.kafka

TOPICS = [
    (ts.TelescopeCommandsProducer, ts.TelescopeCommandsConsumer, ts.TelescopeCommand),
    (
        ts.TelescopeAcknowledgmentsProducer,
        ts.TelescopeAcknowledgmentsConsumer,
        ts.CommandAcknowledgment,
    ),
    (ts.TelescopeDataProducer, ts.TelescopeDataConsumer, ts.Observation),
    (ts.TelescopeStatusProducer, ts.TelescopeStatusConsumer, ts.TelescopeStatus),
]
FAST_REGISTRY = {"backoff_base": 0.01, "backoff_max": 0.02}


# --- end to end, every telescope topic -----------------------------------------------------


@pytest.mark.parametrize(
    ("producer_cls", "consumer_cls", "model"), TOPICS, ids=lambda x: getattr(x, "__name__", "")
)
async def test_end_to_end_with_restart(
    fresh_kafka_broker: KafkaBroker,
    registry_url: str,
    producer_cls: Any,
    consumer_cls: Any,
    model: Any,
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    group = f"e2e-{uuid.uuid4().hex[:6]}"
    sent = [
        (
            f"key-{i}",
            model.fake(),
            [("trace", uuid.uuid4().bytes), ("n", str(i).encode()), ("n", b"again")],
        )
        for i in range(8)
    ]
    async with producer_cls(bootstrap, registry_url) as producer:
        assert producer.topic == producer_cls.TOPIC == consumer_cls.TOPIC
        for key, value, headers in sent[:5]:
            await producer.send(value, key=key, headers=headers)

    # The first consumer handles 3 records and stops.
    async with consumer_cls(bootstrap, registry_url, group, **GROUP_OPTIONS) as consumer:
        first = await take(consumer, 3)
    # More messages arrive while no consumer runs; a restarted one resumes after the commit.
    async with producer_cls(bootstrap, registry_url) as producer:
        await producer.send_batch(
            Message(value, key=key, headers=headers) for key, value, headers in sent[5:]
        )
    async with consumer_cls(bootstrap, registry_url, group, **GROUP_OPTIONS) as consumer:
        second = await take(consumer, 5)

    received = first + second
    assert sorted(r.key for r in received) == sorted(key for key, _, _ in sent)
    by_key = {key: (value, headers) for key, value, headers in sent}
    for record in received:
        value, headers = by_key[record.key]
        assert record.value == value
        assert record.headers == tuple(headers)
        assert record.topic == producer_cls.TOPIC
        assert record.timestamp > 0
    assert record.header("n") == b"again"
    # The committed offsets cover exactly the 8 messages.
    committed = await committed_offsets(bootstrap, group, producer_cls.TOPIC)
    assert sum(committed.values()) == len(sent)
    assert {(r.partition, r.offset) for r in received} == {
        (p, o) for p, end in committed.items() for o in range(end)
    }


# --- interop with confluent-kafka through the broker ----------------------------------------


async def test_confluent_deserializer_reads_what_the_generated_producer_writes(
    fresh_kafka_broker: KafkaBroker, registry_url: str
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    values = {f"cmd-{i}": ts.TelescopeCommand.fake() for i in range(6)}
    async with ts.TelescopeCommandsProducer(bootstrap, registry_url) as producer:
        for key, value in values.items():
            await producer.send(value, key=key)
    messages = await asyncio.to_thread(confluent_read, bootstrap, "telescope.commands", len(values))
    confluent = ConfluentRegistry({"url": registry_url})
    value_de = AvroDeserializer(
        confluent, from_dict=lambda d, ctx: ts.TelescopeCommand.from_avro(d)
    )
    key_de = AvroDeserializer(confluent)
    decoded = {
        key_de(m.key(), SerializationContext(m.topic(), MessageField.KEY)): value_de(
            m.value(), SerializationContext(m.topic(), MessageField.VALUE)
        )
        for m in messages
    }
    assert decoded == values
    value_id = confluent.get_latest_version("telescope.commands-value").schema_id
    key_id = confluent.get_latest_version("telescope.commands-key").schema_id
    assert {m.value()[:5] for m in messages} == {b"\x00" + value_id.to_bytes(4, "big")}
    assert {m.key()[:5] for m in messages} == {b"\x00" + key_id.to_bytes(4, "big")}


async def test_generated_consumer_reads_what_confluent_serializer_writes(
    fresh_kafka_broker: KafkaBroker, registry_url: str
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    confluent = ConfluentRegistry({"url": registry_url})
    value_ser = AvroSerializer(
        confluent, ts.TelescopeCommand.avro_schema(), to_dict=lambda obj, ctx: obj.to_avro()
    )
    key_ser = AvroSerializer(confluent, json.dumps("string"))
    values = {f"ck-{i}": ts.TelescopeCommand.fake() for i in range(6)}

    def produce() -> None:
        producer = Producer({"bootstrap.servers": bootstrap})
        for key, value in values.items():
            producer.produce(
                "telescope.commands",
                value=value_ser(
                    value, SerializationContext("telescope.commands", MessageField.VALUE)
                ),
                key=key_ser(key, SerializationContext("telescope.commands", MessageField.KEY)),
                headers=[("origin", b"confluent")],
            )
        assert producer.flush(10) == 0

    await asyncio.to_thread(produce)
    async with ts.TelescopeCommandsConsumer(
        bootstrap, registry_url, "interop", **GROUP_OPTIONS
    ) as consumer:
        records = await take(consumer, len(values))
        # The ids in the headers are the ones this side resolves for its own schemas.
        await consumer.serde.value.register()
        own_id = consumer.serde.value.schema_id
    assert {r.key: r.value for r in records} == values
    assert all(r.headers == (("origin", b"confluent"),) for r in records)
    assert own_id == confluent.get_latest_version("telescope.commands-value").schema_id


# --- evolution through the broker ----------------------------------------------------------


@pytest.fixture(scope="module")
def evo(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, ModuleType]:
    root = tmp_path_factory.mktemp("evolution")
    return evolution.generate_package(root, evolution.V1, "v1"), evolution.generate_package(
        root, evolution.V2, "v2"
    )


async def test_v1_and_v2_producers_and_consumers_interoperate(
    fresh_kafka_broker: KafkaBroker, registry_url: str, evo: tuple[ModuleType, ModuleType]
) -> None:
    v1, v2 = evo
    bootstrap = fresh_kafka_broker.bootstrap
    async with httpx.AsyncClient() as http:
        (
            await http.put(f"{registry_url}/config", json={"compatibility": "FULL"})
        ).raise_for_status()
    await create_topic(bootstrap, evolution.TOPIC)
    async with (
        v1.EvoReadingsProducer(bootstrap, registry_url) as old,
        v2.EvoReadingsProducer(bootstrap, registry_url) as new,
    ):
        await old.send(v1.Reading(sensor="old", value=1.0, note="from v1"), key="a")
        await new.send(v2.Reading(sensor="new", value=2.0, unit=v2.Unit.CELSIUS), key="b")
    async with v2.EvoReadingsConsumer(
        bootstrap, registry_url, "evo-v2", **GROUP_OPTIONS
    ) as consumer:
        as_v2 = [r.value for r in await take(consumer, 2)]
    async with v1.EvoReadingsConsumer(
        bootstrap, registry_url, "evo-v1", **GROUP_OPTIONS
    ) as consumer:
        as_v1 = [r.value for r in await take(consumer, 2)]
    # v1 -> v2 (BACKWARD): `note` dropped, `unit` from its default; v2 as written.
    assert as_v2 == [
        v2.Reading(sensor="old", value=1.0, unit=v2.Unit.KELVIN),
        v2.Reading(sensor="new", value=2.0, unit=v2.Unit.CELSIUS),
    ]
    # v2 -> v1 (FORWARD): `unit` dropped, `note` from its default; v1 as written.
    assert as_v1 == [
        v1.Reading(sensor="old", value=1.0, note="from v1"),
        v1.Reading(sensor="new", value=2.0, note="none"),
    ]


# --- registry faults -----------------------------------------------------------------------


async def test_producer_start_fails_while_the_registry_is_down_and_can_be_retried(
    kafka_broker: KafkaBroker,
    registry_servers: RegistryServers,
    tmp_path: Path,
    unique_topic: str,
) -> None:
    bootstrap = kafka_broker.bootstrap
    server = registry_servers.start(data=tmp_path / "registry.db")
    server.kill()
    config = RegistryConfig(server.url, retries=1, **FAST_REGISTRY)
    # The seed's arguments; registry= carries the short retry policy of this test.
    producer = KafkaAvroProducer(
        kafka_broker.bootstrap,
        topic=unique_topic,
        schema_class=ts.TelescopeCommand,
        registry=config,
    )
    with pytest.raises(errors.RegistryUnavailableError):
        await producer.start()
    with pytest.raises(RuntimeError, match="not started"):
        await producer.send(ts.TelescopeCommand.fake())
    # Nothing was sent; once the registry is back, starting again works.
    server.restart()
    value = ts.TelescopeCommand.fake()
    await producer.start()
    try:
        await producer.send(value)
    finally:
        await producer.stop()
    (message,) = await read_raw(bootstrap, unique_topic, 1)
    spec = TopicSpec(unique_topic, RecordCodec(ts.TelescopeCommand))
    async with AsyncTopicSerde(spec=spec, registry=RegistryConfig(server.url)) as serde:
        assert await serde.deserialize(message.value) == value
    # A context manager whose start fails closes what it opened.
    server.kill()
    with pytest.raises(errors.RegistryUnavailableError):
        async with KafkaAvroProducer(
            bootstrap, topic=unique_topic, schema_class=ts.TelescopeCommand, registry=config
        ):
            raise AssertionError("started without a registry")


async def test_consumer_with_registry_down_raises_whatever_the_policy_and_commits_nothing(
    kafka_broker: KafkaBroker,
    registry_servers: RegistryServers,
    tmp_path: Path,
    unique_topic: str,
    unique_group: str,
) -> None:
    bootstrap = kafka_broker.bootstrap
    server = registry_servers.start(data=tmp_path / "registry.db")
    spec = TopicSpec(unique_topic, RecordCodec(ts.TelescopeCommand), PlainCodec('"string"'))
    await create_topic(bootstrap, unique_topic)
    values = [ts.TelescopeCommand.fake() for _ in range(3)]
    async with ts.TelescopeCommandsProducer(bootstrap, server.url, spec=spec) as producer:
        await producer.send_batch(Message(v, key=f"k{i}") for i, v in enumerate(values))
    server.kill()
    config = RegistryConfig(server.url, retries=1, **FAST_REGISTRY)
    consumer = AvroConsumer(
        bootstrap,
        registry=config,
        group_id=unique_group,
        spec=spec,
        on_error="skip",
        **GROUP_OPTIONS,
    )
    async with consumer:
        with pytest.raises(errors.RegistryUnavailableError):
            await asyncio.wait_for(consumer.consume(lambda v: None), 30)
        assert await committed_offsets(bootstrap, unique_group, unique_topic) == {}
        server.restart()
        records = await consume_n(consumer, 3)
    assert [r.value for r in records] == values
    assert [r.key for r in records] == ["k0", "k1", "k2"]
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 3}


class FlakyTransport(httpx.AsyncHTTPTransport):
    """Answers HTTP 500 to the first `failures` requests, then passes requests to the real
    registry. A test double because a real registry cannot be made to fail on demand."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.failures > 0:
            self.failures -= 1
            return httpx.Response(500, json={"error_code": 50001, "message": "store unavailable"})
        return await super().handle_async_request(request)


async def test_registry_500_then_recovery(
    kafka_broker: KafkaBroker, registry_url: str, unique_topic: str, unique_group: str
) -> None:
    bootstrap = kafka_broker.bootstrap
    spec = TopicSpec(unique_topic, RecordCodec(ts.TelescopeCommand), PlainCodec('"string"'))
    await create_topic(bootstrap, unique_topic)
    values = [ts.TelescopeCommand.fake() for _ in range(4)]
    async with ts.TelescopeCommandsProducer(bootstrap, registry_url, spec=spec) as producer:
        await producer.send_batch(values[:2])

    # Three 500s against one retry: the first attempt to read fails (the message is neither
    # skipped nor dead-lettered); the next one meets one more 500, retries and succeeds.
    transport = FlakyTransport(failures=3)
    client = AsyncSchemaRegistryClient(
        RegistryConfig(registry_url, retries=1, **FAST_REGISTRY), transport=transport
    )
    async with AvroConsumer(
        bootstrap,
        registry=client,
        group_id=unique_group,
        spec=spec,
        dead_letter_topic=unique_topic + ".dlq",
        **GROUP_OPTIONS,
    ) as consumer:
        with pytest.raises(errors.RegistryUnavailableError) as info:
            await asyncio.wait_for(consumer.consume(lambda v: None), 30)
        assert info.value.status == 500
        assert await committed_offsets(bootstrap, unique_group, unique_topic) == {}
        # The registry recovers: the same messages are decoded, nothing was skipped.
        records = await consume_n(consumer, 2)
    assert [r.value for r in records] == values[:2]
    await client.aclose()

    # Two 500s: the client's retries absorb them.
    transport = FlakyTransport(failures=2)
    client = AsyncSchemaRegistryClient(
        RegistryConfig(registry_url, retries=3, **FAST_REGISTRY), transport=transport
    )
    async with ts.TelescopeCommandsProducer(bootstrap, registry=client, spec=spec) as producer:
        await producer.send_batch(values[2:])
    assert transport.seen >= 3
    async with AvroConsumer(
        bootstrap, registry_url, unique_group, spec=spec, **GROUP_OPTIONS
    ) as consumer:
        records = await consume_n(consumer, 2)
    assert [r.value for r in records] == values[2:]
    await client.aclose()
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 4}


# --- the seed's classes and arguments ----------------------------------------------------


async def test_seed_classes_with_the_seed_arguments(
    kafka_broker: KafkaBroker, registry_url: str, unique_topic: str
) -> None:
    bootstrap = kafka_broker.bootstrap
    await create_topic(bootstrap, unique_topic)
    commands = [
        SeedCommand(
            command_id=f"cmd-{i:03}", command_type="start_observation", timestamp=1700000000000 + i
        )
        for i in range(3)
    ]
    async with ts.KafkaAvroProducer[SeedCommand](
        bootstrap_servers=bootstrap,
        schema_registry_url=registry_url,
        topic=unique_topic,
        schema_class=SeedCommand,
    ) as producer:
        for c in commands:
            await producer.send(c, key=c.command_id)
    received: list[SeedCommand] = []
    async with ts.KafkaAvroConsumer[SeedCommand](
        bootstrap_servers=bootstrap,
        schema_registry_url=registry_url,
        topic=unique_topic,
        group_id=f"seed-{uuid.uuid4().hex[:6]}",
        message_class=SeedCommand,
        **GROUP_OPTIONS,
    ) as consumer:
        received = await consume_n(consumer, 3, records=False)
    assert received == commands
    raw = await read_raw(bootstrap, unique_topic, 3)
    assert [m.key for m in raw] == [
        c.command_id.encode() for c in commands
    ]  # keys without a schema: UTF-8
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{registry_url}/subjects")).json() == [f"{unique_topic}-value"]


# --- options -----------------------------------------------------------------------------


def test_options_that_would_break_the_guarantees_are_rejected() -> None:
    with pytest.raises(ValueError, match="enable_auto_commit"):
        ts.TelescopeCommandsConsumer(
            "127.0.0.1:9", "http://127.0.0.1:9", "g", enable_auto_commit=True
        )
    with pytest.raises(TypeError, match="value_deserializer"):
        ts.TelescopeCommandsConsumer(
            "127.0.0.1:9", "http://127.0.0.1:9", "g", value_deserializer=bytes
        )
    with pytest.raises(TypeError, match="unknown option"):
        ts.TelescopeCommandsProducer("127.0.0.1:9", "http://127.0.0.1:9", acks_typo=1)
    with pytest.raises(ValueError, match="on_error"):
        ts.TelescopeCommandsConsumer("127.0.0.1:9", "http://127.0.0.1:9", "g", on_error="ignore")
    with pytest.raises(ValueError, match="dead_letter_topic"):
        ts.TelescopeCommandsConsumer(
            "127.0.0.1:9", "http://127.0.0.1:9", "g", on_error="dead_letter"
        )
    # The product passes aiokafka options through, idempotence included (tansu rejects it, so
    # it is not started here).
    producer = ts.TelescopeCommandsProducer(
        "127.0.0.1:9", "http://127.0.0.1:9", enable_idempotence=True, acks="all"
    )
    assert producer._transport._options["enable_idempotence"] is True


def test_confluent_options_are_librdkafkas_and_owned_ones_are_refused() -> None:
    with pytest.raises(TypeError, match=r"value\.serializer"):
        ts.TelescopeCommandsSyncProducer(
            "127.0.0.1:9", "http://127.0.0.1:9", **{"value.serializer": bytes}
        )
    with pytest.raises(TypeError, match=r"group\.id"):
        ts.TelescopeCommandsSyncConsumer(
            "127.0.0.1:9", "http://127.0.0.1:9", "g", **{"group.id": "other"}
        )
    with pytest.raises(ValueError, match=r"enable\.auto\.commit"):
        ts.TelescopeCommandsConsumer(
            "127.0.0.1:9",
            "http://127.0.0.1:9",
            "g",
            client="confluent",
            **{"enable.auto.commit": True},
        )
    with pytest.raises(ValueError, match="on_error"):
        ts.TelescopeCommandsSyncConsumer("127.0.0.1:9", "http://127.0.0.1:9", "g", on_error="x")
    with pytest.raises(ValueError, match="unknown_schema_ids"):
        ts.TelescopeCommandsConsumer(
            "127.0.0.1:9", "http://127.0.0.1:9", "g", unknown_schema_ids="skip"
        )
    with pytest.raises(ValueError, match="client must be one of aiokafka, confluent"):
        ts.TelescopeCommandsProducer("127.0.0.1:9", "http://127.0.0.1:9", client="kafka-python")
    # librdkafka checks its options when the client is built (at start): an aiokafka-style
    # name is refused with a hint.
    producer = ts.TelescopeCommandsSyncProducer("127.0.0.1:9", "http://127.0.0.1:9", linger_ms=5)
    with pytest.raises(ValueError, match="librdkafka's configuration names"):
        producer._transport.start()
    # What the product passes through untouched (tansu rejects idempotence: not started here).
    producer = ts.TelescopeCommandsSyncProducer(
        "127.0.0.1:9", "http://127.0.0.1:9", **{"enable.idempotence": True, "acks": "all"}
    )
    assert producer._transport._config["enable.idempotence"] is True


def test_without_confluent_kafka_the_confluent_classes_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An absent package cannot be had in the test environment: hide it from the import system.
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)
    with pytest.raises(ImportError, match="pip install 'confluent-kafka"):
        ts.TelescopeCommandsSyncProducer("127.0.0.1:9", "http://127.0.0.1:9")
    with pytest.raises(ImportError, match="pip install 'confluent-kafka"):
        ts.TelescopeCommandsConsumer("127.0.0.1:9", "http://127.0.0.1:9", "g", client="confluent")
    # The aiokafka classes do not need it.
    ts.TelescopeCommandsConsumer("127.0.0.1:9", "http://127.0.0.1:9", "g")
