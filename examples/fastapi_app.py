"""A FastAPI service that sends `TelescopeCommand`s to Kafka with the generated producer.

The producer starts and stops with the app (FastAPI's lifespan; the seed's `on_event` hooks
are deprecated): it registers its schemas at start-up, so a missing registry stops the app
from starting instead of failing the first request.

Run it against a broker and a registry (`avrobind registry serve`)::

    PYTHONPATH=generated KAFKA_BOOTSTRAP_SERVERS=localhost:9092 \
        AVROBIND_REGISTRY_URL=http://localhost:8081 uvicorn examples.fastapi_app:app
    curl -X POST localhost:8000/commands -H 'content-type: application/json' \
        -d '{"command_type": "SLEW", "requested_by": "alice", "target": {"ra_deg": 83.6, "dec_deg": 22.0}}'
"""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, Field
from telescope_schemas import CommandType, SkyPosition, TelescopeCommand, TelescopeCommandsProducer


class Target(BaseModel):
    ra_deg: float = Field(ge=0, lt=360)
    dec_deg: float = Field(ge=-90, le=90)


class CommandRequest(BaseModel):
    command_type: CommandType
    requested_by: str = Field(min_length=1)
    target: Target | None = None
    priority: int = 0
    parameters: dict[str, str] = Field(default_factory=dict)


class CommandAccepted(BaseModel):
    command_id: uuid.UUID
    partition: int
    offset: int


def create_app(
    bootstrap_servers: str | None = None, schema_registry_url: str | None = None
) -> FastAPI:
    """The app; without arguments it reads KAFKA_BOOTSTRAP_SERVERS and AVROBIND_REGISTRY_URL."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        servers = bootstrap_servers or os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
        async with TelescopeCommandsProducer(servers, schema_registry_url) as producer:
            app.state.producer = producer
            yield

    app = FastAPI(title="telescope commands", lifespan=lifespan)
    app.post("/commands", status_code=202)(send_command)
    return app


def get_producer(request: Request) -> TelescopeCommandsProducer:
    producer: TelescopeCommandsProducer = request.app.state.producer
    return producer


async def send_command(
    body: CommandRequest,
    producer: Annotated[TelescopeCommandsProducer, Depends(get_producer)],
) -> CommandAccepted:
    """Send a command; answers once the broker has it."""
    command = TelescopeCommand(
        command_id=uuid.uuid4(),
        command_type=body.command_type,
        issued_at=datetime.datetime.now(datetime.UTC),
        requested_by=body.requested_by,
        target=None
        if body.target is None
        else SkyPosition(ra_deg=body.target.ra_deg, dec_deg=body.target.dec_deg),
        priority=body.priority,
        parameters=body.parameters,
    )
    metadata = await producer.send(command, key=str(command.command_id))
    return CommandAccepted(
        command_id=command.command_id, partition=metadata.partition, offset=metadata.offset
    )


app = create_app()
