"""An in-process Kafka broker: what ``bootstrap_servers="memory://[NAME]"`` talks to.

Topics of numbered partitions, each an append-only log of ``RawMessage``s with offsets from 0;
keys partitioned with Kafka's murmur2 (the Java client's and aiokafka's default), messages
without a key round-robin; consumer groups with members, range assignment, committed offsets
and rebalances that let the previous owner commit what it handled before a partition moves.
Thread-safe: one lock guards the broker; members wait for messages on its condition (sync)
or through a callback that wakes their event loop (asyncio).

The brokers of a process live in one table shared by every copy of the runtime (avrobind's
own and each generated package's ``_runtime``), so a producer of one package and a consumer
of another, or the pytest plugin's helpers, meet on the same ``memory://NAME``.
``memory://`` alone is the broker named ``""``; ``?partitions=N`` sets how many partitions a
topic created on first produce gets (default 1).
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from aiokafka.partitioner import murmur2  # type: ignore[import-untyped, unused-ignore]

from .base import TP, Delivery, RawMessage

__all__ = [
    "SCHEME",
    "Broker",
    "BrokerError",
    "Group",
    "Member",
    "broker_for",
    "parse_url",
]

SCHEME: Final = "memory"
# Bumped when the shared objects change shape: another runtime copy then keeps its own table.
_SHARED: Final = "_avrobind_memory_brokers_v1"
Headers = Sequence[tuple[str, bytes | None]]


class BrokerError(Exception):
    """What the in-memory broker refuses (an unknown partition...); ``code`` is Kafka's name."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code


def _table() -> tuple[dict[str, Broker], threading.Lock]:
    shared = sys.modules.get(_SHARED)
    if shared is None:
        module = types.ModuleType(
            _SHARED, "avrobind's in-memory Kafka brokers of this process"
        )
        module.brokers = {}  # type: ignore[attr-defined]
        module.lock = threading.Lock()  # type: ignore[attr-defined]
        shared = sys.modules.setdefault(_SHARED, module)
    return shared.brokers, shared.lock


def parse_url(url: str) -> tuple[str, int]:
    """``memory://NAME?partitions=N`` -> (NAME, N); refuses anything else with the reason."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != SCHEME:
        raise ValueError(f"{url!r} is not a memory:// URL")
    name = (parts.netloc + parts.path).rstrip("/")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"partitions"})
    if unknown or parts.fragment:
        raise ValueError(f"{url!r}: a memory:// URL takes only ?partitions=N")
    raw = query.get("partitions", ["1"])[-1]
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(
            f"{url!r}: partitions must be a whole number >= 1, got {raw!r}"
        )
    return name, int(raw)


def broker_for(url: str) -> Broker:
    """The broker a ``memory://`` URL names in this process (created on first use)."""
    name, partitions = parse_url(url)
    brokers, lock = _table()
    with lock:
        broker = brokers.get(name)
        if broker is None:
            broker = brokers[name] = Broker(name, partitions)
    return broker


def forget(name: str) -> None:
    """Drop a broker from the process's table (the pytest fixture does, after its test)."""
    brokers, lock = _table()
    with lock:
        brokers.pop(name, None)


class Group:
    """A consumer group: its members (in join order), who owns which partition, and the
    committed offsets."""

    def __init__(self, group_id: str) -> None:
        self.group_id = group_id
        self.members: list[Member] = []
        self.owner: dict[TP, Member] = {}
        self.committed: dict[TP, int] = {}

    def target(self, broker: Broker, member: Member) -> set[TP]:
        """The partitions ``member`` should hold now: Kafka's range assignment, per topic."""
        out: set[TP] = set()
        for topic in member.topics:
            count = broker.partition_count(topic)
            if not count:
                continue
            subscribed = [m for m in self.members if topic in m.topics]
            index, size = subscribed.index(member), len(subscribed)
            each, extra = divmod(count, size)
            start = index * each + min(index, extra)
            end = start + each + (1 if index < extra else 0)
            out.update((topic, p) for p in range(start, end))
        return out


class Member:
    """One consumer of the broker: what it subscribed to, holds, and reads next."""

    def __init__(self, topics: Sequence[str], group: Group | None, reset: str) -> None:
        self.topics = tuple(topics)
        self.group = group
        self.reset = reset
        self.owned: set[TP] = set()
        self.position: dict[TP, int] = {}


class Broker:
    """One in-memory Kafka cluster (see the module docstring)."""

    def __init__(self, name: str, default_partitions: int = 1) -> None:
        self.name = name
        self.default_partitions = default_partitions
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        # bumped whenever a waiting member may have something new to do
        self.version = 0
        self._logs: dict[str, list[list[RawMessage]]] = {}
        # per topic, in order of arrival
        self._appended: dict[str, list[RawMessage]] = {}
        self._groups: dict[str, Group] = {}
        self._wakers: set[Callable[[], None]] = set()
        self._round_robin: dict[str, itertools.count[int]] = {}

    def __repr__(self) -> str:
        return f"Broker(memory://{self.name}, topics={sorted(self._logs)})"

    # -- topics

    def create_topic(self, topic: str, partitions: int | None = None) -> None:
        """Create ``topic`` (a no-op if it exists with that many partitions)."""
        count = partitions or self.default_partitions
        if count < 1:
            raise ValueError(f"a topic has at least one partition, got {count}")
        with self.lock:
            logs = self._logs.get(topic)
            if logs is not None:
                if partitions is not None and len(logs) != partitions:
                    raise BrokerError(
                        "TOPIC_ALREADY_EXISTS",
                        f"topic {topic!r} exists with {len(logs)} partition(s), not {partitions}",
                    )
                return
            self._logs[topic] = [[] for _ in range(count)]
            self._appended[topic] = []
            self._notify()

    def topics(self) -> list[str]:
        with self.lock:
            return sorted(self._logs)

    def partition_count(self, topic: str) -> int:
        logs = self._logs.get(topic)
        return len(logs) if logs is not None else 0

    def messages(self, topic: str, partition: int | None = None) -> list[RawMessage]:
        """What ``topic`` holds: in order of arrival, or one partition's log in offset order."""
        with self.lock:
            if partition is None:
                return list(self._appended.get(topic, ()))
            logs = self._logs.get(topic)
            if logs is None or not 0 <= partition < len(logs):
                raise BrokerError(
                    "UNKNOWN_TOPIC_OR_PARTITION", f"no partition {topic}[{partition}]"
                )
            return list(logs[partition])

    def end_offsets(self, topic: str) -> dict[int, int]:
        with self.lock:
            return {p: len(log) for p, log in enumerate(self._logs.get(topic, ()))}

    # -- producing

    def append(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: Headers | None,
        partition: int | None,
        timestamp_ms: int | None,
        partitioner: Callable[[bytes | None, list[int], list[int]], int] | None = None,
    ) -> Delivery:
        """Append one message (creating the topic on first use, as Kafka's auto-create does)."""
        if value is not None and not isinstance(value, (bytes, bytearray, memoryview)):
            raise BrokerError(
                "INVALID_RECORD", f"a value is bytes or None, got {type(value)}"
            )
        if key is not None and not isinstance(key, (bytes, bytearray, memoryview)):
            raise BrokerError(
                "INVALID_RECORD", f"a key is bytes or None, got {type(key)}"
            )
        timestamp = (
            int(time.time() * 1000) if timestamp_ms is None else int(timestamp_ms)
        )
        with self.lock:
            logs = self._logs.get(topic)
            if logs is None:
                self.create_topic(topic)
                logs = self._logs[topic]
            count = len(logs)
            if partition is None:
                partition = self._partition(topic, key, count, partitioner)
            elif not 0 <= partition < count:
                raise BrokerError(
                    "UNKNOWN_TOPIC_OR_PARTITION",
                    f"topic {topic!r} has {count} partition(s); there is no partition {partition}",
                )
            log = logs[partition]
            message = RawMessage(
                topic,
                partition,
                len(log),
                None if key is None else bytes(key),
                None if value is None else bytes(value),
                (
                    [(k, None if v is None else bytes(v)) for k, v in headers]
                    if headers
                    else None
                ),
                timestamp,
                0,
            )
            log.append(message)
            self._appended[topic].append(message)
            self._notify()
        return Delivery(topic, partition, message.offset, timestamp)

    def _partition(
        self,
        topic: str,
        key: bytes | None,
        count: int,
        partitioner: Callable[[bytes | None, list[int], list[int]], int] | None,
    ) -> int:
        if partitioner is not None:
            every = list(range(count))
            return int(partitioner(key, every, every))
        if key is None:
            counter = self._round_robin.setdefault(topic, itertools.count())
            return next(counter) % count
        return (int(murmur2(bytes(key))) & 0x7FFFFFFF) % count

    # -- groups

    def group(self, group_id: str) -> Group:
        with self.lock:
            found = self._groups.get(group_id)
            if found is None:
                found = self._groups[group_id] = Group(group_id)
            return found

    def committed(self, group_id: str, topic: str) -> dict[int, int]:
        """The group's committed offsets of ``topic``, by partition."""
        with self.lock:
            group = self._groups.get(group_id)
            if group is None:
                return {}
            return {p: o for (t, p), o in sorted(group.committed.items()) if t == topic}

    def join(self, topics: Sequence[str], group_id: str | None, reset: str) -> Member:
        with self.lock:
            group = self.group(group_id) if group_id is not None else None
            member = Member(topics, group, reset)
            if group is not None:
                group.members.append(member)
            self._notify()
            return member

    def leave(self, member: Member) -> None:
        with self.lock:
            group = member.group
            if group is not None:
                if member in group.members:
                    group.members.remove(member)
                for tp in member.owned:
                    if group.owner.get(tp) is member:
                        del group.owner[tp]
            member.owned = set()
            member.position = {}
            self._notify()

    def to_release(self, member: Member) -> set[TP]:
        """Partitions ``member`` holds that the group gave to another member."""
        with self.lock:
            group = member.group
            if group is None:
                return set()
            return member.owned - group.target(self, member)

    def release(self, member: Member, partitions: Iterable[TP]) -> None:
        with self.lock:
            group = member.group
            for tp in partitions:
                member.owned.discard(tp)
                member.position.pop(tp, None)
                if group is not None and group.owner.get(tp) is member:
                    del group.owner[tp]
            self._notify()

    def take(self, member: Member) -> None:
        """Take the partitions the group gives ``member`` that nobody holds any more."""
        with self.lock:
            group = member.group
            if group is None:
                wanted = {
                    (t, p)
                    for t in member.topics
                    for p in range(self.partition_count(t))
                }
            else:
                wanted = group.target(self, member)
            for tp in wanted - member.owned:
                if group is not None:
                    if tp in group.owner:
                        continue  # its previous owner has not let it go yet
                    group.owner[tp] = member
                member.owned.add(tp)
                start = group.committed.get(tp) if group is not None else None
                if start is None:
                    start = (
                        0
                        if member.reset == "earliest"
                        else len(self._logs[tp[0]][tp[1]])
                    )
                member.position[tp] = start

    def commit(self, member: Member, offsets: Mapping[TP, int]) -> bool:
        """Store the offsets if ``member`` still holds every partition (else a rebalance
        moved one: refused, as Kafka refuses a commit of a stale generation)."""
        with self.lock:
            group = member.group
            if group is None:
                raise BrokerError(
                    "INVALID_GROUP_ID", "a consumer without a group commits nothing"
                )
            if any(group.owner.get(tp) is not member for tp in offsets):
                return False
            group.committed.update(offsets)
            return True

    def collect(self, member: Member, max_records: int) -> list[RawMessage]:
        """Up to ``max_records`` messages from the member's positions, partitions in turn."""
        out: list[RawMessage] = []
        with self.lock:
            for tp in sorted(member.owned):
                if len(out) >= max_records:
                    break
                log = self._logs[tp[0]][tp[1]]
                start = member.position[tp]
                chunk = log[start : start + max_records - len(out)]
                if chunk:
                    out.extend(chunk)
                    member.position[tp] = start + len(chunk)
        return out

    # -- waiting

    def _notify(self) -> None:
        self.version += 1
        self.changed.notify_all()
        for wake in list(self._wakers):
            wake()

    def add_waker(self, wake: Callable[[], None], seen: int) -> bool:
        """Call ``wake`` (from any thread) on the next change; False if one came after
        ``seen`` already."""
        with self.lock:
            if self.version != seen:
                return False
            self._wakers.add(wake)
            return True

    def remove_waker(self, wake: Callable[[], None]) -> None:
        with self.lock:
            self._wakers.discard(wake)


def group_options_reset(options: Mapping[str, Any]) -> str:
    """``auto_offset_reset`` (aiokafka's name) or ``"auto.offset.reset"`` (librdkafka's)."""
    reset = options.get(
        "auto_offset_reset", options.get("auto.offset.reset", "earliest")
    )
    aliases = {
        "smallest": "earliest",
        "beginning": "earliest",
        "largest": "latest",
        "end": "latest",
    }
    reset = aliases.get(str(reset), str(reset))
    if reset not in ("earliest", "latest"):
        raise ValueError(
            f"auto_offset_reset must be 'earliest' or 'latest', got {reset!r}"
        )
    return reset
