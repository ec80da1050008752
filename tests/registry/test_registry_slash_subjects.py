"""Subjects containing "/" (Protobuf reference subjects are file paths), sent URL-encoded as
Confluent's clients do, over real HTTP."""

from __future__ import annotations

import json

import httpx

from codegen.runtime.registry import SchemaRegistryClient


def test_subject_with_slashes_round_trips(registry_url: str) -> None:
    subject = "com/events/Product.avsc"
    schema = json.dumps(
        {"type": "record", "name": "Product", "fields": [{"name": "id", "type": "string"}]}
    )
    with SchemaRegistryClient(registry_url) as client:
        schema_id = client.register(subject, schema)
        assert subject in client.get_subjects()
        latest = client.get_latest(subject)
        assert latest is not None and latest.subject == subject and latest.schema_id == schema_id
        assert client.get_versions(subject) == [1]
        client.set_compatibility("FULL", subject)
        assert client.get_compatibility(subject) == "FULL"
    quoted = "com%2Fevents%2FProduct.avsc"
    raw = httpx.get(f"{registry_url}/subjects/{quoted}/versions/1").json()
    assert raw["subject"] == subject and raw["version"] == 1
    # The unencoded form is a different path, as in Confluent: not this subject.
    assert httpx.get(f"{registry_url}/subjects/com/events/Product.avsc/versions").status_code == 404
