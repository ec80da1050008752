"""The clients' caches, and the sharing of one request among concurrent equal calls.

Ids and schemas by id are immutable, so they are kept for the client's lifetime; the latest
version of a subject is kept for ``latest_ttl`` seconds. ``Flights`` (threads) and
``AsyncFlights`` (asyncio tasks) let concurrent calls for the same uncached key share one run.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar, cast

from .models import RegisteredSchema, SchemaInfo, SchemaKey

_T = TypeVar("_T")


class Caches:
    """The client caches; reads are lock-free dict lookups, writes take the lock."""

    def __init__(self, latest_ttl: float) -> None:
        self._lock = threading.Lock()
        self._latest_ttl = latest_ttl
        self.ids: dict[SchemaKey, int] = {}
        self.lookups: dict[SchemaKey, RegisteredSchema] = {}
        self.schemas: dict[int, SchemaInfo] = {}
        self._latest: dict[str, tuple[float, RegisteredSchema]] = {}

    def put_id(self, key: SchemaKey, schema_id: int) -> None:
        with self._lock:
            self.ids[key] = schema_id
            self._latest.pop(key.subject, None)

    def put_lookup(self, key: SchemaKey, found: RegisteredSchema) -> None:
        with self._lock:
            self.lookups[key] = found
            self.ids[key] = found.schema_id

    def put_schema(self, info: SchemaInfo) -> None:
        with self._lock:
            self.schemas[info.schema_id] = info

    def latest(self, subject: str) -> RegisteredSchema | None:
        entry = self._latest.get(subject)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put_latest(self, subject: str, found: RegisteredSchema) -> None:
        if self._latest_ttl > 0:
            with self._lock:
                self._latest[subject] = (time.monotonic() + self._latest_ttl, found)

    def forget_subject(self, subject: str) -> None:
        with self._lock:
            for key in [k for k in self.ids if k.subject == subject]:
                del self.ids[key]
            for key in [k for k in self.lookups if k.subject == subject]:
                del self.lookups[key]
            self._latest.pop(subject, None)

    def clear(self) -> None:
        with self._lock:
            self.ids.clear()
            self.lookups.clear()
            self.schemas.clear()
            self._latest.clear()


class Flights:
    """Lets concurrent threads asking for the same key share one computation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[Hashable, Future[Any]] = {}

    def run(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        with self._lock:
            future = self._running.get(key)
            leader = future is None
            if future is None:
                future = self._running[key] = Future()
        if not leader:
            return cast("_T", future.result())
        try:
            result = compute()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                del self._running[key]


class AsyncFlights:
    """Lets concurrent tasks asking for the same key share one computation."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, compute: Callable[[], Awaitable[_T]]) -> _T:
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(compute())
            self._running[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        # shield: a cancelled caller must not cancel the request the others wait for.
        return cast("_T", await asyncio.shield(task))

    def _finished(self, key: Hashable, task: asyncio.Future[Any]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            task.exception()  # marks it retrieved when every waiter was cancelled
