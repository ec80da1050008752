"""`topics.py` of generated packages: names, embedded constants, every kind of key and value.

Packages are generated from a config into temporary directories and imported; the checked
values (class names, subjects) are written out here from the naming rules in DESIGN.md, not
computed with the code under test.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from codegen.config import Config, TopicConfig
from codegen.errors import InputErrors
from codegen.generator.generate import generate

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

SCHEMAS = {
    "reading.avsc": {
        "type": "record",
        "name": "Reading",
        "namespace": "plant.sensors",
        "fields": [{"name": "sensor", "type": "string"}, {"name": "value", "type": "double"}],
    },
    "alarm.avsc": {
        "type": "enum",
        "name": "Alarm",
        "namespace": "plant.alarms",
        "symbols": ["LOW", "HIGH"],
    },
    "digest.avsc": {"type": "fixed", "name": "Digest", "namespace": "plant.hash", "size": 4},
    "device.avsc": {
        "type": "record",
        "name": "DeviceKey",
        "namespace": "plant.keys",
        "fields": [{"name": "site", "type": "string"}, {"name": "device", "type": "int"}],
    },
}
TOPICS = {
    "plant.readings": TopicConfig("plant.readings", "plant.sensors.Reading", "string", None),
    "plant-readings_by.record": TopicConfig(
        "plant-readings_by.record", "plant.sensors.Reading", "plant.keys.DeviceKey", None, "record"
    ),
    "plant.readings.tr": TopicConfig(
        "plant.readings.tr", "plant.sensors.Reading", None, None, "topic-record"
    ),
    "plant.alarms": TopicConfig("plant.alarms", "plant.alarms.Alarm", "long", None),
    "plant.counters": TopicConfig("plant.counters", "long", None, None),
    "9lives.digests": TopicConfig("9lives.digests", "plant.hash.Digest", "bytes", None),
}


def make_config(
    root: Path, topics: dict[str, TopicConfig], package: str, extra: dict[str, object] | None = None
) -> Config:
    schemas = root / "avsc"
    schemas.mkdir(parents=True, exist_ok=True)
    for name, schema in {**SCHEMAS, **(extra or {})}.items():
        (schemas / name).write_text(json.dumps(schema), encoding="utf-8")
    return Config(
        schemas=schemas,
        out=root / "out",
        package=package,
        registry="http://registry.example:8081",
        topics=topics,
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    root = tmp_path_factory.mktemp("topics")
    name = f"plant_{uuid.uuid4().hex[:8]}"
    config = make_config(root, TOPICS, name)
    generate(config)
    sys.path.insert(0, str(config.out))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(config.out))


def test_class_names_and_constants(package: ModuleType) -> None:
    expected = {
        # topic: (prefix, key subject, value subject)
        "plant.readings": ("PlantReadings", "plant.readings-key", "plant.readings-value"),
        "plant-readings_by.record": (
            "PlantReadingsByRecord",
            "plant.keys.DeviceKey",
            "plant.sensors.Reading",
        ),
        "plant.readings.tr": ("PlantReadingsTr", None, "plant.readings.tr-plant.sensors.Reading"),
        "plant.alarms": ("PlantAlarms", "plant.alarms-key", "plant.alarms-value"),
        "plant.counters": ("PlantCounters", None, "plant.counters-value"),
        "9lives.digests": ("T9livesDigests", "9lives.digests-key", "9lives.digests-value"),
    }
    for topic, (prefix, key_subject, value_subject) in expected.items():
        for kind in ("Serde", "Producer", "Consumer"):
            cls = getattr(package, prefix + kind)  # re-exported from the package
            assert cls is getattr(package.topics, prefix + kind)
            assert (topic, key_subject, value_subject) == (
                cls.TOPIC,
                cls.KEY_SUBJECT,
                cls.VALUE_SUBJECT,
            )
            assert cls.SPEC.topic == topic
    assert package.PlantReadingsSerde.VALUE_TYPE is package.Reading
    assert package.PlantReadingsSerde.KEY_TYPE is str
    assert package.PlantReadingsByRecordConsumer.KEY_TYPE is package.DeviceKey
    assert package.PlantAlarmsProducer.VALUE_TYPE is package.Alarm
    assert package.PlantAlarmsProducer.KEY_TYPE is int
    assert package.PlantCountersSerde.KEY_TYPE is bytes  # no `key`: raw bytes keys
    assert package.T9livesDigestsSerde.VALUE_TYPE is bytes
    assert package.topics.REGISTRY_URL == "http://registry.example:8081"


def test_every_kind_of_key_and_value_round_trips(package: ModuleType, registry_url: str) -> None:
    p = package
    cases = [
        (p.PlantReadingsSerde, p.Reading(sensor="s1", value=0.5), "dev-1"),
        (
            p.PlantReadingsByRecordSerde,
            p.Reading(sensor="s2", value=1.5),
            p.DeviceKey(site="x", device=7),
        ),
        (p.PlantAlarmsSerde, p.Alarm.HIGH, 2**40),
        (p.PlantCountersSerde, 12345678901, b"raw-key"),
        (p.T9livesDigestsSerde, b"\x01\x02\x03\x04", b"\x00\xffbytes"),
    ]
    for serde_cls, value, key in cases:
        with serde_cls(registry_url) as serde:
            data, key_data = serde.serialize(value), serde.serialize_key(key)
            assert serde.deserialize(data) == value
            assert serde.deserialize_key(key_data) == key
    subjects = set(httpx.get(f"{registry_url}/subjects").json())
    assert subjects == {
        "plant.readings-key",
        "plant.readings-value",
        "plant.keys.DeviceKey",
        "plant.sensors.Reading",
        "plant.alarms-key",
        "plant.alarms-value",
        "plant.counters-value",
        "9lives.digests-key",
        "9lives.digests-value",
    }
    latest = httpx.get(f"{registry_url}/subjects/plant.counters-value/versions/latest").json()
    assert json.loads(latest["schema"]) == "long"
    # A topic without `key`: keys are bytes both ways, as they are, not framed; a str is
    # refused (it would come back as bytes), naming the configuration that types it.
    with p.PlantCountersSerde(registry_url) as serde:
        assert serde.serialize_key(b"\x00key") == b"\x00key"
        with pytest.raises(p._runtime.codec.WrongTypeError, match='key-format = "raw"'):
            serde.serialize_key("ключ")
    # A primitive "bytes" key is written raw after the header, as Confluent does.
    with p.T9livesDigestsSerde(registry_url) as serde:
        assert serde.serialize_key(b"\x00\xffbytes")[5:] == b"\x00\xffbytes"


def test_generated_topics_pass_ruff_and_mypy_strict(package: ModuleType, tmp_path: Path) -> None:
    root = Path(package.__file__).parent
    out = root.parent
    # This module's own files: topics.py and the runtime it imports (models are tested elsewhere).
    targets = [str(root / "topics.py"), str(root / "_runtime")]
    ruff = subprocess.run(
        [str(BIN / "ruff"), "check", "--isolated", *targets],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [
            str(BIN / "mypy"),
            "--strict",
            "--cache-dir",
            str(tmp_path / "cache"),
            "-p",
            package.__name__,
        ],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_topic_name_collisions_are_reported(tmp_path: Path) -> None:
    topics = {
        "plant.readings": TOPICS["plant.readings"],
        "plant-readings": TopicConfig("plant-readings", "plant.sensors.Reading", None, None),
    }
    with pytest.raises(InputErrors) as info:
        generate(make_config(tmp_path, topics, "clash_pkg"))
    text = str(info.value)
    assert "PlantReadingsProducer" in text and "plant-readings" in text
    assert not (tmp_path / "out" / "clash_pkg").exists()


def test_topic_class_named_like_a_record_is_reported(tmp_path: Path) -> None:
    extra = {
        "producer.avsc": {
            "type": "record",
            "name": "PlantReadingsProducer",
            "namespace": "plant.other",
            "fields": [{"name": "x", "type": "int"}],
        }
    }
    config = make_config(tmp_path, {"plant.readings": TOPICS["plant.readings"]}, "clash2", extra)
    with pytest.raises(InputErrors, match="PlantReadingsProducer"):
        generate(config)


def test_repository_package_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
