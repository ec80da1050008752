"""A real peer client reads what `avrobind sync` registered: confluent-kafka's own
`SchemaRegistryClient` against the local registry, and the serializer built on it."""

from __future__ import annotations

import json

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.sync.sync_helpers import LEVELS, Project, avrobind


def test_confluent_client_reads_what_sync_registered(project: Project, registry_url: str) -> None:
    run = avrobind("sync", "--config", str(project.config), "--registry", registry_url)
    assert run.exit_code == 0, run.output
    client = SchemaRegistryClient({"url": registry_url})
    assert sorted(client.get_subjects()) == sorted(LEVELS)
    for subject, level in LEVELS.items():
        latest = client.get_latest_version(subject)
        assert latest.version == 1
        assert client.get_compatibility(subject) == level
        # The schema by id is the one registered under the subject.
        by_id = client.get_schema(latest.schema_id)
        assert json.loads(by_id.schema_str) == json.loads(latest.schema.schema_str)
    value = client.get_latest_version("telescope.commands-value")
    schema = json.loads(value.schema.schema_str)
    assert schema["name"] == "TelescopeCommand" and schema["namespace"] == "telescope.commands"
    source = project.schema("commands/telescope_command.avsc")
    assert [f["name"] for f in schema["fields"]] == [f["name"] for f in source["fields"]]
    # The peer's deserializer decodes a message framed with the id sync registered.
    deserializer = AvroDeserializer(client)
    body = bytes([0]) + value.schema_id.to_bytes(4, "big")
    from telescope_schemas import TelescopeCommand

    command = TelescopeCommand.fake()
    decoded = deserializer(
        body + command.serialize(), SerializationContext("telescope.commands", MessageField.VALUE)
    )
    assert decoded["command_id"] == command.command_id  # the peer converts uuid too
    assert decoded["requested_by"] == command.requested_by
