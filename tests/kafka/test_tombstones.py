"""Tombstones (messages without a value) on compacted topics (`tombstones = true`) and elsewhere.

Tombstones are written by a plain confluent-kafka `Producer` (value=None) and by
`send_tombstone`, read by the generated consumer and by confluent-kafka's consumers. Committed
offsets are read back from the broker; the warning of a skipped tombstone is read from the log.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import telescope_schemas as ts
from telescope_schemas._runtime import errors as ts_errors

from tests.fixtures_kafka import (
    GROUP_OPTIONS,
    KafkaBroker,
    committed_offsets,
    create_topic,
    read_raw,
)
from tests.fixtures_registry import RegistryServers
from tests.kafka import compacted
from tests.kafka.consuming import confluent_read, consume_n, take
from tests.kafka.seed_models import SeedCommand

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return compacted.generate_package(tmp_path_factory.mktemp("shop"))


# --- the serde -----------------------------------------------------------------------------


def test_serde_deserialize_none(shop: ModuleType) -> None:
    # The registry is never asked: a tombstone has no schema id (the URL is not listening).
    with shop.ShopStockSerde("http://127.0.0.1:9") as serde:
        assert serde.deserialize(None) is None
    with (
        shop.ShopEventsSerde("http://127.0.0.1:9") as serde,
        pytest.raises(shop._runtime.errors.TombstoneError) as info,
    ):
        serde.deserialize(None)
    assert isinstance(info.value, shop._runtime.errors.DeserializationError)
    assert not isinstance(info.value, TypeError)
    assert info.value.field == "value"
    assert "topic 'shop.events' is not configured with tombstones = true" in str(info.value)
    # The tombstone serde needs a spec that has tombstones.
    with pytest.raises(ValueError, match="tombstones=True"):
        shop._runtime.serde.TombstoneTopicSerde(
            "http://127.0.0.1:9", spec=shop.ShopEventsSerde.SPEC
        )


# --- reading tombstones --------------------------------------------------------------------


@pytest.mark.kafka
async def test_a_confluent_tombstone_is_yielded_on_a_tombstone_topic(
    fresh_kafka_broker: KafkaBroker, registry_url: str, shop: ModuleType
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    await create_topic(bootstrap, "shop.stock")
    a, b = shop.Stock(sku="a", count=1), shop.Stock(sku="b", count=2)
    items = [("sku-a", a), ("sku-b", b), ("sku-a", None), ("sku-b", b)]
    await asyncio.to_thread(
        compacted.confluent_produce, bootstrap, registry_url, "shop.stock", items
    )
    group = f"g-{uuid.uuid4().hex[:6]}"
    async with shop.ShopStockConsumer(bootstrap, registry_url, group, **GROUP_OPTIONS) as consumer:
        records = await take(consumer, len(items))
    assert [(r.key, r.value) for r in records] == items
    assert [r.offset for r in records] == [0, 1, 2, 3]
    assert await committed_offsets(bootstrap, group, "shop.stock") == {0: 4}


@pytest.mark.kafka
@pytest.mark.parametrize("on_error", ["raise", "dead_letter"])
async def test_a_tombstone_on_a_topic_without_tombstones_is_skipped_committed_and_logged_once(
    fresh_kafka_broker: KafkaBroker,
    registry_url: str,
    shop: ModuleType,
    caplog: pytest.LogCaptureFixture,
    on_error: str,
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    await create_topic(bootstrap, "shop.events")
    a, b, c = (shop.Stock(sku=s, count=i) for i, s in enumerate("abc"))
    items: list[tuple[str, Any]] = [("sku-a", a), ("sku-a", None), ("sku-b", b)]
    options: dict[str, Any] = {"on_error": on_error, **GROUP_OPTIONS}
    if on_error == "dead_letter":
        options["dead_letter_topic"] = "shop.events.dlq"
        await create_topic(bootstrap, "shop.events.dlq")
        # Then a message that does go to the dead-letter topic, another tombstone, a value:
        # the bad message must be the first one there (a dead-lettered tombstone would be).
        items += [("sku-c", b"\x01not avro"), ("sku-c", None), ("sku-c", c)]
    await asyncio.to_thread(
        compacted.confluent_produce, bootstrap, registry_url, "shop.events", items
    )
    caplog.set_level(logging.WARNING)
    group = f"g-{uuid.uuid4().hex[:6]}"
    values = [(k, v, i) for i, (k, v) in enumerate(items) if isinstance(v, shop.Stock)]
    async with shop.ShopEventsConsumer(bootstrap, registry_url, group, **options) as consumer:
        records = await take(consumer, len(values))
    assert [(r.key, r.value, r.offset) for r in records] == values
    tombstones = [i for i, (_, v) in enumerate(items) if v is None]
    lines = [r for r in caplog.records if "tombstone" in r.getMessage()]
    assert [(r.levelname, r.getMessage()) for r in lines] == [
        (
            "WARNING",
            (
                f"skipping a tombstone (a message without a value) at shop.events[0]@{offset}: "
                "the topic is not configured with tombstones = true"
            ),
        )
        for offset in tombstones
    ]
    assert await committed_offsets(bootstrap, group, "shop.events") == {0: len(items)}
    if on_error == "dead_letter":
        dead = await asyncio.to_thread(confluent_read, bootstrap, "shop.events.dlq", 1)
        assert [(m.key(), m.value()) for m in dead] == [(b"sku-c", b"\x01not avro")]


# --- writing tombstones --------------------------------------------------------------------


@pytest.mark.kafka
async def test_send_tombstone_is_a_null_value_for_other_clients_and_needs_no_registry(
    fresh_kafka_broker: KafkaBroker,
    registry_servers: RegistryServers,
    shop: ModuleType,
    tmp_path: Path,
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    await create_topic(bootstrap, "shop.stock")
    server = registry_servers.start(data=tmp_path / "registry.db")
    a = shop.Stock(sku="a", count=1)
    async with shop.ShopStockProducer(bootstrap, server.url) as producer:
        await producer.send(a, key="sku-a")
        server.kill()  # from here on there is no registry to ask
        await producer.send_tombstone("sku-a", headers={"reason": b"sold out"})
        await producer.send(a, key="sku-b")
        with pytest.raises(shop._runtime.errors.SerializationError, match="needs one"):
            await producer.send_tombstone(None)
    messages = await asyncio.to_thread(confluent_read, bootstrap, "shop.stock", 3)
    assert [(m.key(), m.value() is None) for m in messages] == [
        (b"sku-a", False),
        (b"sku-a", True),
        (b"sku-b", False),
    ]
    assert messages[1].headers() == [("reason", b"sold out")]
    server.restart()  # the same registry again, for the readers of the values
    typed = await asyncio.to_thread(
        compacted.deserializing_read, bootstrap, "shop.stock", 3, server.url, shop.Stock
    )
    assert [(m.key(), m.value()) for m in typed] == [("sku-a", a), ("sku-a", None), ("sku-b", a)]
    async with shop.ShopStockConsumer(bootstrap, server.url, None) as consumer:
        records = await take(consumer, 3)
    assert [(r.key, r.value) for r in records] == [("sku-a", a), ("sku-a", None), ("sku-b", a)]
    assert records[1].header("reason") == b"sold out"


@pytest.mark.kafka
async def test_tombstones_with_avro_record_keys(
    fresh_kafka_broker: KafkaBroker, registry_url: str, shop: ModuleType
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    await create_topic(bootstrap, "shop.record-keyed")
    key = shop.SkuKey(sku="a")
    async with shop.ShopRecordKeyedProducer(bootstrap, registry_url) as producer:
        await producer.send(shop.Stock(sku="a", count=3), key=key)
        await producer.send_tombstone(key)
    async with shop.ShopRecordKeyedConsumer(bootstrap, registry_url, None) as consumer:
        records = await take(consumer, 2)
    assert [(r.key, r.value) for r in records] == [(key, shop.Stock(sku="a", count=3)), (key, None)]


def test_send_tombstone_exists_only_where_tombstones_are_configured(shop: ModuleType) -> None:
    assert hasattr(shop.ShopStockProducer, "send_tombstone")
    assert not hasattr(shop.ShopEventsProducer, "send_tombstone")
    with pytest.raises(ValueError, match="tombstones=True"):
        shop._runtime.kafka.TombstoneAvroProducer(
            "127.0.0.1:9", "http://127.0.0.1:9", spec=shop.ShopEventsProducer.SPEC
        )


# --- the seed's classes --------------------------------------------------------------------


@pytest.mark.kafka
async def test_seed_classes_take_a_tombstones_flag(
    kafka_broker: KafkaBroker,
    registry_url: str,
    unique_topic: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bootstrap = kafka_broker.bootstrap
    await create_topic(bootstrap, unique_topic)
    first = SeedCommand(command_id="c1", command_type="start", timestamp=1700000000000)
    second = SeedCommand(command_id="c2", command_type="stop", timestamp=1700000000001)
    common: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "schema_registry_url": registry_url,
        "topic": unique_topic,
        "key_schema": "string",
        "key_format": "raw",
    }
    plain = ts.KafkaAvroProducer[SeedCommand](schema_class=SeedCommand, **common)
    with pytest.raises(ts_errors.SerializationError, match="tombstones=True"):
        await plain.send_tombstone("c1")  # refused before anything is sent
    async with ts.KafkaAvroProducer[SeedCommand](
        schema_class=SeedCommand, tombstones=True, **common
    ) as producer:
        await producer.send(first, key="c1")
        await producer.send_tombstone("c1")
        await producer.send(second, key="c2")
    raw = await read_raw(bootstrap, unique_topic, 3)
    assert [(m.key, m.value is None) for m in raw] == [
        (b"c1", False),
        (b"c1", True),
        (b"c2", False),
    ]
    async with ts.KafkaAvroConsumer[SeedCommand | None](
        message_class=SeedCommand,
        group_id=f"seed-{uuid.uuid4().hex[:6]}",
        tombstones=True,
        **common,
        **GROUP_OPTIONS,
    ) as consumer:
        assert await consume_n(consumer, 3, records=False) == [first, None, second]
    caplog.set_level(logging.WARNING)
    group = f"seed-{uuid.uuid4().hex[:6]}"
    async with ts.KafkaAvroConsumer[SeedCommand](
        message_class=SeedCommand, group_id=group, **common, **GROUP_OPTIONS
    ) as consumer:
        assert await consume_n(consumer, 2, records=False) == [first, second]
    warnings = [r for r in caplog.records if "tombstone" in r.getMessage()]
    assert [r.getMessage().split(": ")[0] for r in warnings] == [
        f"skipping a tombstone (a message without a value) at {unique_topic}[0]@1"
    ]
    assert await committed_offsets(bootstrap, group, unique_topic) == {0: 3}


# --- typing --------------------------------------------------------------------------------

# A service's code against the generated package; `# E: code` marks the lines mypy --strict
# must reject (and only those).
TYPING_SNIPPET = """\
import uuid

from {package} import (
    ShopByUuidConsumer,
    ShopEventsConsumer,
    ShopEventsProducer,
    ShopEventsSerde,
    ShopStockConsumer,
    ShopStockProducer,
    ShopStockSerde,
    Stock,
)
from {package}.topics import KafkaAvroConsumer


async def unchecked(consumer: ShopStockConsumer) -> int:
    async for record in consumer:
        return record.value.count  # E: union-attr
    return 0


async def checked(consumer: ShopStockConsumer) -> int:
    async for record in consumer:
        if record.value is None:
            return -1
        return record.value.count
    return 0


async def without_tombstones(consumer: ShopEventsConsumer) -> int:
    async for record in consumer:
        return record.value.count
    return 0


def handle(value: Stock) -> None: ...


async def handlers(stock: ShopStockConsumer, events: ShopEventsConsumer) -> None:
    await stock.consume(handle)  # E: arg-type
    await events.consume(handle)


async def keys(consumer: ShopByUuidConsumer, stock: ShopStockConsumer) -> None:
    async for record in consumer:
        ids: list[uuid.UUID | None] = [record.key]
        text: str | None = record.key  # E: assignment
    async for other in stock:
        name: str | None = other.key


async def tombstones(stock: ShopStockProducer, events: ShopEventsProducer) -> None:
    await stock.send_tombstone("sku-1", headers={{"reason": b"sold out"}})
    await stock.send_tombstone(1)  # E: arg-type
    await events.send_tombstone("sku-1")  # E: attr-defined


def serdes(stock: ShopStockSerde, events: ShopEventsSerde, data: bytes, maybe: bytes | None) -> None:
    nothing: None = stock.deserialize(None)
    value: Stock = stock.deserialize(data)
    either: Stock | None = stock.deserialize(maybe)
    forced: Stock = stock.deserialize(maybe)  # E: assignment
    events.deserialize(None)  # E: arg-type


def seed() -> None:
    KafkaAvroConsumer[Stock | None](
        "localhost:9092", topic="t", message_class=Stock, tombstones=True
    )
"""


def test_tombstones_are_typed_so_mypy_makes_handlers_check(
    shop: ModuleType, tmp_path: Path
) -> None:
    out = Path(shop.__file__).parents[1]
    snippet = out / f"service_{shop.__name__}.py"
    snippet.write_text(TYPING_SNIPPET.format(package=shop.__name__), encoding="utf-8")
    expected = {
        (number, line.split("# E: ")[1].strip())
        for number, line in enumerate(snippet.read_text().splitlines(), start=1)
        if "# E: " in line
    }
    run = subprocess.run(
        [
            str(BIN / "mypy"),
            "--strict",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            "--hide-error-context",
            snippet.name,
        ],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    found = set()
    for line in run.stdout.splitlines():
        if line.startswith(snippet.name) and ": error: " in line:
            number = int(line.split(":")[1])
            code = line.rsplit("[", 1)[1].rstrip("]")
            found.add((number, code))
    assert found == expected, run.stdout + run.stderr
