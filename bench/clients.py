"""Produce and consume rows per Kafka client through tansu, for `make bench` (bench/run.py).

For each client the per-topic classes run on -- aiokafka (async), confluent-kafka bridged to
asyncio (`client="confluent"`), confluent-kafka synchronous (the Sync classes) -- messages per
second of:

- produce with the generated classes: `send_batch` of medium records (async) or `produce` each
  then `flush` (sync), encoding included, until every message is acknowledged;
- produce pre-encoded bytes through the same client's transport (avrobind's transport layer,
  no serde), to show what the serde costs and what the transport costs;
- consume with the generated classes: iterate the records (decoding included);
- consume pre-encoded bytes through the transport's `fetch`.

Two more rows measure confluent-kafka's own asyncio classes (`confluent_kafka.aio.AIOProducer`
and `AIOConsumer`) on the same bytes: the alternative to avrobind's bridge for
`client="confluent"`. Every row is the median of `ROUNDS` rounds, each on fresh topics of one
partition, `COUNT` messages of the medium record (151 bytes), after one untimed warm-up message
(registration, metadata, the group join). Consuming pre-encoded bytes mostly measures how much
the client had fetched ahead by the time the first message arrived (librdkafka fetches far
ahead): read it as "not the bottleneck" rather than as a ranking.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

COUNT = 20_000
ROUNDS = 3  # the median of three rounds (a broker on a shared machine is noisy)
CLIENTS = ("aiokafka", "confluent", "sync")
LABELS = {
    "aiokafka": "aiokafka (async)",
    "confluent": 'confluent-kafka, async (`client="confluent"`)',
    "sync": "confluent-kafka, sync (`SyncProducer`/`SyncConsumer`)",
    "aio": "confluent-kafka's own `confluent_kafka.aio` (AIOProducer/AIOConsumer)",
}


def _group() -> dict[str, Any]:
    from tests.fixtures_kafka import CONFLUENT_GROUP_OPTIONS, GROUP_OPTIONS

    return {
        "aiokafka": GROUP_OPTIONS,
        "confluent": CONFLUENT_GROUP_OPTIONS,
        "sync": CONFLUENT_GROUP_OPTIONS,
    }


async def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    result = fn()
    if asyncio.iscoroutine(result):
        await result
    return time.perf_counter() - start


async def client_rows(
    pkg: Any, bootstrap: str, registry_url: str, make: Callable[[int], Any], count: int = COUNT
) -> dict[str, dict[str, float]]:
    """{client: {"produce": msg/s, "produce bytes": ..., "consume": ..., "consume bytes": ...}}
    for the generated package `pkg` (its `BenchMedium*` classes); `make(i)` is the i-th value."""
    from tests.fixtures_kafka import create_topic

    objs = [make(i) for i in range(count)]
    warm = make(count)
    rounds: list[dict[str, dict[str, float]]] = []
    for n in range(ROUNDS):
        out: dict[str, dict[str, float]] = {}
        for client in CLIENTS:
            print(f"  round {n + 1}, {client}...", file=sys.stderr)
            row: dict[str, float] = {}
            topic = f"bench.clients.{client}.{uuid.uuid4().hex[:6]}"
            raw_topic = topic + ".raw"
            await create_topic(bootstrap, topic)
            await create_topic(bootstrap, raw_topic)
            spec = pkg._runtime.serde.TopicSpec(
                topic,
                pkg._runtime.serde.RecordCodec(pkg.Medium),
                pkg._runtime.serde.PlainCodec('"string"'),
            )
            framed = await _produce_generated(
                pkg, client, bootstrap, registry_url, spec, warm, objs, row
            )
            await _produce_bytes(pkg, client, bootstrap, raw_topic, framed, row)
            await _consume_generated(pkg, client, bootstrap, registry_url, spec, count, row)
            await _consume_bytes(pkg, client, bootstrap, raw_topic, count, row)
            out[client] = row
        topic = f"bench.clients.aio.{uuid.uuid4().hex[:6]}"
        await create_topic(bootstrap, topic)
        out["aio"] = await _aio_module(bootstrap, topic, framed)
        rounds.append(out)
    return {
        name: {key: statistics.median(r[name][key] for r in rounds) for key in rounds[0][name]}
        for name in rounds[0]
    }


async def _produce_generated(
    pkg: Any,
    client: str,
    bootstrap: str,
    registry_url: str,
    spec: Any,
    warm: Any,
    objs: list[Any],
    row: dict[str, float],
) -> list[bytes]:
    count = len(objs)
    if client == "sync":
        producer = pkg.BenchMediumSyncProducer(bootstrap, registry_url, spec=spec)

        def produce() -> None:
            for o in objs:
                producer.produce(o)
            assert producer.flush(60) == 0

        with producer:
            producer.produce(warm, key="warm")
            producer.flush(30)
            elapsed = await asyncio.to_thread(lambda: _run_timed(produce))
            framed = [producer.serde.serialize(o) for o in objs]
    else:
        options: dict[str, Any] = (
            {"linger_ms": 5} if client == "aiokafka" else {"client": "confluent", "linger.ms": 5}
        )
        async with pkg.BenchMediumProducer(
            bootstrap, registry_url, spec=spec, **options
        ) as producer:
            await producer.send(warm, key="warm")
            elapsed = await _timed(lambda: producer.send_batch(objs))
            framed = [producer.serde.value.serialize_now(o) for o in objs]
    row["produce"] = count / elapsed
    return framed


def _run_timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


async def _produce_bytes(
    pkg: Any, client: str, bootstrap: str, topic: str, framed: list[bytes], row: dict[str, float]
) -> None:
    TRANSPORTS = pkg._runtime.kafka.transports.CLIENTS

    if client == "sync":
        transport = TRANSPORTS["confluent"].sync_producer(bootstrap, {"linger.ms": 5}, 30.0)
        transport.start()

        def delivered(delivery: Any, error: Any) -> None:
            assert error is None, error

        def produce() -> None:
            for data in framed:
                transport.produce(topic, data, None, None, None, None, delivered)
                transport.poll(0)
            assert transport.flush(60) == 0

        transport.produce(topic, b"warm", None, None, None, None, delivered)  # untimed
        transport.flush(30)
        elapsed = await asyncio.to_thread(lambda: _run_timed(produce))
        transport.close()
    else:
        name = "aiokafka" if client == "aiokafka" else "confluent"
        options = {"linger_ms": 5} if client == "aiokafka" else {"linger.ms": 5}
        transport = TRANSPORTS[name].async_producer(bootstrap, options, 30.0)
        await transport.start()
        await (await transport.send(topic, b"warm", None, None, None, None))  # untimed

        batch = [(data, None, None, None, None) for data in framed]
        elapsed = await _timed(lambda: transport.send_batch(topic, batch))
        await transport.stop()
    row["produce bytes"] = len(framed) / elapsed


async def _consume_generated(
    pkg: Any,
    client: str,
    bootstrap: str,
    registry_url: str,
    spec: Any,
    count: int,
    row: dict[str, float],
) -> None:
    group = f"bench-{client}-{uuid.uuid4().hex[:6]}"
    options = _group()[client]
    if client == "sync":
        with pkg.BenchMediumSyncConsumer(
            bootstrap, registry_url, group, spec=spec, **options
        ) as consumer:

            def consume() -> float:
                iterator = iter(consumer)
                next(iterator)  # the warm-up message: the group has joined
                start = time.perf_counter()
                for _ in range(count):
                    record = next(iterator)
                    assert isinstance(record.value, pkg.Medium)
                return time.perf_counter() - start

            elapsed = await asyncio.to_thread(consume)
    else:
        extra = {} if client == "aiokafka" else {"client": "confluent"}
        async with pkg.BenchMediumConsumer(
            bootstrap, registry_url, group, spec=spec, **extra, **options
        ) as consumer:
            iterator = consumer.__aiter__()
            await iterator.__anext__()
            start = time.perf_counter()
            for _ in range(count):
                record = await iterator.__anext__()
                assert isinstance(record.value, pkg.Medium)
            elapsed = time.perf_counter() - start
    row["consume"] = count / elapsed


async def _consume_bytes(
    pkg: Any, client: str, bootstrap: str, topic: str, count: int, row: dict[str, float]
) -> None:
    TRANSPORTS = pkg._runtime.kafka.transports.CLIENTS

    group = f"bench-raw-{client}-{uuid.uuid4().hex[:6]}"
    options = _group()[client]
    name = "aiokafka" if client == "aiokafka" else "confluent"
    if client == "sync":
        transport = TRANSPORTS[name].sync_consumer(bootstrap, group, options, 30.0)

        def consume() -> float:
            transport.start([topic], lambda tps: {})
            got = 0
            while got == 0:
                got = len(transport.fetch(500, 1))
            start = time.perf_counter()
            got = 0
            while got < count:
                got += len(transport.fetch(500, 500))
            elapsed = time.perf_counter() - start
            transport.stop()
            return elapsed

        elapsed = await asyncio.to_thread(consume)
    else:
        transport = TRANSPORTS[name].async_consumer(bootstrap, group, options, 30.0)
        await transport.start([topic], lambda tps: {})
        got = 0
        while got == 0:
            got = len(await transport.fetch(500, 1))
        start = time.perf_counter()
        got = 0
        while got < count:
            got += len(await transport.fetch(500, 500))
        elapsed = time.perf_counter() - start
        await transport.stop()
    row["consume bytes"] = count / elapsed


async def _aio_module(bootstrap: str, topic: str, framed: list[bytes]) -> dict[str, float]:
    """confluent-kafka's own asyncio producer and consumer, on the same bytes."""
    from confluent_kafka.aio import AIOConsumer, AIOProducer

    from tests.fixtures_kafka import CONFLUENT_GROUP_OPTIONS

    producer = AIOProducer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    await (await producer.produce(topic, value=b"warm"))

    async def produce() -> None:
        futures = [await producer.produce(topic, value=data) for data in framed]
        await asyncio.gather(*futures)

    produced = await _timed(produce)
    await producer.close()
    consumer = AIOConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-aio-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            **CONFLUENT_GROUP_OPTIONS,
        }
    )
    await consumer.subscribe([topic])
    got = 0
    while got == 0:
        got = len(await consumer.consume(1, 0.5))
    start = time.perf_counter()
    got = 0
    while got < len(framed):
        got += len(await consumer.consume(500, 0.5))
    consumed = time.perf_counter() - start
    await consumer.close()
    return {"produce bytes": len(framed) / produced, "consume bytes": len(framed) / consumed}


def table(rows: dict[str, dict[str, float]]) -> str:
    """The Markdown table of `client_rows`."""

    def cell(row: dict[str, float], key: str) -> str:
        return f"{row[key]:,.0f}" if key in row else ""

    out = [
        (
            f"| client (through tansu, {COUNT:,} medium records, median of {ROUNDS}) | produce, generated classes "
            "msg/s | produce, pre-encoded bytes msg/s | consume, generated classes msg/s "
            "| consume, pre-encoded bytes msg/s |"
        ),
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        out.append(
            f"| {LABELS[name]} | {cell(row, 'produce')} | {cell(row, 'produce bytes')} "
            f"| {cell(row, 'consume')} | {cell(row, 'consume bytes')} |"
        )
    return "\n".join(out) + "\n"


def main() -> None:
    """Only these rows: `python bench/clients.py` (prints the table; RESULTS.md is left alone)."""
    import importlib
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    import run  # bench/run.py: the registry, tansu and the benchmark's data

    work = Path(tempfile.mkdtemp(prefix="avrobind-bench-clients-"))
    registry = run.Registry(work)
    broker = None
    try:
        config = work / "bench.toml"
        config.write_text(
            f'[tool.avrobind]\nschemas = "{run.SCHEMAS}"\nout = "{work / "pkg"}"\n'
            f'package = "avrobind_bench"\nregistry = "{registry.url}"\n\n'
            '[tool.avrobind.topics."bench.medium"]\nvalue = "bench.Medium"\nkey = "string"\n'
        )
        subprocess.run(
            [*run.AVROBIND, "generate", "--config", str(config)],
            cwd=run.REPO,
            check=True,
            capture_output=True,
        )
        sys.path.insert(0, str(work / "pkg"))
        pkg = importlib.import_module("avrobind_bench")
        broker, bootstrap = run.start_tansu(work)
        rows = asyncio.run(
            client_rows(
                pkg, bootstrap, registry.url, lambda i: pkg.Medium.from_avro(run.medium_values(i))
            )
        )
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(timeout=10)
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(table(rows))


if __name__ == "__main__":
    main()
