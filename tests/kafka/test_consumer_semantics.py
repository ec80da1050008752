"""The consumers' semantics, once for every client (the `client` fixture: aiokafka, confluent
async, confluent sync), through a real broker (tansu) and registry.

At least once: a record counts as handled only once its handler returned (or its loop asked for
the next one); a failure leaves it uncommitted and read again; a rebalance loses nothing.
`on_error` (raise / skip / dead letter), unknown schema ids, tombstones and batches behave the
same on every client. Committed offsets are read back from the broker, not from the consumer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import telescope_schemas as ts
from telescope_schemas._runtime import errors
from telescope_schemas._runtime.kafka import Message, Record
from telescope_schemas._runtime.serde import PlainCodec, RecordCodec, TopicSpec

from tests.fixtures_kafka import KafkaBroker, committed_offsets, create_topic, read_raw
from tests.kafka.bad_topic import fill_bad_topic
from tests.kafka.clients import Client

pytestmark = pytest.mark.kafka


def command_spec(topic: str, *, tombstones: bool = False) -> TopicSpec[str, Any]:
    return TopicSpec(
        topic, RecordCodec(ts.TelescopeCommand), PlainCodec('"string"'), tombstones=tombstones
    )


async def fill(
    client: Client, bootstrap: str, registry_url: str, topic: str, count: int, partitions: int = 1
) -> list[Any]:
    await create_topic(bootstrap, topic, partitions)
    values = [ts.TelescopeCommand.fake() for _ in range(count)]
    async with client.producer(bootstrap, registry_url, spec=command_spec(topic)) as producer:
        await producer.send_batch(Message(v, key=f"k{i}") for i, v in enumerate(values))
    return values


# --- at least once ---------------------------------------------------------------------------


async def test_an_unfinished_record_is_delivered_again(
    client: Client,
    kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
) -> None:
    bootstrap = kafka_broker.bootstrap
    values = await fill(client, bootstrap, registry_url, unique_topic, 4)
    spec = command_spec(unique_topic)
    async with client.consumer(bootstrap, registry_url, unique_group, spec=spec) as consumer:
        # The loop leaves after the second record: it did not finish it, so it is not handled.
        seen = await consumer.iterate(2)
    assert [r.value for r in seen] == values[:2]
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 1}
    async with client.consumer(bootstrap, registry_url, unique_group, spec=spec) as consumer:
        again = await consumer.take(3)
    assert [r.value for r in again] == values[1:]
    assert all(isinstance(r, Record) and isinstance(r.value, ts.TelescopeCommand) for r in again)
    assert [r.key for r in again] == ["k1", "k2", "k3"]


async def test_handler_failure_commits_only_what_succeeded(
    client: Client,
    kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
) -> None:
    bootstrap = kafka_broker.bootstrap
    values = await fill(client, bootstrap, registry_url, unique_topic, 5)  # one fetch
    handled: list[Any] = []

    def handler(value: Any) -> None:
        if len(handled) == 2:
            raise RuntimeError("handler crashed")
        handled.append(value)

    spec = command_spec(unique_topic)
    async with client.consumer(bootstrap, registry_url, unique_group, spec=spec) as consumer:
        with pytest.raises(RuntimeError, match="handler crashed"):
            await consumer.consume(handler)
        assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 2}
        # Consuming again starts with the record that failed, not after it.
        rest = await consumer.consume_n(3, records=False)
    assert handled == values[:2]
    assert rest == values[2:]
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 5}


async def test_a_rebalance_loses_nothing(
    client: Client,
    kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
) -> None:
    bootstrap = kafka_broker.bootstrap
    spec = command_spec(unique_topic)
    await create_topic(bootstrap, unique_topic, partitions=4)
    total = 40
    seen: dict[str, list[tuple[int, int]]] = {"first": [], "second": []}
    members: dict[str, Any] = {}
    stop = asyncio.Event()

    async def member(name: str) -> None:
        def handler(record: Record[str, Any]) -> None:
            time.sleep(0.01)  # slow enough for the rebalance to land mid-stream
            seen[name].append((record.partition, record.offset))

        async with client.consumer(bootstrap, registry_url, unique_group, spec=spec) as consumer:
            members[name] = consumer
            await consumer.run(handler, stop)

    async def until(condition: Callable[[], bool]) -> None:
        async def poll() -> None:
            while not condition():
                await asyncio.sleep(0.05)

        await asyncio.wait_for(poll(), 60)

    def holds(name: str) -> set[int]:
        return members[name].assignment() if name in members else set()

    tasks = [asyncio.create_task(member("first"))]
    try:
        async with client.producer(bootstrap, registry_url, spec=spec) as producer:
            await producer.send_batch(
                Message(ts.TelescopeCommand.fake(), key=f"a{i}") for i in range(total // 2)
            )
            await until(lambda: holds("first") == {0, 1, 2, 3} and len(seen["first"]) > 0)
            # A second member joins while the first is consuming: the group rebalances.
            tasks.append(asyncio.create_task(member("second")))
            await until(lambda: bool(holds("second")) and len(holds("first")) < 4)
            assert holds("first") | holds("second") == {0, 1, 2, 3}
            for i in range(total // 2):
                await producer.send(ts.TelescopeCommand.fake(), key=f"b{i}")
        await until(lambda: len(set(seen["first"] + seen["second"])) == total)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    # Every message was handled (at least once), and the commits cover all of them.
    handled = set(seen["first"] + seen["second"])
    committed = await committed_offsets(bootstrap, unique_group, unique_topic)
    assert handled == {(p, o) for p, end in committed.items() for o in range(end)}
    assert sum(committed.values()) == total
    assert seen["second"]  # the second member did take over partitions


# --- on_error ----------------------------------------------------------------------------------


async def test_on_error_raise_stops_at_the_bad_message_and_never_commits_past_it(
    client: Client,
    kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
) -> None:
    bootstrap = kafka_broker.bootstrap
    bad = await fill_bad_topic(bootstrap, registry_url, unique_topic)
    expected = [
        (1, errors.InvalidMagicByteError),
        (3, errors.UnknownSchemaIdError),
        (4, errors.TruncatedMessageError),
        (5, errors.DeserializationError),
        (7, errors.DeserializationError),  # the tombstone at 6 is skipped on the way
    ]
    async with client.consumer(bootstrap, registry_url, unique_group, spec=bad.spec) as consumer:
        handled: list[Any] = []
        for offset, error_type in expected:
            for _ in range(2):  # consuming again meets the same message again
                with pytest.raises(error_type) as info:
                    await consumer.consume(handled.append)
                assert (info.value.topic, info.value.partition, info.value.offset) == (
                    unique_topic,
                    0,
                    offset,
                )
                assert f"{unique_topic}[0]@{offset}" in str(info.value)
                assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: offset}
            consumer.skip(info.value)  # the application decides to move past it
        rest = await consumer.consume_n(2, records=False)
    assert handled + rest == bad.values
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 10}


async def test_on_error_skip_logs_and_moves_on(
    client: Client,
    kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bootstrap = kafka_broker.bootstrap
    bad = await fill_bad_topic(bootstrap, registry_url, unique_topic)
    caplog.set_level(logging.WARNING)
    async with client.consumer(
        bootstrap,
        registry_url,
        unique_group,
        spec=bad.spec,
        on_error="skip",
        unknown_schema_ids="on_error",  # this bad id is a bad message, not a registry fault
    ) as consumer:
        records = await consumer.consume_n(len(bad.values))
    assert [r.value for r in records] == bad.values
    assert [r.offset for r in records] == [0, 2, 8, 9]
    skipped = [r for r in caplog.records if "skipping an undecodable message" in r.getMessage()]
    assert len(skipped) == len(bad.bad_offsets)
    assert all(unique_topic in r.getMessage() for r in skipped)
    tombstones = [r for r in caplog.records if "tombstone" in r.getMessage()]
    assert [r.getMessage().split(": ")[0] for r in tombstones] == [
        f"skipping a tombstone (a message without a value) at {unique_topic}[0]@6"
    ]
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 10}


async def test_on_error_dead_letter_forwards_the_raw_message(
    client: Client,
    kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
) -> None:
    bootstrap = kafka_broker.bootstrap
    bad = await fill_bad_topic(bootstrap, registry_url, unique_topic)
    dlq = unique_topic + ".dlq"
    await create_topic(bootstrap, dlq)
    async with client.consumer(
        bootstrap,
        registry_url,
        unique_group,
        spec=bad.spec,
        dead_letter_topic=dlq,
        unknown_schema_ids="on_error",
    ) as consumer:
        assert consumer.raw.on_error == "dead_letter"
        records = await consumer.consume_n(len(bad.values))
    assert [r.value for r in records] == bad.values
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 10}
    dead = await read_raw(bootstrap, dlq, len(bad.bad_offsets))
    # In order, so a dead-lettered tombstone (offset 6) would show here before offset 7's key.
    assert [m.value for m in dead] == [bad.raw[o] for o in bad.bad_offsets]
    classes = []
    for message, offset in zip(dead, bad.bad_offsets, strict=True):
        headers = dict(message.headers)
        assert message.headers[0] == ("h", b"1")  # the original headers come first
        assert headers["avrobind.error.topic"] == unique_topic.encode()
        assert headers["avrobind.error.partition"] == b"0"
        assert headers["avrobind.error.offset"] == str(offset).encode()
        assert headers["avrobind.error.message"]
        classes.append(headers["avrobind.error.class"].decode())
    assert classes == [
        "InvalidMagicByteError",
        "UnknownSchemaIdError",
        "TruncatedMessageError",
        "DeserializationError",
        "DeserializationError",
    ]
    assert dict(dead[1].headers)["avrobind.error.schema_id"] == b"65536"
    assert dead[4].key == b"\x00" + bad.raw[0][1:5] + b"\x02k"  # type: ignore[index]


# --- batches -----------------------------------------------------------------------------------


async def test_batches_are_committed_after_their_loop_body_and_read_again_when_it_fails(
    client: Client,
    kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
) -> None:
    bootstrap = kafka_broker.bootstrap
    values = await fill(client, bootstrap, registry_url, unique_topic, 25)
    spec = command_spec(unique_topic)
    wait = {"timeout": 0.5} if client.sync else {"timeout_ms": 500}
    async with client.consumer(bootstrap, registry_url, unique_group, spec=spec) as consumer:
        first = await consumer.batches(10, max_records=4, **wait)
        assert all(1 <= len(b) <= 4 for b in first)
        done = sum(map(len, first))
        assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: done}

        def crash(batch: list[Any]) -> None:
            raise RuntimeError(f"body failed on a batch of {len(batch)}")

        with pytest.raises(RuntimeError, match="body failed"):
            await consumer.batches(1, crash, max_records=4, **wait)
        assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: done}
        # The failed batch comes again, whole, in the next loop.
        rest = await consumer.batches(25 - done, max_records=100, **wait)
    received = [r for b in first + rest for r in b]
    assert [r.value for r in received] == values
    assert [r.offset for r in received] == list(range(25))
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 25}


async def test_consume_batches_with_dead_letters_and_tombstones(
    client: Client,
    kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
) -> None:
    bootstrap = kafka_broker.bootstrap
    bad = await fill_bad_topic(bootstrap, registry_url, unique_topic)
    dlq = unique_topic + ".dlq"
    await create_topic(bootstrap, dlq)
    batches: list[list[Any]] = []
    failed: list[list[Any]] = []

    def handler(batch: list[Any]) -> None:
        if not failed:
            failed.append(batch)
            raise RuntimeError("the first batch fails")
        batches.append(batch)

    wait = {"max_records": 500, "timeout": 0.3} if client.sync else {"timeout_ms": 300}
    async with client.consumer(
        bootstrap,
        registry_url,
        unique_group,
        spec=bad.spec,
        dead_letter_topic=dlq,
        unknown_schema_ids="on_error",
    ) as consumer:
        with pytest.raises(RuntimeError, match="first batch"):
            await consumer.consume_batches(handler, len(bad.values), **wait)
        assert await committed_offsets(bootstrap, unique_group, unique_topic) == {}
        await consumer.consume_batches(handler, len(bad.values), **wait)
    # The failed batch came again; tombstones were skipped, bad messages dead-lettered once.
    assert [r.value for r in failed[0]] == [r.value for r in batches[0]]
    assert [r.value for b in batches for r in b] == bad.values
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 10}
    # Each bad message was dead-lettered once, though the first batch was read twice.
    dead = await read_raw(bootstrap, dlq, len(bad.bad_offsets) + 1, timeout=2)
    assert [m.value for m in dead] == [bad.raw[o] for o in bad.bad_offsets]


async def test_tombstones_through_every_client(
    client: Client,
    kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
) -> None:
    bootstrap = kafka_broker.bootstrap
    await create_topic(bootstrap, unique_topic)
    spec = command_spec(unique_topic, tombstones=True)
    a, b = ts.TelescopeCommand.fake(), ts.TelescopeCommand.fake()
    async with client.producer(bootstrap, registry_url, spec=spec) as producer:
        await producer.send(a, key="a")
        await producer.send_tombstone("a")
        await producer.send(b, key="b")
    async with client.consumer(bootstrap, registry_url, unique_group, spec=spec) as consumer:
        wait = {"timeout": 0.5} if client.sync else {"timeout_ms": 500}
        batches = await consumer.batches(3, max_records=3, **wait)
    assert [(r.key, r.value) for b in batches for r in b] == [("a", a), ("a", None), ("b", b)]
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 3}


# --- unknown schema ids (a registry that lost its data) ------------------------------------------


async def test_unknown_schema_ids_raise_by_default_even_with_skip(
    client: Client,
    kafka_broker: KafkaBroker,
    registry_servers: Any,
    unique_topic: str,
    unique_group: str,
) -> None:
    """An in-memory registry restarted: every id it handed out is gone. A consumer with
    on_error="skip" must not skip (and commit past) the whole topic: it raises and commits
    nothing, until told that unknown ids are bad messages."""
    bootstrap = kafka_broker.bootstrap
    server = registry_servers.start()
    async with httpx.AsyncClient(base_url=server.url) as http:
        for i in range(2):  # other subjects first: the topic's ids are not 1 and 2
            schema = {"type": "record", "name": f"Other{i}", "fields": []}
            answer = await http.post(
                f"/subjects/other-{i}/versions", json={"schema": json.dumps(schema)}
            )
            answer.raise_for_status()
    values = await fill(client, bootstrap, server.url, unique_topic, 3)
    server.restart()  # in memory: the registry lost its data, and will hand out 1, 2 again
    spec = command_spec(unique_topic)
    async with client.consumer(
        bootstrap, server.url, unique_group, spec=spec, on_error="skip"
    ) as consumer:
        for _ in range(2):
            with pytest.raises(errors.UnknownSchemaIdError) as info:
                await consumer.consume(lambda v: None)
            assert info.value.offset == 0
            assert "unknown_schema_ids='on_error'" in "\n".join(info.value.__notes__)
        assert await committed_offsets(bootstrap, unique_group, unique_topic) == {}
    # Explicitly asked for: unknown ids are skipped like any undecodable message.
    async with client.consumer(
        bootstrap,
        server.url,
        unique_group,
        spec=spec,
        on_error="skip",
        unknown_schema_ids="on_error",
    ) as consumer:
        # One message of the re-registered schema, so that there is something to read.
        async with client.producer(bootstrap, server.url, spec=spec) as producer:
            await producer.send(values[0], key="again")
        (record,) = await consumer.consume_n(1)
    assert (record.key, record.value, record.offset) == ("again", values[0], 3)
    assert await committed_offsets(bootstrap, unique_group, unique_topic) == {0: 4}
