"""The AsyncAPI 3.0 document of the configured topics, as plain JSON data (deterministic).

Per topic: a channel (address = the topic, Kafka channel binding), a `send` and a `receive`
operation, and a message whose payload is the value's full self-contained Avro schema
(`schemaFormat: application/vnd.apache.avro+json;version=1.9.0`). The Kafka message binding
carries the key schema (a reference to `components/schemas/<Topic>Key`, itself an Avro
multi-format schema, or a JSON schema for a raw key that Kafka's own serializers write), where
the schema id travels (`payload`, Confluent framing) and the subject naming strategy. Subjects,
levels, raw keys, tombstones and the generated Python classes are `x-` extensions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codegen.config import Config, TopicConfig
from codegen.schema import model as m
from codegen.subjects import SubjectSchema, subject_schemas

ASYNCAPI_VERSION = "3.0.0"
AVRO_FORMAT = "application/vnd.apache.avro+json;version=1.9.0"
KAFKA_BINDING = "0.5.0"
CONTENT_TYPE = "avro/binary"  # the Avro specification's MIME type for binary-encoded data
LOOKUP_STRATEGY = {
    "topic": "TopicNameStrategy",
    "record": "RecordNameStrategy",
    "topic-record": "TopicRecordNameStrategy",
}
# Raw keys (`key-format = "raw"`: Kafka's own serializers, no subject) as JSON schemas, with
# the serializer that writes them (README, "Keys").
RAW_KEYS = {
    "string": ({"type": "string"}, "StringSerializer: UTF-8"),
    "bytes": ({"type": "string", "contentEncoding": "binary"}, "ByteArraySerializer: as is"),
    "int": ({"type": "integer", "format": "int32"}, "IntegerSerializer: 4 bytes, big-endian"),
    "long": ({"type": "integer", "format": "int64"}, "LongSerializer: 8 bytes, big-endian"),
    "float": ({"type": "number", "format": "float"}, "FloatSerializer: IEEE 754 single"),
    "double": ({"type": "number", "format": "double"}, "DoubleSerializer: IEEE 754 double"),
    "uuid": ({"type": "string", "format": "uuid"}, "UUIDSerializer: the UUID's text"),
}


@dataclass(frozen=True)
class TopicView:
    """One topic as the docs show it: its subjects (key may be None) and its names."""

    topic: TopicConfig
    prefix: str  # the generated classes' prefix (`TelescopeCommands`), also the AsyncAPI id
    level: str
    value: SubjectSchema | None
    key: SubjectSchema | None  # None: no key, or a raw key (see `raw_key`)

    @property
    def raw_key(self) -> str | None:
        """The key's type when Kafka's own serializers write it (no subject), else None."""
        return self.topic.key if self.topic.key is not None and not self.topic.key_subject else None


def topic_views(
    config: Config, schemas: m.SchemaSet, class_prefix: Callable[[str], str]
) -> list[TopicView]:
    """The configured topics in config order; `class_prefix` is the generator's naming rule."""
    specs = subject_schemas(config, schemas)
    by_role = {(s.topic, s.role): s for s in specs if s.topic is not None}
    # A subject named by two topics is registered once; find it for both.
    by_subject = {s.subject: s for s in specs}
    views = []
    for sub in config.subjects():
        by_role.setdefault((sub.topic, sub.role), by_subject[sub.name])
    for topic in config.topics.values():
        value = by_role.get((topic.name, "value"))
        key = by_role.get((topic.name, "key"))
        level = topic.compatibility or config.compatibility
        views.append(TopicView(topic, class_prefix(topic.name), level, value, key))
    return views


def build(
    views: list[TopicView], *, title: str, version: str, description: str, package: str
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document (a JSON value)."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    key_schemas: dict[str, Any] = {}
    for v in views:
        cid = v.prefix
        message_ref = {"$ref": f"#/channels/{cid}/messages/{cid}"}
        channel: dict[str, Any] = {
            "address": v.topic.name,
            "title": v.topic.name,
            "messages": {cid: {"$ref": f"#/components/messages/{cid}"}},
            "bindings": {"kafka": {"topic": v.topic.name, "bindingVersion": KAFKA_BINDING}},
        }
        doc = _doc(v.value)
        if doc:
            channel["description"] = doc
        channels[cid] = channel
        for action, cls in (("send", "Producer"), ("receive", "Consumer")):
            operations[f"{action}{cid}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{cid}"},
                "messages": [message_ref],
                "summary": f"{'Produce to' if action == 'send' else 'Consume from'} "
                f"{v.topic.name} with {package}.{cid}{cls}",
            }
        messages[cid] = _message(v, cid, package)
        if v.key is not None:
            key_schemas[f"{cid}Key"] = {"schemaFormat": AVRO_FORMAT, "schema": v.key.schema}
        elif v.raw_key is not None:
            schema, serializer = RAW_KEYS[v.raw_key]
            key_schemas[f"{cid}Key"] = {**schema, "description": f"Raw key: Kafka's {serializer}"}
    components: dict[str, Any] = {"messages": messages}
    if key_schemas:
        components["schemas"] = key_schemas
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": title, "version": version, "description": description},
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": components,
    }


def _doc(spec: SubjectSchema | None) -> str | None:
    if spec is None or not isinstance(spec.schema, dict):
        return None
    doc = spec.schema.get("doc")
    return doc if isinstance(doc, str) and doc.strip() else None


def _message(v: TopicView, cid: str, package: str) -> dict[str, Any]:
    value = v.value
    kafka: dict[str, Any] = {}
    if v.key is not None or v.raw_key is not None:
        kafka["key"] = {"$ref": f"#/components/schemas/{cid}Key"}
    kafka.update(
        {
            "schemaIdLocation": "payload",
            "schemaIdPayloadEncoding": "confluent",  # magic byte 0, 4-byte big-endian id
            "schemaLookupStrategy": LOOKUP_STRATEGY[v.topic.subject_strategy],
            "bindingVersion": KAFKA_BINDING,
        }
    )
    message: dict[str, Any] = {
        "name": value.type_name if value is not None else cid,
        "title": (value.type_name if value is not None else cid).rpartition(".")[2],
        "contentType": CONTENT_TYPE,
    }
    doc = _doc(value)
    if doc:
        message["summary"] = doc
    if value is not None:
        message["payload"] = {"schemaFormat": AVRO_FORMAT, "schema": value.schema}
    message["bindings"] = {"kafka": kafka}
    message["x-compatibility"] = v.level
    if value is not None:
        message["x-value-subject"] = value.subject
    if v.key is not None:
        message["x-key-subject"] = v.key.subject
    elif v.raw_key is not None:
        message["x-key-format"] = "raw"
    if v.topic.tombstones:
        message["x-tombstones"] = True  # a null value deletes its key (compacted topic)
    message["x-subject-strategy"] = v.topic.subject_strategy
    message["x-python-classes"] = [f"{package}.{cid}{s}" for s in ("Producer", "Consumer", "Serde")]
    return message
