"""The generated package's public names: the runtime's error classes, `Message`, `Record` and
`Duration` at the root and in `<package>.runtime`, so that users never import from `_runtime`;
and what happens when a schema takes one of those names."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import telescope_schemas as ts
import telescope_schemas.runtime

import codegen.runtime
from tests.generator.gen_support import (
    generate_files,
    import_package,
    unique_package,
    write_schemas,
)

# Named by issue 8: if the enumeration below found none of these, it would be broken.
KNOWN = {
    "AvrobindError",
    "SerializationError",
    "DeserializationError",
    "InvalidMagicByteError",
    "UnknownSchemaIdError",
    "SchemaNotFoundError",
    "TruncatedMessageError",
    "RegistryUnavailableError",
    "RegistryError",
    "EncodeError",
}


def runtime_errors() -> dict[str, str]:
    """Every public exception class of the runtime (imported, not parsed) -> its module."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(codegen.runtime.__path__, "codegen.runtime."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                assert name not in found, f"{name} defined twice in the runtime"
                found[name] = info.name.removeprefix("codegen.runtime.")
    return found


def test_every_runtime_error_class_is_exported() -> None:
    errors = runtime_errors()
    assert set(errors) >= KNOWN
    for name, module in errors.items():
        runtime_class = getattr(
            importlib.import_module(f"telescope_schemas._runtime.{module}"), name
        )
        assert name in ts.__all__ and getattr(ts, name) is runtime_class, name
        assert name in ts.runtime.__all__ and getattr(ts.runtime, name) is runtime_class, name


def test_root_and_runtime_module_names() -> None:
    from telescope_schemas._runtime import kafka, logical, model, registry

    assert ts.Message is kafka.Message and ts.Record is kafka.Record
    assert ts.Duration is logical.Duration
    assert {"Message", "Record", "Duration"} <= set(ts.__all__)
    assert ts.runtime.AvroRecord is model.AvroRecord and ts.runtime.AvroEnum is model.AvroEnum
    assert ts.runtime.RegistryConfig is registry.RegistryConfig
    assert ts.runtime.SchemaRegistryClient is registry.SchemaRegistryClient
    assert ts.runtime.AsyncSchemaRegistryClient is registry.AsyncSchemaRegistryClient
    for module in (ts, ts.runtime):
        assert len(module.__all__) == len(set(module.__all__))
        assert all(getattr(module, name) is not None for name in module.__all__)
        assert not [n for n in module.__all__ if n.startswith("_")]


def _generate(tmp_path: Path, schemas: dict[str, object]) -> ModuleType:
    paths = write_schemas(tmp_path / "avsc", schemas)
    name = unique_package("names")
    generate_files(paths, tmp_path / "out", name)
    return import_package(tmp_path / "out", name)


def _record(name: str, namespace: str) -> dict[str, object]:
    return {
        "type": "record",
        "name": name,
        "namespace": namespace,
        "fields": [{"name": "v", "type": "int"}],
    }


def test_generated_classes_win_over_runtime_names(tmp_path: Path) -> None:
    pkg = _generate(
        tmp_path,
        {
            "record.avsc": _record("Record", "shop"),
            "message_a.avsc": _record("Message", "shop.a"),
            "message_b.avsc": _record("Message", "shop.b"),
            "error.avsc": {
                "type": "enum",
                "name": "SerializationError",
                "namespace": "shop",
                "symbols": ["A"],
            },
            # A class named like a module of the package, and a namespace named like `runtime`.
            "topics.avsc": _record("topics", ""),
            "runtime.avsc": _record("Event", "runtime.v1"),
        },
    )
    importlib.import_module(f"{pkg.__name__}.runtime")
    kafka = importlib.import_module(f"{pkg.__name__}._runtime.kafka")
    errors = importlib.import_module(f"{pkg.__name__}._runtime.errors")
    shop = importlib.import_module(f"{pkg.__name__}.shop")
    # The schema's classes at the root; the runtime's names in `<package>.runtime`.
    assert pkg.Record is shop.Record and pkg.SerializationError is shop.SerializationError
    assert (
        pkg.runtime.Record is kafka.Record
        and pkg.runtime.SerializationError is errors.SerializationError
    )
    # A name of two classes is at the root for none of them, nor for the runtime.
    assert "Message" not in pkg.__all__ and not hasattr(pkg, "Message")
    assert pkg.runtime.Message is kafka.Message
    # Everything else is there as usual.
    assert (
        pkg.DeserializationError is errors.DeserializationError
        and "DeserializationError" in pkg.__all__
    )
    assert pkg.__all__.count("Record") == 1 and "SerializationError" in pkg.__all__
    # `topics` is a class of the root namespace, not re-exported over a module name.
    assert "topics" not in pkg.__all__
    assert importlib.import_module(f"{pkg.__name__}.root").topics.__avro_name__ == "topics"
    assert (
        importlib.import_module(f"{pkg.__name__}.runtime_.v1").Event.__avro_name__
        == "runtime.v1.Event"
    )
    assert len(pkg.__all__) == len(set(pkg.__all__))


def test_message_and_record_load_the_kafka_runtime_on_first_use(tmp_path: Path) -> None:
    pkg = _generate(tmp_path, {"event.avsc": _record("Event", "shop")})
    probe = textwrap.dedent(
        f"""
        import sys
        import {pkg.__name__} as pkg
        assert "aiokafka" not in sys.modules, "importing the models loaded aiokafka"
        # (the registry client's httpx cost more than the models themselves: `make bench`'s
        # import bar)
        assert "httpx" not in sys.modules, "importing the models loaded httpx"
        from {pkg.__name__} import *
        from {pkg.__name__}._runtime import kafka
        assert Record is kafka.Record and Message is kafka.Message and Event is pkg.Event
        assert "aiokafka" in sys.modules
        try:
            pkg.Nothing
        except AttributeError as e:
            assert "Nothing" in str(e)
        else:
            raise AssertionError("no AttributeError")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path / "out",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_type_checkers_see_the_root_names(tmp_path: Path) -> None:
    plain = _generate(tmp_path / "plain", {"event.avsc": _record("Event", "shop")})
    clash = _generate(tmp_path / "clash", {"record.avsc": _record("Record", "shop")})
    user = tmp_path / "user.py"
    user.write_text(
        textwrap.dedent(
            f"""
            from {plain.__name__} import DeserializationError, Duration, Event, Record
            from {clash.__name__} import Record as Model
            from {clash.__name__}.runtime import Record as KafkaRecord


            def handle(record: Record[str, Event], other: KafkaRecord[bytes, Model]) -> int:
                return record.offset + record.value.v + other.value.v + Duration(1, 2, 3).days


            def where(error: DeserializationError) -> int | None:
                return error.offset


            reveal_type(Record)
            reveal_type(Model)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={
            "MYPYPATH": f"{tmp_path / 'plain' / 'out'}:{tmp_path / 'clash' / 'out'}",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    revealed = [line for line in result.stdout.splitlines() if "Revealed type" in line]
    assert f"{plain.__name__}._runtime.kafka.records.Record[K, V]" in revealed[0], revealed
    assert f"{clash.__name__}.shop.Record" in revealed[1], revealed
