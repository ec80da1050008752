"""Fixtures for the registry tests: real `avrobind registry serve` subprocesses, spoken to over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures_registry import *  # noqa: F403  (pytest finds the fixtures by name)
from tests.fixtures_registry import RegistryServer
from tests.registry.registry_helpers import Client


@pytest.fixture
def sr(registry_server: RegistryServer) -> Iterator[Client]:
    """Client of the session's shared registry; use `sr.subject(...)` for subject names."""
    client = Client(registry_server.url)
    yield client
    client.http.close()


@pytest.fixture
def fresh(registry_url: str) -> Iterator[Client]:
    """Client of a registry started for this test alone."""
    client = Client(registry_url)
    yield client
    client.http.close()
