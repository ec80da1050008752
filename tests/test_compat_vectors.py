"""Every peer compatibility vector (Apache Avro, Karapace, Confluent) against codegen.compat.

Each vector is one test case; none is skipped.  Where a vector cannot hold as written,
the test applies a documented, deliberate decision and asserts that instead:

* ``ANONYMOUS``: five Java vectors come from records built with
  ``Schema.createRecord(null, ...)``; their JSON has no ``name`` and is not a valid Avro
  schema (the README excludes them from agreement rates).  We assert that the raw JSON is
  reported invalid, then give both records the same name (what Java's two anonymous
  records amount to) and check the expected verdict and locations.
* ``INVALID_ENUM_DEFAULT``: Karapace parses this reader with ``validate_enum_symbols=False``;
  its enum default ``B`` is not a symbol.  Apache Avro and Confluent reject such a schema,
  and so do we: the verdict is incompatible with a message naming the invalid reader.
  The rule the vector is about (identical symbols make the enum default irrelevant) is
  then checked with a valid default.
* ``PY_PORT_LOCATIONS``: the Python port of the checker reports ``/`` for a mismatch inside
  a writer union, where Java reports the branch (``/3``); the same pairs appear among the
  Java vectors.  We follow Java, so those vectors are checked against the Java locations.
* Karapace level vectors ``case6``/``case7`` expect a REST 404 (the subject has no
  versions), which is the registry server's business.  Our contract says an empty
  ``previous`` is compatible, as Confluent's ``testCompatibilityNonExistentSubject``
  expects; that is what we assert.  Karapace's soft-deleted versions are not part of
  ``previous`` (deleted versions are never checked), so they are not passed.

Messages are ours, not Avro's, so the vectors' message texts are checked loosely: every
word that carries information (type names, symbols, sizes, field names) must appear in
one of our messages, and every expected location must start one of our messages.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from codegen.compat import CompatResult, check_level, check_pair
from tests.paths import COMPAT_VECTORS as VECTOR_DIR


def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTOR_DIR / name).read_text())
    return data


AVRO = _read("vectors_avro.json")
KARAPACE = _read("vectors_karapace.json")
CONFLUENT = _read("vectors_confluent_levels.json")
PAIR_VECTORS: list[dict[str, Any]] = AVRO["vectors"] + KARAPACE["vectors"]
LEVEL_VECTORS: list[dict[str, Any]] = KARAPACE["level_vectors"] + CONFLUENT["level_vectors"]
BY_ID = {v["id"]: v for v in PAIR_VECTORS}

ANONYMOUS = {v["id"] for v in PAIR_VECTORS if v.get("json_representable") is False}
INVALID_ENUM_DEFAULT = "karapace/test_schemaregistry_basic_backwards_compatibility/7"
PY_PORT_LOCATIONS = {
    "py/test_schema_compatibility_type_mismatch/131": "java/TestSchemaCompatibilityTypeMismatch.data/138",
    "py/test_schema_compatibility_type_mismatch/132": "java/TestSchemaCompatibilityTypeMismatch.data/139",
    "py/test_schema_compatibility_type_mismatch/133": "java/TestSchemaCompatibilityTypeMismatch.data/140",
    "karapace/test_schema_compatibility_type_mismatch/199": "java/TestSchemaCompatibilityTypeMismatch.data/138",
    "karapace/test_schema_compatibility_type_mismatch/200": "java/TestSchemaCompatibilityTypeMismatch.data/139",
    "karapace/test_schema_compatibility_type_mismatch/201": "java/TestSchemaCompatibilityTypeMismatch.data/140",
}
NO_VERSIONS_404 = {"karapace-int/case6", "karapace-int/case7"}

# Words of Avro's messages that describe the kind of problem rather than its subject.
_FILLER = {
    "reader",
    "writer",
    "type",
    "not",
    "compatible",
    "with",
    "union",
    "lacking",
    "expected",
    "found",
}


def _words(message: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z0-9_]+", message)} - _FILLER


def _assert_mentions(
    result: CompatResult, expected_message: str, location: str | None = None
) -> None:
    candidates = [m for m in result.messages if location is None or m.startswith(f"{location}: ")]
    ours = [{w.lower() for w in re.findall(r"[A-Za-z0-9_]+", m)} for m in candidates]
    assert any(_words(expected_message) <= words for words in ours), (
        expected_message,
        location,
        result.messages,
    )


def _locations(result: CompatResult) -> set[str]:
    return {m.split(": ", 1)[0] for m in result.messages}


def _expected_locations(vector: dict[str, Any]) -> set[str]:
    source = BY_ID[PY_PORT_LOCATIONS[vector["id"]]] if vector["id"] in PY_PORT_LOCATIONS else vector
    found = {i["location"] for i in source.get("expected_incompatibilities", [])}
    found |= set(source.get("expected_locations_exact", []))
    found |= set(source.get("expected_locations_include", []))
    if "expected_first_location" in source:
        found.add(source["expected_first_location"])
    return found


def _named(schema: Any) -> Any:
    named = copy.deepcopy(schema)
    named["name"] = "Anonymous"
    return named


def test_every_vector_is_collected() -> None:
    # The counts the README and the files' meta state; a loader bug must not drop cases.
    assert len(AVRO["vectors"]) == 274
    assert len(KARAPACE["vectors"]) == KARAPACE["meta"]["counts"]["pair_unique"] == 156
    assert len(KARAPACE["level_vectors"]) == 8
    assert len(CONFLUENT["level_vectors"]) == 32
    assert len(BY_ID) == len(PAIR_VECTORS)
    assert len(ANONYMOUS) == 5
    assert INVALID_ENUM_DEFAULT in BY_ID
    assert all(java_id in BY_ID for java_id in PY_PORT_LOCATIONS.values())


@pytest.mark.parametrize("vector", PAIR_VECTORS, ids=[v["id"] for v in PAIR_VECTORS])
def test_pair_vector(vector: dict[str, Any]) -> None:
    reader, writer = vector["reader"], vector["writer"]

    if vector["id"] == INVALID_ENUM_DEFAULT:
        result = check_pair(reader, writer)
        assert not result.compatible
        assert any(
            m.startswith("reader schema is invalid") and "'B'" in m for m in result.messages
        ), result.messages
        fixed = {**reader, "default": "A"}
        assert check_pair(fixed, writer) == CompatResult(True, [])
        return

    if vector["id"] in ANONYMOUS:
        raw = check_pair(reader, writer)
        assert not raw.compatible
        assert [m.split(":")[0] for m in raw.messages] == [
            "reader schema is invalid",
            "writer schema is invalid",
        ]
        reader, writer = _named(reader), _named(writer)

    result = check_pair(reader, writer)
    assert result.compatible is (vector["expected"] == "compatible"), result.messages
    if result.compatible:
        assert result.messages == []
        return
    assert result.messages
    assert all(m.startswith("/") for m in result.messages), result.messages
    assert _expected_locations(vector) <= _locations(result)
    if "expected_first_location" in vector:
        assert result.messages[0].startswith(vector["expected_first_location"] + ": ")
    for incompatibility in vector.get("expected_incompatibilities", []):
        _assert_mentions(result, incompatibility["message"], incompatibility["location"])
    for message in vector.get("expected_messages_exact", []) + vector.get(
        "expected_messages_include", []
    ):
        _assert_mentions(result, message)


@pytest.mark.parametrize("vector", LEVEL_VECTORS, ids=[v["id"] for v in LEVEL_VECTORS])
def test_level_vector(vector: dict[str, Any]) -> None:
    result = check_level(vector["new"], vector["previous"], vector["level"])
    if vector["id"] in NO_VERSIONS_404:
        assert vector["previous"] == [] and vector["expected"] is None
        assert result == CompatResult(True, [])
        return
    assert result.compatible is (vector["expected"] == "compatible"), result.messages
    if result.compatible:
        assert result.messages == []
    for message in vector.get("expected_messages") or []:
        # Karapace names the writer type, which tells whether the latest or every
        # previous version was checked.
        _assert_mentions(result, message)
