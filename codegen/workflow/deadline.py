"""The deadline of a whole registry command (`sync`, `pull`), and what did not answer by then.

The registry client's own timeout is per request and its retries multiply it (a URL that
accepts connections but never answers HTTP, such as a Kafka port, took 40 s to fail); the
command as a whole gets `registry-deadline` seconds (default 15). When they run out, the
error names the requests still waiting for an answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from codegen.runtime.errors import RegistryUnavailableError

_T = TypeVar("_T")


class Deadline:
    """`seconds` for a whole command; `hooks` go to the registry client to see its requests."""

    def __init__(self, seconds: float, source: str, registry: str) -> None:
        self.seconds = seconds
        self.source = source  # where the number came from: a flag, a variable, a key, "default"
        self.registry = registry
        self._waiting: dict[int, tuple[float, str]] = {}  # request -> (sent at, "GET url")

    def hooks(self) -> dict[str, list[Callable[..., Any]]]:
        """httpx event hooks that keep track of the requests sent and not answered."""

        async def sent(request: httpx.Request) -> None:
            self._waiting[id(request)] = (time.monotonic(), f"{request.method} {request.url}")

        async def answered(response: httpx.Response) -> None:
            self._waiting.pop(id(response.request), None)

        return {"request": [sent], "response": [answered]}

    async def run(self, work: Awaitable[_T]) -> _T:
        """`work`, or `RegistryUnavailableError` naming what did not answer in time."""
        try:
            return await asyncio.wait_for(work, self.seconds)
        except TimeoutError:
            raise RegistryUnavailableError(self.message(), url=self.registry) from None

    def message(self) -> str:
        where = "the default" if self.source == "default" else f"from {self.source}"
        text = (
            f"schema registry at {self.registry} did not answer in time: the command's deadline "
            f"of {self.seconds:g} s ({where}; set registry-deadline in [tool.avrobind], "
            "AVROBIND_REGISTRY_DEADLINE or --deadline) ran out"
        )
        now = time.monotonic()
        first: dict[str, float] = {}  # a request retried is listed once, since its first try
        for at, what in sorted(self._waiting.values()):
            first.setdefault(what, at)
        if first:
            shown = [f"{what} (waiting {now - at:.0f} s)" for what, at in list(first.items())[:3]]
            more = f" and {len(first) - 3} more" if len(first) > 3 else ""
            text += f"; no answer to {', '.join(shown)}{more}"
            text += "; check that the URL is the schema registry's (not, say, a Kafka port)"
        return text
