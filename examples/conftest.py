"""The example service's tests run on avrobind's fixtures alone (`avrobind_kafka`: an in-memory
broker, `avrobind_registry`: an in-process registry), and prove it: any socket connection a
test attempts fails it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest


class SocketAttempted(AssertionError):
    """A test of the example tried to open a network connection."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every `connect` (TCP, UDP, Unix: the Kafka clients', httpx's, asyncio's) raises, and
    is recorded: a test that swallowed the error still fails at teardown."""
    attempts: list[Any] = []

    def refuse(sock: socket.socket, address: Any) -> Any:
        attempts.append(address)
        raise SocketAttempted(f"a test of the example tried to connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts
    assert not attempts, f"socket connections attempted: {attempts}"
