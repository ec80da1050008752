"""Fixtures for the runtime Kafka tests: a real tansu broker and real registries (subprocesses),
and `client`: each Kafka client the per-topic classes run on (see tests/kafka/clients.py)."""

from __future__ import annotations

import pytest

from tests.fixtures_kafka import *  # noqa: F403  (pytest finds the fixtures by name)
from tests.fixtures_registry import *  # noqa: F403
from tests.kafka.clients import CLIENTS, Client


@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest) -> Client:
    """Each Kafka client the per-topic classes run on (see tests/kafka/clients.py)."""
    return Client(request.param)
