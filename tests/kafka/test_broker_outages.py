"""Broker outages, on every client: avrobind's typed errors after `broker_timeout`, and a log
that does not flood.

A closed port (nothing listens) and a tansu broker stopped under a running client stand for the
outage; every wait is bounded (`asyncio.wait_for`), durations are never asserted. The log is
counted per kind (the message with its numbers blanked, as the runtime's rate limit does):
unthrottled, aiokafka alone writes about a hundred lines a second while a broker is down.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import re
import socket
from typing import Any

import pytest
import telescope_schemas as ts
from telescope_schemas._runtime import errors
from telescope_schemas._runtime.serde import PlainCodec, RecordCodec, TopicSpec

from tests.fixtures_kafka import KafkaBroker, create_topic
from tests.kafka.clients import Client

pytestmark = pytest.mark.kafka

TIMEOUT = 1.0  # broker_timeout of these tests, seconds
BOUND = 60.0  # no step may take longer than this


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"127.0.0.1:{port}"  # nothing listens there any more


def client_lines(caplog: pytest.LogCaptureFixture) -> collections.Counter[tuple[str, str]]:
    """WARNING+ lines of the Kafka clients' loggers, by kind."""
    return collections.Counter(
        (r.name, re.sub(r"\d+", "#", r.getMessage()))
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and (r.name.startswith("aiokafka") or r.name == "avrobind.kafka.confluent")
    )


def assert_log_is_calm(caplog: pytest.LogCaptureFixture) -> None:
    lines = client_lines(caplog)
    # One line per kind and 10 s (plus one that reports how many were held back).
    assert all(n <= 2 for n in lines.values()), lines.most_common(3)
    assert sum(lines.values()) <= 30, lines.most_common(5)


def spec(topic: str) -> TopicSpec[str, Any]:
    return TopicSpec(topic, RecordCodec(ts.TelescopeCommand), PlainCodec('"string"'))


async def test_no_broker_at_start_is_a_typed_error(
    client: Client, registry_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    bootstrap = closed_port()
    producer = client.producer(
        bootstrap, registry_url, spec=spec("t.closed"), broker_timeout=TIMEOUT
    )
    with pytest.raises(errors.BrokerUnavailableError) as info:
        await asyncio.wait_for(producer.__aenter__(), BOUND)
    assert info.value.client == ("aiokafka" if client.name == "aiokafka" else "confluent")
    consumer = client.consumer(
        bootstrap, registry_url, "g-closed", spec=spec("t.closed"), broker_timeout=TIMEOUT
    )
    with pytest.raises(errors.BrokerUnavailableError):
        await asyncio.wait_for(consumer.__aenter__(), BOUND)
    assert_log_is_calm(caplog)


async def test_a_broker_that_goes_away_is_a_typed_error_for_producers_and_consumers(
    client: Client,
    fresh_kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    await create_topic(bootstrap, unique_topic)
    topic_spec = spec(unique_topic)
    value = ts.TelescopeCommand.fake()
    producer = client.producer(bootstrap, registry_url, spec=topic_spec, broker_timeout=TIMEOUT)
    consumer = client.consumer(
        bootstrap, registry_url, unique_group, spec=topic_spec, broker_timeout=TIMEOUT
    )
    await producer.__aenter__()
    await consumer.__aenter__()
    try:
        await producer.send(value, key="before")
        (record,) = await consumer.take(1)
        assert record.value == value
        caplog.set_level(logging.WARNING)
        fresh_kafka_broker.kill()
        with pytest.raises(errors.BrokerUnavailableError) as sent:
            await asyncio.wait_for(producer.send(value, key="during"), BOUND)
        assert sent.value.topic == unique_topic
        with pytest.raises(errors.BrokerUnavailableError) as consumed:
            await asyncio.wait_for(consumer.consume(lambda v: None), BOUND)
        assert unique_topic in str(consumed.value)
        assert_log_is_calm(caplog)
    finally:
        for side in (consumer, producer):
            # Closing without a broker may fail: the test is about what came before.
            with contextlib.suppress(errors.KafkaClientError, TimeoutError):
                await asyncio.wait_for(side.__aexit__(None, None, None), BOUND)
