"""Every schema of the real-world corpus (files written by others for other tools).

For each named type: the generated class answers with the source schema (Parsing Canonical
Form and in full), random data written by fastavro with the source schema reads back through
the class and re-serialises to the same bytes, and the generated code passes ruff and mypy.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from typing import Any

import fastavro
import pytest

from codegen.runtime.datagen import DatagenError, random_datum
from tests.fixtures_corpus import CorpusPackage, sample_records
from tests.generator import oracle
from tests.generator.gen_support import CORPUS, corpus_manifest

# A schema whose only values are infinitely deep (a record that must contain itself): it has
# a class, but no datum exists to round-trip.
NO_FINITE_VALUE = {"apache-avro/lang/c/tests/schema_tests/pass/namespace_fullname.avsc"}


ENTRIES = corpus_manifest()


def _sources(entry: dict[str, Any]) -> list[Any]:
    return oracle.load_json(CORPUS / p for p in [*entry.get("needs", []), entry["path"]])


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["path"] for e in ENTRIES])
def test_fidelity(entry: dict[str, Any], corpus_packages: dict[str, CorpusPackage]) -> None:
    pkg = corpus_packages[entry["path"]]
    sources = _sources(entry)
    named = oracle.parse_sources(sources)
    defs = oracle.raw_definitions(sources)
    checked = 0
    for fullname in entry["defines"]:
        kind = defs[fullname][0]["type"]
        if kind == "fixed":
            assert fullname not in pkg.types  # fixed types are `bytes`, no class
            continue
        cls = pkg.types[fullname]
        actual = cls.avro_schema_to_python()
        assert oracle.actual_pcf(actual) == oracle.expected_pcf(fullname, named)
        oracle.FullMatcher(defs).check(actual, fullname)
        checked += 1
    # A file holding one self-contained schema comes back byte for byte (key order included).
    top = sources[-1]
    if isinstance(top, dict) and top.get("type") in ("record", "enum") and not entry.get("needs"):
        full, _ = oracle._fullname(top, "")
        oracle.same(pkg.types[full].avro_schema_to_python(), top, entry["path"])
    assert (
        checked
        or all(defs[n][0]["type"] == "fixed" for n in entry["defines"])
        or not entry["defines"]
    )


def _records(entry: dict[str, Any], pkg: CorpusPackage) -> list[str]:
    return [n for n in entry["defines"] if n in pkg.types and hasattr(pkg.types[n], "from_avro")]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["path"] for e in ENTRIES])
def test_round_trip(entry: dict[str, Any], corpus_packages: dict[str, CorpusPackage]) -> None:
    pkg = corpus_packages[entry["path"]]
    named = oracle.parse_sources(_sources(entry))
    rng = random.Random(entry["path"])
    tried = 0
    for fullname in sample_records(_records(entry, pkg), rng):
        cls = pkg.types[fullname]
        # The writer schema is fastavro's parse of the SOURCE files, not the generated class.
        writer = fastavro.parse_schema(oracle.expected_standalone(fullname, named))
        for _ in range(8):
            try:
                datum = random_datum(writer, rng)
            except DatagenError:
                assert entry["path"] in NO_FINITE_VALUE
                break
            buf = io.BytesIO()
            fastavro.schemaless_writer(buf, writer, datum)
            data = buf.getvalue()
            obj = cls.deserialize(data)
            assert isinstance(obj, cls)
            assert obj.serialize() == data, fullname
            tried += 1
    if _records(entry, pkg) and entry["path"] not in NO_FINITE_VALUE:
        assert tried


def test_every_corpus_file_is_generated(corpus_packages: dict[str, CorpusPackage]) -> None:
    assert set(corpus_packages) == {e["path"] for e in ENTRIES}
    assert len(ENTRIES) == 106


def test_corpus_output_passes_ruff_and_mypy(corpus_packages: dict[str, CorpusPackage]) -> None:
    roots = {pkg.root for pkg in corpus_packages.values()}
    assert len(roots) == 1
    root = roots.pop()
    names = sorted({pkg.name for pkg in corpus_packages.values()})
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", *names],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            *[a for n in names for a in ("-p", n)],
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout[-5000:] + mypy.stderr


def test_manifest_features_are_all_present() -> None:
    """The corpus exercises what the issue lists (guards against a shrunken corpus copy)."""
    features = {f for e in ENTRIES for f in e["features"]}
    for needed in ("recursive", "cross_file_ref", "field_pykeyword", "union_multi", "alias"):
        assert any(needed in f for f in features), needed
    assert json.loads((CORPUS / "MANIFEST.json").read_text())["files"]


def test_registered_schema_is_the_generated_class_schema(
    corpus_packages: dict[str, CorpusPackage],
) -> None:
    """What `sync` registers (`standalone`, from the schema model) is what each generated class
    answers (assembled by the package's runtime from its modules)."""
    from codegen.schema.expand import standalone
    from codegen.schema.loader import load_files
    from tests.generator.gen_support import group_files

    packages = {id(p): p for p in corpus_packages.values()}.values()
    compared = 0
    for pkg in packages:
        schemas = load_files(group_files(pkg.members))
        for fullname, cls in pkg.types.items():
            assert standalone(schemas.named[fullname]) == cls.avro_schema_to_python(), fullname
            compared += 1
    assert compared > 500
