"""A database locked by another program: 50001 for the writes, no wait for anything else
(issue 15, item 5).

It used to block the whole server for 5 s, then answer 500. The lock here is real: another
SQLite connection holding the write lock of the server's --data file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import httpx

from tests.fixtures_registry import RegistryServers
from tests.registry.registry_helpers import Client, error_of, record

V1 = record(fields=[{"name": "id", "type": "long"}])
V2 = record(fields=[{"name": "id", "type": "long"}, {"name": "a", "type": "int", "default": 0}])


def test_a_locked_database_answers_50001_and_blocks_nothing_else(
    registry_servers: RegistryServers, tmp_path: Path
) -> None:
    data = tmp_path / "locked.db"
    server = registry_servers.start(data=data)
    client = Client(server.url)
    assert client.register_id("s", V1) == 1

    holder = sqlite3.connect(data, isolation_level=None)
    holder.execute(
        "BEGIN IMMEDIATE"
    )  # the write lock, as a backup tool or a sqlite3 shell takes it
    answers: dict[str, httpx.Response] = {}

    def write() -> None:
        with httpx.Client(base_url=server.url, verify=False, timeout=60) as http:
            answers["register"] = http.post("/subjects/s/versions", json={"schema": json.dumps(V2)})

    writer = threading.Thread(target=write)
    writer.start()
    answered_meanwhile = 0
    for _ in range(2000):
        if "register" in answers:
            break
        assert client.get("/subjects/s/versions/latest").json()["version"] == 1
        assert client.get("/schemas/ids/1").status_code == 200
        answered_meanwhile += 1
    writer.join(timeout=60)
    # Reads went on while the write waited for the lock ...
    assert answered_meanwhile >= 5, answered_meanwhile
    # ... and the write failed cleanly: Confluent's store error, nothing half-applied.
    assert error_of(answers["register"]) == (500, 50001)
    assert "locked" in answers["register"].json()["message"]
    assert error_of(client.put("/config/s", {"compatibility": "FULL"})) == (500, 50001)
    assert error_of(client.delete("/subjects/s")) == (500, 50001)
    assert client.get("/subjects/s/versions").json() == [1]
    assert error_of(client.get("/config/s")) == (404, 40408)
    holder.execute("ROLLBACK")
    holder.close()

    # Once the lock is gone, the same requests succeed, and what they wrote is kept.
    assert client.register_id("s", V2) == 2
    assert client.put("/config/s", {"compatibility": "FULL"}).status_code == 200
    client.http.close()
    server.restart()
    client = Client(server.url)
    assert client.get("/subjects/s/versions").json() == [1, 2]
    assert client.get("/config/s").json() == {"compatibilityLevel": "FULL"}
    client.http.close()
    server.terminate()
