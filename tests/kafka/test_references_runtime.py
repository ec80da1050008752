"""`references = true` at run time: generated producers and serdes register and look up exactly
what `avrobind sync` registers (the referencing schema text and its Confluent references,
referenced subjects first), so producing after `sync` adds no version anywhere, and `sync`
after producing finds everything registered.

Everything is real: a local registry per test over HTTP, `avrobind sync` in its own process,
a tansu broker. What the producer wrote is read by readers that share nothing with it: a fresh
generated serde in another process (`fresh_reader.py`) and confluent-kafka's
``AvroDeserializer`` with its own ``SchemaRegistryClient``.

The project: `shop.common.Point` (defining the enum `Unit`) and `shop.common.Place` (using
Point) are shared types; `Place` is itself a subject of its own that references another.
`shop.orders.Order` uses Place twice (and in an array), Point in a union and Unit, which is
defined inside Point's file; the key `shop.orders.OrderKey` uses Point. Topic `shop.places`
uses the record strategy: its value subject is Place's own subject, its key subject
`shop.orders.OrderKey` holds the same form as `shop.orders-key`. Topic `shop.points` holds
Point, which references nothing: its value subject holds the generated class's own schema.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from codegen.config import load_config
from codegen.errors import InputErrors
from codegen.generator.generate import generate
from codegen.schema.loader import load_directory
from codegen.subjects import subject_schemas
from tests.fixtures_kafka import KafkaBroker, create_topic, read_raw
from tests.kafka.fresh_reader import FreshReader
from tests.paths import REPO

POINT: dict[str, Any] = {
    "type": "record",
    "name": "Point",
    "namespace": "shop.common",
    "fields": [
        {"name": "x", "type": "int"},
        {"name": "y", "type": "int"},
        {
            "name": "unit",
            "type": {"type": "enum", "name": "Unit", "symbols": ["M", "KM"]},
            "default": "M",
        },
    ],
}
# v2: a compatible change of the shared type (a new optional field).
POINT_V2 = {
    **POINT,
    "fields": [*POINT["fields"], {"name": "z", "type": ["null", "int"], "default": None}],
}
SCHEMAS = {
    "common/place.avsc": {
        "type": "record",
        "name": "Place",
        "namespace": "shop.common",
        "fields": [{"name": "name", "type": "string"}, {"name": "at", "type": "Point"}],
    },
    "orders/order.avsc": {
        "type": "record",
        "name": "Order",
        "namespace": "shop.orders",
        "fields": [
            {"name": "order_id", "type": "string"},
            {"name": "origin", "type": "shop.common.Place"},
            {"name": "destination", "type": "shop.common.Place"},
            {"name": "stops", "type": {"type": "array", "items": "shop.common.Place"}},
            {"name": "corner", "type": ["null", "shop.common.Point"], "default": None},
            {"name": "unit", "type": "shop.common.Unit"},
        ],
    },
    "orders/order_key.avsc": {
        "type": "record",
        "name": "OrderKey",
        "namespace": "shop.orders",
        "fields": [{"name": "shop", "type": "string"}, {"name": "at", "type": "shop.common.Point"}],
    },
}
CONFIG = """\
[tool.avrobind]
schemas = "avsc"
out = "out"
package = "{package}"
compatibility = "BACKWARD"
references = true

[tool.avrobind.topics."shop.orders"]
value = "shop.orders.Order"
key = "shop.orders.OrderKey"

[tool.avrobind.topics."shop.places"]
value = "shop.common.Place"
key = "shop.orders.OrderKey"
subject-strategy = "record"

[tool.avrobind.topics."shop.points"]
value = "shop.common.Point"
key = "string"
"""
SHARED = ["shop.common.Point", "shop.common.Place"]
KEY_RECORD = "shop.orders.OrderKey"  # the key subject of shop.places
ORDERS, PLACES, POINTS = "shop.orders", "shop.places", "shop.points"


class Project:
    """A project directory with `references = true`, generated and imported."""

    def __init__(self, root: Path, point: dict[str, Any]) -> None:
        self.package_name = f"shop_refs_{uuid.uuid4().hex[:8]}"
        self.root = root / self.package_name
        for rel, schema in {"common/point.avsc": point, **SCHEMAS}.items():
            path = self.root / "avsc" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(schema), encoding="utf-8")
        self.config = self.root / "pyproject.toml"
        self.config.write_text(CONFIG.format(package=self.package_name), encoding="utf-8")
        generate(load_config(self.config))
        sys.path.insert(0, str(self.root / "out"))
        importlib.invalidate_caches()
        self.p = importlib.import_module(self.package_name)
        self.errors = importlib.import_module(f"{self.package_name}._runtime.errors")

    def sync(self, registry_url: str) -> dict[str, Any]:
        """`avrobind sync --format json` in its own process (nothing shared with the test)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AVROBIND_")}
        run = subprocess.run(
            [
                *(sys.executable, "-m", "codegen", "sync", "--config", str(self.config)),
                *("--registry", registry_url, "--format", "json"),
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        result: dict[str, Any] = json.loads(run.stdout)
        return result

    # -- data, written out by hand: the generated objects and what any Avro reader decodes

    def order(self, i: int) -> Any:
        p = self.p

        def place(name: str, x: int) -> Any:
            return p.Place(name=name, at=p.Point(x=x, y=-x, unit=p.Unit.KM))

        return p.Order(
            order_id=f"o{i}",
            origin=place("depot", i),
            destination=place("home", 10 + i),
            stops=[place("stop", 20 + i)] * i,
            corner=None if i % 2 else p.Point(x=i, y=i),
            unit=p.Unit.M,
        )

    def key(self, i: int) -> Any:
        return self.p.OrderKey(shop=f"s{i}", at=self.p.Point(x=i, y=0, unit=self.p.Unit.M))


def order_dict(i: int, z: bool = False) -> dict[str, Any]:
    extra = {"z": None} if z else {}

    def place(name: str, x: int) -> dict[str, Any]:
        return {"name": name, "at": {"x": x, "y": -x, "unit": "KM", **extra}}

    return {
        "order_id": f"o{i}",
        "origin": place("depot", i),
        "destination": place("home", 10 + i),
        "stops": [place("stop", 20 + i)] * i,
        "corner": None if i % 2 else {"x": i, "y": i, "unit": "M", **extra},
        "unit": "M",
    }


def key_dict(i: int, z: bool = False) -> dict[str, Any]:
    return {"shop": f"s{i}", "at": {"x": i, "y": 0, "unit": "M", **({"z": None} if z else {})}}


@pytest.fixture(scope="module")
def v1(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(tmp_path_factory.mktemp("refs"), POINT)


@pytest.fixture(scope="module")
def v2(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(tmp_path_factory.mktemp("refs"), POINT_V2)


@pytest.fixture(scope="module")
def fresh_reader() -> Iterator[FreshReader]:
    reader = FreshReader()
    yield reader
    reader.close()


def registry_state(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every version of every subject: id, schema text and references."""
    state = {}
    for subject in httpx.get(f"{url}/subjects").json():
        numbers = httpx.get(f"{url}/subjects/{subject}/versions").json()
        state[subject] = [
            httpx.get(f"{url}/subjects/{subject}/versions/{n}").json() for n in numbers
        ]
    return state


def synced(result: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Subject -> (version, id) as `sync` reported them."""
    return {s["subject"]: (s["version"], s["id"]) for s in result["subjects"]}


async def produce(
    project: Project,
    broker: KafkaBroker,
    url: str,
    count: int,
    *,
    auto_register: bool,
    earlier: int = 0,
) -> list[tuple[bytes, bytes]]:
    """Send orders 1..count (and a place) with the generated producers; the (key, value)
    bytes of these orders as the broker holds them (after `earlier` messages of earlier
    calls)."""
    p = project.p
    if not earlier:
        for topic in (ORDERS, PLACES, POINTS):
            await create_topic(broker.bootstrap, topic)
    async with (
        p.ShopOrdersProducer(broker.bootstrap, url, auto_register=auto_register) as orders,
        p.ShopPlacesProducer(broker.bootstrap, url, auto_register=auto_register) as places,
        p.ShopPointsProducer(broker.bootstrap, url, auto_register=auto_register) as points,
    ):
        for i in range(1, count + 1):
            await orders.send(project.order(i), key=project.key(i))
        await places.send(p.Place(name="x", at=p.Point(x=0, y=0)), key=project.key(0))
        await points.send(p.Point(x=1, y=1), key="p")
    records = await read_raw(broker.bootstrap, ORDERS, earlier + count)
    assert len(records) == earlier + count
    return [(r.key, r.value) for r in records[earlier:]]


def schema_id(framed: bytes) -> int:
    assert framed[0] == 0
    return int.from_bytes(framed[1:5], "big")


def check_readers(
    project: Project, url: str, messages: list[tuple[bytes, bytes]], reader: FreshReader, z: bool
) -> None:
    """Readers that share nothing with the producer decode every message."""
    for key, value in messages:
        # A generated serde in another process (writer schema and references fetched by id).
        assert reader.read(project.p.Order, url, value) == value[5:]
        assert reader.read(project.p.OrderKey, url, key) == key[5:]
    # confluent-kafka, its own registry client; expected values written out above.
    confluent = ConfluentRegistry({"url": url})
    value_de, key_de = AvroDeserializer(confluent), AvroDeserializer(confluent)
    decoded = [
        (
            key_de(k, SerializationContext(ORDERS, MessageField.KEY)),
            value_de(v, SerializationContext(ORDERS, MessageField.VALUE)),
        )
        for k, v in messages
    ]
    expected = [(key_dict(i, z), order_dict(i, z)) for i in range(1, len(messages) + 1)]
    assert sorted(decoded, key=lambda kv: kv[0]["shop"]) == expected


# --- generate: the embedded registrations are sync's ----------------------------------------


def test_generated_registrations_are_what_sync_registers(v1: Project) -> None:
    config = load_config(v1.config)
    specs = subject_schemas(config, load_directory(config.schemas))
    embedded = v1.p.topics._REGISTRATIONS

    def refs(reg: Any) -> list[str]:
        return [r.name for r in reg.references]

    for spec in specs:
        if spec.type_name in embedded:
            reg = embedded[spec.type_name]
            assert (reg.schema, refs(reg)) == (spec.text, list(spec.references)), spec.subject
    # In order of first use: Place (origin), then Point (corner; Unit is defined in its file).
    assert refs(embedded["shop.orders.Order"]) == ["shop.common.Place", "shop.common.Point"]
    assert refs(embedded["shop.orders.OrderKey"]) == ["shop.common.Point"]
    assert refs(embedded["shop.common.Place"]) == ["shop.common.Point"]
    assert refs(embedded["shop.common.Point"]) == []
    # The topic codecs carry them; the seed producer finds them by full name.
    assert v1.p.ShopOrdersSerde.SPEC.value.registration is embedded["shop.orders.Order"]
    assert v1.p.ShopOrdersSerde.SPEC.key.registration is embedded["shop.orders.OrderKey"]
    assert v1.p.ShopPlacesSerde.SPEC.value.registration is embedded["shop.common.Place"]
    assert v1.p.ShopPlacesSerde.SPEC.key.registration is embedded["shop.orders.OrderKey"]
    assert v1.p.topics.KafkaAvroProducer.REGISTRATIONS is embedded
    # Point references nothing: its subjects hold the generated class's own schema, which is
    # the text `sync` registers for it.
    assert v1.p.ShopPointsSerde.SPEC.value.registration is None
    point = next(s for s in specs if s.subject == f"{POINTS}-value")
    assert v1.p.ShopPointsSerde.SPEC.value.schema == point.text


def test_generated_topics_with_registrations_pass_ruff_and_mypy_strict(
    v1: Project, tmp_path: Path
) -> None:
    bin_dir = Path(sys.executable).parent
    out = v1.root / "out"
    topics = out / v1.package_name / "topics.py"
    ruff = subprocess.run(
        [str(bin_dir / "ruff"), "check", "--isolated", str(topics)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [
            *(str(bin_dir / "mypy"), "--strict", "--cache-dir", str(tmp_path / "cache")),
            *("-p", v1.package_name),
        ],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


# --- sync, then produce ----------------------------------------------------------------------


@pytest.mark.parametrize("auto_register", [True, False], ids=["auto-register", "look-up"])
async def test_sync_then_produce_adds_no_version_and_uses_syncs_ids(
    v1: Project,
    fresh_kafka_broker: KafkaBroker,
    registry_url: str,
    fresh_reader: FreshReader,
    auto_register: bool,
) -> None:
    result = v1.sync(registry_url)
    ids = synced(result)
    # Point, Place (also the value subject of shop.places), shop.orders-key/-value,
    # shop.orders.OrderKey (the key subject of shop.places), shop.points-key/-value.
    assert result["summary"]["registered"] == len(ids) == 7
    before = registry_state(registry_url)
    # The dependents reference the shared types by their own subjects, version 1.
    value = before[f"{ORDERS}-value"][0]
    assert sorted(r["subject"] for r in value["references"]) == sorted(SHARED)
    assert "references" not in before["shop.common.Point"][0]
    assert before["shop.common.Place"][0]["references"] == [
        {"name": "shop.common.Point", "subject": "shop.common.Point", "version": 1}
    ]

    messages = await produce(v1, fresh_kafka_broker, registry_url, 3, auto_register=auto_register)

    assert registry_state(registry_url) == before  # not a version more, anywhere
    assert {schema_id(v) for _, v in messages} == {ids[f"{ORDERS}-value"][1]}
    assert {schema_id(k) for k, _ in messages} == {ids[f"{ORDERS}-key"][1]}
    check_readers(v1, registry_url, messages, fresh_reader, z=False)
    # The seed class registers the same form.
    p = v1.p
    async with p.topics.KafkaAvroProducer[p.Order](
        fresh_kafka_broker.bootstrap,
        registry_url,
        topic=ORDERS,
        schema_class=p.Order,
        key_schema=p.OrderKey,
        auto_register=auto_register,
    ) as seed:
        await seed.send(v1.order(1), key=v1.key(1))
        assert seed.serde.value.schema_id == ids[f"{ORDERS}-value"][1]
        assert seed.serde.key is not None
        assert seed.serde.key.schema_id == ids[f"{ORDERS}-key"][1]
    assert registry_state(registry_url) == before


def test_look_up_before_sync_names_the_missing_shared_subject(
    v1: Project, registry_url: str
) -> None:
    with (
        v1.p.ShopOrdersSerde(registry_url, auto_register=False) as serde,
        pytest.raises(v1.errors.SchemaNotFoundError) as info,
    ):
        serde.serialize(v1.order(1))
    assert info.value.subject == "shop.common.Point"
    assert "avrobind sync" in str(info.value) and "shop.orders-value" in str(info.value)
    assert httpx.get(f"{registry_url}/subjects").json() == []


# --- produce, then sync ----------------------------------------------------------------------


async def test_produce_then_sync_finds_everything_registered(
    v1: Project, fresh_kafka_broker: KafkaBroker, registry_url: str, fresh_reader: FreshReader
) -> None:
    messages = await produce(v1, fresh_kafka_broker, registry_url, 2, auto_register=True)
    before = registry_state(registry_url)
    assert sorted(before) == sorted(
        [
            *SHARED,
            f"{ORDERS}-key",
            f"{ORDERS}-value",
            KEY_RECORD,
            f"{POINTS}-key",
            f"{POINTS}-value",
        ]
    )
    assert all(len(versions) == 1 for versions in before.values())

    result = v1.sync(registry_url)

    # Nothing to register: the only action left is setting each subject's own level (the
    # runtime never sets levels).
    assert result["summary"]["new_versions"] == 0 and result["summary"]["registered"] == 0
    assert all(set(s["actions"]) <= {"set-level"} for s in result["subjects"]), result
    assert registry_state(registry_url) == before
    ids = synced(result)
    assert {schema_id(v) for _, v in messages} == {ids[f"{ORDERS}-value"][1]}
    assert {schema_id(k) for k, _ in messages} == {ids[f"{ORDERS}-key"][1]}
    again = v1.sync(registry_url)
    assert again["summary"]["unchanged"] == len(ids) == 7
    check_readers(v1, registry_url, messages, fresh_reader, z=False)


# --- a shared type changes -------------------------------------------------------------------


async def test_a_changed_shared_type_gets_its_version_first_and_old_producers_keep_theirs(
    v1: Project,
    v2: Project,
    fresh_kafka_broker: KafkaBroker,
    registry_url: str,
    fresh_reader: FreshReader,
) -> None:
    ids_v1 = synced(v1.sync(registry_url))
    # Before `sync` of v2, looking up fails on the shared type that changed.
    with (
        v2.p.ShopOrdersSerde(registry_url, auto_register=False) as serde,
        pytest.raises(v2.errors.SchemaNotFoundError) as info,
    ):
        serde.serialize(v2.order(1))
    assert info.value.subject == "shop.common.Point"

    # A v2 producer registers Point v2, then Place v2 (referencing Point v2), then the
    # dependents referencing both; `sync` of v2 then has nothing to register.
    messages = await produce(v2, fresh_kafka_broker, registry_url, 2, auto_register=True)
    state = registry_state(registry_url)
    for subject in [*SHARED, f"{ORDERS}-key", f"{ORDERS}-value", KEY_RECORD, f"{POINTS}-value"]:
        assert [v["version"] for v in state[subject]] == [1, 2], subject
    latest = state[f"{ORDERS}-value"][-1]
    assert {r["subject"]: r["version"] for r in latest["references"]} == dict.fromkeys(SHARED, 2)
    assert state["shop.common.Place"][-1]["references"][0]["version"] == 2
    result = v2.sync(registry_url)
    assert result["summary"]["registered"] == 0 and result["summary"]["unchanged"] == 7, result
    assert registry_state(registry_url) == state
    check_readers(v2, registry_url, messages, fresh_reader, z=True)
    # Messages of v2 are read by the old generated class too (resolution: `z` dropped).
    v1_codec = importlib.import_module(f"{v1.package_name}._runtime.serde").RecordCodec(v1.p.Order)
    for i, (_, value) in enumerate(messages, 1):
        assert fresh_reader.read(v1.p.Order, registry_url, value) == v1_codec.encode(v1.order(i))

    # An old service that was not redeployed keeps its ids: Point and Place have two versions
    # now, and its look-ups find the versions holding its own schemas (1), not the latest.
    old = await produce(
        v1, fresh_kafka_broker, registry_url, 2, auto_register=False, earlier=len(messages)
    )
    assert registry_state(registry_url) == state
    assert {schema_id(v) for _, v in old} == {ids_v1[f"{ORDERS}-value"][1]}
    assert {schema_id(k) for k, _ in old} == {ids_v1[f"{ORDERS}-key"][1]}
    check_readers(v1, registry_url, old, fresh_reader, z=False)


def test_registrations_are_resolved_once_per_client(v1: Project, registry_url: str) -> None:
    """A topic serde's key and value share the referenced subjects' look-ups; after the first
    message nothing goes to the registry."""
    v1.sync(registry_url)
    seen: list[str] = []
    registry = importlib.import_module(f"{v1.package_name}._runtime.registry")
    client = registry.SchemaRegistryClient(
        registry.RegistryConfig(registry_url),
        event_hooks={"request": [lambda r: seen.append(f"{r.method} {r.url.path}")]},
    )
    with v1.p.ShopOrdersSerde(registry=client, auto_register=False) as serde:
        serde.register()
        first = list(seen)
        for i in range(1, 4):
            serde.serialize(v1.order(i))
            serde.serialize_key(v1.key(i))
    client.close()
    # Point and Place once each, then the key and the value subjects: all look-ups.
    assert sorted(first) == sorted(
        f"POST /subjects/{s}"
        for s in ["shop.common.Point", "shop.common.Place", f"{ORDERS}-key", f"{ORDERS}-value"]
    )
    assert seen == first


def test_generate_rejects_files_that_use_each_others_types(tmp_path: Path) -> None:
    """`sync` cannot register them with references, so the runtime could not either."""
    for name, other in (("A", "B"), ("B", "A")):
        field = {"name": "other", "type": ["null", f"n.{other}"], "default": None}
        schema = {"type": "record", "name": name, "namespace": "n", "fields": [field]}
        (tmp_path / "avsc").mkdir(exist_ok=True)
        (tmp_path / "avsc" / f"{name.lower()}.avsc").write_text(json.dumps(schema))
    config = tmp_path / "pyproject.toml"
    config.write_text(
        '[tool.avrobind]\nschemas = "avsc"\nout = "out"\npackage = "cyc"\nreferences = true\n'
        '[tool.avrobind.topics."t"]\nvalue = "n.A"\n'
    )
    with pytest.raises(InputErrors) as info:
        generate(load_config(config))
    assert "n.A -> n.B -> n.A use each other's types" in str(info.value)
    assert info.value.errors[0].path == "tool.avrobind.references"
    assert not (tmp_path / "out").exists()
