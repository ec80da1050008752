"""The consumer's semantics, once, without I/O: what the async and sync consumers both drive.

``ConsumerCore`` holds a consumer's state (fetched messages not yet yielded, the records being
handled, handled and committed offsets) and decides everything: at-least-once commits,
tombstones, ``on_error`` (raise / skip / dead letter), unknown schema ids, batches, what to
commit before partitions are revoked, when the brokers count as unreachable. Its plans
(``next_record``, ``next_batch``, ``commit_plan``) are generators that yield the I/O they need
as steps -- ``Fetch``, ``Commit``, ``Load`` (a writer schema from the registry), ``DeadLetter``,
``Probe`` -- and receive each step's answer (or have its exception thrown in). The consumers
in ``consumer`` (asyncio) and ``sync_consumer`` only perform the steps with their transport and
registry client, as the registry client's drivers do with its plans.

Local calls that do no I/O (``seek``, ``assignment``) go to the transport directly.

Undecodable messages (a ``DeserializationError``) follow ``on_error``; ``UnknownSchemaIdError``
is the exception: an id the registry does not know is far more often a registry fault (a
registry that lost its data, the wrong registry) than a bad message, so by default it raises
whatever ``on_error`` says and the message stays uncommitted. ``unknown_schema_ids="on_error"``
makes it follow ``on_error`` like any other undecodable message.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeAlias, TypeVar

from ..errors import (
    BrokerUnavailableError,
    DeserializationError,
    UnknownSchemaIdError,
    WriterSchemaNeeded,
)
from .records import Record
from .transports.base import TP, Fetched

__all__ = [
    "ERROR_HEADER_PREFIX",
    "ON_ERROR",
    "UNKNOWN_SCHEMA_IDS",
    "Batch",
    "Commit",
    "ConsumerCore",
    "DeadLetter",
    "Fetch",
    "Load",
    "Probe",
    "Stopped",
    "check_policy",
]

log = logging.getLogger("avrobind.kafka.consumer")

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

ON_ERROR: Final = ("raise", "skip", "dead_letter")
UNKNOWN_SCHEMA_IDS: Final = ("raise", "on_error")
ERROR_HEADER_PREFIX: Final = "avrobind.error."


class Stopped(Exception):
    """The consumer was stopped while a plan was waiting for messages."""


# --- steps: the I/O a plan asks its driver for ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Fetch:
    """Fetch messages (waiting at most ``timeout_ms``); answer: the messages."""

    timeout_ms: int
    max_records: int


@dataclass(frozen=True, slots=True)
class Commit:
    """Commit these offsets; answer: whether the group took them."""

    offsets: dict[TP, int]


@dataclass(frozen=True, slots=True)
class Load:
    """Load writer schema ``schema_id`` into ``serde`` (a subject serde); answer: anything."""

    serde: Any
    schema_id: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Send a raw message to the dead-letter topic and wait for the acknowledgement."""

    topic: str
    value: bytes | None
    key: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp_ms: int | None


@dataclass(frozen=True, slots=True)
class Probe:
    """Can a broker be reached (within ``timeout`` s)? Answer: a bool."""

    timeout: float


class Batch(list[Record[K, V]]):
    """What ``next_batch`` returns: its records, and the messages skipped or dead-lettered
    between them (``skipped``: (topic, partition, offset)), committed past with the batch.
    """

    __slots__ = ("skipped",)

    def __init__(self) -> None:
        super().__init__()
        self.skipped: list[tuple[str, int, int]] = []


Step: TypeAlias = Fetch | Commit | Load | DeadLetter | Probe
Plan: TypeAlias = Generator[Step, Any, T]


def check_policy(
    on_error: str | None, dead_letter_topic: str | None, unknown_schema_ids: str
) -> str:
    """The ``on_error`` policy the arguments mean (``dead_letter`` when only a topic is given)."""
    if on_error is None:
        on_error = "dead_letter" if dead_letter_topic else "raise"
    if on_error not in ON_ERROR:
        raise ValueError(
            f"on_error must be one of {', '.join(ON_ERROR)}, got {on_error!r}"
        )
    if on_error == "dead_letter" and not dead_letter_topic:
        raise ValueError("on_error='dead_letter' needs dead_letter_topic='<topic>'")
    if on_error != "dead_letter" and dead_letter_topic:
        raise ValueError(f"dead_letter_topic is set but on_error is {on_error!r}")
    if unknown_schema_ids not in UNKNOWN_SCHEMA_IDS:
        raise ValueError(
            f"unknown_schema_ids must be one of {', '.join(UNKNOWN_SCHEMA_IDS)}, "
            f"got {unknown_schema_ids!r}"
        )
    return on_error


class ConsumerCore(Generic[K, V]):
    """One consumer's state and decisions (see the module docstring).

    ``serde`` is the consumer's topic serde (sync or async: only its cached, I/O-free paths are
    used here). ``transport`` is set by the driver before the first plan runs.
    """

    def __init__(
        self,
        serde: Any,
        *,
        group_id: str | None,
        on_error: str,
        unknown_schema_ids: str,
        dead_letter_topic: str | None,
        poll_timeout_ms: int,
        max_records: int,
        broker_timeout: float,
    ) -> None:
        self.serde = serde
        self.topic: str = serde.topic
        self.group_id = group_id
        self.on_error = on_error
        self.unknown_schema_ids = unknown_schema_ids
        self.dead_letter_topic = dead_letter_topic
        self.poll_timeout_ms = poll_timeout_ms
        self.max_records = max_records
        self.broker_timeout = broker_timeout
        self.transport: Any = None
        self.telemetry: Any = None  # the consumer's ``telemetry.Telemetry``, if any
        self.stopping = False
        self.buffer: collections.deque[Fetched] = collections.deque()
        self.inflight: Sequence[Record[K, V]] = ()  # yielded, not yet handled
        self.handled: dict[TP, int] = {}  # partition -> next offset to commit
        self.committed: dict[TP, int] = {}
        self._tombstones: bool = serde.spec.tombstones
        self._value = serde.value
        self._key = serde.key
        self._plain = serde._plain
        self._contact = time.monotonic()  # the last time a broker was known to answer
        self._collecting: Batch[K, V] | None = None  # the batch next_batch is filling
        # Dead-lettered and not yet committed past: met again (a batch read again), they are
        # not sent twice.
        self._dead_lettered: set[tuple[str, int, int]] = set()

    # -- decoding (no I/O)

    def _record(self, message: Fetched) -> Record[K, V]:
        data = message.value
        value: Any = None if data is None else self._value.deserialize_cached(data)
        key: Any = message.key
        if key is not None:
            key = (
                self._plain.decode(key)
                if self._key is None
                else self._key.deserialize_cached(key)
            )
        headers = message.headers
        return Record(
            value,
            key,
            (
                tuple((k, b"" if v is None else bytes(v)) for k, v in headers)
                if headers
                else ()
            ),
            message.topic,
            message.partition,
            message.offset,
            message.timestamp,
            message.timestamp_type,
        )

    def ready(self) -> Record[K, V] | None:
        """The next record if it needs no I/O and no decision (the fast path), else None."""
        buffer = self.buffer
        if not buffer:
            return None
        message = buffer[0]
        if message.value is None:
            return None
        try:
            record = self._record(message)
        except Exception:  # noqa: BLE001 -- the plan meets it again and decides
            return None
        buffer.popleft()
        return record

    # -- plans

    def next_record(self) -> Plan[Record[K, V]]:
        """The next record; raises ``Stopped`` once stopped with nothing buffered."""
        while True:
            while not self.buffer:
                if self.stopping:
                    raise Stopped
                yield from self._fetch(self.poll_timeout_ms)
            record = yield from self._admit(self.buffer.popleft())
            if record is not None:
                return record

    def next_batch(self, max_records: int, timeout_ms: int) -> Plan[Batch[K, V]]:
        """Up to ``max_records`` records: as soon as there are that many, or ``timeout_ms``
        after the first one arrived. A failure after some records returns those; the failing
        message comes first in the next batch (and fails again there)."""
        batch: Batch[K, V] = Batch()
        self._collecting = batch
        deadline = 0.0
        try:
            while len(batch) < max_records:
                record = self.ready()
                if record is None:
                    if not self.buffer:
                        if self.stopping:
                            if batch:
                                break
                            raise Stopped
                        wait = self.poll_timeout_ms
                        if batch:
                            wait = int((deadline - time.monotonic()) * 1000)
                            if wait <= 0:
                                break
                        yield from self._fetch(wait)
                        continue
                    record = yield from self._admit(self.buffer.popleft())
                if record is not None:
                    if not batch:
                        deadline = time.monotonic() + timeout_ms / 1000
                    batch.append(record)
        except Exception:
            if not batch:
                raise
        except BaseException:
            self.rewind_records(batch)
            raise
        finally:
            self._collecting = None
        return batch

    def _fetch(self, timeout_ms: int) -> Plan[None]:
        yield from self.commit_plan()
        messages = yield Fetch(timeout_ms, self.max_records)
        now = time.monotonic()
        if messages:
            self._contact = now
            self.buffer.extend(messages)
            return
        # Nothing came: an idle topic, or no broker. Ask now and then; give up after
        # broker_timeout without an answer.
        if now - self._contact < min(10.0, self.broker_timeout / 3):
            return
        alive = yield Probe(min(5.0, max(0.5, self.broker_timeout / 3)))
        now = time.monotonic()
        if alive:
            self._contact = now
        elif now - self._contact >= self.broker_timeout:
            raise BrokerUnavailableError(
                f"no Kafka broker answered the consumer of {self.topic!r} for "
                f"{now - self._contact:.0f} s (broker_timeout={self.broker_timeout:g})",
                client=getattr(self.transport, "client", None),
                topic=self.topic,
            )

    def _admit(self, message: Fetched) -> Plan[Record[K, V] | None]:
        """The record of a fetched message, or None when it was skipped or dead-lettered."""
        if message.value is None and not self._tombstones:
            log.warning(
                "skipping a tombstone (a message without a value) at %s[%d]@%d: "
                "the topic is not configured with tombstones = true",
                message.topic,
                message.partition,
                message.offset,
            )
            self._passed(message)
            return None
        try:
            while True:
                try:
                    return self._record(message)
                except WriterSchemaNeeded as need:
                    yield Load(need.serde, need.schema_id)
        except DeserializationError as exc:
            error = exc
        except BaseException:
            # Not the message's fault (registry unreachable, cancelled): read it again.
            self.rewind(message.topic, message.partition, message.offset)
            raise
        yield from self._undecodable(message, error)
        return None

    def _undecodable(self, message: Fetched, exc: DeserializationError) -> Plan[None]:
        exc.locate(message.topic, message.partition, message.offset)
        if self.telemetry is not None:
            self.telemetry.undecodable(exc)
        policy = self.on_error
        if (
            policy != "raise"
            and isinstance(exc, UnknownSchemaIdError)
            and self.unknown_schema_ids == "raise"
        ):
            exc.add_note(
                f"on_error={policy!r} does not apply to unknown schema ids (a registry fault "
                "more often than a bad message): fix the registry, call consumer.skip(error), "
                "or pass unknown_schema_ids='on_error'"
            )
            policy = "raise"
        if policy == "raise":
            self.rewind(message.topic, message.partition, message.offset)
            raise exc
        where = (message.topic, message.partition, message.offset)
        if policy == "skip":
            log.warning("skipping an undecodable message: %s", exc)
        elif where not in self._dead_lettered:
            assert self.dead_letter_topic is not None
            try:
                yield self._dead_letter(message, exc, self.dead_letter_topic)
            except BaseException:
                self.rewind(message.topic, message.partition, message.offset)
                raise
            self._dead_lettered.add(where)
            if self.telemetry is not None:
                self.telemetry.dead_lettered(self.dead_letter_topic)
            log.warning(
                "sent an undecodable message to %s: %s", self.dead_letter_topic, exc
            )
        self._passed(message)

    @staticmethod
    def _dead_letter(
        message: Fetched, exc: DeserializationError, topic: str
    ) -> DeadLetter:
        error_headers = {
            "topic": message.topic,
            "partition": str(message.partition),
            "offset": str(message.offset),
            "class": type(exc).__name__,
            "message": str(exc)[:4000],
        }
        if exc.schema_id is not None:
            error_headers["schema_id"] = str(exc.schema_id)
        headers = [
            (k, b"" if v is None else bytes(v)) for k, v in message.headers or ()
        ]
        headers += [
            (ERROR_HEADER_PREFIX + k, v.encode()) for k, v in error_headers.items()
        ]
        timestamp = (
            message.timestamp if message.timestamp and message.timestamp > 0 else None
        )
        return DeadLetter(topic, message.value, message.key, headers, timestamp)

    def commit_plan(self) -> Plan[None]:
        """Commit what was handled (of the partitions still assigned) and is not yet committed."""
        if self.group_id is None or not self.handled:
            return
        assigned = self.transport.assignment()
        offsets = {
            tp: offset
            for tp, offset in self.handled.items()
            if tp in assigned and self.committed.get(tp) != offset
        }
        if offsets and (yield Commit(offsets)):
            self.committed.update(offsets)
            if self._dead_lettered:
                self._dead_lettered = {
                    (t, p, o)
                    for t, p, o in self._dead_lettered
                    if o >= self.committed.get((t, p), 0)
                }

    # -- bookkeeping (no I/O)

    def _mark(self, topic: str, partition: int, offset: int) -> None:
        self.handled[(topic, partition)] = offset + 1

    def _passed(self, message: Fetched) -> None:
        """A message skipped or dead-lettered: committed past -- with the batch being filled
        when that holds an earlier record of its partition, which is not handled yet."""
        batch = self._collecting
        if batch and any(r.partition == message.partition for r in batch):
            batch.skipped.append((message.topic, message.partition, message.offset))
        else:
            self._mark(message.topic, message.partition, message.offset)

    def mark(self, records: Iterable[Record[Any, Any]]) -> None:
        """These records (and what a batch skipped among them) were handled: their offsets
        may be committed."""
        handled = self.handled
        for r in records:
            handled[(r.topic, r.partition)] = r.offset + 1
        for topic, partition, offset in getattr(records, "skipped", ()):
            if handled.get((topic, partition), -1) <= offset:
                handled[(topic, partition)] = offset + 1

    def rewind(self, topic: str, partition: int, offset: int) -> None:
        """Make ``offset`` the next message read from the partition (it was not handled)."""
        self.buffer = collections.deque(
            m for m in self.buffer if m.partition != partition or m.topic != topic
        )
        self.transport.seek((topic, partition), offset)

    def rewind_records(self, records: Iterable[Record[Any, Any]]) -> None:
        """None of these records was handled: read each partition again from its first."""
        first: dict[TP, int] = {}
        for r in records:
            tp = (r.topic, r.partition)
            if tp not in first or r.offset < first[tp]:
                first[tp] = r.offset
        for (topic, partition), offset in first.items():
            self.rewind(topic, partition, offset)

    def hand_out(self, records: Sequence[Record[K, V]]) -> None:
        """``records`` go to the loop body: in flight (and consumed) until it asks for more."""
        self.inflight = records
        if self.telemetry is not None:
            self.telemetry.consumed(len(records))

    def settle(self, records: Sequence[Record[K, V]], *, handled: bool) -> None:
        """The loop body is done with ``records``, if they are still in flight: handled, or
        (it raised) to be read again."""
        if self.inflight is records:
            if handled:
                self.finish_inflight()
            else:
                self.rewind_inflight()

    def finish_inflight(self) -> None:
        """The records yielded last were handled (the loop asked for more, or committed)."""
        if self.inflight:
            self.mark(self.inflight)
            self.inflight = ()

    def rewind_inflight(self) -> None:
        """A new loop: records the previous one yielded but did not finish are not handled."""
        if self.inflight:
            self.rewind_records(self.inflight)
            self.inflight = ()

    def skip(self, error: DeserializationError) -> None:
        """Move past the message that raised ``error``: handled, committed past."""
        if error.topic != self.topic or error.partition is None or error.offset is None:
            raise ValueError(
                f"{error!r} is not about a message of topic {self.topic!r}"
            )
        self._mark(error.topic, error.partition, error.offset)
        self.rewind(error.topic, error.partition, error.offset + 1)
        log.warning("skipping an undecodable message: %s", error)

    def revoked(self, partitions: set[TP]) -> Mapping[TP, int]:
        """Partitions go to another member: forget them; the offsets to commit first."""
        offsets = {
            tp: o
            for tp, o in self.handled.items()
            if tp in partitions and self.committed.get(tp) != o
        }
        self.buffer = collections.deque(
            m for m in self.buffer if (m.topic, m.partition) not in partitions
        )
        if self.inflight:
            self.inflight = [
                r for r in self.inflight if (r.topic, r.partition) not in partitions
            ]
        for tp in partitions:
            self.handled.pop(tp, None)
            self.committed.pop(tp, None)
        self._dead_lettered = {
            d for d in self._dead_lettered if d[:2] not in partitions
        }
        return offsets if self.group_id is not None else {}
