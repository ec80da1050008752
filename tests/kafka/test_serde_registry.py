"""Generated `<Topic>Serde` classes against a real registry (`avrobind registry serve`).

HTTP requests are counted with an httpx event hook on the registry client, so "no HTTP call
in steady state" is observed. Tests that use the generated classes' fixed subjects get a
fresh registry each (`registry_url`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import fastavro
import httpx
import pytest
import telescope_schemas as ts
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from telescope_schemas._runtime import errors
from telescope_schemas._runtime.registry import RegistryConfig, SchemaRegistryClient

from tests.kafka import evolution

COMMAND_TOPIC = "telescope.commands"


def command(**changes: Any) -> ts.TelescopeCommand:
    return ts.TelescopeCommand.fake(**changes)


class Counting:
    """A sync registry client that records every HTTP request it makes."""

    def __init__(self, url: str, **options: Any) -> None:
        self.requests: list[str] = []
        self.client = SchemaRegistryClient(
            RegistryConfig(url, backoff_base=0.001, backoff_max=0.002, **options),
            event_hooks={"request": [self._seen]},
        )

    def _seen(self, request: httpx.Request) -> None:
        self.requests.append(f"{request.method} {request.url.raw_path.decode()}")


@pytest.fixture
def counting(registry_url: str) -> Iterator[Counting]:
    counted = Counting(registry_url)
    yield counted
    counted.client.close()


def latest(url: str, subject: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/subjects/{subject}/versions/latest")
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture(scope="module")
def evo(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, ModuleType]:
    root = tmp_path_factory.mktemp("evolution")
    return evolution.generate_package(root, evolution.V1, "v1"), evolution.generate_package(
        root, evolution.V2, "v2"
    )


# --- round trips, ids, subjects --------------------------------------------------------------


@pytest.mark.parametrize(
    ("serde_cls", "model"),
    [
        (ts.TelescopeCommandsSerde, ts.TelescopeCommand),
        (ts.TelescopeAcknowledgmentsSerde, ts.CommandAcknowledgment),
        (ts.TelescopeDataSerde, ts.Observation),
        (ts.TelescopeStatusSerde, ts.TelescopeStatus),
    ],
)
def test_every_topic_round_trips_with_the_registered_ids(
    registry_url: str, serde_cls: Any, model: Any
) -> None:
    with serde_cls(registry_url) as serde:
        value = model.fake()
        data = serde.serialize(value)
        key_data = serde.serialize_key("key-ü")
        assert serde.deserialize(data) == value
        assert serde.deserialize_key(key_data) == "key-ü"
    # The ids in the headers are the registry's ids of the subjects' schemas.
    value_version = latest(registry_url, serde_cls.VALUE_SUBJECT)
    key_version = latest(registry_url, serde_cls.KEY_SUBJECT)
    assert data[:5] == b"\x00" + value_version["id"].to_bytes(4, "big")
    assert key_data[:5] == b"\x00" + key_version["id"].to_bytes(4, "big")
    assert json.loads(key_version["schema"]) == "string"
    assert f"{serde_cls.TOPIC}-value" == serde_cls.VALUE_SUBJECT
    assert f"{serde_cls.TOPIC}-key" == serde_cls.KEY_SUBJECT
    # The registered schema is the class's own source schema.
    registered = fastavro.schema.to_parsing_canonical_form(json.loads(value_version["schema"]))
    assert registered == fastavro.schema.to_parsing_canonical_form(model.avro_schema_to_python())


def test_key_body_is_an_avro_string(registry_url: str) -> None:
    with ts.TelescopeCommandsSerde(registry_url) as serde:
        data = serde.serialize_key("cmd-001")
    out = io.BytesIO()
    fastavro.schemaless_writer(out, "string", "cmd-001")
    assert data[5:] == out.getvalue() == b"\x0ecmd-001"


def test_steady_state_makes_no_http_request(counting: Counting) -> None:
    serde = ts.TelescopeCommandsSerde(registry=counting.client)
    values = [command() for _ in range(5)]
    framed = [serde.serialize(v) for v in values]
    keys = [serde.serialize_key(f"k{i}") for i in range(5)]
    # One registration per subject; reading our own id needs nothing more.
    assert sorted(counting.requests) == [
        "POST /subjects/telescope.commands-key/versions",
        "POST /subjects/telescope.commands-value/versions",
    ]
    assert [serde.deserialize(f) for f in framed] == values
    assert [serde.deserialize_key(k) for k in keys] == [f"k{i}" for i in range(5)]
    assert len(counting.requests) == 2

    # A reader that never wrote fetches each writer schema by id once.
    other = Counting(counting.client.config.urls[0])
    reader = ts.TelescopeCommandsSerde(registry=other.client)
    assert [reader.deserialize(f) for f in framed * 3] == values * 3
    assert [reader.deserialize_key(k) for k in keys * 3] == [f"k{i}" for i in range(5)] * 3
    value_id = int.from_bytes(framed[0][1:5], "big")
    key_id = int.from_bytes(keys[0][1:5], "big")
    assert sorted(other.requests) == sorted(
        [f"GET /schemas/ids/{value_id}", f"GET /schemas/ids/{key_id}"]
    )
    other.client.close()


# --- auto_register=False ------------------------------------------------------------------


def test_without_auto_register_an_unregistered_schema_fails_clearly(registry_url: str) -> None:
    with (
        ts.TelescopeCommandsSerde(registry_url, auto_register=False) as serde,
        pytest.raises(errors.SchemaNotFoundError) as info,
    ):
        serde.serialize(command())
    assert "avrobind sync" in str(info.value)
    assert info.value.subject == "telescope.commands-value"
    # Nothing was registered behind the user's back.
    assert httpx.get(f"{registry_url}/subjects").json() == []


def test_without_auto_register_any_registered_version_is_used(
    registry_url: str, evo: tuple[ModuleType, ModuleType]
) -> None:
    v1, v2 = evo
    with (
        v1.EvoReadingsSerde(registry_url) as writer_v1,
        v2.EvoReadingsSerde(registry_url) as writer_v2,
    ):
        first = writer_v1.serialize(v1.Reading(sensor="s", value=1.0))
        writer_v2.serialize(v2.Reading(sensor="s", value=2.0))
    assert httpx.get(f"{registry_url}/subjects/{evolution.TOPIC}-value/versions").json() == [1, 2]
    # v1 is no longer the latest version, and is still found (and not registered again).
    with v1.EvoReadingsSerde(registry_url, auto_register=False) as looked_up:
        again = looked_up.serialize(v1.Reading(sensor="s", value=1.0))
    assert again == first
    assert httpx.get(f"{registry_url}/subjects/{evolution.TOPIC}-value/versions").json() == [1, 2]


# --- subject strategies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "value_subject"),
    [
        ("topic", "telescope.commands-value"),
        ("record", "telescope.commands.TelescopeCommand"),
        ("topic-record", "telescope.commands-telescope.commands.TelescopeCommand"),
    ],
)
def test_subject_strategies(registry_url: str, strategy: str, value_subject: str) -> None:
    with ts.TelescopeCommandsSerde(registry_url, subject_strategy=strategy) as serde:
        assert serde.value_subject == value_subject
        data = serde.serialize(command())
    assert latest(registry_url, value_subject)["id"] == int.from_bytes(data[1:5], "big")
    # The generated class keeps the configured subjects.
    assert ts.TelescopeCommandsSerde.VALUE_SUBJECT == "telescope.commands-value"


def test_unknown_subject_strategy_is_rejected() -> None:
    with pytest.raises(ValueError, match="subject_strategy"):
        ts.TelescopeCommandsSerde("http://127.0.0.1:9", subject_strategy="Topic")


# --- interop with confluent-kafka (no broker: the bytes themselves) ----------------------


def _to_dict(obj: Any, ctx: Any) -> dict[str, Any]:
    result: dict[str, Any] = obj.to_avro()
    return result


def test_confluent_serializer_writes_the_same_bytes_and_ids(registry_url: str) -> None:
    confluent = ConfluentRegistry({"url": registry_url})
    value_ctx = SerializationContext(COMMAND_TOPIC, MessageField.VALUE)
    key_ctx = SerializationContext(COMMAND_TOPIC, MessageField.KEY)
    value_ser = AvroSerializer(confluent, ts.TelescopeCommand.avro_schema(), to_dict=_to_dict)
    key_ser = AvroSerializer(confluent, json.dumps("string"))
    with ts.TelescopeCommandsSerde(registry_url) as serde:
        for _ in range(20):
            value = command()
            theirs = value_ser(value, value_ctx)
            assert theirs == serde.serialize(value)
            assert serde.deserialize(theirs) == value
            assert key_ser("cmd-42", key_ctx) == serde.serialize_key("cmd-42")
    # Both registered under the same subjects and got the same ids.
    assert confluent.get_latest_version("telescope.commands-value").schema_id == int.from_bytes(
        theirs[1:5], "big"
    )


def test_confluent_deserializer_reads_ours(registry_url: str) -> None:
    confluent = ConfluentRegistry({"url": registry_url})
    value_de = AvroDeserializer(
        confluent, from_dict=lambda d, ctx: ts.TelescopeCommand.from_avro(d)
    )
    key_de = AvroDeserializer(confluent)
    with ts.TelescopeCommandsSerde(registry_url) as serde:
        for _ in range(20):
            value = command()
            assert (
                value_de(
                    serde.serialize(value), SerializationContext(COMMAND_TOPIC, MessageField.VALUE)
                )
                == value
            )
        key = serde.serialize_key("cmd-7")
    assert key_de(key, SerializationContext(COMMAND_TOPIC, MessageField.KEY)) == "cmd-7"
    found = confluent.lookup_schema("telescope.commands-key", Schema(json.dumps("string"), "AVRO"))
    assert found.schema_id == int.from_bytes(key[1:5], "big")


# --- evolution (serde level; the broker-level test is in test_kafka_clients.py) ----------


def test_v2_reads_v1_and_v1_reads_v2(registry_url: str, evo: tuple[ModuleType, ModuleType]) -> None:
    v1, v2 = evo
    with v1.EvoReadingsSerde(registry_url) as s1, v2.EvoReadingsSerde(registry_url) as s2:
        old = s1.serialize(v1.Reading(sensor="a", value=1.5, note="hot"))
        new = s2.serialize(v2.Reading(sensor="b", value=2.5, unit=v2.Unit.CELSIUS))
        assert old[1:5] != new[1:5]
        # BACKWARD: the new reader drops `note`; `unit` takes its field default.
        assert s2.deserialize(old) == v2.Reading(sensor="a", value=1.5, unit=v2.Unit.KELVIN)
        # FORWARD: the old reader drops `unit`; `note` takes its default.
        assert s1.deserialize(new) == v1.Reading(sensor="b", value=2.5, note="none")


def test_own_schema_is_read_without_resolution(
    registry_url: str, evo: tuple[ModuleType, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer schema with the reader's canonical form is read by the generated decoder; any
    other is resolved (through ``codec.resolver``, asked once per writer schema)."""
    v1, v2 = evo
    with v1.EvoReadingsSerde(registry_url) as writer:
        own = writer.serialize(v1.Reading(sensor="a", value=1.0))
    with v2.EvoReadingsSerde(registry_url) as s2:
        new = s2.serialize(v2.Reading(sensor="b", value=2.0))
    with v1.EvoReadingsSerde(registry_url) as reader:
        codec = reader.value.codec
        real = codec.resolver
        asked: list[str] = []
        read_by_resolver: list[int] = []

        def spy(writer_schema: Any) -> Any:
            asked.append(writer_schema["name"])
            read = real(writer_schema)

            def counted(data: bytes, pos: int) -> Any:
                read_by_resolver.append(pos)
                return read(data, pos)

            return counted

        monkeypatch.setattr(codec, "resolver", spy)
        # Fetched by id (the reader never registered) and recognised as its own schema.
        for _ in range(2):
            assert reader.deserialize(own) == v1.Reading(sensor="a", value=1.0)
        assert asked == [] and read_by_resolver == []
        # v2's schema (another canonical form) is resolved: FORWARD, `note` takes its default.
        for _ in range(2):
            assert reader.deserialize(new) == v1.Reading(sensor="b", value=2.0, note="none")
        assert asked == [v2.Reading.get_fullname()]  # once per writer schema id
        assert read_by_resolver == [5, 5]


def test_writer_schema_with_references(registry_url: str) -> None:
    # Another tool registered TelescopeCommand with SkyPosition and Instrument as references.
    full = ts.TelescopeCommand.avro_schema_to_python()
    sky, instrument = None, None
    fields = []
    for f in full["fields"]:
        f = dict(f)
        if f["name"] == "target":
            sky = f["type"][1]
            f["type"] = ["null", "telescope.common.SkyPosition"]
        if f["name"] == "instrument":
            instrument = f["type"]
            f["type"] = "telescope.common.Instrument"
        fields.append(f)
    referencing = {**full, "fields": fields}
    client = SchemaRegistryClient(registry_url)
    client.register("sky", json.dumps(sky))
    client.register("instrument", json.dumps(instrument))
    refs = [
        {"name": "telescope.common.SkyPosition", "subject": "sky", "version": 1},
        {"name": "telescope.common.Instrument", "subject": "instrument", "version": 1},
    ]
    schema_id = client.register("other-value", json.dumps(referencing), refs)
    client.close()
    value = command(target=ts.SkyPosition(ra_deg=10.0, dec_deg=-5.0))
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(full), value.to_avro())
    with ts.TelescopeCommandsSerde(registry_url) as serde:
        assert serde.deserialize(b"\x00" + schema_id.to_bytes(4, "big") + out.getvalue()) == value


# --- bad input ------------------------------------------------------------------------


@pytest.fixture
def serde(registry_url: str) -> Iterator[Any]:
    with ts.TelescopeCommandsSerde(registry_url) as s:
        yield s


def test_wrong_magic_byte(serde: Any) -> None:
    good = serde.serialize(command())
    with pytest.raises(errors.InvalidMagicByteError) as info:
        serde.deserialize(b"\x01" + good[1:])
    assert info.value.magic == 1 and info.value.field == "value"
    with pytest.raises(errors.InvalidMagicByteError):
        serde.deserialize_key(b'{"json": "not avro"}')


def test_unknown_schema_id(serde: Any) -> None:
    good = serde.serialize(command())
    with pytest.raises(errors.UnknownSchemaIdError) as info:
        serde.deserialize(b"\x00\x00\x00\x30\x39" + good[5:])
    assert info.value.schema_id == 12345
    assert isinstance(info.value, errors.SchemaNotFoundError)
    assert isinstance(info.value, errors.DeserializationError)


def test_truncated_messages(serde: Any) -> None:
    good = serde.serialize(command())
    schema_id = int.from_bytes(good[1:5], "big")
    with pytest.raises(errors.TruncatedMessageError) as info:
        serde.deserialize(good[:3])
    assert info.value.size == 3
    for cut in (5, 6, len(good) // 2, len(good) - 1):
        with pytest.raises(errors.TruncatedMessageError) as info:
            serde.deserialize(good[:cut])
        assert info.value.schema_id == schema_id and info.value.size == cut


def test_garbage_and_leftover_bytes(serde: Any) -> None:
    good = serde.serialize(command())
    # A valid header, then bytes that are not a TelescopeCommand (a uuid string of length 3).
    with pytest.raises(errors.DeserializationError) as info:
        serde.deserialize(good[:5] + b"\x06abc" + b"\xff" * 40)
    assert info.value.schema_id == int.from_bytes(good[1:5], "big")
    with pytest.raises(errors.DeserializationError, match="left after the Avro body"):
        serde.deserialize(good + b"\x00")


def test_serialize_rejects_wrong_types_and_invalid_values(serde: Any) -> None:
    with pytest.raises(TypeError, match="TelescopeCommand"):
        serde.serialize({"command_id": "x"})
    with pytest.raises(TypeError, match="str"):
        serde.serialize_key(42)
    bad = command()
    bad.requested_by = 42
    with pytest.raises(errors.SerializationError) as info:
        serde.serialize(bad)
    assert info.value.subject == "telescope.commands-value"


def test_registry_down_at_first_use(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = RegistryConfig(
        f"http://127.0.0.1:{port}", retries=1, backoff_base=0.01, backoff_max=0.02
    )
    with ts.TelescopeCommandsSerde(registry=config) as serde:
        with pytest.raises(errors.RegistryUnavailableError):
            serde.serialize(command())
        with pytest.raises(errors.RegistryUnavailableError):
            serde.deserialize(b"\x00\x00\x00\x00\x01\x00")


def test_schema_registry_url_defaults_to_env_then_config(
    monkeypatch: pytest.MonkeyPatch, registry_url: str
) -> None:
    monkeypatch.delenv("AVROBIND_REGISTRY_URL", raising=False)
    with ts.TelescopeCommandsSerde() as serde:
        assert serde.registry.config.urls == (ts.topics.REGISTRY_URL,) == ("http://localhost:8081",)
    monkeypatch.setenv("AVROBIND_REGISTRY_URL", registry_url)
    with ts.TelescopeCommandsSerde() as serde:
        assert serde.registry.config.urls == (registry_url,)
        assert serde.deserialize(serde.serialize(value := command())) == value
    with ts.TelescopeCommandsSerde("http://127.0.0.1:1") as serde:
        assert serde.registry.config.urls == ("http://127.0.0.1:1",)
