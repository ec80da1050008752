"""What OpenTelemetry costs the producers and consumers, on the in-memory broker (`memory://`,
no network noise): messages per second of `send_batch` and of `consume_records` (a handler per
record) with the generated classes, in three set-ups, each in a fresh process:

- `absent`: opentelemetry is not importable (as without `avrobind[otel]`): the classes hold no
  telemetry and test `is None` once per message;
- `api only`: opentelemetry-api installed, no SDK configured (its no-op providers);
- `sdk`: the SDK with in-memory span exporter and metric reader (every span recorded).

`python bench/telemetry.py [--before REV]` prints a Markdown table (medians of `ROUNDS`
rounds of `COUNT` messages of the telescope command); `--before REV` adds the `absent` row of
the generated package at git revision REV (the runtime before its telemetry hooks), to show
that without opentelemetry the cost is unchanged.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNT = 20_000
ROUNDS = 5
MODES = ("absent", "api only", "sdk")

CHILD = """
import asyncio, json, sys, time, uuid
mode, count = sys.argv[1], int(sys.argv[2])
if mode == "absent":
    sys.modules["opentelemetry"] = None
elif mode == "sdk":
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
import telescope_schemas as ts
from telescope_schemas.runtime import Message

class Done(Exception):
    pass

async def main():
    kafka, registry = f"memory://{uuid.uuid4().hex}", f"mock://{uuid.uuid4().hex}"
    values = [ts.TelescopeCommand.fake() for _ in range(100)]
    messages = [Message(values[i % 100], key=f"k{i}") for i in range(count)]
    async with ts.TelescopeCommandsProducer(kafka, registry) as producer:
        await producer.send(values[0], key="warm-up")
        start = time.perf_counter()
        await producer.send_batch(messages)
        produce = count / (time.perf_counter() - start)
    seen = 0
    def handler(record):
        nonlocal seen
        seen += 1
        if seen == count + 1:
            raise Done
    async with ts.TelescopeCommandsConsumer(kafka, registry, "bench") as consumer:
        start = time.perf_counter()
        try:
            await consumer.consume_records(handler)
        except Done:
            pass
        consume = count / (time.perf_counter() - start)
    print(json.dumps([produce, consume]))

asyncio.run(main())
"""


def once(mode: str, generated: Path) -> tuple[float, float]:
    env = {"PYTHONPATH": f"{generated}:{ROOT}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(COUNT)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    produce, consume = json.loads(out.stdout)
    return produce, consume


def main() -> None:
    rows: dict[str, tuple[str, Path]] = {m: (m, ROOT / "generated") for m in MODES}
    with tempfile.TemporaryDirectory() as tmp:
        if sys.argv[1:2] == ["--before"]:
            rev = sys.argv[2]
            archive = subprocess.run(
                ["git", "archive", rev, "generated"], cwd=ROOT, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
            label = f"absent, runtime of {rev} (no telemetry hooks)"
            rows = {label: ("absent", Path(tmp) / "generated"), **rows}
        # Rounds interleave the set-ups, so that a busy moment of the machine hits them all.
        results: dict[str, list[tuple[float, float]]] = {label: [] for label in rows}
        for _ in range(ROUNDS):
            for label, (mode, generated) in rows.items():
                results[label].append(once(mode, generated))
    print("| opentelemetry | produce msg/s | consume msg/s |")
    print("|---|---:|---:|")
    for label, got in results.items():
        produce = statistics.median(p for p, _ in got)
        consume = statistics.median(c for _, c in got)
        print(f"| {label} | {produce:,.0f} | {consume:,.0f} |")


if __name__ == "__main__":
    main()
