"""Raw keys (`key-format = "raw"`): Kafka's own serializers, no key subject, no framing.

The expected bytes come from confluent-kafka's StringSerializer / IntegerSerializer /
DoubleSerializer where it has one, and otherwise are written out here from the Java
serializers' definitions (LongSerializer: 8 bytes big-endian two's complement; FloatSerializer:
IEEE 754 single, big-endian, i.e. Float.floatToRawIntBits; UUIDSerializer: UUID.toString() in
UTF-8), never computed with the code under test. Interop runs through tansu with confluent-kafka
on one side and a generated class on the other, each with its own registry client.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import uuid
from types import ModuleType
from typing import Any

import httpx
import pytest
from confluent_kafka import Producer, SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import (
    DoubleDeserializer,
    DoubleSerializer,
    IntegerDeserializer,
    IntegerSerializer,
    StringDeserializer,
    StringSerializer,
)
from hypothesis import given
from hypothesis import strategies as st
from telescope_schemas._runtime import errors
from telescope_schemas._runtime.codec import WrongTypeError
from telescope_schemas._runtime.keys import RAW_KINDS, RawKey

from tests.fixtures_kafka import KafkaBroker, create_topic, read_raw
from tests.kafka import compacted
from tests.kafka.consuming import take

INT32 = st.integers(-(2**31), 2**31 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return compacted.generate_package(tmp_path_factory.mktemp("shop"))


# --- the bytes, against Kafka's serializers --------------------------------------------------


@given(st.text())
def test_string_keys_are_string_serializer_bytes(key: str) -> None:
    data = RawKey[str]("string").encode(key)
    assert data == StringSerializer()(key)
    assert RawKey[str]("string").decode(data) == StringDeserializer()(data) == key


@given(INT32)
def test_int_keys_are_integer_serializer_bytes(key: int) -> None:
    data = RawKey[int]("int").encode(key)
    assert data == IntegerSerializer()(key)
    assert RawKey[int]("int").decode(data) == IntegerDeserializer()(data) == key


@given(st.floats(allow_nan=False) | st.integers(-(2**53), 2**53))
def test_double_keys_are_double_serializer_bytes(key: float) -> None:
    data = RawKey[float]("double").encode(key)
    assert data == DoubleSerializer()(float(key))
    assert RawKey[float]("double").decode(data) == DoubleDeserializer()(data) == key


def test_double_nan_and_infinities() -> None:
    for key in (math.inf, -math.inf):
        assert RawKey[float]("double").decode(RawKey[float]("double").encode(key)) == key
    assert math.isnan(RawKey[float]("double").decode(RawKey[float]("double").encode(math.nan)))


# Java's LongSerializer, FloatSerializer and UUIDSerializer, value by value.
JAVA_BYTES: list[tuple[str, Any, bytes]] = [
    ("long", 0, bytes(8)),
    ("long", 1, b"\x00\x00\x00\x00\x00\x00\x00\x01"),
    ("long", -2, b"\xff\xff\xff\xff\xff\xff\xff\xfe"),
    ("long", 2**40, b"\x00\x00\x01\x00\x00\x00\x00\x00"),
    ("long", 2**63 - 1, b"\x7f" + b"\xff" * 7),
    ("long", -(2**63), b"\x80" + bytes(7)),
    ("int", -1, b"\xff\xff\xff\xff"),
    ("int", 2**31 - 1, b"\x7f\xff\xff\xff"),
    ("float", 1.0, b"\x3f\x80\x00\x00"),  # Float.floatToRawIntBits(1.0f) = 0x3f800000
    ("float", -2.5, b"\xc0\x20\x00\x00"),
    ("float", 0.0, bytes(4)),
    ("double", 1.0, b"\x3f\xf0\x00\x00\x00\x00\x00\x00"),
    ("double", -0.1, b"\xbf\xb9\x99\x99\x99\x99\x99\x9a"),
    (
        "uuid",
        uuid.UUID("123e4567-e89b-12d3-a456-426614174000"),
        b"123e4567-e89b-12d3-a456-426614174000",
    ),
    ("string", "ключ", "ключ".encode()),
    ("bytes", b"\x00\xff", b"\x00\xff"),
]


@pytest.mark.parametrize(("kind", "key", "expected"), JAVA_BYTES)
def test_keys_are_the_java_serializers_bytes(kind: str, key: Any, expected: bytes) -> None:
    codec: RawKey[Any] = RawKey(kind)
    assert codec.encode(key) == expected
    assert codec.decode(expected) == key


@given(INT64)
def test_long_keys_round_trip_over_the_whole_range(key: int) -> None:
    data = RawKey[int]("long").encode(key)
    assert data == key.to_bytes(8, "big", signed=True)
    assert RawKey[int]("long").decode(data) == key


def test_float_keys_are_rounded_to_single_precision() -> None:
    codec = RawKey[float]("float")
    assert codec.decode(codec.encode(0.1)) == 0.10000000149011612  # float(0.1f) in Java


def test_uuid_keys_written_by_other_clients_in_upper_case_are_read() -> None:
    key = uuid.UUID("123e4567-e89b-12d3-a456-426614174000")
    assert RawKey[uuid.UUID]("uuid").decode(str(key).upper().encode()) == key


def test_raw_key_errors_are_typed_and_name_the_problem() -> None:
    with pytest.raises(WrongTypeError, match="expected int for a raw int key, got str"):
        RawKey[int]("int").encode("7")
    with pytest.raises(WrongTypeError, match="got bool"):
        RawKey[int]("long").encode(True)
    with pytest.raises(errors.SerializationError, match="not a raw int key"):
        RawKey[int]("int").encode(2**31)
    with pytest.raises(errors.SerializationError, match="not a raw long key"):
        RawKey[int]("long").encode(2**63)
    with pytest.raises(errors.SerializationError, match="not a raw float key"):
        RawKey[float]("float").encode(1e39)  # beyond a single's range
    with pytest.raises(WrongTypeError, match="expected UUID"):
        RawKey[uuid.UUID]("uuid").encode("123e4567-e89b-12d3-a456-426614174000")
    with pytest.raises(WrongTypeError, match='key = "string" and key-format = "raw"'):
        RawKey[bytes]("bytes").encode("text")
    for kind, data, needle in [
        ("int", b"\x00\x01\x02", "a raw int key is 4 bytes (Kafka's IntegerSerializer), got 3"),
        ("long", b"\x00" * 4, "a raw long key is 8 bytes (Kafka's LongSerializer), got 4"),
        ("double", b"", "a raw double key is 8 bytes"),
        ("string", b"\xff\xfe", "not a raw string key"),
        ("uuid", b"not-a-uuid", "not a raw uuid key"),
    ]:
        with pytest.raises(errors.DeserializationError, match=re.escape(needle)) as info:
            RawKey[Any](kind).decode(data)
        assert info.value.field == "key"
    with pytest.raises(ValueError, match="raw keys are one of"):
        RawKey("boolean")
    assert RAW_KINDS == ("string", "bytes", "int", "long", "float", "double", "uuid")


# --- the generated classes -----------------------------------------------------------------


def test_raw_key_topics_have_no_key_subject_and_typed_keys(shop: ModuleType) -> None:
    expected: dict[str, tuple[str | None, type]] = {
        # prefix: (KEY_SUBJECT, KEY_TYPE)
        "ShopStock": (None, str),
        "ShopEvents": (None, str),
        "ShopByInt": (None, int),
        "ShopByLong": (None, int),
        "ShopByFloat": (None, float),
        "ShopByDouble": (None, float),
        "ShopByUuid": (None, uuid.UUID),
        "ShopByBytes": (None, bytes),
        "ShopNoKey": (None, bytes),
        "ShopAvroKeyed": ("shop.avro-keyed-key", str),
        "ShopRecordKeyed": ("shop.record-keyed-key", shop.SkuKey),
    }
    for prefix, (key_subject, key_type) in expected.items():
        for kind in ("Serde", "Producer", "Consumer"):
            cls = getattr(shop, prefix + kind)
            assert (key_subject, key_type) == (cls.KEY_SUBJECT, cls.KEY_TYPE), cls
            assert cls.SPEC.subject("key") == key_subject


def test_serdes_write_raw_keys_and_register_only_value_and_avro_key_subjects(
    shop: ModuleType, registry_url: str
) -> None:
    key = uuid.UUID("123e4567-e89b-12d3-a456-426614174000")
    cases: list[tuple[Any, Any, bytes]] = [
        (shop.ShopStockSerde, "sku-ü", "sku-ü".encode()),
        (shop.ShopByIntSerde, -7, b"\xff\xff\xff\xf9"),
        (shop.ShopByLongSerde, 2**40, b"\x00\x00\x01\x00\x00\x00\x00\x00"),
        (shop.ShopByDoubleSerde, 0.5, b"\x3f\xe0\x00\x00\x00\x00\x00\x00"),
        (shop.ShopByUuidSerde, key, str(key).encode()),
        (shop.ShopNoKeySerde, b"\x00raw", b"\x00raw"),
    ]
    stock = shop.Stock(sku="a", count=1)
    for serde_cls, value, data in cases:
        with serde_cls(registry_url) as serde:
            assert serde.key is None and serde.raw_key is not None
            assert serde.serialize_key(value) == data
            assert serde.deserialize_key(data) == value
            assert serde.deserialize(serde.serialize(stock)) == stock
    with shop.ShopAvroKeyedSerde(registry_url) as serde:
        framed = serde.serialize_key("sku")
        assert serde.deserialize(serde.serialize(stock)) == stock
        assert framed[0] == 0 and framed[5:] == b"\x06sku"  # Avro string: length 3 zigzag, bytes
    subjects = set(httpx.get(f"{registry_url}/subjects").json())
    assert subjects == {f"shop.{t}-value" for t in ("stock", "by-int", "by-long", "by-double")} | {
        "shop.by-uuid-value",
        "shop.no-key-value",
        "shop.avro-keyed-key",
        "shop.avro-keyed-value",
    }


# --- through the broker, with confluent-kafka ---------------------------------------------


async def subjects(registry_url: str) -> Any:
    async with httpx.AsyncClient() as http:
        return (await http.get(f"{registry_url}/subjects")).json()


@pytest.mark.kafka
async def test_serializing_producer_to_generated_consumer(
    fresh_kafka_broker: KafkaBroker, registry_url: str, shop: ModuleType
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    await create_topic(bootstrap, "shop.events")
    sent = {f"sku-{i}-ü": shop.Stock(sku=f"s{i}", count=i) for i in range(5)}

    def produce() -> None:
        producer = SerializingProducer(
            {
                "bootstrap.servers": bootstrap,
                "key.serializer": StringSerializer(),
                "value.serializer": AvroSerializer(
                    ConfluentRegistry({"url": registry_url}),
                    json.dumps(compacted.STOCK),
                    to_dict=compacted.stock_to_dict,
                ),
            }
        )
        for key, value in sent.items():
            producer.produce("shop.events", key=key, value=value)
        assert producer.flush(10) == 0

    await asyncio.to_thread(produce)
    # No group: reads from the start with no group join (the generated consumer never
    # registered anything: the writer schema is fetched by id).
    async with shop.ShopEventsConsumer(bootstrap, registry_url, None) as consumer:
        records = await take(consumer, len(sent))
    assert {r.key: r.value for r in records} == sent
    assert all(type(r.key) is str for r in records)
    assert await subjects(registry_url) == ["shop.events-value"]


@pytest.mark.kafka
async def test_generated_producer_to_deserializing_consumer(
    fresh_kafka_broker: KafkaBroker, registry_url: str, shop: ModuleType
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    await create_topic(bootstrap, "shop.events")
    sent = {f"sku-{i}-ü": shop.Stock(sku=f"s{i}", count=i) for i in range(5)}
    async with shop.ShopEventsProducer(bootstrap, registry_url) as producer:
        for key, value in sent.items():
            await producer.send(value, key=key)
    messages = await asyncio.to_thread(
        compacted.deserializing_read, bootstrap, "shop.events", len(sent), registry_url, shop.Stock
    )
    assert {m.key(): m.value() for m in messages} == sent
    raw = await read_raw(bootstrap, "shop.events", len(sent))
    assert [m.key for m in raw] == [k.encode() for k in sent]  # UTF-8, nothing else
    assert await subjects(registry_url) == ["shop.events-value"]


@pytest.mark.kafka
async def test_numeric_and_uuid_keys_on_the_wire_and_back(
    fresh_kafka_broker: KafkaBroker, registry_url: str, shop: ModuleType
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    an_id = uuid.UUID("123e4567-e89b-12d3-a456-426614174000")
    cases: list[tuple[str, str, list[Any], list[bytes]]] = [
        # prefix, topic, keys, their bytes as Kafka's serializers write them
        (
            "ShopByInt",
            "shop.by-int",
            [0, -1, 2**31 - 1],
            [IntegerSerializer()(k) for k in (0, -1, 2**31 - 1)],
        ),
        (
            "ShopByLong",
            "shop.by-long",
            [2**40, -2],
            [b"\x00\x00\x01\x00\x00\x00\x00\x00", b"\xff\xff\xff\xff\xff\xff\xff\xfe"],
        ),
        (
            "ShopByDouble",
            "shop.by-double",
            [0.5, -1e300],
            [DoubleSerializer()(k) for k in (0.5, -1e300)],
        ),
        ("ShopByFloat", "shop.by-float", [1.0, -2.5], [b"\x3f\x80\x00\x00", b"\xc0\x20\x00\x00"]),
        ("ShopByUuid", "shop.by-uuid", [an_id], [b"123e4567-e89b-12d3-a456-426614174000"]),
        ("ShopByBytes", "shop.by-bytes", [b"\x00\x01"], [b"\x00\x01"]),
        ("ShopNoKey", "shop.no-key", [b"\xff"], [b"\xff"]),
    ]
    for prefix, topic, keys, expected in cases:
        await create_topic(bootstrap, topic)  # one partition: messages in the order sent
        async with getattr(shop, prefix + "Producer")(bootstrap, registry_url) as producer:
            for i, key in enumerate(keys):
                await producer.send(shop.Stock(sku=topic, count=i), key=key)
        raw = await read_raw(bootstrap, topic, len(keys))
        assert [m.key for m in raw] == expected, topic
        async with getattr(shop, prefix + "Consumer")(bootstrap, registry_url, None) as consumer:
            records = await take(consumer, len(keys))
        assert [r.key for r in records] == keys, topic
        assert [r.value.count for r in records] == list(range(len(keys)))
    # Without `key`, keys are bytes both ways: a str (which would come back as bytes) is
    # refused before anything is sent.
    async with shop.ShopNoKeyProducer(bootstrap, registry_url) as producer:
        with pytest.raises(shop._runtime.codec.WrongTypeError, match='key-format = "raw"'):
            await producer.send(shop.Stock(sku="x", count=9), key="text")
        await producer.send(shop.Stock(sku="x", count=10), key=b"after")
    raw = await read_raw(bootstrap, "shop.no-key", 2)
    assert [m.key for m in raw] == [b"\xff", b"after"]


@pytest.mark.kafka
async def test_a_key_that_is_not_a_raw_int_follows_on_error(
    fresh_kafka_broker: KafkaBroker, registry_url: str, shop: ModuleType
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    await create_topic(bootstrap, "shop.by-int")
    with shop.ShopByIntSerde(registry_url) as serde:
        value = serde.serialize(shop.Stock(sku="x", count=1))

    def produce() -> None:
        producer = Producer({"bootstrap.servers": bootstrap})
        producer.produce("shop.by-int", key=IntegerSerializer()(1), value=value)
        producer.produce("shop.by-int", key=b"\x00\x01\x02", value=value)  # 3 bytes
        producer.produce("shop.by-int", key=IntegerSerializer()(3), value=value)
        assert producer.flush(10) == 0

    await asyncio.to_thread(produce)
    first: list[Any] = []

    async def read_until_it_raises(consumer: Any) -> None:
        async for record in consumer:
            first.append(record)

    async with shop.ShopByIntConsumer(bootstrap, registry_url, None) as consumer:
        with pytest.raises(shop._runtime.errors.DeserializationError) as info:
            await asyncio.wait_for(read_until_it_raises(consumer), 30)
    assert [r.key for r in first] == [1]
    assert info.value.field == "key"
    assert "a raw int key is 4 bytes (Kafka's IntegerSerializer), got 3" in str(info.value)
    assert "(key of shop.by-int[0]@1)" in str(info.value)
    async with shop.ShopByIntConsumer(bootstrap, registry_url, None, on_error="skip") as consumer:
        records = await take(consumer, 2)
    assert [r.key for r in records] == [1, 3]
