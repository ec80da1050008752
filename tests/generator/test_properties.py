"""Property tests: random valid schemas (hypothesis), spread over several files.

For every generated record and enum: the class answers with the source schema (Parsing
Canonical Form and in full, against the independent oracles in `oracle.py`), and random data
written by fastavro with the SOURCE schema reads back through the class and re-serialises to
the same bytes.
"""

from __future__ import annotations

import io
import random
import tempfile
from pathlib import Path
from typing import Any

import fastavro
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from codegen.errors import InputErrors
from codegen.runtime.datagen import DatagenError, random_datum
from tests.avro_strategies import avro_schema_files
from tests.generator import oracle
from tests.generator.gen_support import (
    generate_files,
    generated_types,
    import_package,
    unique_package,
    write_schemas,
)


def _generate(files: list[tuple[str, Any]]) -> tuple[dict[str, type], list[Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="avrobind-prop-"))
    paths = write_schemas(tmp / "avsc", dict(files))
    name = unique_package("prop")
    sources = [value for _, value in files]
    try:
        generate_files(paths, tmp / "out", name)
    except InputErrors as e:
        # The one valid input with no self-contained form: a null-namespace type defined inside
        # a namespaced one and needed again there. Check that this is really the case.
        assert all("where no name can refer to it" in err.message for err in e.errors), e
        nested_null = [
            full
            for full, (_, enclosing) in oracle.raw_definitions(sources).items()
            if "." not in full and enclosing
        ]
        assert nested_null, e
        reject()
    return generated_types(import_package(tmp / "out", name)), sources


def _check_schemas(types: dict[str, type], sources: list[Any]) -> None:
    named = oracle.parse_sources(sources)
    defs = oracle.raw_definitions(sources)
    kinds = {n: d[0]["type"] for n, d in defs.items()}
    assert set(types) == {n for n, k in kinds.items() if k != "fixed"}
    for fullname, cls in types.items():
        actual = cls.avro_schema_to_python()  # type: ignore[attr-defined]
        assert oracle.actual_pcf(actual) == oracle.expected_pcf(fullname, named), fullname
        oracle.FullMatcher(defs).check(actual, fullname)


def _check_round_trip(types: dict[str, type], sources: list[Any], seed: int) -> int:
    named = oracle.parse_sources(sources)
    rng = random.Random(seed)
    done = 0
    for fullname, cls in types.items():
        if not hasattr(cls, "from_avro"):
            continue
        writer = fastavro.parse_schema(oracle.expected_standalone(fullname, named))
        for _ in range(3):
            try:
                datum = random_datum(writer, rng)
            except DatagenError:
                break
            buf = io.BytesIO()
            fastavro.schemaless_writer(buf, writer, datum)
            obj = cls.deserialize(buf.getvalue())  # type: ignore[attr-defined]
            assert obj.serialize() == buf.getvalue(), fullname
            done += 1
    return done


@given(files=avro_schema_files(cycles=False), seed=st.integers(0, 2**32))
def test_generated_classes_reproduce_random_schemas(
    files: list[tuple[str, Any]], seed: int
) -> None:
    types, sources = _generate(files)
    _check_schemas(types, sources)
    _check_round_trip(types, sources, seed)


@settings(max_examples=15)
@given(files=avro_schema_files(cycles=True), seed=st.integers(0, 2**32))
def test_mutually_recursive_files_across_namespaces(
    files: list[tuple[str, Any]], seed: int
) -> None:
    """Two files in different namespaces that use each other: no file order parses them, the
    generator resolves names across all files first, and the modules import each other."""
    types, sources = _generate(files)
    # fastavro (the PCF oracle) cannot parse a cycle file by file; the full matcher can.
    defs = oracle.raw_definitions(sources)
    for fullname, cls in types.items():
        oracle.FullMatcher(defs).check(cls.avro_schema_to_python(), fullname)  # type: ignore[attr-defined]
        fastavro.parse_schema(cls.avro_schema_to_python())  # type: ignore[attr-defined]
