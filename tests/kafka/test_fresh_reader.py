"""Messages are readable by a reader that shares nothing with the writer.

Writer and reader never share a process cache here (see ``fresh_reader.py``): serde A
registers the schema and writes; a fresh serde B in another process reads, with the writer
schema fetched by id. And confluent-kafka's ``AvroSerializer`` writes through tansu to a fresh
generated consumer. The schemas: hand-written shapes that reuse named types (records, enums
and fixed used 2+ times, at depth, inside unions, arrays and maps), every file of the
real-world corpus, and the hypothesis schema strategies.
"""

from __future__ import annotations

import io
import json
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from codegen.errors import InputErrors
from codegen.runtime.datagen import DatagenError, DatumGenerator
from codegen.runtime.kafka import AvroConsumer
from codegen.runtime.registry import RegistryConfig, SchemaRegistryClient
from codegen.runtime.serde import RecordCodec, SubjectSerde, TopicSpec
from tests.avro_strategies import avro_schema_files
from tests.fixtures_corpus import CorpusPackage
from tests.fixtures_kafka import KafkaBroker, create_topic
from tests.fixtures_registry import RegistryServer
from tests.generator.gen_support import (
    corpus_manifest,
    generate_files,
    generated_types,
    import_package,
    unique_package,
    write_schemas,
)
from tests.kafka.fresh_reader import FreshReader

# Named types used more than once: inline first, then by name, in fields, unions, arrays,
# maps and nested records, across namespaces.
REUSE = {
    "type": "record",
    "name": "Shop",
    "namespace": "m",
    "fields": [
        {
            "name": "home",
            "type": {
                "type": "record",
                "name": "P",
                "fields": [
                    {"name": "x", "type": "int"},
                    {
                        "name": "kind",
                        "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]},
                    },
                    {"name": "tag", "type": {"type": "fixed", "name": "Tag", "size": 2}},
                ],
            },
        },
        {"name": "work", "type": "P"},
        {"name": "maybe", "type": ["null", "m.P"], "default": None},
        {"name": "many", "type": {"type": "array", "items": "P"}},
        {"name": "by_name", "type": {"type": "map", "values": ["null", "P", "Kind"]}},
        {"name": "kind2", "type": "Kind"},
        {"name": "tags", "type": {"type": "array", "items": "m.Tag"}},
        {
            "name": "inner",
            "type": {
                "type": "record",
                "name": "Inner",
                "namespace": "other",
                "fields": [
                    {"name": "p", "type": "m.P"},
                    {"name": "k", "type": ["m.Kind", "null"]},
                    {"name": "t", "type": {"type": "map", "values": "m.Tag"}},
                ],
            },
        },
        {"name": "inners", "type": {"type": "array", "items": "other.Inner"}},
    ],
}


@pytest.fixture(scope="module")
def fresh_reader() -> Iterator[FreshReader]:
    reader = FreshReader()
    yield reader
    reader.close()


@pytest.fixture(scope="module")
def registry_a(registry_server: RegistryServer) -> Iterator[SchemaRegistryClient]:
    client = SchemaRegistryClient(RegistryConfig(url=registry_server.url))
    yield client
    client.close()


def _generate(files: dict[str, Any]) -> dict[str, type]:
    tmp = Path(tempfile.mkdtemp(prefix="avrobind-fresh-"))
    paths = write_schemas(tmp / "avsc", files)
    name = unique_package("fresh")
    try:
        generate_files(paths, tmp / "out", name)
    except InputErrors as e:
        # A null-namespace type nested in a namespaced one and used again there has no
        # self-contained form (see tests/generator/test_properties.py).
        assert all("where no name can refer to it" in err.message for err in e.errors), e
        reject()
    return generated_types(import_package(tmp / "out", name))


def _records(types: dict[str, type]) -> list[tuple[str, type]]:
    return [(n, c) for n, c in sorted(types.items()) if hasattr(c, "from_avro")]


def _data(cls: Any, rng: random.Random, count: int) -> list[bytes]:
    """Avro bodies of random data for the source schema of ``cls`` (with all its logical types),
    written by fastavro, the reference."""
    writer = fastavro.parse_schema(cls.avro_schema_to_python())
    try:
        generator = DatumGenerator(writer)
        data = []
        for _ in range(count):
            out = io.BytesIO()
            fastavro.schemaless_writer(out, writer, generator.datum(rng))
            data.append(out.getvalue())
        return data
    except DatagenError:
        return []  # no finite value (a record that always contains itself)


def _written_by_a_read_by_b(
    cls: Any,
    registry: SchemaRegistryClient,
    url: str,
    reader: FreshReader,
    subject: str,
    rng: random.Random,
) -> int:
    codec = RecordCodec(cls)
    writer_serde = SubjectSerde(codec, subject, registry)
    done = 0
    for body in _data(cls, rng, 2):
        value, _ = codec.read_at(body, 0)
        framed = writer_serde.serialize(value)
        assert framed[5:] == body
        assert reader.read(cls, url, framed) == body
        done += 1
    return done


def test_named_types_used_twice_are_read_by_a_fresh_serde(
    registry_server: RegistryServer, registry_a: SchemaRegistryClient, fresh_reader: FreshReader
) -> None:
    types = _generate({"shop.avsc": REUSE})
    done = _written_by_a_read_by_b(
        types["m.Shop"],
        registry_a,
        registry_server.url,
        fresh_reader,
        unique_package("shop"),
        random.Random(1),
    )
    assert done == 2


ENTRIES = corpus_manifest()
NO_FINITE_VALUE = {"apache-avro/lang/c/tests/schema_tests/pass/namespace_fullname.avsc"}
MAX_RECORDS = 12


def _corpus_records(
    entry: dict[str, Any], packages: dict[str, CorpusPackage], rng: random.Random
) -> list[type]:
    types = packages[entry["path"]].types
    names = [n for n in entry["defines"] if n in types and hasattr(types[n], "from_avro")]
    if len(names) > MAX_RECORDS:
        names = names[:1] + rng.sample(names[1:], MAX_RECORDS - 1)
    return [types[n] for n in names]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["path"] for e in ENTRIES])
def test_corpus_is_read_by_a_fresh_serde(
    entry: dict[str, Any],
    corpus_packages: dict[str, CorpusPackage],
    registry_server: RegistryServer,
    registry_a: SchemaRegistryClient,
    fresh_reader: FreshReader,
) -> None:
    rng = random.Random(entry["path"])
    done = 0
    for cls in _corpus_records(entry, corpus_packages, rng):
        subject = unique_package("corpus") + "-value"
        done += _written_by_a_read_by_b(
            cls, registry_a, registry_server.url, fresh_reader, subject, rng
        )
    if entry["path"] not in NO_FINITE_VALUE and _corpus_records(entry, corpus_packages, rng):
        assert done


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=avro_schema_files(), seed=st.integers(0, 2**32))
def test_random_schemas_are_read_by_a_fresh_serde(
    files: list[tuple[str, Any]],
    seed: int,
    registry_server: RegistryServer,
    registry_a: SchemaRegistryClient,
    fresh_reader: FreshReader,
) -> None:
    rng = random.Random(seed)
    for _, cls in _records(_generate(dict(files))):
        subject = unique_package("random") + "-value"
        _written_by_a_read_by_b(cls, registry_a, registry_server.url, fresh_reader, subject, rng)


# --- confluent-kafka's AvroSerializer → tansu → a fresh generated consumer --------------------


async def _confluent_to_generated_consumer(
    classes: list[Any], broker: KafkaBroker, registry_url: str, rng: random.Random, tag: str
) -> int:
    """Per class: confluent-kafka's serializer writes random data to a topic of its own, then
    a fresh generated consumer (its own registry client) reads every message."""
    confluent = ConfluentRegistry({"url": registry_url})
    plans: list[tuple[Any, str, list[bytes]]] = []
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": broker.bootstrap})
    for i, cls in enumerate(classes):
        writer = fastavro.parse_schema(cls.avro_schema_to_python())
        try:
            generator = DatumGenerator(writer)
            data = [generator.datum(rng) for _ in range(2)]
        except DatagenError:
            continue
        topic = f"{tag}-{i}-{unique_package('t')}"
        await create_topic(broker.bootstrap, topic)
        serializer = AvroSerializer(confluent, json.dumps(cls.avro_schema_to_python()))
        bodies = []
        for datum in data:
            framed = serializer(datum, SerializationContext(topic, MessageField.VALUE))
            assert framed is not None
            out = io.BytesIO()
            fastavro.schemaless_writer(out, writer, datum)
            assert framed[5:] == out.getvalue()
            bodies.append(framed[5:])
            producer.produce(topic, framed)
        plans.append((cls, topic, bodies))
    assert producer.flush(30) == 0
    for cls, topic, bodies in plans:
        spec: TopicSpec[Any, Any] = TopicSpec(topic, RecordCodec(cls))
        # A consumer without a group reads from the start with no group join (tansu's is slow).
        async with AvroConsumer(broker.bootstrap, registry_url, None, spec=spec) as consumer:
            seen = []
            async for record in consumer:
                seen.append(RecordCodec(cls).encode(record.value))
                if len(seen) == len(bodies):
                    break
        assert seen == bodies, cls
    return len(plans)


async def test_confluent_serializer_to_fresh_consumer_reuse(
    kafka_broker: KafkaBroker, registry_url: str
) -> None:
    types = _generate({"shop.avsc": REUSE})
    done = await _confluent_to_generated_consumer(
        [types["m.Shop"]], kafka_broker, registry_url, random.Random(2), "reuse"
    )
    assert done == 1


async def test_confluent_serializer_to_fresh_consumer_corpus(
    kafka_broker: KafkaBroker, registry_url: str, corpus_packages: dict[str, CorpusPackage]
) -> None:
    rng = random.Random(3)
    # The outermost record of every corpus file: the type a topic of that file would carry.
    classes = []
    for entry in ENTRIES:
        found = _corpus_records(entry, corpus_packages, rng)[:1]
        classes += found
    done = await _confluent_to_generated_consumer(
        classes, kafka_broker, registry_url, rng, "corpus"
    )
    assert done >= len(classes) - len(NO_FINITE_VALUE)


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=avro_schema_files(), seed=st.integers(0, 2**32))
async def test_confluent_serializer_to_fresh_consumer_random(
    files: list[tuple[str, Any]],
    seed: int,
    kafka_broker: KafkaBroker,
    registry_server: RegistryServer,
) -> None:
    classes = [cls for _, cls in _records(_generate(dict(files)))]
    await _confluent_to_generated_consumer(
        classes, kafka_broker, registry_server.url, random.Random(seed), "random"
    )
