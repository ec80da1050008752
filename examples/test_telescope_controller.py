"""Tests of the example service (`telescope_controller.py`) written as a service's own tests
would be: avrobind's pytest fixtures only (`avrobind_kafka`, `avrobind_registry`), the
generated classes, and no broker, registry or socket (see conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telescope_schemas import (
    AckStatus,
    CommandType,
    SkyPosition,
    TelescopeAcknowledgmentsConsumer,
    TelescopeAcknowledgmentsSerde,
    TelescopeCommand,
    TelescopeCommandsProducer,
    TelescopeCommandsSerde,
)

from examples.telescope_controller import DEAD_LETTERS, Controller

COMMANDS = "telescope.commands"
ACKS = "telescope.acknowledgments"


def command(kind: CommandType = CommandType.SLEW, **fields: Any) -> TelescopeCommand:
    fake = TelescopeCommand.fake()
    fake.command_type = kind
    fake.target = fields.get("target", SkyPosition(ra_deg=83.6, dec_deg=22.0))
    return fake


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


@contextlib.asynccontextmanager
async def running(*controllers: Controller) -> AsyncIterator[None]:
    """The controllers' loops run in tasks inside the block; cancelled after it."""
    async with contextlib.AsyncExitStack() as stack:
        for controller in controllers:
            await stack.enter_async_context(controller)
        tasks = [asyncio.create_task(c.run()) for c in controllers]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def test_every_command_is_acknowledged(avrobind_kafka: Any, avrobind_registry: Any) -> None:
    sent = [command(), command(target=None), command(CommandType.PARK, target=None)]
    async with TelescopeCommandsProducer(avrobind_kafka, avrobind_registry) as producer:
        for i, c in enumerate(sent):
            await producer.send(c, key=f"scope-{i}", headers={"origin": b"ui"})

    async with running(Controller(avrobind_kafka, avrobind_registry)):
        await until(lambda: len(avrobind_kafka.messages(ACKS)) == 3)

    # What the topic holds, read back with the generated consumer (typed) in its own group.
    async with TelescopeAcknowledgmentsConsumer(
        avrobind_kafka, avrobind_registry, "audit"
    ) as consumer:
        acks = []
        async for record in consumer:
            acks.append(record)
            if len(acks) == 3:
                break
    assert [(r.key, r.value.command_id) for r in acks] == [
        (f"scope-{i}", c.command_id) for i, c in enumerate(sent)
    ]
    assert [r.value.status for r in acks] == [
        AckStatus.ACCEPTED,
        AckStatus.REJECTED,  # a slew without a target
        AckStatus.ACCEPTED,
    ]
    assert all(r.header("controller") == b"controller" and r.timestamp > 0 for r in acks)
    # The controller's group committed all three commands (the next offset to read is 3).
    assert avrobind_kafka.committed("telescope-controller", COMMANDS) == {0: 3}


async def test_two_controllers_share_the_partitions_and_commit_for_each_other(
    avrobind_kafka: Any, avrobind_registry: Any
) -> None:
    avrobind_kafka.create_topic(COMMANDS, partitions=4)
    first, second = (
        Controller(avrobind_kafka, avrobind_registry, name=name) for name in ("first", "second")
    )
    async with TelescopeCommandsProducer(avrobind_kafka, avrobind_registry) as producer:
        await producer.send_batch([command() for _ in range(2)])  # round-robin: no keys
        async with running(first):
            await until(lambda: first.handled == 2)
            async with running(second):  # joins the group: partitions are shared out
                for i in range(20):
                    await producer.send(command(), key=f"scope-{i}")
                await until(lambda: first.handled + second.handled == 22)
    assert first.handled and second.handled
    # Keys went to partitions by Kafka's murmur2 partitioner, like any Kafka client's.
    by_key = {m.key: m.partition for m in avrobind_kafka.messages(COMMANDS) if m.key}
    assert len(set(by_key.values())) > 1
    committed = avrobind_kafka.committed("telescope-controller", COMMANDS)
    ends = avrobind_kafka.broker.end_offsets(COMMANDS)
    assert committed == ends and sum(committed.values()) == 22

    # A restarted controller starts where the group left off: only new commands.
    async with TelescopeCommandsProducer(avrobind_kafka, avrobind_registry) as producer:
        await producer.send(command(), key="late")
    again = Controller(avrobind_kafka, avrobind_registry, name="again")
    async with running(again):
        await until(lambda: len(avrobind_kafka.messages(ACKS)) == 23)
    assert again.handled == 1


async def test_poison_pills_go_to_the_dead_letter_topic(
    avrobind_kafka: Any, avrobind_registry: Any
) -> None:
    serde = TelescopeCommandsSerde(schema_registry_url=avrobind_registry)
    framed = serde.serialize(command())
    keys = [serde.serialize_key(k) for k in ("json-1", "cut-1", "good-1")]
    # Written as another client would write them: no Confluent framing, and a cut-off body.
    avrobind_kafka.inject(COMMANDS, b'{"command": "slew"}', key=keys[0], headers={"h": "1"})
    avrobind_kafka.inject(COMMANDS, framed[:8], key=keys[1])
    avrobind_kafka.inject(COMMANDS, framed, key=keys[2])

    controller = Controller(avrobind_kafka, avrobind_registry)
    async with running(controller):
        await until(lambda: controller.handled == 1)
        await until(lambda: avrobind_kafka.committed("telescope-controller", COMMANDS) == {0: 3})

    dead = avrobind_kafka.messages(DEAD_LETTERS)
    assert [(m.key, m.value) for m in dead] == [
        (keys[0], b'{"command": "slew"}'),
        (keys[1], framed[:8]),
    ]
    headers = [dict(m.headers) for m in dead]
    assert headers[0]["h"] == b"1"  # the original headers come first
    assert [h["avrobind.error.class"] for h in headers] == [
        b"InvalidMagicByteError",
        b"TruncatedMessageError",
    ]
    assert [h["avrobind.error.offset"] for h in headers] == [b"0", b"1"]
    # What a topic holds, decoded with the topic's Serde.
    acks = TelescopeAcknowledgmentsSerde(schema_registry_url=avrobind_registry)
    (ack,) = avrobind_kafka.messages(ACKS)
    assert acks.deserialize_key(ack.key) == "good-1"
    assert acks.deserialize(ack.value).status is AckStatus.ACCEPTED


async def test_a_tombstone_from_another_client_is_skipped_and_committed_past(
    avrobind_kafka: Any, avrobind_registry: Any, caplog: pytest.LogCaptureFixture
) -> None:
    serde = TelescopeCommandsSerde(schema_registry_url=avrobind_registry)
    async with TelescopeCommandsProducer(avrobind_kafka, avrobind_registry) as producer:
        await producer.send(command(), key="a")
        # A tombstone (a key, no value), which this topic is not configured for.
        avrobind_kafka.inject(COMMANDS, None, key=serde.serialize_key("a"))
        await producer.send(command(), key="b")

    controller = Controller(avrobind_kafka, avrobind_registry)
    async with running(controller):
        await until(lambda: controller.handled == 2)
        await until(lambda: avrobind_kafka.committed("telescope-controller", COMMANDS) == {0: 3})
    acks = TelescopeAcknowledgmentsSerde(schema_registry_url=avrobind_registry)
    assert [acks.deserialize_key(m.key) for m in avrobind_kafka.messages(ACKS)] == ["a", "b"]
    assert avrobind_kafka.messages(DEAD_LETTERS) == []  # a tombstone is not an error
    assert any("skipping a tombstone" in r.getMessage() for r in caplog.records)


def test_the_guard_refuses_sockets(no_network: list[Any]) -> None:
    import socket

    with socket.socket() as sock, pytest.raises(AssertionError, match="tried to connect"):
        sock.connect(("127.0.0.1", 9))
    assert no_network == [("127.0.0.1", 9)]
    no_network.clear()  # seen: the teardown check has nothing left to report
