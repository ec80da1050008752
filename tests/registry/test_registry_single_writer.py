"""One server per `--data` file, and ids/versions allocated by the database (issue 15, item 1).

Two servers on one file used to start both, both hand out id 1, and after a restart half of the
acknowledged registrations were gone or pointed at other schemas.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.fixtures_registry import RegistryServers
from tests.registry.registry_helpers import Client, record

SERVE = [sys.executable, "-m", "codegen", "registry", "serve", "--port", "0"]


def _schema(i: int) -> dict[str, object]:
    return record(f"R{i}", [{"name": f"f{i}", "type": "int"}])


def test_a_second_server_on_the_same_data_file_is_refused(
    registry_servers: RegistryServers, tmp_path: Path
) -> None:
    data = tmp_path / "shared.db"
    first = registry_servers.start(data=data)
    done = subprocess.run(  # noqa: PLW1510  (the exit code is asserted below)
        [*SERVE, "--data", str(data)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(data) in lines[0] and "in use by another registry server" in lines[0]
    assert "Traceback" not in done.stderr
    # The first one is untouched and keeps its file; once it stops, the file is free again.
    client = Client(first.url)
    assert client.register_id("s", _schema(1)) == 1
    client.http.close()
    first.terminate()
    again = registry_servers.start(data=data)
    assert httpx.get(f"{again.url}/subjects/s/versions/1", verify=False).json()["id"] == 1
    again.terminate()


def _race(data: Path, logs: Path) -> tuple[subprocess.Popen[bytes], str, subprocess.Popen[bytes]]:
    """Start two servers on `data` at once: (winner, its URL, loser) once that is settled."""
    started = []
    for n in range(2):
        path = logs / f"{data.stem}-{n}.log"
        with path.open("wb") as log:
            cmd = [*SERVE, "--data", str(data)]
            started.append((subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), path))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        exited = [p for p, _ in started if p.poll() is not None]
        listening = [
            (p, log.read_text()) for p, log in started if "listening on" in log.read_text()
        ]
        assert len(exited) < 2, "both servers exited"
        assert len(listening) < 2, "two servers are serving one data file"
        if exited and listening:
            winner, text = listening[0]
            return winner, text.split("listening on ", 1)[1].split()[0], exited[0]
        time.sleep(0.02)
    for p, _ in started:
        p.kill()
    raise AssertionError("the race did not settle within 30 s")


def test_two_servers_racing_for_one_file_one_serves_and_nothing_acknowledged_is_lost(
    registry_servers: RegistryServers, tmp_path: Path
) -> None:
    for round_ in range(3):
        data = tmp_path / f"race{round_}.db"
        winner, url, loser = _race(data, tmp_path)
        assert loser.returncode == 2

        def register(i: int, url: str = url) -> tuple[str, int]:
            with httpx.Client(base_url=url, verify=False, timeout=30) as http:
                response = http.post(
                    f"/subjects/s{i % 5}/versions", json={"schema": json.dumps(_schema(i))}
                )
                return response.text, response.status_code

        # NONE: every schema is a new version of its subject, whatever came before.
        httpx.put(f"{url}/config", json={"compatibility": "NONE"}, verify=False)
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(register, range(40)))
        acknowledged = {i: json.loads(text)["id"] for i, (text, status) in enumerate(answers)}
        assert all(status == 200 for _, status in answers)
        winner.kill()  # SIGKILL: no shutdown
        winner.wait(timeout=10)

        server = registry_servers.start(data=data)
        client = Client(server.url)
        assert len(set(acknowledged.values())) == 40  # no id handed out twice
        for i, schema_id in acknowledged.items():
            assert json.loads(client.get(f"/schemas/ids/{schema_id}").json()["schema"]) == _schema(
                i
            )
        for s in range(5):
            assert client.get(f"/subjects/s{s}/versions").json() == list(range(1, 9))
        client.http.close()
        server.terminate()


def test_ids_and_versions_come_from_the_database(
    registry_servers: RegistryServers, tmp_path: Path
) -> None:
    """A row written behind the server's back (another program) is never overwritten."""
    data = tmp_path / "truth.db"
    server = registry_servers.start(data=data)
    client = Client(server.url)
    assert client.register_id("s", _schema(1)) == 1
    outsider = sqlite3.connect(data, isolation_level=None)
    outsider.execute(
        "INSERT INTO schemas (id, schema, refs) VALUES (2, ?, '[]')", (json.dumps(_schema(99)),)
    )
    outsider.execute("INSERT INTO versions (subject, version, schema_id) VALUES ('s', 2, 2)")
    outsider.close()
    client.put("/config/s", {"compatibility": "NONE"})
    # The server's memory says: next id 2, next version 2. The database says 3 and 3.
    assert client.register_id("s", _schema(3)) == 3
    assert client.get("/subjects/s/versions/latest").json()["version"] == 3
    client.http.close()
    server.restart()
    client = Client(server.url)
    assert json.loads(client.get("/schemas/ids/2").json()["schema"]) == _schema(99)
    assert json.loads(client.get("/schemas/ids/3").json()["schema"]) == _schema(3)
    assert client.get("/subjects/s/versions").json() == [1, 2, 3]
    client.http.close()
    server.terminate()
