"""Serde output is byte-identical to fastavro's for the same schema and data (property test).

The reference is independent of the generated code: the .avsc files in `avsc/` parsed by
fastavro itself, and `fastavro.schemaless_writer` on random data from `datagen`. The serde
must write the 5-byte header with the registered id followed by exactly those bytes, and
read them back to the same object.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import fastavro
import pytest
import telescope_schemas as ts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telescope_schemas._runtime.datagen import random_datum
from telescope_schemas._runtime.registry import SchemaRegistryClient
from telescope_schemas._runtime.serde import RecordCodec, SubjectSerde

from tests.fixtures_registry import RegistryServer

AVSC = Path(__file__).resolve().parents[2] / "avsc"
RECORDS = [
    ts.TelescopeCommand,
    ts.CommandAcknowledgment,
    ts.Observation,
    ts.TelescopeStatus,
    ts.SkyPosition,
    ts.WeatherConditions,
    ts.Frame,
]


def source_schemas() -> dict[str, Any]:
    """Every named type of avsc/, parsed by fastavro from the files (any file order)."""
    pending = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(AVSC.rglob("*.avsc"))]
    named: dict[str, Any] = {}
    while pending:
        left = []
        for schema in pending:
            try:
                fastavro.parse_schema(schema, named_schemas=named)
            except fastavro.schema.UnknownType:
                left.append(schema)
        if len(left) == len(pending):
            raise AssertionError(f"unresolvable schemas: {left}")
        pending = left
    return named


SOURCES = source_schemas()


@pytest.fixture(scope="module")
def serdes(registry_server: RegistryServer) -> Any:
    client = SchemaRegistryClient(registry_server.url)
    out = {
        cls: SubjectSerde(RecordCodec(cls), f"bytes-{cls.get_fullname()}-{random.random()}", client)
        for cls in RECORDS
    }
    for serde in out.values():
        serde.register()
    yield out
    client.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cls=st.sampled_from(RECORDS), seed=st.integers(0, 2**32 - 1))
def test_serde_bytes_equal_fastavro(
    serdes: dict[Any, SubjectSerde[Any]], cls: Any, seed: int
) -> None:
    schema = fastavro.parse_schema(SOURCES[cls.get_fullname()], named_schemas=dict(SOURCES))
    datum = random_datum(schema, random.Random(seed), named=SOURCES)
    reference = io.BytesIO()
    fastavro.schemaless_writer(reference, schema, datum)

    serde = serdes[cls]
    value = cls.from_avro(datum)
    framed = serde.serialize(value)
    assert serde.schema_id is not None
    assert framed == b"\x00" + serde.schema_id.to_bytes(4, "big") + reference.getvalue()
    assert serde.deserialize(framed) == value
