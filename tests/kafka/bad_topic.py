"""A topic of one partition with good messages between undecodable ones, for the `on_error`
tests: a wrong magic byte, an unknown schema id, a truncated body, garbage after a valid header,
a tombstone (not an error: skipped on this topic without tombstones) and a garbage key. Written
with aiokafka's plain producer (raw bytes, as another client would)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import telescope_schemas as ts
from aiokafka import AIOKafkaProducer
from telescope_schemas._runtime.serde import PlainCodec, RecordCodec, TopicSpec

from tests.fixtures_kafka import create_topic


@dataclass
class BadTopic:
    topic: str
    spec: TopicSpec[str, Any]
    values: list[Any]  # the good values, in order
    bad_offsets: list[int]  # undecodable: these follow on_error
    raw: list[bytes | None]
    tombstone_offset: int  # skipped with a warning whatever on_error says


async def fill_bad_topic(bootstrap: str, registry_url: str, topic: str) -> BadTopic:
    """One partition: good messages between a wrong magic byte, an unknown schema id, a
    truncated body, garbage after a valid header, a tombstone (no value: not an error, skipped
    on this topic without tombstones) and garbage keys."""
    spec = TopicSpec(topic, RecordCodec(ts.TelescopeCommand), PlainCodec('"string"'))
    await create_topic(bootstrap, topic)
    good = [ts.TelescopeCommand.fake() for _ in range(4)]
    async with ts.TelescopeCommandsProducer(bootstrap, registry_url, spec=spec) as producer:
        framed = [await producer.serde.serialize(v) for v in good]
        tomb_key = await producer.serde.serialize_key("tomb")
    key = b"\x00" + framed[0][1:5] + b"\x02k"  # a key framed with the *value's* schema id
    messages: list[tuple[bytes | None, bytes | None]] = [
        (None, framed[0]),
        (None, b"\x01" + framed[1][1:]),  # wrong magic byte
        (None, framed[1]),
        (None, b"\x00\x00\x01\x00\x00" + framed[2][5:]),  # unknown schema id 65536
        (None, framed[2][: len(framed[2]) // 2]),  # truncated body
        (None, framed[2][:5] + b"\x06abc" + b"\xff" * 30),  # garbage after a valid header
        (tomb_key, None),  # no value (a tombstone)
        (key, framed[2]),  # the key does not decode
        (None, framed[2]),
        (None, framed[3]),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for k, v in messages:
            await producer.send_and_wait(topic, v, key=k, headers=[("h", b"1")])
    finally:
        await producer.stop()
    return BadTopic(
        topic,
        spec,
        [good[0], good[1], good[2], good[3]],
        [1, 3, 4, 5, 7],
        [v for _, v in messages],
        6,
    )
