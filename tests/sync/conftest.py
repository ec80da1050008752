"""Fixtures for the `avrobind sync` tests (helpers in `sync_helpers`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures_registry import *  # noqa: F403  (pytest finds the fixtures by name)
from tests.sync.sync_helpers import Canned, DoubleServer, Project, Recorder, make_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A temporary project: the example config and a copy of the repo's avsc/."""
    return make_project(tmp_path)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Records what the in-process CLI sends, at the httpx level (below the client's caches and
    retries, so a retried call is seen twice and a cached one not at all). Optional `faults`
    replace the answer of chosen requests."""
    rec = Recorder()
    real_send = httpx.AsyncClient.send

    async def send(
        self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any
    ) -> httpx.Response:
        key = (request.method, request.url.path)
        rec.requests.append(key)
        planned = rec.faults.get(key)
        if planned:
            fault = planned.pop(0)
            if isinstance(fault, Exception):
                raise fault
            fault.request = request
            return fault
        return await real_send(self, request, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", send)
    return rec


@pytest.fixture
def double() -> Iterator[Callable[[Canned], DoubleServer]]:
    servers: list[DoubleServer] = []

    def start(canned: Canned) -> DoubleServer:
        server = DoubleServer(canned)
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.close()
