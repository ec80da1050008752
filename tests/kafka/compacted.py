"""A shop project with compacted and raw-keyed topics, generated from its `pyproject.toml`.

The config is parsed by `load_config` (the same path as `avrobind generate`), so the keys
`key-format` and `tombstones` are read as a user writes them. Each call generates a package
with a fresh name (tests that import two never share a module).

The confluent-kafka side (blocking; run it in a thread): `confluent_produce` (a plain
`Producer` with StringSerializer keys and AvroSerializer values, value None for tombstones)
and `deserializing_read` (a `DeserializingConsumer`). Each has its own registry client:
nothing is shared with the generated classes but the registry.
"""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from confluent_kafka import DeserializingConsumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import (
    MessageField,
    SerializationContext,
    StringDeserializer,
    StringSerializer,
)

from codegen.config import load_config
from codegen.generator.generate import generate
from tests.kafka.consuming import assigned_read

STOCK = {
    "type": "record",
    "name": "Stock",
    "namespace": "shop",
    "fields": [{"name": "sku", "type": "string"}, {"name": "count", "type": "int"}],
}
SKU_KEY = {
    "type": "record",
    "name": "SkuKey",
    "namespace": "shop",
    "fields": [{"name": "sku", "type": "string"}],
}

# topic: extra lines of its table ("value" is always shop.Stock)
TOPICS = {
    # the usual compacted topic: StringSerializer keys, null values delete them
    "shop.stock": 'key = "string"\nkey-format = "raw"\ntombstones = true',
    "shop.events": 'key = "string"\nkey-format = "raw"',  # string keys, no tombstones
    "shop.by-int": 'key = "int"\nkey-format = "raw"',
    "shop.by-long": 'key = "long"\nkey-format = "raw"',
    "shop.by-float": 'key = "float"\nkey-format = "raw"',
    "shop.by-double": 'key = "double"\nkey-format = "raw"\ntombstones = true',
    "shop.by-uuid": 'key = "uuid"\nkey-format = "raw"',
    "shop.by-bytes": 'key = "bytes"\nkey-format = "raw"',
    "shop.no-key": "",  # no key: bytes keys
    "shop.avro-keyed": 'key = "string"',  # key-format "avro" by default: framed, a key subject
    "shop.record-keyed": 'key = "shop.SkuKey"\ntombstones = true',  # Avro record keys, compacted
}


def write_project(root: Path, package: str) -> Path:
    """The project's pyproject.toml (and avsc/); returns the config file."""
    (root / "avsc").mkdir(parents=True)
    (root / "avsc" / "stock.avsc").write_text(json.dumps(STOCK), encoding="utf-8")
    (root / "avsc" / "sku_key.avsc").write_text(json.dumps(SKU_KEY), encoding="utf-8")
    tables = "".join(
        f'\n[tool.avrobind.topics."{topic}"]\nvalue = "shop.Stock"\n{extra}\n'
        for topic, extra in TOPICS.items()
    )
    config = root / "pyproject.toml"
    config.write_text(
        f'[tool.avrobind]\nschemas = "avsc"\nout = "out"\npackage = "{package}"\n{tables}',
        encoding="utf-8",
    )
    return config


def generate_package(root: Path) -> ModuleType:
    """Generate the shop project into a fresh package under `root` and import it."""
    package = f"shop_{uuid.uuid4().hex[:8]}"
    config = load_config(write_project(root, package))
    generate(config)
    sys.path.insert(0, str(config.out))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(config.out))


def stock_to_dict(stock: Any, ctx: Any = None) -> dict[str, Any]:
    return {"sku": stock.sku, "count": stock.count}


def confluent_produce(bootstrap: str, registry_url: str, topic: str, items: list[Any]) -> None:
    """(key, value) items: str keys by StringSerializer, Stock values by AvroSerializer,
    None as a tombstone, bytes as they are."""
    value_ser = AvroSerializer(
        ConfluentRegistry({"url": registry_url}), json.dumps(STOCK), to_dict=stock_to_dict
    )
    key_ser = StringSerializer()
    producer = Producer({"bootstrap.servers": bootstrap})
    for key, value in items:
        if value is not None and not isinstance(value, bytes):
            value = value_ser(value, SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=key_ser(key), value=value)
    assert producer.flush(10) == 0


def deserializing_read(
    bootstrap: str, topic: str, count: int, registry_url: str, stock_cls: type
) -> list[Any]:
    """A DeserializingConsumer: StringDeserializer keys, AvroDeserializer values as
    `stock_cls` (a null value stays None)."""
    consumer = DeserializingConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"ck-{uuid.uuid4().hex[:6]}",
            "enable.auto.commit": False,
            "key.deserializer": StringDeserializer(),
            "value.deserializer": AvroDeserializer(
                ConfluentRegistry({"url": registry_url}),
                json.dumps(STOCK),
                from_dict=lambda d, ctx: stock_cls(**d),
            ),
        }
    )
    return assigned_read(consumer, topic, count)
