"""OpenTelemetry on every client and on `memory://`, recorded with the SDK's in-memory
exporter and reader: the consumer's span is in the producer's trace (its child, and linked to
it), the handler runs inside it, attributes follow the messaging conventions, and the metrics
count what happened. Without opentelemetry nothing of it is imported (a subprocess)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
import telescope_schemas as ts
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from telescope_schemas._runtime.kafka import Message, telemetry
from telescope_schemas._runtime.serde import PlainCodec, RecordCodec, TopicSpec

from tests.fixtures_kafka import create_topic
from tests.kafka.bad_topic import fill_bad_topic
from tests.kafka.clients import CLIENTS, MEMORY_CLIENTS, Client
from tests.paths import REPO as ROOT

pytestmark = pytest.mark.kafka


@pytest.fixture(params=CLIENTS + MEMORY_CLIENTS)
def client(request: pytest.FixtureRequest) -> Client:
    return Client(request.param)


class Recorded:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def metrics(self) -> dict[str, list[Any]]:
        """Metric name -> its data points."""
        out: dict[str, list[Any]] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    out.setdefault(metric.name, []).extend(metric.data.data_points)
        return out

    def total(self, name: str, **attributes: Any) -> int:
        return sum(
            p.value
            for p in self.metrics().get(name, [])
            if all(p.attributes.get(k) == v for k, v in attributes.items())
        )


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    """SDK providers of this test alone (the global ones are left alone)."""
    rec = Recorded()
    telemetry.configure(rec.tracer_provider, rec.meter_provider)
    yield rec
    telemetry.configure()


def spec(topic: str) -> TopicSpec[str, Any]:
    return TopicSpec(topic, RecordCodec(ts.TelescopeCommand), PlainCodec('"string"'))


async def test_the_consumer_span_is_in_the_producers_trace(
    client: Client,
    bootstrap: str,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
    recorded: Recorded,
) -> None:
    await create_topic(bootstrap, unique_topic)
    values = [ts.TelescopeCommand.fake() for _ in range(3)]
    async with client.producer(bootstrap, registry_url, spec=spec(unique_topic)) as producer:
        await producer.send(values[0], key="k0", headers={"origin": b"ui"})
        await producer.send_batch(Message(v, key=f"k{i}") for i, v in enumerate(values[1:], 1))

    handled: list[Any] = []
    tracer = recorded.tracer_provider.get_tracer("the service")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def handler(record: Any) -> None:
        with tracer.start_as_current_span("handle"):
            handled.append(record)
        if len(handled) == len(values):
            loop.call_soon_threadsafe(stop.set)  # a sync consumer's handler runs in a thread

    async with client.consumer(
        bootstrap, registry_url, unique_group, spec=spec(unique_topic)
    ) as consumer:
        await asyncio.wait_for(consumer.run(handler, stop), 30)

    # The traceparent header went along, after the application's own headers.
    assert handled[0].headers[0] == ("origin", b"ui")
    assert all(r.header("traceparent") for r in handled)
    spans = recorded.spans.get_finished_spans()
    sends = [s for s in spans if s.kind is SpanKind.PRODUCER]
    processes = [s for s in spans if s.kind is SpanKind.CONSUMER]
    handles = [s for s in spans if s.name == "handle"]
    assert len(sends) == len(processes) == len(handles) == 3
    by_key = {s.attributes["messaging.kafka.message.key"]: s for s in sends}
    for process, handle in zip(processes, handles, strict=True):
        send = by_key[process.attributes["messaging.kafka.message.key"]]
        assert process.context.trace_id == send.context.trace_id
        assert process.parent.span_id == send.context.span_id
        assert [link.context.span_id for link in process.links] == [send.context.span_id]
        assert handle.parent.span_id == process.context.span_id  # the handler ran inside
        assert process.name == f"process {unique_topic}"
        assert send.name == f"send {unique_topic}"
        assert dict(process.attributes) == {
            "messaging.system": "kafka",
            "messaging.destination.name": unique_topic,
            "messaging.consumer.group.name": unique_group,
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.partition.id": "0",
            "messaging.kafka.offset": process.attributes["messaging.kafka.offset"],
            "messaging.kafka.message.key": send.attributes["messaging.kafka.message.key"],
        }
        assert send.attributes["messaging.operation.type"] == "send"
        assert send.attributes["messaging.system"] == "kafka"
        assert (
            send.attributes["messaging.kafka.offset"]
            == process.attributes["messaging.kafka.offset"]
        )
    assert sorted(by_key) == ["k0", "k1", "k2"]
    assert (
        recorded.total(
            "messaging.client.sent.messages", **{"messaging.destination.name": unique_topic}
        )
        == 3
    )
    assert recorded.total("messaging.client.consumed.messages") == 3
    (duration,) = recorded.metrics()["messaging.process.duration"]
    assert duration.count == 3


async def test_undecodable_and_dead_lettered_messages_are_counted(
    client: Client,
    bootstrap: str,
    registry_url: str,
    unique_topic: str,
    unique_group: str,
    recorded: Recorded,
) -> None:
    bad = await fill_bad_topic(bootstrap, registry_url, unique_topic)
    dlq = unique_topic + ".dlq"
    await create_topic(bootstrap, dlq)
    async with client.consumer(
        bootstrap,
        registry_url,
        unique_group,
        spec=bad.spec,
        dead_letter_topic=dlq,
        unknown_schema_ids="on_error",
    ) as consumer:
        await consumer.consume_n(len(bad.values))
    errors = {
        p.attributes["error.type"]: p.value
        for p in recorded.metrics()["avrobind.deserialization.errors"]
    }
    assert errors == {
        "InvalidMagicByteError": 1,
        "UnknownSchemaIdError": 1,
        "TruncatedMessageError": 1,
        "DeserializationError": 2,
    }
    assert (
        recorded.total("avrobind.dead_lettered.messages", **{"avrobind.dead_letter_topic": dlq})
        == 5
    )


def test_without_opentelemetry_nothing_is_imported_and_nothing_changes() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["opentelemetry"] = None  # not installed
        import telescope_schemas as ts

        with ts.TelescopeCommandsSyncProducer("memory://", "mock://") as producer:
            assert producer._telemetry is None
            producer.produce(ts.TelescopeCommand.fake(), key="k")
        with ts.TelescopeCommandsSyncConsumer("memory://", "mock://", "g") as consumer:
            assert consumer._telemetry is None
            record = next(iter(consumer))
        assert record.key == "k" and record.headers == ()
        loaded = sorted(m for m in sys.modules if m.startswith("opentelemetry") and sys.modules[m])
        assert not loaded, loaded
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'generated'}:{ROOT}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
