"""Reading a topic in tests: through the generated consumers, and through confluent-kafka.

- `take(consumer, count)`: `async for` until `count` records, then commit them all;
- `consume_n(consumer, count, records=True)`: `consume_records` (or `consume`) until `count`
  were handled, then cancel it;
- `confluent_read(bootstrap, topic, count)`: a plain confluent-kafka `Consumer` (keys and
  values as bytes, None for a tombstone); `assigned_read(consumer, topic, count)` does the
  reading for any confluent-kafka consumer, e.g. a `DeserializingConsumer`. Both are blocking
  (run them in a thread) and assign every partition from offset 0, which reads at once: a
  subscribe() would wait for tansu's group join (see tests/fixtures_kafka.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from confluent_kafka import Consumer
from confluent_kafka import TopicPartition as ConfluentPartition


async def consume_n(
    consumer: Any, count: int, *, records: bool = True, timeout: float = 30.0
) -> list[Any]:
    """Run `consume_records` (or `consume`) until at least `count` were handled, then cancel."""
    got: list[Any] = []
    enough = asyncio.Event()

    def handler(item: Any) -> None:
        got.append(item)
        if len(got) >= count:
            enough.set()

    task = asyncio.create_task(
        consumer.consume_records(handler) if records else consumer.consume(handler)
    )
    waiter = asyncio.create_task(enough.wait())
    done, _ = await asyncio.wait(
        {task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    waiter.cancel()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    if task in done and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
    assert len(got) >= count, f"handled {len(got)} of {count} within {timeout} s"
    return got


async def take(consumer: Any, count: int, timeout: float = 30.0) -> list[Any]:
    """`async for` over the consumer until `count` records; commits them all."""

    async def loop() -> list[Any]:
        got = []
        async for record in consumer:
            got.append(record)
            if len(got) == count:
                await consumer.commit()
                break
        return got

    return await asyncio.wait_for(loop(), timeout)


def assigned_read(consumer: Any, topic: str, count: int) -> list[Any]:
    """The first `count` messages of every partition of `topic` (then closes `consumer`)."""
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([ConfluentPartition(topic, p, 0) for p in partitions])
        out: list[Any] = []
        for _ in range(300):
            if len(out) >= count:
                break
            message = consumer.poll(0.1)
            if message is not None and message.error() is None:
                out.append(message)
        return out
    finally:
        consumer.close()


def confluent_read(bootstrap: str, topic: str, count: int) -> list[Any]:
    """A plain confluent-kafka Consumer's first `count` messages of `topic`."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"ck-{uuid.uuid4().hex[:6]}",
            "enable.auto.commit": False,
        }
    )
    return assigned_read(consumer, topic, count)
