"""The FastAPI example (examples/fastapi_app.py) against a real broker and registry."""

from __future__ import annotations

import asyncio
import uuid

import telescope_schemas as ts
from fastapi.testclient import TestClient
from telescope_schemas._runtime.kafka import Record

from examples.fastapi_app import create_app
from tests.fixtures_kafka import GROUP_OPTIONS, KafkaBroker


async def read_commands(
    bootstrap: str, registry_url: str, count: int
) -> list[Record[str, ts.TelescopeCommand]]:
    got = []
    async with ts.TelescopeCommandsConsumer(
        bootstrap, registry_url, "fastapi-test", **GROUP_OPTIONS
    ) as consumer:
        async for record in consumer:
            got.append(record)
            if len(got) == count:
                break
    return got


def test_posted_commands_reach_the_topic(
    fresh_kafka_broker: KafkaBroker, registry_url: str
) -> None:
    bootstrap = fresh_kafka_broker.bootstrap
    app = create_app(bootstrap, registry_url)
    with TestClient(app) as client:  # runs the lifespan: the producer starts and stops
        slew = client.post(
            "/commands",
            json={
                "command_type": "SLEW",
                "requested_by": "alice",
                "target": {"ra_deg": 83.6, "dec_deg": 22.0},
            },
        )
        park = client.post(
            "/commands", json={"command_type": "PARK", "requested_by": "bob", "priority": 5}
        )
        invalid = client.post("/commands", json={"command_type": "DANCE", "requested_by": "eve"})
    assert slew.status_code == park.status_code == 202, (slew.text, park.text)
    assert invalid.status_code == 422

    records = asyncio.run(asyncio.wait_for(read_commands(bootstrap, registry_url, 2), 30))
    by_id = {r.value.command_id: r for r in records}
    sent_slew, sent_park = (
        by_id[uuid.UUID(slew.json()["command_id"])],
        by_id[uuid.UUID(park.json()["command_id"])],
    )
    assert sent_slew.key == str(sent_slew.value.command_id)
    assert (sent_slew.partition, sent_slew.offset) == (
        slew.json()["partition"],
        slew.json()["offset"],
    )
    assert sent_slew.value.command_type is ts.CommandType.SLEW
    assert sent_slew.value.requested_by == "alice"
    assert sent_slew.value.target == ts.SkyPosition(ra_deg=83.6, dec_deg=22.0)
    assert sent_park.value.command_type is ts.CommandType.PARK
    assert sent_park.value.priority == 5 and sent_park.value.target is None
    assert sent_park.value.issued_at.tzinfo is not None
