"""The test kit's own behaviour beyond the shared suites: the in-memory broker's partitioner,
offset reset and option checks, the process-wide sharing of `memory://` and `mock://` names,
and what a missing registry server says. (The consumer semantics suite and the registry
client suite run on `memory://` and `mock://` in tests/kafka and tests/runtime.)"""

from __future__ import annotations

import sys
from typing import Any

import pytest
import telescope_schemas as ts
from aiokafka.partitioner import DefaultPartitioner
from telescope_schemas._runtime.errors import RegistryConfigError
from telescope_schemas._runtime.kafka.transports import memory_broker as generated_copy
from telescope_schemas._runtime.registry import SchemaRegistryClient

from codegen.runtime.kafka.transports import memory_broker as avrobind_copy
from codegen.testing import MemoryKafka, MockRegistry

SCHEMA = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}'


def test_keys_land_where_kafkas_partitioner_puts_them(avrobind_kafka: MemoryKafka) -> None:
    avrobind_kafka.create_topic("t", partitions=7)
    keys = [f"key-{i}".encode() for i in range(200)]
    landed = [avrobind_kafka.inject("t", b"v", key=k).partition for k in keys]
    every = list(range(7))
    assert landed == [DefaultPartitioner()(k, every, every) for k in keys]
    assert len(set(landed)) == 7
    # Without a key: round-robin; an explicit partition wins; offsets count per partition.
    assert [avrobind_kafka.inject("t", b"v").partition for _ in range(7)] == every
    assert avrobind_kafka.inject("t", b"v", key=keys[0], partition=3).partition == 3
    assert sum(avrobind_kafka.broker.end_offsets("t").values()) == 208
    with pytest.raises(avrobind_copy.BrokerError, match="no partition 7"):
        avrobind_kafka.inject("t", b"v", partition=7)


def test_the_url_sets_the_partitions_of_new_topics() -> None:
    kafka = MemoryKafka.fresh(partitions=3)
    try:
        kafka.inject("auto", b"v")
        assert kafka.broker.end_offsets("auto") == {0: 1, 1: 0, 2: 0}
    finally:
        kafka.close()
    with pytest.raises(ValueError, match="partitions must be a whole number"):
        avrobind_copy.parse_url("memory://x?partitions=0")
    with pytest.raises(ValueError, match="takes only"):
        avrobind_copy.parse_url("memory://x?acks=all")


def test_a_name_is_one_broker_and_one_registry_for_every_runtime_copy(
    avrobind_kafka: MemoryKafka, avrobind_registry: MockRegistry
) -> None:
    assert generated_copy.broker_for(avrobind_kafka) is avrobind_copy.broker_for(avrobind_kafka)
    with avrobind_registry.client() as mine, SchemaRegistryClient(avrobind_registry) as theirs:
        schema_id = mine.register("a-value", SCHEMA)
        assert theirs.get_versions("a-value") == [1]
        assert theirs.get_schema(schema_id) == SCHEMA
    with SchemaRegistryClient(MockRegistry.fresh()) as other:
        assert other.get_subjects() == []


def test_latest_skips_what_was_there_before_the_group_joined(
    avrobind_kafka: MemoryKafka, avrobind_registry: MockRegistry
) -> None:
    with ts.TelescopeCommandsSyncProducer(avrobind_kafka, avrobind_registry) as producer:
        producer.produce(ts.TelescopeCommand.fake(), key="old")
    later = ts.TelescopeCommand.fake()
    with (
        ts.TelescopeCommandsSyncConsumer(
            avrobind_kafka, avrobind_registry, "g", **{"auto.offset.reset": "latest"}
        ) as consumer,
        ts.TelescopeCommandsSyncProducer(avrobind_kafka, avrobind_registry) as producer,
    ):
        producer.produce(later, key="new")
        producer.flush()
        record = next(iter(consumer))
        consumer.commit()
    assert (record.key, record.value, record.offset) == ("new", later, 1)
    assert avrobind_kafka.committed("g", ts.TelescopeCommandsSyncConsumer.TOPIC) == {0: 2}


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"enable_auto_commit": True}, ValueError, "enable_auto_commit"),
        ({"enable.auto.commit": "true"}, ValueError, "enable_auto_commit"),
        ({"key_deserializer": str}, TypeError, "set by avrobind"),
        ({"value.deserializer": str}, TypeError, "set by avrobind"),
        ({"sesion_timeout_ms": 1000}, TypeError, "sesion_timeout_ms"),
        ({"auto_offset_reset": "none"}, ValueError, "earliest"),
    ],
)
def test_options_are_checked_as_the_real_clients_check_them(
    avrobind_kafka: MemoryKafka, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        ts.TelescopeCommandsConsumer(avrobind_kafka, "mock://", "g", **options)
    # What the real clients accept is accepted: aiokafka's names and librdkafka's.
    ts.TelescopeCommandsConsumer(avrobind_kafka, "mock://", "g", session_timeout_ms=1000)
    ts.TelescopeCommandsSyncConsumer(avrobind_kafka, "mock://", "g", **{"session.timeout.ms": 1})


def test_without_the_registry_server_mock_urls_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "codegen.registry_server.app", None)  # not importable
    with (
        SchemaRegistryClient(MockRegistry.fresh()) as client,
        pytest.raises(RegistryConfigError, match=r"pip install 'avrobind\[registry\]'"),
    ):
        client.get_subjects()


def test_mock_urls_are_mock_name_alone() -> None:
    with pytest.raises(RegistryConfigError, match="mock://NAME alone"):
        SchemaRegistryClient("mock://a/b")
    with pytest.raises(RegistryConfigError, match="one of several"):
        SchemaRegistryClient("mock://a,http://localhost:8081")
    with SchemaRegistryClient("mock://") as client:
        assert "mock://default" in repr(client._config)
