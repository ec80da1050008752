"""The per-topic classes on every client, behind one async interface, for shared tests.

A behavioural test is written once and parametrized over `CLIENTS` (the `client` fixture of
tests/kafka/conftest.py): `"aiokafka"` (the async classes' default), `"confluent"` (the async
classes with `client="confluent"`) and `"sync"` (the Sync classes, on confluent-kafka, driven
from a worker thread with `asyncio.to_thread`). A transport added later (an in-memory broker)
joins by adding its name here.

- `Client.producer(bootstrap, registry, spec=...)` / `Client.consumer(bootstrap, registry,
  group, spec=...)` build the runtime classes for the client (consumers get the client's short
  group-session options), wrapped in `Producing` / `Consuming`;
- `Client.wrap(instance)` wraps a generated class's instance the same way.

`Consuming` reads as the existing helpers do: `take(n)` (iterate, then commit), `consume_n(n)`
(handled once the handler returned), `consume(handler)` (until it raises), `batches(n, body)`.
Every blocking call of a sync class runs in a thread, one at a time (a consumer is used by one
thread at a time, never two at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from telescope_schemas._runtime.kafka import (
    AvroConsumer,
    AvroProducer,
    Message,
    SyncAvroConsumer,
    SyncAvroProducer,
    TombstoneAvroProducer,
    TombstoneSyncAvroProducer,
)

from tests.fixtures_kafka import CONFLUENT_GROUP_OPTIONS, GROUP_OPTIONS
from tests.kafka.consuming import consume_n

CLIENTS = ["aiokafka", "confluent", "sync"]
TIMEOUT = 30.0


@dataclass(frozen=True)
class Client:
    name: str

    @property
    def sync(self) -> bool:
        return self.name == "sync"

    @property
    def group_options(self) -> dict[str, Any]:
        return GROUP_OPTIONS if self.name == "aiokafka" else CONFLUENT_GROUP_OPTIONS

    def _async_options(self) -> dict[str, Any]:
        return {} if self.name == "aiokafka" else {"client": self.name}

    def producer(
        self, bootstrap: str, registry: Any = None, *, spec: Any, **options: Any
    ) -> Producing:
        if self.sync:
            cls: Any = TombstoneSyncAvroProducer if spec.tombstones else SyncAvroProducer
            return Producing(cls(bootstrap, registry, spec=spec, **options))
        cls = TombstoneAvroProducer if spec.tombstones else AvroProducer
        return Producing(cls(bootstrap, registry, spec=spec, **self._async_options(), **options))

    def consumer(
        self, bootstrap: str, registry: Any, group: str | None, *, spec: Any, **options: Any
    ) -> Consuming:
        options = {**self.group_options, **options}
        if self.sync:
            return Consuming(SyncAvroConsumer(bootstrap, registry, group, spec=spec, **options))
        return Consuming(
            AvroConsumer(bootstrap, registry, group, spec=spec, **self._async_options(), **options)
        )

    def wrap(self, instance: Any) -> Any:
        return Consuming(instance) if hasattr(instance, "group_id") else Producing(instance)

    def __str__(self) -> str:
        return self.name


async def _call(sync: bool, fn: Callable[..., Any], *args: Any) -> Any:
    if sync:
        return await asyncio.to_thread(fn, *args)
    result = fn(*args)
    return await result if inspect.isawaitable(result) else result


class _Side:
    """A producer or consumer of any client, entered with `async with` (a sync one in a
    thread)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.sync = isinstance(raw, (SyncAvroProducer, SyncAvroConsumer))

    async def __aenter__(self) -> Self:
        if self.sync:
            await asyncio.to_thread(self.raw.__enter__)
        else:
            await self.raw.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.sync:
            await asyncio.to_thread(self.raw.__exit__, exc_type, exc, tb)
        else:
            await self.raw.__aexit__(exc_type, exc, tb)


class Producing(_Side):
    """A producer of any client: `send`, `send_batch`, `send_tombstone` wait for the broker."""

    async def send(self, value: Any, key: Any = None, headers: Any = None) -> Any:
        if not self.sync:
            return await self.raw.send(value, key=key, headers=headers)
        return await self.send_batch([Message(value, key=key, headers=headers)])

    async def send_batch(self, items: Iterable[Any]) -> Any:
        if not self.sync:
            return await self.raw.send_batch(items)

        def produce() -> None:
            for item in items:
                m = item if isinstance(item, Message) else Message(item)
                self.raw.produce(m.value, m.key, m.headers, partition=m.partition)
            assert self.raw.flush(TIMEOUT) == 0

        return await asyncio.to_thread(produce)

    async def send_tombstone(self, key: Any) -> None:
        if not self.sync:
            await self.raw.send_tombstone(key)
            return

        def produce() -> None:
            self.raw.produce_tombstone(key)
            assert self.raw.flush(TIMEOUT) == 0

        await asyncio.to_thread(produce)


class Consuming(_Side):
    """A consumer of any client, read the ways the shared tests need."""

    async def _guarded(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run with the test timeout; a sync consumer that overruns is stopped."""
        try:
            return await asyncio.wait_for(_call(self.sync, fn, *args), TIMEOUT)
        except TimeoutError:
            if self.sync:
                self.raw.stop()
            raise

    async def take(self, count: int) -> list[Any]:
        """Iterate until `count` records, then commit them all."""
        if self.sync:

            def loop() -> list[Any]:
                got = []
                for record in self.raw:
                    got.append(record)
                    if len(got) == count:
                        self.raw.commit()
                        break
                return got

            return await self._guarded(loop)

        async def aloop() -> list[Any]:
            got = []
            async for record in self.raw:
                got.append(record)
                if len(got) == count:
                    await self.raw.commit()
                    break
            return got

        return await self._guarded(aloop)

    async def iterate(self, count: int) -> list[Any]:
        """Iterate `count` records, then leave the loop (the last one is not handled)."""
        if self.sync:

            def loop() -> list[Any]:
                got = []
                for record in self.raw:
                    got.append(record)
                    if len(got) == count:
                        break
                return got

            return await self._guarded(loop)

        async def aloop() -> list[Any]:
            got = []
            async for record in self.raw:
                got.append(record)
                if len(got) == count:
                    break
            return got

        return await self._guarded(aloop)

    async def consume(self, handler: Callable[[Any], Any], *, records: bool = False) -> None:
        """`consume(handler)` (or `consume_records`) until it raises (or is stopped)."""
        method = self.raw.consume_records if records else self.raw.consume
        await self._guarded(method, handler)

    async def consume_n(self, count: int, *, records: bool = True) -> list[Any]:
        """Handle `count` messages (all committed as handled): through `consume_records` on
        the async classes (cancelled once enough were handled), by iterating and committing on
        the sync ones (a sync loop cannot be cancelled between two records)."""
        if self.sync:
            got = await self.take(count)
            return got if records else [r.value for r in got]
        return await consume_n(self.raw, count, records=records, timeout=TIMEOUT)

    async def run(self, handler: Callable[[Any], Any], stop: asyncio.Event) -> None:
        """`consume_records(handler)` until `stop` is set (then cancelled, or stopped)."""
        if self.sync:
            thread = asyncio.ensure_future(asyncio.to_thread(self.raw.consume_records, handler))
            await stop.wait()
            self.raw.stop()
            await thread
            return
        task = asyncio.create_task(self.raw.consume_records(handler))
        await stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def consume_batches(
        self, handler: Callable[[list[Any]], Any], until: int, **kw: Any
    ) -> None:
        """`consume_batches(handler, **kw)` until `until` records were handled in all (it may
        raise first)."""
        count = 0
        done = asyncio.Event()

        def counting(batch: list[Any]) -> None:
            nonlocal count
            handler(batch)
            count += len(batch)
            if count >= until:
                if self.sync:
                    self.raw.stop()
                else:
                    done.set()

        if self.sync:
            await self._guarded(functools.partial(self.raw.consume_batches, counting, **kw))
            return
        task = asyncio.create_task(self.raw.consume_batches(counting, **kw))
        waiter = asyncio.create_task(done.wait())
        await asyncio.wait({task, waiter}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def batches(
        self, count: int, body: Callable[[list[Any]], Any] | None = None, **kw: Any
    ) -> list[list[Any]]:
        """`for batch in consumer.batches(**kw)` until `count` records; `body(batch)` runs in
        the loop (it may raise); the last batch is committed."""
        if self.sync:

            def loop() -> list[list[Any]]:
                out: list[list[Any]] = []
                for batch in self.raw.batches(**kw):
                    if body is not None:
                        body(batch)
                    out.append(batch)
                    if sum(map(len, out)) >= count:
                        self.raw.commit()
                        break
                return out

            return await self._guarded(loop)

        async def aloop() -> list[list[Any]]:
            out: list[list[Any]] = []
            async for batch in self.raw.batches(**kw):
                if body is not None:
                    body(batch)
                out.append(batch)
                if sum(map(len, out)) >= count:
                    await self.raw.commit()
                    break
            return out

        return await self._guarded(aloop)

    async def commit(self) -> None:
        await _call(self.sync, self.raw.commit)

    def skip(self, error: Any) -> None:
        self.raw.skip(error)

    def assignment(self) -> set[int]:
        return set(self.raw.assignment())
