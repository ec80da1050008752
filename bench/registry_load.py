"""`make bench`, registry part: `avrobind registry serve` under load, crashes and long histories.

Writes its own section of bench/RESULTS.md (between the `registry-load` markers, appended when
missing) and leaves the rest of the file alone. Every server is a real subprocess
(`python -m codegen registry serve --data FILE`) on 127.0.0.1, spoken to over HTTP/1.1.

- Load: N clients, each one keep-alive connection sending requests back to back for a fixed
  time, against a registry of 100 subjects. "reads": `GET /schemas/ids/{id}` and
  `GET /subjects/{s}/versions/latest` (what deserializers and `use.latest.version` ask);
  "serializer calls": `POST /subjects/{s}` look-ups and `POST /subjects/{s}/versions`
  re-registrations of registered schemas (what serializers ask before caching). Requests per
  second over the run and the 99th percentile latency; any non-200 answer counts as an error.
- kill -9: rounds of 20 clients registering new schemas as fast as they can, the server killed
  with SIGKILL at a random moment, then restarted on the same file; every acknowledged
  registration must come back with its id, version and schema, ids unique, versions contiguous.
  A second server started on the file while the first runs must be refused.
- History: one subject grown to 1,000 and then 8,000 versions (under NONE), then the rate of
  sequential registrations of a new version under BACKWARD (checks the latest) and
  BACKWARD_TRANSITIVE (checks every version).
- Huge schema: a second version with 100,000 fields (6 MB), and the GETs answered meanwhile.

The load generator is a minimal asyncio HTTP client in this process (httpx would be the
bottleneck); server and generator share the machine's cores.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "RESULTS.md"
BEGIN = (
    "<!-- registry-load: written by bench/registry_load.py (make bench); do not edit by hand -->"
)
END = "<!-- /registry-load -->"
LOAD_SECONDS = 6.0
KILL_ROUNDS = 8
SUBJECTS = 100


class Server:
    def __init__(self, data: Path, log: Path, *args: str) -> None:
        self.log = log
        cmd = [sys.executable, "-m", "codegen", "registry", "serve", "--port", "0"]
        with log.open("ab") as out:
            self.offset = out.tell()
            self.proc = subprocess.Popen(
                [*cmd, "--data", str(data), *args], cwd=REPO, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = log.read_bytes()[self.offset :].decode(errors="replace")
            found = re.search(r"listening on (http://\S+)", text)
            if found:
                self.url = found.group(1)
                host, port = self.url.removeprefix("http://").rsplit(":", 1)
                self.host, self.port = host, int(port)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"registry exited:\n{text}")
            time.sleep(0.02)
        raise RuntimeError("registry did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


def _record(name: str, fields: int = 8, doc: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "record",
        "name": name,
        "namespace": "bench.registry",
        "fields": [
            {"name": f"f{i}", "type": ["null", "string"], "default": None} for i in range(fields)
        ],
    }
    if doc is not None:
        schema["doc"] = doc
    return schema


def _request(method: str, path: str, body: Any = None) -> bytes:
    payload = b"" if body is None else json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\n"
    if body is not None:
        head += "Content-Type: application/vnd.schemaregistry.v1+json\r\n"
    head += f"Content-Length: {len(payload)}\r\n\r\n"
    return head.encode() + payload


async def _client(
    server: Server, requests: list[bytes], stop_at: float, latencies: list[float]
) -> int:
    """Send requests back to back on one connection until `stop_at`; the number of errors."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    errors = 0
    i = random.randrange(len(requests))
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        writer.write(requests[i % len(requests)])
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        errors += not head.startswith(b"HTTP/1.1 200")
        i += 1
    writer.close()
    return errors


def load(server: Server, clients: int, requests: list[bytes]) -> dict[str, float]:
    async def run() -> dict[str, float]:
        latencies: list[float] = []
        warm = time.perf_counter() + 1.0
        await asyncio.gather(*(_client(server, requests, warm, []) for _ in range(clients)))
        started = time.perf_counter()
        stop_at = started + LOAD_SECONDS
        errors = await asyncio.gather(
            *(_client(server, requests, stop_at, latencies) for _ in range(clients))
        )
        elapsed = time.perf_counter() - started
        latencies.sort()
        return {
            "rps": len(latencies) / elapsed,
            "p50": latencies[len(latencies) // 2] * 1000,
            "p99": latencies[int(len(latencies) * 0.99)] * 1000,
            "errors": sum(errors),
        }

    return asyncio.run(run())


def load_figures(work: Path) -> list[tuple[str, int, dict[str, float]]]:
    server = Server(work / "load.db", work / "load.log")
    ids: list[int] = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for s in range(SUBJECTS):
            for v in range(2):
                schema = json.dumps(_record(f"S{s}", 8 + v))
                ids.append(
                    http.post(f"/subjects/s{s}-value/versions", json={"schema": schema}).json()[
                        "id"
                    ]
                )
    reads = []
    writes = []
    for s in range(SUBJECTS):
        reads.append(_request("GET", f"/schemas/ids/{ids[2 * s]}"))
        reads.append(_request("GET", f"/subjects/s{s}-value/versions/latest"))
        body = {"schema": json.dumps(_record(f"S{s}", 9))}
        writes.append(_request("POST", f"/subjects/s{s}-value", body))
        writes.append(_request("POST", f"/subjects/s{s}-value/versions", body))
    out = []
    try:
        for clients in (50, 200):
            for name, requests in (("reads", reads), ("serializer calls", writes)):
                print(f"load: {name}, {clients} clients...", file=sys.stderr)
                out.append((name, clients, load(server, clients, requests)))
    finally:
        server.stop()
    return out


def kill_figures(work: Path) -> dict[str, Any]:
    data = work / "crash.db"
    acknowledged: list[tuple[str, int, dict[str, Any]]] = []  # (subject, id, schema)
    second_refused = False
    for round_ in range(KILL_ROUNDS):
        print(f"kill -9: round {round_ + 1}/{KILL_ROUNDS}...", file=sys.stderr)
        server = Server(data, work / "crash.log")
        if round_ == 0:
            httpx.put(f"{server.url}/config", json={"compatibility": "NONE"})
            serve = [sys.executable, "-m", "codegen", "registry", "serve", "--port", "0"]
            other = subprocess.run(
                [*serve, "--data", str(data)],
                check=False,
                cwd=REPO,
                capture_output=True,
                timeout=60,
            )
            second_refused = other.returncode == 2 and b"in use" in other.stderr
        stop = threading.Event()
        lock = threading.Lock()

        def writer(
            n: int,
            url: str = server.url,
            round_: int = round_,
            stop: threading.Event = stop,
            lock: threading.Lock = lock,
        ) -> None:
            subject = f"crash-{n % 5}"
            with httpx.Client(base_url=url, timeout=30) as http:
                i = 0
                while not stop.is_set():
                    schema = _record(f"C{round_}x{n}x{i}", 2)
                    i += 1
                    try:
                        response = http.post(
                            f"/subjects/{subject}/versions", json={"schema": json.dumps(schema)}
                        )
                    except httpx.TransportError:
                        return  # killed: this one was never acknowledged
                    if response.status_code == 200:
                        with lock:
                            acknowledged.append((subject, response.json()["id"], schema))

        with ThreadPoolExecutor(max_workers=20) as pool:
            futures = [pool.submit(writer, n) for n in range(20)]
            time.sleep(random.uniform(0.5, 1.5))
            server.kill()
            stop.set()
            for f in futures:
                f.result()
    server = Server(data, work / "crash.log")
    survived = lost = reassigned = 0
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for subject, schema_id, schema in acknowledged:
            got = http.get(f"/schemas/ids/{schema_id}")
            users = http.get(f"/schemas/ids/{schema_id}/subjects").json()
            if got.status_code != 200:
                lost += 1
            elif json.loads(got.json()["schema"]) != schema or subject not in users:
                reassigned += 1
            else:
                survived += 1
        versions = [http.get(f"/subjects/crash-{n}/versions").json() for n in range(5)]
    server.stop()
    return {
        "rounds": KILL_ROUNDS,
        "acknowledged": len(acknowledged),
        "survived": survived,
        "lost": lost,
        "reassigned": reassigned,
        "unique_ids": len({schema_id for _, schema_id, _ in acknowledged}) == len(acknowledged),
        "contiguous": all(v == list(range(1, len(v) + 1)) for v in versions),
        "second_refused": second_refused,
    }


def history_figures(work: Path) -> list[tuple[int, str, float]]:
    server = Server(work / "history.db", work / "history.log")
    out = []
    version = 0
    try:
        with httpx.Client(base_url=server.url, timeout=120) as http:

            def register(level: str, count: int) -> float:
                nonlocal version
                http.put("/config/hist", json={"compatibility": level})
                started = time.perf_counter()
                for _ in range(count):
                    version += 1
                    body = {"schema": json.dumps(_record("H", 8, doc=f"version {version}"))}
                    response = http.post("/subjects/hist/versions", json=body)
                    assert response.status_code == 200, response.text
                return count / (time.perf_counter() - started)

            for size in (1000, 8000):
                print(f"history: growing to {size} versions...", file=sys.stderr)
                register("NONE", size - version)
                out.append((size, "BACKWARD", register("BACKWARD", 200)))
                out.append((size, "BACKWARD_TRANSITIVE", register("BACKWARD_TRANSITIVE", 20)))
    finally:
        server.stop()
    return out


def huge_figures(work: Path) -> dict[str, float]:
    print("huge schema...", file=sys.stderr)
    server = Server(work / "huge.db", work / "huge.log")
    try:
        v1 = _record("Wide", 1)
        v2 = {
            **v1,
            "fields": [
                *v1["fields"],
                *({"name": f"g{i}", "type": "int", "default": 0} for i in range(99_999)),
            ],
        }
        with httpx.Client(base_url=server.url, timeout=600) as http:
            http.post("/subjects/wide/versions", json={"schema": json.dumps(v1)})
            body = json.dumps({"schema": json.dumps(v2)}).encode()
            done: dict[str, float] = {}

            def big() -> None:
                started = time.perf_counter()
                with httpx.Client(base_url=server.url, timeout=600) as other:
                    response = other.post(
                        "/subjects/wide/versions",
                        content=body,
                        headers={"Content-Type": "application/json"},
                    )
                assert response.status_code == 200, response.text
                done["seconds"] = time.perf_counter() - started

            thread = threading.Thread(target=big)
            thread.start()
            latencies = []
            while "seconds" not in done:
                started = time.perf_counter()
                assert http.get("/subjects/wide/versions/1").status_code == 200
                latencies.append(time.perf_counter() - started)
            thread.join()
        latencies.sort()
        return {
            "mb": len(body) / 1e6,
            "seconds": done["seconds"],
            "gets": len(latencies),
            "get_p99": latencies[int(len(latencies) * 0.99)] * 1000,
            "get_max": latencies[-1] * 1000,
        }
    finally:
        server.stop()


def section(
    loads: list[tuple[str, int, dict[str, float]]],
    kills: dict[str, Any],
    history: list[tuple[int, str, float]],
    huge: dict[str, float],
    elapsed: float,
) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [
        BEGIN,
        "## Local registry (`avrobind registry serve`)",
        "",
        (
            "Written by `bench/registry_load.py` (its docstring says what each row measures). "
            f"Machine: {cpu}, {os.cpu_count()} cores shared by the server and the load "
            f"generator (1-minute load average {os.getloadavg()[0]:.1f} at the end: other "
            f"work ran beside), CPython {platform.python_version()}. "
            f"Run: {time.strftime('%Y-%m-%d')}, {elapsed:.0f} s."
        ),
        "",
        f"| load ({LOAD_SECONDS:.0f} s, `--data` file, {SUBJECTS} subjects) | clients | req/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, clients, f in loads:
        lines.append(
            f"| {name} | {clients} | {f['rps']:,.0f} | {f['p50']:.1f} | {f['p99']:.1f} | {f['errors']:.0f} |"
        )
    lines += [
        "",
        "| crash safety | result |",
        "|---|---|",
        f"| kill -9 rounds (20 clients registering) | {kills['rounds']} |",
        f"| acknowledged registrations | {kills['acknowledged']:,} |",
        f"| survived with their id and schema | {kills['survived']:,} |",
        f"| lost / id reassigned | {kills['lost']} / {kills['reassigned']} |",
        f"| ids unique, versions contiguous | {'yes' if kills['unique_ids'] and kills['contiguous'] else 'NO'} |",
        f"| second server on the same file refused | {'yes' if kills['second_refused'] else 'NO'} |",
        "",
        "| registering a new version | versions before | registrations/s |",
        "|---|---:|---:|",
    ]
    for size, level, rate in history:
        lines.append(f"| {level} | {size:,} | {rate:,.0f} |")
    lines += [
        "",
        "| huge second version | result |",
        "|---|---:|",
        f"| 100,000 fields ({huge['mb']:.1f} MB), registered in | {huge['seconds']:.1f} s |",
        f"| GETs answered meanwhile (one client) | {huge['gets']:,} |",
        f"| their p99 / max latency | {huge['get_p99']:.0f} ms / {huge['get_max']:.0f} ms |",
        END,
    ]
    return "\n".join(lines) + "\n"


def write(text: str) -> None:
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in current and END in current:
        before, rest = current.split(BEGIN, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        current = before + text + ("\n" + after if after else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(current)


def main() -> None:
    started = time.perf_counter()
    random.seed(15)
    with tempfile.TemporaryDirectory(prefix="avrobind-registry-bench-") as tmp:
        work = Path(tmp)
        loads = load_figures(work)
        kills = kill_figures(work)
        history = history_figures(work)
        huge = huge_figures(work)
    text = section(loads, kills, history, huge, time.perf_counter() - started)
    print(text)
    write(text)


if __name__ == "__main__":
    main()
