"""`make bench`: avrobind's generated code against the usual Python ways, in one process.

Prints one table and writes it, with the machine and package versions, to bench/RESULTS.md.

Codec rows (small, medium and large schemas of bench/schemas/): every contender runs in the
same process, in interleaved rounds (the order rotates each round), and the median time per
message of the rounds is reported; "x" columns are contender time / avrobind time (how many
times faster avrobind is).

- avrobind: a generated class through its serde (`SubjectSerde.serialize(obj)` -> framed
  bytes; `deserialize(framed)` -> object), with the local registry.
- reference: fastavro `schemaless_writer`/`schemaless_reader`, schema parsed once, on the
  equivalent dict (UUID, datetime, Decimal objects; enum symbols; nested dicts). The writer
  writes the same 5-byte header first, so both produce the same bytes.
- dataclasses-avroschema: `serialize()` / `deserialize()` of the AvroModels its own model
  generator (`ModelGenerator`, what `dc-avro` runs) writes for the bench schemas; each is
  checked to write the same bytes.
- confluent-kafka: `AvroSerializer` with `to_dict` / `AvroDeserializer` with `from_dict`,
  against the same registry.
- full range: the same rows with values over each type's full range (64-bit longs, 31-bit
  ints, millisecond timestamps, long strings with multi-byte characters; `full_values`).
- compiled: the codec rows again for the package generated with `avrobind generate --compile`
  (its codec modules built with Cython), when Cython is installed (`avrobind[compile]`).
- resolution: bytes written with another version of the schema, decoded by avrobind's serde
  (a resolving reader generated per writer schema id) against fastavro resolving the same
  bytes into a dict: an older version per schema, and on medium one row per kind of evolution
  (`evolutions`).

Then: `avrobind generate` on 500 schemas (cold, and a no-op re-run), at scale (4,000
records in one namespace, one record with a 16 MB doc; cold), `avrobind sync` of 200
subjects that are already registered, import time of a generated package of 100 records
against the same classes written by hand, and produce+consume through tansu. Then produce and
consume rows per Kafka client (bench/clients.py; `python bench/clients.py` runs only those).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import decimal
import importlib
import importlib.util
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SCHEMAS = BENCH / "schemas"
RESULTS = BENCH / "RESULTS.md"
PYTHON = sys.executable
AVROBIND = [PYTHON, "-m", "codegen"]
ROUNDS = 7
HEADER_ID = 1

sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO))
# (as pytest's pythonpath: the test fixtures bench reuses import the generated package)
sys.path.insert(0, str(REPO / "generated"))


# --- helpers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Registry:
    """`avrobind registry serve` on a free port (stopped by its PID)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (workdir / f"registry-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            [*AVROBIND, "registry", "serve", "--port", str(self.port)],
            cwd=REPO,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/subjects", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the registry did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def timed(fn: Callable[[], object], n: int) -> float:
    """Seconds per call of `fn` over `n` calls."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def calibrate(fn: Callable[[], object], target: float = 0.05) -> int:
    """How many calls take about `target` seconds."""
    n = 1
    while True:
        elapsed = timed(fn, n) * n
        if elapsed >= target / 4 or n >= 1_000_000:
            return max(1, int(n * target / max(elapsed, 1e-9)))
        n *= 4


def interleaved(contenders: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median seconds per call of each contender, over ROUNDS rounds in rotating order."""
    counts = {name: calibrate(fn) for name, fn in contenders.items()}
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(ROUNDS):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(timed(contenders[name], counts[name]))
    return {name: statistics.median(values) for name, values in samples.items()}


def run_timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


# --- the data ------------------------------------------------------------------------------


def medium_values(i: int) -> dict[str, Any]:
    return {
        "event_id": uuid.UUID(int=(i * 0x9E3779B97F4A7C15) % 2**128),
        "created_at": datetime.datetime(2024, 5, 1, 12, 30, 15, 123000, tzinfo=datetime.UTC)
        + datetime.timedelta(seconds=i),
        "status": ("NEW", "ACTIVE", "DONE", "FAILED")[i % 4],
        "position": {"lat": 52.0 + i / 1000, "lon": 4.25 - i / 1000},
        "tags": ["alpha", "beta", f"tag-{i}"],
        "attributes": {"region": "eu-west-1", "tier": "gold"},
        "note": None if i % 3 == 0 else f"note {i}",
        "amount": decimal.Decimal(f"{1234 + i}.{i % 100:02d}"),
        "count": i % 1000,
        "score": 0.5 + i / 7,
        "active": i % 2 == 0,
        "name": f"medium record {i}",
    }


def values(kind: str) -> dict[str, Any]:
    """The equivalent dict (what fastavro takes) of the benchmark message of `kind`."""
    if kind == "small":
        return {
            "sensor_id": 1_234_567,
            "name": "sensor-42",
            "value": 21.5,
            "active": True,
            "count": 7,
        }
    if kind == "medium":
        return medium_values(1)
    return {"batch_id": "batch-0001", "items": [medium_values(i) for i in range(50)]}


def generated_models(work: Path) -> Any:
    """The bench schemas as dataclasses-avroschema's own model generator writes them (what its
    users have: `ModelGenerator`, behind `dc-avro`), imported from `work`."""
    import warnings

    from dataclasses_avroschema import ModelGenerator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # render_module's notice about the `render` API
        source = ModelGenerator().render_module(
            schemas=[full_schema("small"), full_schema("large")]
        )
    (work / "dc_models.py").write_text(source)
    sys.path.insert(0, str(work))
    return importlib.import_module("dc_models")


def text(rng: Any, lo: int, hi: int) -> str:
    """A string of `lo` to `hi` characters, a fifth of them multi-byte in UTF-8."""
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_" + "éü€中😀" * 3
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def full_medium(rng: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.UUID(int=rng.getrandbits(128)),
        "created_at": datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
        + datetime.timedelta(milliseconds=rng.randrange(100 * 365 * 86_400_000)),
        "status": rng.choice(("NEW", "ACTIVE", "DONE", "FAILED")),
        "position": {"lat": rng.uniform(-90, 90), "lon": rng.uniform(-180, 180)},
        "tags": [text(rng, 5, 40) for _ in range(rng.randint(1, 8))],
        "attributes": {text(rng, 3, 20): text(rng, 5, 60) for _ in range(rng.randint(1, 6))},
        "note": text(rng, 10, 200),
        "amount": decimal.Decimal(rng.randrange(-(10**12) + 1, 10**12)).scaleb(-2),
        "count": rng.randrange(-(2**31), 2**31),
        "score": rng.uniform(-1e9, 1e9),
        "active": rng.random() < 0.5,
        "name": text(rng, 10, 80),
    }


def full_values(kind: str) -> dict[str, Any]:
    """The message of `kind` with values over each type's full range: 64-bit longs, 31-bit
    ints, millisecond timestamps of this century, long strings with multi-byte characters,
    12-digit decimals."""
    import random

    rng = random.Random(f"avrobind-{kind}")
    if kind == "small":
        return {
            "sensor_id": rng.randrange(-(2**63), 2**63),
            "name": text(rng, 40, 80),
            "value": rng.uniform(-1e300, 1e300),
            "active": True,
            "count": rng.randrange(-(2**31), 2**31),
        }
    if kind == "medium":
        return full_medium(rng)
    return {"batch_id": text(rng, 10, 40), "items": [full_medium(rng) for _ in range(50)]}


def to_model(models: Any, kind: str, v: dict[str, Any]) -> Any:
    """The dataclasses-avroschema model of the values."""
    if kind == "small":
        return models.Small(**v)
    if kind == "medium":
        return models.Medium(
            **{
                **v,
                "status": models.Status(v["status"]),
                "position": models.Position(**v["position"]),
            }
        )
    return models.Large(
        batch_id=v["batch_id"], items=[to_model(models, "medium", m) for m in v["items"]]
    )


def natural_dict(obj: Any) -> Any:
    """A generated object as a dict fastavro takes (`to_dict` for confluent-kafka's serializer)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: natural_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list):
        return [natural_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {k: natural_dict(x) for k, x in obj.items()}
    if hasattr(obj, "__avro_name__"):  # an enum member
        return obj.value
    return obj


def older_schema(kind: str) -> Any:
    """A previous version of the schema: `small` had one more field, `medium` one fewer."""
    small = json.loads((SCHEMAS / "small.avsc").read_text())
    medium = json.loads((SCHEMAS / "medium.avsc").read_text())
    if kind == "small":
        small["fields"].append({"name": "legacy_unit", "type": "string"})
        return small
    medium["fields"] = [f for f in medium["fields"] if f["name"] != "note"]
    if kind == "medium":
        return medium
    large = json.loads((SCHEMAS / "large.avsc").read_text())
    large["fields"][1]["type"]["items"] = medium
    return large


def full_schema(kind: str) -> Any:
    schema = json.loads((SCHEMAS / f"{kind}.avsc").read_text())
    if kind == "large":
        schema["fields"][1]["type"]["items"] = json.loads((SCHEMAS / "medium.avsc").read_text())
    return schema


# --- codec rows ----------------------------------------------------------------------------


def codec_rows(
    pkg: Any, registry: Registry, models: Any, compiled: Any = None
) -> list[dict[str, Any]]:
    """The codec rows of `pkg` (pure Python), then those of `compiled` (the same package
    generated with `--compile`) when there is one."""
    from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry

    registry_mod = importlib.import_module(f"{pkg.__name__}._runtime.registry")
    client = registry_mod.SchemaRegistryClient(registry.url)
    confluent = ConfluentRegistry({"url": registry.url})
    rows = [
        codec_row(pkg, kind, client, confluent, models, full)
        for full in (False, True)
        for kind in ("small", "medium", "large")
    ]
    rows.append(resolution_row(pkg, client))
    if compiled is not None:
        rows += [
            codec_row(compiled, kind, client, confluent, models, full, mode=" (compiled)")
            for full in (False, True)
            for kind in ("small", "medium", "large")
        ]
    client.close()
    return rows


def codec_row(
    pkg: Any,
    kind: str,
    client: Any,
    confluent: Any,
    models: Any,
    full: bool = False,
    mode: str = "",
) -> dict[str, Any]:
    """Encode, decode and (bench values) resolution of one schema; `full`: with the values of
    `full_values` rather than the small bench values; `mode` is added to the row's label."""
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    serde_mod = importlib.import_module(f"{pkg.__name__}._runtime.serde")
    cls = getattr(pkg, kind.capitalize())
    schema = full_schema(kind)
    parsed = fastavro.parse_schema(schema)
    v = full_values(kind) if full else values(kind)
    # The generated object, built from the dict as a service would (from_avro).
    obj = cls.from_avro(v)
    model = to_model(models, kind, v)
    serde = serde_mod.SubjectSerde(serde_mod.RecordCodec(cls), f"bench-{kind}-value", client)
    framed = serde.serialize(obj)
    header = framed[:5]

    def reference_encode(v: Any = v, parsed: Any = parsed, header: bytes = header) -> bytes:
        out = io.BytesIO()
        out.write(header)
        fastavro.schemaless_writer(out, parsed, v)
        return out.getvalue()

    assert reference_encode() == framed, kind
    assert model.serialize() == framed[5:], kind
    ctx = SerializationContext(f"bench-{kind}", MessageField.VALUE)
    serializer = AvroSerializer(
        confluent,
        json.dumps(schema),
        lambda o, _ctx: natural_dict(o),
        {"auto.register.schemas": True},
    )
    assert serializer(obj, ctx)[5:] == framed[5:], kind
    deserializer = AvroDeserializer(
        confluent, json.dumps(schema), lambda d, _ctx, cls=cls: cls.from_avro(d)
    )
    assert deserializer(framed, ctx) == obj and serde.deserialize(framed) == obj, kind

    encode = interleaved(
        {
            "avrobind": lambda: serde.serialize(obj),
            "reference": reference_encode,
            "dataclasses-avroschema": model.serialize,
            "confluent-kafka": lambda: serializer(obj, ctx),
        }
    )
    body = framed[5:]

    def reference_decode(framed: bytes = framed, parsed: Any = parsed) -> Any:
        buf = io.BytesIO(framed)
        buf.seek(5)
        return fastavro.schemaless_reader(buf, parsed, None)

    decode = interleaved(
        {
            "avrobind": lambda: serde.deserialize(framed),
            "reference": reference_decode,
            "dataclasses-avroschema": lambda: type(model).deserialize(body),
            "confluent-kafka": lambda: deserializer(framed, ctx),
        }
    )
    label = (f"{kind}, full range" if full else kind) + mode
    if full:
        return {"kind": label, "size": len(framed), "encode": encode, "decode": decode}
    # Written with an older version: registered under another subject, read by `serde`.
    old = older_schema(kind)
    old_parsed = fastavro.parse_schema(old)
    old_datum = dict(v)
    if kind == "small":
        old_datum["legacy_unit"] = "celsius"
    elif kind == "medium":
        old_datum.pop("note")
    else:
        old_datum["items"] = [{k: x for k, x in m.items() if k != "note"} for m in v["items"]]
    old_id = client.register(f"bench-{kind}-old-value", json.dumps(old))
    out = io.BytesIO()
    out.write(b"\x00" + old_id.to_bytes(4, "big"))
    fastavro.schemaless_writer(out, old_parsed, old_datum)
    old_framed = out.getvalue()
    resolved = serde.deserialize(old_framed)
    assert isinstance(resolved, cls), kind

    def reference_resolve(
        old_framed: bytes = old_framed, old_parsed: Any = old_parsed, parsed: Any = parsed
    ) -> Any:
        buf = io.BytesIO(old_framed)
        buf.seek(5)
        return fastavro.schemaless_reader(buf, old_parsed, parsed)

    resolution = interleaved(
        {"avrobind": lambda: serde.deserialize(old_framed), "reference": reference_resolve}
    )
    return {
        "kind": label,
        "size": len(framed),
        "encode": encode,
        "decode": decode,
        "resolve": resolution,
    }


def evolutions() -> dict[str, tuple[Any, Callable[[dict[str, Any]], dict[str, Any]]]]:
    """Writer versions of the medium schema, one per kind of evolution: (writer schema, the
    writer's datum of the reader's values)."""
    medium = json.loads((SCHEMAS / "medium.avsc").read_text())

    def retyped(name: str, new_type: Any) -> Any:
        w = json.loads(json.dumps(medium))
        for f in w["fields"]:
            if f["name"] == name:
                f["type"] = new_type
                f.pop("default", None)
        return w

    added = json.loads(json.dumps(medium))
    added["fields"] = [f for f in added["fields"] if f["name"] != "note"]
    removed = json.loads(json.dumps(medium))
    removed["fields"].insert(3, {"name": "legacy_unit", "type": "string"})
    reordered = json.loads(json.dumps(medium))
    reordered["fields"].reverse()
    enum = {"type": "enum", "name": "Status", "symbols": ["NEW", "ACTIVE"]}
    return {
        "field added (writer lacks it)": (
            added,
            lambda d: {k: x for k, x in d.items() if k != "note"},
        ),
        "field removed (reader lacks it)": (removed, lambda d: {**d, "legacy_unit": "celsius"}),
        "fields reordered": (reordered, dict),
        "int -> double (score)": (retyped("score", "int"), lambda d: {**d, "score": 7}),
        "long -> double (score)": (retyped("score", "long"), lambda d: {**d, "score": 2**40}),
        "float -> double (score)": (retyped("score", "float"), lambda d: {**d, "score": 0.5}),
        "bytes -> string (name)": (
            retyped("name", "bytes"),
            lambda d: {**d, "name": d["name"].encode()},
        ),
        "enum symbols added (status)": (
            retyped("status", enum),
            lambda d: {**d, "status": "ACTIVE"},
        ),
        "union widened (note: string)": (retyped("note", "string"), lambda d: {**d, "note": "n"}),
    }


def resolution_row(pkg: Any, client: Any) -> dict[str, Any]:
    """The medium record written by each evolution's writer: avrobind's serde (a resolving
    reader generated per writer schema id) against fastavro's resolving reader."""
    serde_mod = importlib.import_module(f"{pkg.__name__}._runtime.serde")
    serde = serde_mod.SubjectSerde(serde_mod.RecordCodec(pkg.Medium), "bench-medium-value", client)
    parsed = fastavro.parse_schema(full_schema("medium"))
    results: dict[str, dict[str, float]] = {}
    for i, (what, (writer, datum_of)) in enumerate(evolutions().items()):
        writer_parsed = fastavro.parse_schema(writer)
        schema_id = client.register(f"bench-evolution-{i}-value", json.dumps(writer))
        out = io.BytesIO()
        out.write(b"\x00" + schema_id.to_bytes(4, "big"))
        fastavro.schemaless_writer(out, writer_parsed, datum_of(medium_values(1)))
        framed = out.getvalue()

        def reference(framed: bytes = framed, w: Any = writer_parsed) -> Any:
            buf = io.BytesIO(framed)
            buf.seek(5)
            return fastavro.schemaless_reader(buf, w, parsed)

        expected = pkg.Medium.from_avro(
            fastavro.schemaless_reader(
                io.BytesIO(framed[5:]),
                writer_parsed,
                pkg.Medium.resolution_schema(),
                return_named_type=True,
            )
        )
        assert serde.deserialize(framed) == expected, what

        def ours(framed: bytes = framed) -> Any:
            return serde.deserialize(framed)

        results[what] = interleaved({"avrobind": ours, "reference": reference})
    return {"kind": "evolutions", "results": results}


# --- generate, sync, import ----------------------------------------------------------------


def event_schemas(directory: Path, count: int) -> list[str]:
    """`count` medium-like records (each with its own enum and nested record), 25 per namespace."""
    medium = json.loads((SCHEMAS / "medium.avsc").read_text())
    names = []
    for i in range(count):
        s = json.loads(json.dumps(medium))
        s["name"], s["namespace"] = f"Event{i}", f"bench.domain{i // 25}"
        for f in s["fields"]:
            if isinstance(f["type"], dict) and f["type"].get("type") in ("enum", "record"):
                f["type"]["name"] += str(i)
        path = directory / f"domain{i // 25}" / f"event{i}.avsc"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(s, indent=2))
        names.append(f"{s['namespace']}.{s['name']}")
    return names


def generate_times(work: Path) -> tuple[float, float]:
    schemas = work / "gen500"
    event_schemas(schemas, 500)
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    cmd = [
        *AVROBIND,
        "generate",
        "--schemas",
        str(schemas),
        "--out",
        str(work / "gen500-out"),
        "--package",
        "events",
    ]
    cold = run_timed(cmd, REPO, env)
    noop = statistics.median(run_timed(cmd, REPO, env) for _ in range(3))
    return cold, noop


# --- generate at scale (issue 15) ----------------------------------------------------------


def one_namespace_schemas(directory: Path, count: int) -> None:
    """`count` medium-like records in ONE namespace (one module of `count` classes); the nested
    enum and record are defined by the first and referenced by name after."""
    medium = json.loads((SCHEMAS / "medium.avsc").read_text())
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        s = json.loads(json.dumps(medium))
        s["name"], s["namespace"], s["doc"] = f"Event{i}", "bench.big", f"Event number {i}."
        if i:
            for f in s["fields"]:
                if isinstance(f["type"], dict) and f["type"].get("type") in ("enum", "record"):
                    f["type"] = f["type"]["name"]
        (directory / f"event{i}.avsc").write_text(json.dumps(s, indent=2))


def big_doc_schema(directory: Path, size: int) -> None:
    """One record whose doc is `size` characters of prose with quotes, backslashes, tabs,
    non-ASCII and East Asian wide characters, in lines of 200."""
    words = (
        'The quick brown fox jumps over the lazy dog; "quoted" text, a back\\slash, '
        "tabs\tand émigré ünïcode — 漢字. "
    )
    text = (words * (size // len(words) + 1))[:size]
    text = "\n".join(text[i : i + 200] for i in range(0, len(text), 200))
    schema = {
        "type": "record",
        "name": "Documented",
        "namespace": "bench.doc",
        "doc": text,
        "fields": [{"name": "x", "type": "string", "doc": "a field"}],
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "documented.avsc").write_text(json.dumps(schema, indent=2))


def scale_generate_times(work: Path) -> tuple[float, float]:
    """Cold `generate` of 4,000 records in one namespace, and of one record with a 16 MB doc."""
    times = []
    for name, make in (
        ("one-namespace", lambda d: one_namespace_schemas(d, 4000)),
        ("big-doc", lambda d: big_doc_schema(d, 16_000_000)),
    ):
        schemas = work / f"scale-{name}"
        make(schemas)
        env = {**os.environ, "XDG_CACHE_HOME": str(work / f"cache-{name}")}
        cmd = [*AVROBIND, "generate", "--schemas", str(schemas), "--out", str(work / f"out-{name}")]
        times.append(run_timed([*cmd, "--package", "scale"], REPO, env))
    return times[0], times[1]


def sync_time(work: Path, registry: Registry) -> float:
    project = work / "sync-project"
    names = event_schemas(project / "avsc", 100)
    topics = "".join(
        f'\n[tool.avrobind.topics."bench.topic{i}"]\nvalue = "{name}"\nkey = "string"\n'
        for i, name in enumerate(names)
    )
    (project / "pyproject.toml").write_text(
        f'[tool.avrobind]\nschemas = "avsc"\nout = "generated"\npackage = "syncbench"\n'
        f'registry = "{registry.url}"\ncompatibility = "BACKWARD"\n{topics}'
    )
    cmd = [*AVROBIND, "sync", "--registry", registry.url]
    run_timed(cmd, project)  # registers the 200 subjects
    return statistics.median(run_timed(cmd, project) for _ in range(3))


def hand_written_module(names: list[str]) -> str:
    lines = [
        "import dataclasses, datetime, enum, uuid",
        "from dataclasses_avroschema import AvroModel, types",
    ]
    for i, _ in enumerate(names):
        lines += [
            f"class Status{i}(enum.Enum):",
            '    NEW = "NEW"\n    ACTIVE = "ACTIVE"\n    DONE = "DONE"\n    FAILED = "FAILED"',
            "@dataclasses.dataclass(kw_only=True)",
            f"class Position{i}(AvroModel):",
            "    lat: float\n    lon: float",
            f'    class Meta:\n        namespace = "bench.domain{i // 25}"',
            "@dataclasses.dataclass(kw_only=True)",
            f"class Event{i}(AvroModel):",
            "    event_id: uuid.UUID\n    created_at: datetime.datetime",
            f"    status: Status{i}\n    position: Position{i}",
            "    tags: list[str]\n    attributes: dict[str, str]\n    note: str | None = None",
            "    amount: types.condecimal(max_digits=12, decimal_places=2)",
            "    count: types.Int32\n    score: float\n    active: bool\n    name: str",
            f'    class Meta:\n        namespace = "bench.domain{i // 25}"',
        ]
    return "\n".join(lines) + "\n"


def import_times(work: Path) -> tuple[float, float]:
    schemas = work / "import100"
    names = event_schemas(schemas, 100)
    out = work / "import-out"
    subprocess.run(
        [
            *AVROBIND,
            "generate",
            "--schemas",
            str(schemas),
            "--out",
            str(out),
            "--package",
            "gen100",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (out / "hand100.py").write_text(hand_written_module(names))
    # Shared dependencies are imported first: the time is each package's own.
    probe = (
        "import sys, time; sys.path.insert(0, {out!r}); import fastavro, dataclasses_avroschema, decimal, uuid;"
        "t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"
    )
    samples: dict[str, list[float]] = {"gen100": [], "hand100": []}
    # Bytecode caches written once, as after installation (pip compiles on install).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for mod in samples:
        subprocess.run(
            [PYTHON, "-c", probe.format(out=str(out), mod=mod)],
            check=True,
            capture_output=True,
            env=env,
        )
    for _ in range(ROUNDS):
        for mod, found in samples.items():
            result = subprocess.run(
                [PYTHON, "-c", probe.format(out=str(out), mod=mod)],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
            found.append(float(result.stdout.strip()))
    return statistics.median(samples["gen100"]), statistics.median(samples["hand100"])


# --- end to end through tansu --------------------------------------------------------------


def start_tansu(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    from tests.fixtures_kafka import KafkaBroker

    broker = KafkaBroker(work / "tansu.log").wait_ready()
    return broker._proc, broker.bootstrap


async def end_to_end(
    pkg: Any, bootstrap: str, registry: Registry, count: int
) -> tuple[float, float]:
    """Messages per second of produce + consume: generated classes, and aiokafka on bytes."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from tests.fixtures_kafka import GROUP_OPTIONS, create_topic

    objs = [pkg.Medium.from_avro(medium_values(i)) for i in range(count)]
    warm = pkg.Medium.from_avro(medium_values(count))
    topic = "bench.medium"
    await create_topic(bootstrap, topic)
    await create_topic(bootstrap, "bench.raw")

    # avrobind: the generated producer and consumer (encode and decode included).
    async with pkg.BenchMediumProducer(bootstrap, registry.url, linger_ms=5) as producer:
        await producer.send(warm, key="warm")  # registration and metadata, untimed
        start = time.perf_counter()
        await producer.send_batch(objs)
        produce = time.perf_counter() - start
    got = 0
    async with pkg.BenchMediumConsumer(
        bootstrap,
        registry.url,
        group_id="bench-avro",
        auto_offset_reset="earliest",
        **GROUP_OPTIONS,
    ) as consumer:
        iterator = consumer.__aiter__()
        await iterator.__anext__()  # the warm-up message: the group has joined
        start = time.perf_counter()
        while got < count:
            record = await iterator.__anext__()
            assert isinstance(record.value, pkg.Medium)
            got += 1
        consume = time.perf_counter() - start
    avro_rate = count / (produce + consume)

    # aiokafka with the same messages already encoded (no Avro work at all).
    framed = [pkg.Medium.serialize(o) for o in objs]
    raw_producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await raw_producer.start()
    try:
        await (await raw_producer.send("bench.raw", b"warm", key=b"warm"))
        start = time.perf_counter()
        futures = [await raw_producer.send("bench.raw", data, key=None) for data in framed]
        await asyncio.gather(*futures)
        produce = time.perf_counter() - start
    finally:
        await raw_producer.stop()
    raw_consumer = AIOKafkaConsumer(
        "bench.raw",
        bootstrap_servers=bootstrap,
        group_id="bench-raw",
        auto_offset_reset="earliest",
        **GROUP_OPTIONS,
    )
    await raw_consumer.start()
    try:
        await raw_consumer.getone()
        got = 0
        start = time.perf_counter()
        while got < count:
            await raw_consumer.getone()
            got += 1
        consume = time.perf_counter() - start
    finally:
        await raw_consumer.stop()
    return avro_rate, count / (produce + consume)


# --- report --------------------------------------------------------------------------------


def versions() -> str:
    from importlib.metadata import version

    names = ["fastavro", "dataclasses-avroschema", "confluent-kafka", "aiokafka", "black", "httpx"]
    return ", ".join(f"{n} {version(n)}" for n in names)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, CPython {platform.python_version()}"


def table(rows: list[dict[str, Any]], extra: dict[str, Any]) -> str:
    def rate(seconds: float) -> str:
        return f"{1 / seconds:,.0f}"

    def ratio(row: dict[str, Any], way: str, name: str) -> str:
        return f"{row[way][name] / row[way]['avrobind']:.2f}x"

    codec = [row for row in rows if "encode" in row]
    out = [
        "| schema | way | avrobind msg/s | reference msg/s | vs reference | vs dataclasses-avroschema | vs confluent-kafka |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in codec:
        for way in ("encode", "decode"):
            out.append(
                f"| {row['kind']} ({row['size']} B) | {way} | {rate(row[way]['avrobind'])} | {rate(row[way]['reference'])} "
                f"| {ratio(row, way, 'reference')} | {ratio(row, way, 'dataclasses-avroschema')} "
                f"| {ratio(row, way, 'confluent-kafka')} |"
            )
        if "resolve" in row:
            out.append(
                f"| {row['kind']} | decode, older writer (resolution) | {rate(row['resolve']['avrobind'])} "
                f"| {rate(row['resolve']['reference'])} | {ratio(row, 'resolve', 'reference')} | | |"
            )
    out += [
        "",
        "| medium, written by another version (resolution) | avrobind msg/s | fastavro resolving msg/s | vs fastavro | >= 1.3x |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        for what, result in row.get("results", {}).items():
            r = result["reference"] / result["avrobind"]
            out.append(
                f"| {what} | {rate(result['avrobind'])} | {rate(result['reference'])} | {r:.2f}x "
                f"| {'yes' if r >= RESOLUTION_BAR else 'no'} |"
            )
    out += [
        "",
        "| measure | result | bar |",
        "|---|---:|---|",
        f"| `generate`, 500 schemas, cold | {extra['generate_cold']:.2f} s | < 10 s |",
        f"| `generate`, 500 schemas, no-op re-run | {extra['generate_noop']:.2f} s | < 1 s |",
        f"| `generate`, 4,000 records in one namespace, cold | {extra['generate_4000']:.2f} s | < 30 s |",
        f"| `generate`, a record with a 16 MB doc, cold | {extra['generate_doc16']:.2f} s | < 10 s |",
        f"| `sync`, 200 subjects already registered | {extra['sync']:.2f} s | < 2 s |",
        f"| import, generated package of 100 records | {extra['import_gen'] * 1000:.0f} ms | |",
        f"| import, the same classes hand-written (AvroModel) | {extra['import_hand'] * 1000:.0f} ms | |",
        f"| import ratio generated / hand-written | {extra['import_gen'] / extra['import_hand']:.2f}x | <= 1.5x |",
        f"| produce+consume through tansu, generated classes (medium) | {extra['e2e_avro']:,.0f} msg/s | |",
        f"| produce+consume through tansu, aiokafka on pre-encoded bytes | {extra['e2e_raw']:,.0f} msg/s | |",
        "",
        *bars(rows, extra),
    ]
    return "\n".join(out) + "\n"


# (what, way, contender, at least) for the codec bars of DESIGN.md, on every schema.
CODEC_BARS = [
    ("encode vs reference", "encode", "reference", 2.0),
    ("encode vs dataclasses-avroschema", "encode", "dataclasses-avroschema", 7.0),
    ("encode vs confluent-kafka", "encode", "confluent-kafka", 2.5),
    ("decode vs reference", "decode", "reference", 1.3),
    ("decode vs dataclasses-avroschema", "decode", "dataclasses-avroschema", 9.0),
    ("decode vs confluent-kafka", "decode", "confluent-kafka", 4.0),
    ("decode, older writer, vs reference", "resolve", "reference", 1.3),
]
RESOLUTION_BAR = 1.3


def bars(rows: list[dict[str, Any]], extra: dict[str, Any]) -> list[str]:
    """The quality bars of DESIGN.md: each schema and value distribution, and whether met,
    by the pure-Python package and by the compiled build (`generate --compile`)."""
    codec = [row for row in rows if "encode" in row]
    builds = {
        "pure Python": [row for row in codec if "(compiled)" not in row["kind"]],
        "compiled": [row for row in codec if "(compiled)" in row["kind"]],
    }
    builds = {name: group for name, group in builds.items() if group}
    out = [
        "| bar (DESIGN.md) | "
        + " | ".join(row["kind"] for row in codec)
        + "".join(f" | met, {name}" for name in builds)
        + " |",
        "|---|" + "---:|" * len(codec) + "---|" * len(builds),
    ]
    for what, way, name, least in CODEC_BARS:
        cells = []
        for row in codec:
            cells.append(f"{row[way][name] / row[way]['avrobind']:.2f}x" if way in row else "")
        met = []
        for group in builds.values():
            missed = [
                row["kind"]
                for row in group
                if way in row and row[way][name] / row[way]["avrobind"] < least
            ]
            met.append("yes" if not missed else "no: " + ", ".join(missed))
        out.append(f"| {what} >= {least}x | {' | '.join(cells)} | {' | '.join(met)} |")
    blank = " |" * len(codec)
    others = [
        ("generate 500 schemas < 10 s", extra["generate_cold"] < 10),
        ("generate no-op re-run < 1 s", extra["generate_noop"] < 1),
        ("generate 4,000 records in one namespace < 30 s", extra["generate_4000"] < 30),
        ("generate a 16 MB doc < 10 s", extra["generate_doc16"] < 10),
        ("sync 200 registered subjects < 2 s", extra["sync"] < 2),
        (
            "import 100 records <= 1.5x hand-written",
            extra["import_gen"] / extra["import_hand"] <= 1.5,
        ),
    ]
    out += [
        f"| {what} |{blank}" + f" {'yes' if ok else 'no'} |" * len(builds) for what, ok in others
    ]
    return out


def compiled_package(config: Path, work: Path) -> Any:
    """The bench package generated again with `--compile` (Cython), or None without Cython."""
    if importlib.util.find_spec("Cython") is None:
        print("no Cython: no compiled rows (pip install 'avrobind[compile]')", file=sys.stderr)
        return None
    print("generate --compile...", file=sys.stderr)
    text = config.read_text().replace('package = "avrobind_bench"', 'package = "avrobind_bench_c"')
    compiled_config = work / "bench-compiled.toml"
    compiled_config.write_text(text)
    subprocess.run(
        [*AVROBIND, "generate", "--config", str(compiled_config), "--compile"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    pkg = importlib.import_module("avrobind_bench_c")
    codec = importlib.import_module("avrobind_bench_c._runtime.codec")
    assert not str(codec.__file__).endswith(".py"), "the compiled codec is not what is imported"
    return pkg


def main() -> None:
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="avrobind-bench-"))
    registry = Registry(work)
    broker: subprocess.Popen[bytes] | None = None
    try:
        config = work / "bench.toml"
        config.write_text(
            f'[tool.avrobind]\nschemas = "{SCHEMAS}"\nout = "{work / "pkg"}"\npackage = "avrobind_bench"\n'
            f'registry = "{registry.url}"\n\n[tool.avrobind.topics."bench.medium"]\nvalue = "bench.Medium"\nkey = "string"\n'
        )
        subprocess.run(
            [*AVROBIND, "generate", "--config", str(config)],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        sys.path.insert(0, str(work / "pkg"))
        pkg = importlib.import_module("avrobind_bench")
        compiled = compiled_package(config, work)

        print("codecs...", file=sys.stderr)
        rows = codec_rows(pkg, registry, generated_models(work), compiled)
        extra: dict[str, Any] = {}
        print("generate...", file=sys.stderr)
        extra["generate_cold"], extra["generate_noop"] = generate_times(work)
        print("generate at scale...", file=sys.stderr)
        extra["generate_4000"], extra["generate_doc16"] = scale_generate_times(work)
        print("sync...", file=sys.stderr)
        extra["sync"] = sync_time(work, registry)
        print("import...", file=sys.stderr)
        extra["import_gen"], extra["import_hand"] = import_times(work)
        print("tansu...", file=sys.stderr)
        broker, bootstrap = start_tansu(work)
        extra["e2e_avro"], extra["e2e_raw"] = asyncio.run(
            end_to_end(pkg, bootstrap, registry, 20_000)
        )
        print("clients...", file=sys.stderr)
        import clients  # bench/clients.py: produce and consume rows per Kafka client

        client_table = clients.table(
            asyncio.run(
                clients.client_rows(
                    pkg, bootstrap, registry.url, lambda i: pkg.Medium.from_avro(medium_values(i))
                )
            )
        )
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(timeout=10)
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    text = table(rows, extra) + "\n" + client_table
    print(text)
    elapsed = time.perf_counter() - started
    RESULTS.write_text(
        "# Benchmark results\n\n"
        "Written by `make bench` (`bench/run.py`; its docstring says what each row measures). "
        "Throughputs are medians of interleaved rounds in one process; `x` = how many times "
        "faster avrobind is (contender time / avrobind time).\n\n"
        f"- Machine: {machine()}\n- Packages: {versions()}\n- Run: {time.strftime('%Y-%m-%d')}, "
        f"{elapsed:.0f} s\n\n" + text
    )


if __name__ == "__main__":
    main()
