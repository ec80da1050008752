"""Fixtures for the runtime Kafka tests: a real tansu broker and real registries (subprocesses),
`client`: each Kafka client the per-topic classes run on (see tests/kafka/clients.py), and
`bootstrap`: the cluster of that client (tansu, or a fresh in-memory broker for `memory://`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from telescope_schemas._runtime.kafka.transports.memory_broker import forget

from tests.fixtures_kafka import *  # noqa: F403  (pytest finds the fixtures by name)
from tests.fixtures_registry import *  # noqa: F403
from tests.kafka.clients import CLIENTS, Client


@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest) -> Client:
    """Each Kafka client the per-topic classes run on (see tests/kafka/clients.py)."""
    return Client(request.param)


@pytest.fixture
def bootstrap(client: Client, request: pytest.FixtureRequest) -> Iterator[str]:
    """The client's cluster: the session's tansu broker, or an in-memory broker of this test's
    own for the `memory://` clients."""
    if not client.memory:
        yield request.getfixturevalue("kafka_broker").bootstrap
        return
    name = f"test-{uuid.uuid4().hex}"
    yield f"memory://{name}"
    forget(name)
