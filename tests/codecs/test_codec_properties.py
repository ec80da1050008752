"""Generated codecs are byte-identical to fastavro on random schemas and on the corpus.

See `codec_support.check_record` for what is checked on each record class. Schemas come
from the hypothesis strategies (`tests/avro_strategies.py`: every type, logical type, union
shape, recursion and naming hazard) and from every file of the real-world corpus.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

import fastavro
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from codegen.errors import InputErrors
from tests.avro_strategies import avro_schema_files, avro_schemas
from tests.codecs.codec_support import check_record
from tests.fixtures_corpus import CorpusPackage, sample_records
from tests.generator import oracle
from tests.generator.gen_support import (
    CORPUS,
    corpus_manifest,
    generate_files,
    generated_types,
    import_package,
    unique_package,
    write_schemas,
)


def _generate(files: list[tuple[str, Any]]) -> dict[str, type]:
    tmp = Path(tempfile.mkdtemp(prefix="avrobind-codec-"))
    paths = write_schemas(tmp / "avsc", dict(files))
    name = unique_package("codec")
    try:
        generate_files(paths, tmp / "out", name)
    except InputErrors as e:
        # A null-namespace type nested in a namespaced one and used again there has no
        # self-contained form (see tests/generator/test_properties.py).
        assert all("where no name can refer to it" in err.message for err in e.errors), e
        reject()
    return generated_types(import_package(tmp / "out", name))


def _check_all(files: list[tuple[str, Any]], seed: int) -> int:
    types = _generate(files)
    named = oracle.parse_sources([value for _, value in files])
    rng = random.Random(seed)
    done = 0
    for fullname, cls in sorted(types.items()):
        if hasattr(cls, "from_avro"):
            writer = fastavro.parse_schema(oracle.expected_standalone(fullname, named))
            done += check_record(cls, writer, rng)
    return done


@given(schema=avro_schemas(top="record"), seed=st.integers(0, 2**32))
def test_random_records(schema: Any, seed: int) -> None:
    assert _check_all([("record.avsc", schema)], seed)


@given(files=avro_schema_files(), seed=st.integers(0, 2**32))
def test_random_schema_files(files: list[tuple[str, Any]], seed: int) -> None:
    _check_all(files, seed)


# --- the corpus ---------------------------------------------------------------------------

NO_FINITE_VALUE = {"apache-avro/lang/c/tests/schema_tests/pass/namespace_fullname.avsc"}
ENTRIES = corpus_manifest()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["path"] for e in ENTRIES])
def test_corpus(entry: dict[str, Any], corpus_packages: dict[str, CorpusPackage]) -> None:
    types = corpus_packages[entry["path"]].types
    sources = oracle.load_json(CORPUS / p for p in [*entry.get("needs", []), entry["path"]])
    named = oracle.parse_sources(sources)
    rng = random.Random(entry["path"])
    records = [n for n in entry["defines"] if n in types and hasattr(types[n], "from_avro")]
    records = sample_records(records, rng)
    done = 0
    for fullname in records:
        writer = fastavro.parse_schema(oracle.expected_standalone(fullname, named))
        done += check_record(types[fullname], writer, rng, rounds=4, cuts=8)
    if records and entry["path"] not in NO_FINITE_VALUE:
        assert done
