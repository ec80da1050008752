"""`avrobind generate --compile`: the Cython-built codecs behave exactly as the pure-Python ones.

- A package of the bench schemas and a record of the types they lack is generated with
  `--compile` once (compiling takes about a minute): its record modules and runtime ``codec`` must be the
  extensions, and every record passes `codec_support.check_record` (fastavro byte for byte,
  truncation, the other forms) on many random data.
- Random schemas (the hypothesis strategies) run against the compiled runtime ``codec``,
  copied into each drawn package (compiling every one would take a minute each).
- The artefacts stay out of the package's contract: `generate --check` ignores them, a plain
  `generate` deletes them, and `--compile` with nothing changed builds nothing.
- Across the boundaries a service crosses: confluent-kafka's serializer writing, a compiled
  reader in another process with nothing cached; a project configured with the README's
  block, compiled by the CLI in it, used by a service process.
"""

from __future__ import annotations

import datetime
import importlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import uuid
import zoneinfo
from pathlib import Path
from typing import Any

import fastavro
import httpx
import pytest
from click.testing import CliRunner
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from codegen.cli import cli
from codegen.errors import InputErrors
from codegen.generator import compiled
from codegen.runtime import codec as pure_codec
from codegen.runtime.datagen import DatumGenerator
from tests.avro_strategies import avro_schemas
from tests.codecs.codec_support import check_record, runtime
from tests.fixtures_registry import RegistryServer
from tests.generator import oracle
from tests.generator.gen_support import (
    generate_files,
    generated_types,
    import_package,
    unique_package,
    write_schemas,
)
from tests.kafka.fresh_reader import FreshReader
from tests.paths import REPO

EXT = sysconfig.get_config_var("EXT_SUFFIX")

# The types bench/schemas/ lack.
REST = {
    "type": "record",
    "name": "Rest",
    "namespace": "extra",
    "fields": [
        {"name": "t_us", "type": {"type": "long", "logicalType": "time-micros"}},
        {"name": "lts_ms", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "lts_us", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
        {
            "name": "dec_fixed",
            "type": {
                "type": "fixed",
                "name": "Money",
                "size": 8,
                "logicalType": "decimal",
                "precision": 18,
                "scale": 4,
            },
        },
        {"name": "many", "type": ["null", "int", "long", "float", "double", "string", "bytes"]},
        {"name": "deep", "type": {"type": "array", "items": {"type": "map", "values": "long"}}},
        {"name": "flag", "type": ["boolean", "null"]},
    ],
}


# What the typed record modules (`compiled.typed_source`) must also read and write exactly:
# containers nested past the depth coded in helper functions, counts and union indexes beyond
# one byte, unions of records, maps of records.
DEEP: Any = "long"
for level in range(7):
    DEEP = {"type": "array", "items": DEEP} if level % 2 else {"type": "map", "values": DEEP}
TYPED = {
    "type": "record",
    "name": "Typed",
    "namespace": "extra",
    "fields": [
        {"name": "deep", "type": DEEP},
        {
            "name": "big_enum",
            "type": {"type": "enum", "name": "Big", "symbols": [f"S{i}" for i in range(70)]},
        },
        {
            "name": "wide",
            "type": ["null"]
            + [{"type": "fixed", "name": f"F{i}", "size": i + 1} for i in range(66)],
        },
        {
            "name": "points",
            "type": {
                "type": "map",
                "values": {
                    "type": "record",
                    "name": "Point",
                    "fields": [{"name": "x", "type": "long"}, {"name": "label", "type": "string"}],
                },
            },
        },
        {"name": "maybe_points", "type": {"type": "array", "items": ["null", "Point", "string"]}},
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
    ],
}


def _config(root: Path, schemas: Path, package: str) -> Path:
    config = root / "pyproject.toml"
    config.write_text(
        f'[tool.avrobind]\nschemas = "{schemas}"\nout = "{root / "out"}"\npackage = "{package}"\n'
    )
    return config


def _generate(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["generate", "--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def compiled_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("compiled")
    schemas = root / "avsc"
    shutil.copytree(REPO / "bench" / "schemas", schemas)
    (schemas / "extra.avsc").write_text(json.dumps(REST))
    (schemas / "typed.avsc").write_text(json.dumps(TYPED))
    package = unique_package("compiled")
    config = _config(root, schemas, package)
    assert "codec modules" in _generate(config, "--compile").output
    return config, package


def test_the_extensions_are_what_is_imported(compiled_package: tuple[Path, str]) -> None:
    config, package = compiled_package
    pkg = import_package(config.parent / "out", package)
    types = generated_types(pkg)
    records = [cls for cls in types.values() if hasattr(cls, "__avro_read__")]
    assert len(records) == 7
    for cls in records:
        assert importlib.import_module(cls.__module__).__file__.endswith(EXT), cls
    assert runtime(records[0], "codec").__file__.endswith(EXT)
    assert runtime(records[0], "_speedups").__file__.endswith(EXT)
    assert not runtime(records[0], "model").__file__.endswith(EXT)  # only the codecs


def test_compiled_records_match_fastavro(compiled_package: tuple[Path, str]) -> None:
    config, package = compiled_package
    pkg = import_package(config.parent / "out", package)
    types = generated_types(pkg)
    avsc = config.parent / "avsc"
    order = ["extra", "typed", "small", "medium", "large"]  # large.avsc uses medium's record
    sources = [json.loads((avsc / f"{name}.avsc").read_text()) for name in order]
    named = oracle.parse_sources(sources)
    rng = random.Random(14)
    done = 0
    for fullname, cls in sorted(types.items()):
        if hasattr(cls, "__avro_read__"):
            writer = fastavro.parse_schema(oracle.expected_standalone(fullname, named))
            done += check_record(cls, writer, rng, rounds=25, cuts=20)
    assert done == 7 * 25


def test_confluent_writer_to_compiled_reader_in_another_process(
    compiled_package: tuple[Path, str], registry_server: RegistryServer
) -> None:
    """The boundary a service crosses: confluent-kafka's `AvroSerializer` (its own registry
    client) writes; another process imports the compiled package, fetches the writer schema by
    id (nothing registered or cached there), decodes with the C codecs and encodes what it
    read with them: the same body, for every record of the package."""
    config, package = compiled_package
    pkg = import_package(config.parent / "out", package)
    types = generated_types(pkg)
    avsc = config.parent / "avsc"
    order = ["extra", "typed", "small", "medium", "large"]
    named = oracle.parse_sources([json.loads((avsc / f"{n}.avsc").read_text()) for n in order])
    confluent = ConfluentRegistry({"url": registry_server.url})
    reader = FreshReader()
    rng = random.Random(21)
    done = 0
    try:
        for fullname, cls in sorted(types.items()):
            if not hasattr(cls, "__avro_read__"):
                continue
            schema = oracle.expected_standalone(fullname, named)
            writer = fastavro.parse_schema(schema)
            serializer = AvroSerializer(
                confluent, json.dumps(schema), None, {"auto.register.schemas": True}
            )
            ctx = SerializationContext(f"compiled-{fullname}", MessageField.VALUE)
            generator = DatumGenerator(writer)
            for _ in range(4):
                framed = serializer(generator.datum(rng), ctx)
                assert reader.read(cls, registry_server.url, framed) == framed[5:], fullname
                assert reader.codec_file.endswith(EXT), reader.codec_file
                done += 1
    finally:
        reader.close()
    assert done == 7 * 4


# A service, run in its own process: the README's "Using the generated package" serde lines.
SERVICE = """
import datetime, sysconfig, uuid
from telescope_schemas import CommandType, SkyPosition, TelescopeCommand, TelescopeCommandsSerde
from telescope_schemas._runtime import codec

assert codec.__file__.endswith(sysconfig.get_config_var("EXT_SUFFIX")), codec.__file__
command = TelescopeCommand(
    command_id=uuid.uuid4(),
    command_type=CommandType.SLEW,
    issued_at=datetime.datetime(2024, 5, 1, 12, 30, 15, 123000, tzinfo=datetime.UTC),
    requested_by="alice",
    target=SkyPosition(ra_deg=83.6, dec_deg=22.0),
)
serde = TelescopeCommandsSerde()
data = serde.serialize(command)
assert data[:1] == b"\\x00" and serde.deserialize(data) == command
assert data[5:] == command.serialize()
print(data.hex())
"""


def test_a_project_configured_from_the_readme_compiles_and_runs(
    tmp_path: Path, registry_server: RegistryServer
) -> None:
    """The README's configuration block, as it is, over this repository's schemas; `avrobind
    generate --compile` run in the project as a user runs it; the README's serde lines in a
    service process of their own, against a registry given by AVROBIND_REGISTRY_URL."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration (`pyproject.toml`)") :]
    config = section[section.index("```toml\n") + 8 : section.index("```\n", 8)]
    shutil.copytree(REPO / "avsc", tmp_path / "avsc")
    (tmp_path / "pyproject.toml").write_text(config, encoding="utf-8")
    env = {**os.environ, "AVROBIND_REGISTRY_URL": registry_server.url}
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "--compile"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "codec modules" in done.stdout
    service = subprocess.run(
        [sys.executable, "-c", SERVICE],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(tmp_path / "generated")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert service.returncode == 0, service.stderr
    data = bytes.fromhex(service.stdout.strip())
    # The id the service used is the registry's, for the subject the README's topic names.
    schema_id = int.from_bytes(data[1:5], "big")
    versions = httpx.get(f"{registry_server.url}/subjects/telescope.commands-value/versions/latest")
    assert versions.json()["id"] == schema_id


def test_compiled_readers_refuse_what_c_integers_cannot_hold(
    compiled_package: tuple[Path, str],
) -> None:
    """Bytes a C reader would silently misread are refused as the pure-Python reader refuses
    them: a varint past 64 bits, a length past the data (would overflow `pos + length`)."""
    config, package = compiled_package
    pkg = import_package(config.parent / "out", package)
    small = pkg.Small(sensor_id=-(2**63), name="n", value=1.0, active=True, count=2**31 - 1)
    codec, errors = runtime(pkg.Small, "codec"), runtime(pkg.Small, "errors")
    assert codec.__file__.endswith(EXT)
    data = small.serialize()
    assert data[:10] == b"\xff" * 9 + b"\x01" and codec.decode(pkg.Small, data)[0] == small
    for varint in (b"\xff" * 9 + b"\x02", b"\xff" * 10 + b"\x01", b"\x80" * 9 + b"\x7f"):
        with pytest.raises(errors.DeserializationError, match="beyond the range of long") as e:
            codec.decode(pkg.Small, varint + data[10:])
        assert not isinstance(e.value, errors.TruncatedMessageError)
    for length in (2**62, 2**63 - 1, len(data)):
        raw = bytearray(data[:10])
        codec.write_long(raw, length)
        with pytest.raises(errors.TruncatedMessageError):
            codec.decode(pkg.Small, bytes(raw) + data[12:])


def test_speedups_are_what_codec_py_does(compiled_package: tuple[Path, str]) -> None:
    """The C codecs of `_speedups` against codec.py's own (the oracle, run as Python): the
    same bytes for UUIDs and for datetimes over the whole calendar, naive, in UTC and in other
    time zones (those go back to codec.py), the same values read back from canonical, upper
    case, odd and broken UUID texts and from timestamps in and out of datetime's range, whole
    or cut short, and the same errors."""
    config, package = compiled_package
    pkg = import_package(config.parent / "out", package)
    compiled_codec = runtime(pkg.Small, "codec")
    names = [
        "write_timestamp_millis",
        "write_timestamp_micros",
        "write_local_timestamp_millis",
        "write_local_timestamp_micros",
    ]
    readers = [
        "read_uuid",
        "read_timestamp_millis",
        "read_timestamp_micros",
        "read_local_timestamp_millis",
        "read_local_timestamp_micros",
    ]
    for name in ["uuid_str", *names, *readers]:
        assert getattr(compiled_codec, name).__module__ == f"{package}._runtime._speedups"
    rng = random.Random(7)

    def same(name: str, *args: Any) -> None:
        results = []
        for codec in (compiled_codec, pure_codec):
            buf = bytearray(b"head")
            try:
                out = getattr(codec, name)(*(buf if a is bytearray else a for a in args))
                results.append((out, bytes(buf)))
            except Exception as e:  # noqa: BLE001 - the error itself is compared
                # (Cython words IndexError differently; `decode` reports both as truncation)
                results.append((type(e).__name__, "" if isinstance(e, IndexError) else str(e)))
        assert results[0] == results[1], (name, args)
        if isinstance(results[0][0], tuple):  # a value read: of the same type and zone too
            value = results[0][0][0]
            assert type(value) is type(results[1][0][0])
            assert getattr(value, "tzinfo", 0) is getattr(results[1][0][0], "tzinfo", 0)

    class MyUUID(uuid.UUID):
        pass

    for x in [0, 2**128 - 1, *(rng.getrandbits(128) for _ in range(3000))]:
        same("uuid_str", uuid.UUID(int=x))
    for bad in ["0" * 32, None, 7, MyUUID(int=5)]:
        same("uuid_str", bad)
    zones = [
        None,
        datetime.UTC,
        datetime.timezone(datetime.timedelta(hours=-5, minutes=-30)),
        zoneinfo.ZoneInfo("Europe/Amsterdam"),
    ]
    first, last = datetime.datetime(1, 1, 2), datetime.datetime(9999, 12, 30, 23, 59, 59, 999999)
    span = (last - first) // datetime.timedelta(microseconds=1)
    moments = [
        datetime.datetime(1970, 1, 1),
        datetime.datetime(1969, 12, 31, 23, 59, 59, 999999),
        datetime.datetime(1969, 12, 31, 23, 59, 59, 1),
        datetime.datetime(2000, 2, 29, 12),
        datetime.datetime(1900, 3, 1),
        datetime.datetime(2100, 3, 1),
        first,
        last,
        *(first + datetime.timedelta(microseconds=rng.randrange(span)) for _ in range(3000)),
    ]

    class MyDatetime(datetime.datetime):
        pass

    for moment in moments:
        for zone in zones:
            for name in names:
                same(name, bytearray, moment.replace(tzinfo=zone))
    for bad in [MyDatetime(2020, 1, 1, 10), datetime.date(2020, 1, 1), "2020-01-01", None]:
        for name in names:
            same(name, bytearray, bad)

    def text(raw: bytes) -> bytes:
        out = bytearray(b"ab")
        pure_codec.write_len(out, len(raw))
        return bytes(out + raw)

    for _ in range(3000):
        form = str(uuid.UUID(int=rng.getrandbits(128)))
        kind = rng.randrange(6)
        if kind == 1:
            form = form.upper()
        elif kind == 2:  # 36 characters, but braces and no dashes: UUID()'s other forms
            form = "{" + form.replace("-", "") + "}xx"
        elif kind == 3:
            at = rng.randrange(36)
            form = form[:at] + rng.choice("g-+_ Z") + form[at + 1 :]
        elif kind == 4:
            form = form[: rng.randrange(36)]
        data = text(form.encode())
        same("read_uuid", data, 2)
        same("read_uuid", data[: rng.randrange(2, len(data))], 2)
    limits = [-62135596800000000, 253402300800000000]  # datetime's range in µs from 1970
    longs = [0, -1, 1, -1000, 2**63 - 1, -(2**63)]
    longs += [x // unit + d for x in limits for unit in (1, 1000) for d in (-1, 0, 1)]
    longs += [rng.randrange(-(2**63), 2**63) for _ in range(500)]
    longs += [rng.randrange(limits[0], limits[1]) // rng.choice((1, 1000)) for _ in range(3000)]
    for n in longs:
        out = bytearray(b"xyz")
        pure_codec.write_long(out, n)
        for name in readers[1:]:
            same(name, bytes(out), 3)
            same(name, bytes(out[: rng.randrange(3, len(out))]), 3)
    for bad in [b"\xff" * 9 + b"\x02", b"\xff" * 11]:
        for name in readers[1:]:
            same(name, b"xyz" + bad, 3)


def test_typed_source_only_declares(tmp_path: Path) -> None:
    """The typed module is the same Python: it runs as a plain module (Cython's shadow
    `cython` makes the declarations no-ops) and reads and writes what the source does; docs
    that mention the helpers are left alone."""
    schema = {
        "type": "record",
        "name": "Doc",
        "namespace": "typed_doc",
        "doc": 'Calls _codec.write_len(buf, n) and _codec.nothing"""',
        "fields": [
            {"name": "b", "type": "long"},
            {"name": "names", "type": {"type": "array", "items": "string"}},
        ],
    }
    paths = write_schemas(tmp_path / "avsc", {"doc.avsc": schema})
    package = unique_package("typed")
    pkg_dir = generate_files(paths, tmp_path / "out", package)
    module = pkg_dir / "typed_doc.py"
    source = module.read_text()
    typed = compiled.typed_source(source)
    assert typed.count("@cython.locals(data=bytes, pos=cython.Py_ssize_t") == 1
    assert typed.count("@cython.locals(buf=bytearray") == 1
    assert "_codec.nothing" in typed and "_codec_nothing" not in typed  # the doc, untouched
    assert "_codec_write_len = _codec.write_len" in typed
    module.write_text(typed)
    types = generated_types(import_package(tmp_path / "out", package))
    doc = types["typed_doc.Doc"]
    obj = doc(b=-(2**63), names=["é" * 70, "x"])
    assert doc.__doc__ and "_codec.write_len(buf, n)" in doc.__doc__
    writer = fastavro.parse_schema(schema)
    out = io.BytesIO()
    fastavro.schemaless_writer(out, writer, {"b": -(2**63), "names": ["é" * 70, "x"]})
    assert obj.serialize() == out.getvalue()
    assert doc.deserialize(out.getvalue()) == obj


def test_check_ignores_artefacts_and_generate_removes_them(
    compiled_package: tuple[Path, str],
) -> None:
    config, package = compiled_package
    pkg_dir = config.parent / "out" / package
    built = sorted(p.name for p in pkg_dir.rglob(f"*{EXT}"))
    assert built and (pkg_dir / ".avrobind-compiled.json").is_file()
    result = CliRunner().invoke(cli, ["generate", "--config", str(config), "--check"])
    assert result.exit_code == 0 and "up to date" in result.output, result.output
    # Nothing changed: nothing is rebuilt.
    assert "codec modules" not in _generate(config, "--compile").output
    assert sorted(p.name for p in pkg_dir.rglob(f"*{EXT}")) == built
    # A plain generate leaves the pure-Python package (a stale extension would shadow it).
    _generate(config)
    assert not list(pkg_dir.rglob(f"*{EXT}")) and not (pkg_dir / ".avrobind-compiled.json").exists()


def test_check_and_compile_together_is_a_usage_error(tmp_path: Path) -> None:
    config = _config(tmp_path, REPO / "bench" / "schemas", "nothing_written")
    result = CliRunner().invoke(cli, ["generate", "--config", str(config), "--check", "--compile"])
    assert result.exit_code == 2 and "--check writes nothing" in result.output
    assert not (tmp_path / "out").exists()


# --- random schemas against the compiled runtime codec --------------------------------------

CODEC_PACKAGE = "ccodec_random"


@pytest.fixture(scope="module")
def compiled_codec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime codec compiled for a package named CODEC_PACKAGE: an extension resolves its
    relative imports under the package name it was built for, so each drawn schema is
    generated under that name (the previous one dropped from sys.modules) and gets a copy."""
    root = tmp_path_factory.mktemp("ccodec")
    schemas = root / "avsc"
    shutil.copytree(REPO / "bench" / "schemas", schemas)
    _generate(_config(root, schemas, CODEC_PACKAGE), "--compile")
    (so,) = (root / "out" / CODEC_PACKAGE / "_runtime").glob(f"codec*{EXT}")
    return so


def _forget(package: str) -> None:
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schema=avro_schemas(top="record"), seed=st.integers(0, 2**32))
def test_random_records_with_the_compiled_codec(
    compiled_codec: Path, schema: Any, seed: int
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="avrobind-compiled-"))
    paths = write_schemas(tmp / "avsc", {"record.avsc": schema})
    try:
        pkg_dir = generate_files(paths, tmp / "out", CODEC_PACKAGE)
    except InputErrors as e:
        # As in test_codec_properties: a nested null-namespace type has no standalone form.
        assert all("where no name can refer to it" in err.message for err in e.errors), e
        reject()
    shutil.copyfile(compiled_codec, pkg_dir / "_runtime" / compiled_codec.name)
    _forget(CODEC_PACKAGE)
    sys.path.insert(0, str(tmp / "out"))
    try:
        types = generated_types(import_package(tmp / "out", CODEC_PACKAGE))
        named = oracle.parse_sources([schema])
        rng = random.Random(seed)
        for fullname, cls in sorted(types.items()):
            if hasattr(cls, "from_avro"):
                assert runtime(cls, "codec").__file__.startswith(str(pkg_dir))
                assert runtime(cls, "codec").__file__.endswith(EXT)
                writer = fastavro.parse_schema(oracle.expected_standalone(fullname, named))
                check_record(cls, writer, rng)
    finally:
        sys.path.remove(str(tmp / "out"))
        _forget(CODEC_PACKAGE)
