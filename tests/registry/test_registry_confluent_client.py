"""confluent-kafka's own SchemaRegistryClient (a real peer client) against the local registry."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

USER = {
    "type": "record",
    "name": "User",
    "namespace": "com.example",
    "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"}],
}
USER_V2 = {**USER, "fields": [*USER["fields"], {"name": "age", "type": "int", "default": 0}]}
USER_BREAKING = {**USER, "fields": [{"name": "id", "type": "string"}]}


@pytest.fixture
def client(registry_url: str) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": registry_url})


def test_register_and_read_back(client: SchemaRegistryClient) -> None:
    schema_id = client.register_schema("users-value", Schema(json.dumps(USER), "AVRO"))
    assert isinstance(schema_id, int)

    latest = client.get_latest_version("users-value")
    assert (latest.schema_id, latest.subject, latest.version) == (schema_id, "users-value", 1)
    assert latest.schema.schema_str is not None and json.loads(latest.schema.schema_str) == USER
    assert latest.schema.schema_type == "AVRO"

    fetched = client.get_schema(schema_id)
    assert fetched.schema_str is not None and json.loads(fetched.schema_str) == USER

    found = client.lookup_schema("users-value", Schema(json.dumps(USER, indent=2), "AVRO"))
    assert (found.schema_id, found.version) == (schema_id, 1)

    assert client.get_subjects() == ["users-value"]
    assert client.get_versions("users-value") == [1]


def test_evolution_compatibility_and_levels(client: SchemaRegistryClient) -> None:
    first = client.register_schema("users-value", Schema(json.dumps(USER), "AVRO"))
    assert client.test_compatibility("users-value", Schema(json.dumps(USER_V2), "AVRO"))
    assert not client.test_compatibility("users-value", Schema(json.dumps(USER_BREAKING), "AVRO"))
    second = client.register_schema("users-value", Schema(json.dumps(USER_V2), "AVRO"))
    assert second != first
    assert client.get_latest_version("users-value").version == 2

    with pytest.raises(SchemaRegistryError) as caught:
        client.register_schema("users-value", Schema(json.dumps(USER_BREAKING), "AVRO"))
    assert caught.value.http_status_code == 409

    assert client.get_compatibility() == "BACKWARD"
    client.set_compatibility("users-value", "NONE")
    assert client.get_compatibility("users-value") == "NONE"
    assert client.test_compatibility("users-value", Schema(json.dumps(USER_BREAKING), "AVRO"))
    client.set_compatibility(level="FULL")
    assert client.get_compatibility() == "FULL"


def test_subject_without_own_level_raises_40408(client: SchemaRegistryClient) -> None:
    client.register_schema("users-value", Schema(json.dumps(USER), "AVRO"))
    with pytest.raises(SchemaRegistryError) as caught:
        client.get_compatibility("users-value")
    assert (caught.value.http_status_code, caught.value.error_code) == (404, 40408)


def test_delete_subject(client: SchemaRegistryClient) -> None:
    client.register_schema("users-value", Schema(json.dumps(USER), "AVRO"))
    client.register_schema("users-value", Schema(json.dumps(USER_V2), "AVRO"))
    client.register_schema("keep-value", Schema(json.dumps(USER), "AVRO"))
    assert client.delete_subject("users-value") == [1, 2]
    assert client.get_subjects() == ["keep-value"]
    assert client.delete_subject("users-value", permanent=True) == [1, 2]
    with pytest.raises(SchemaRegistryError) as caught:
        client.get_versions("users-value")
    assert caught.value.error_code == 40401


def test_errors_surface_with_codes(client: SchemaRegistryClient) -> None:
    with pytest.raises(SchemaRegistryError) as caught:
        client.get_schema(4242)
    assert (caught.value.http_status_code, caught.value.error_code) == (404, 40403)
    with pytest.raises(SchemaRegistryError) as caught:
        client.register_schema("bad-value", Schema('{"type": "nope"}', "AVRO"))
    assert (caught.value.http_status_code, caught.value.error_code) == (422, 42201)


def test_references_through_the_client(client: SchemaRegistryClient) -> None:
    address = {
        "type": "record",
        "name": "Address",
        "namespace": "com.shared",
        "fields": [{"name": "street", "type": "string"}],
    }
    client.register_schema("address-value", Schema(json.dumps(address), "AVRO"))
    person = {
        "type": "record",
        "name": "Person",
        "namespace": "com.people",
        "fields": [{"name": "home", "type": "com.shared.Address"}],
    }
    refs = [SchemaReference("com.shared.Address", "address-value", 1)]
    person_id = client.register_schema("person-value", Schema(json.dumps(person), "AVRO", refs))
    latest = client.get_latest_version("person-value")
    assert latest.schema_id == person_id
    got_refs = [(r.name, r.subject, r.version) for r in latest.schema.references or []]
    assert got_refs == [("com.shared.Address", "address-value", 1)]
    assert client.get_referenced_by("address-value", 1) == [person_id]
