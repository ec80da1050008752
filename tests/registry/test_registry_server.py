"""The server process: persistence with --data, restarts, concurrency, bind address, logging."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.fixtures_registry import RegistryServers
from tests.registry.registry_helpers import Client, error_of, record

V1 = record(fields=[{"name": "id", "type": "long"}])
V2 = record(fields=[{"name": "id", "type": "long"}, {"name": "a", "type": "int", "default": 0}])


def test_data_survives_a_restart(registry_servers: RegistryServers, tmp_path: Path) -> None:
    data = tmp_path / "registry.db"
    server = registry_servers.start(data=data)
    client = Client(server.url)
    id1 = client.register_id("s", V1)
    id2 = client.register_id("s", V2)
    client.register_id("gone", V1)
    client.delete("/subjects/gone")
    client.put("/config/s", {"compatibility": "FULL"})
    client.put("/mode/s", {"mode": "READONLY"})
    client.http.close()

    server.restart()
    client = Client(server.url)
    assert client.get("/subjects").json() == ["s"]
    assert client.get("/subjects", params={"deleted": "true"}).json() == ["gone", "s"]
    assert client.get("/subjects/s/versions").json() == [1, 2]
    assert client.get("/subjects/s/versions/2").json()["id"] == id2
    assert json.loads(client.get(f"/schemas/ids/{id1}").json()["schema"]) == V1
    assert client.get("/config/s").json() == {"compatibilityLevel": "FULL"}
    assert client.get("/mode/s").json() == {"mode": "READONLY"}
    # The identity index is rebuilt: the same schema still maps to its id, and ids continue.
    assert client.lookup("s", json.dumps(V2, indent=2)).json()["id"] == id2
    client.put("/mode/s", {"mode": "READWRITE"})
    assert client.register_id("s", V2) == id2
    assert client.register_id("other", record("Other")) == id2 + 1
    client.http.close()
    server.terminate()


def test_data_survives_a_kill(registry_servers: RegistryServers, tmp_path: Path) -> None:
    data = tmp_path / "crash.db"
    server = registry_servers.start(data=data)
    client = Client(server.url)
    schema_id = client.register_id("s", V1)
    client.http.close()
    server.kill()  # no graceful shutdown: every answered write must already be on disk
    server.restart()
    client = Client(server.url)
    assert client.get("/subjects/s/versions/1").json()["id"] == schema_id
    client.http.close()
    server.terminate()


def test_without_data_nothing_survives(registry_servers: RegistryServers) -> None:
    server = registry_servers.start()
    client = Client(server.url)
    client.register_id("s", V1)
    client.http.close()
    server.restart()
    client = Client(server.url)
    assert client.get("/subjects").json() == []
    client.http.close()
    server.terminate()


def test_concurrent_registrations_get_distinct_ids(fresh: Client) -> None:
    schemas = [record(f"R{i}", [{"name": f"f{i}", "type": "int"}]) for i in range(20)]

    def register(i: int) -> int:
        # One connection per thread, so the requests really are in flight together.
        with httpx.Client(base_url=fresh.url, verify=False, timeout=30) as http:
            response = http.post(
                f"/subjects/c{i}/versions", json={"schema": json.dumps(schemas[i])}
            )
            assert response.status_code == 200, response.text
            return int(response.json()["id"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        ids = list(pool.map(register, range(20)))
    assert len(set(ids)) == 20
    for i, schema_id in enumerate(ids):
        got = fresh.get(f"/subjects/c{i}/versions/1").json()
        assert got["id"] == schema_id and json.loads(got["schema"]) == schemas[i]


def test_concurrent_registrations_of_one_schema_share_one_id(fresh: Client) -> None:
    def register(i: int) -> int:
        with httpx.Client(base_url=fresh.url, verify=False, timeout=30) as http:
            response = http.post("/subjects/same/versions", json={"schema": json.dumps(V1)})
            return int(response.json()["id"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = set(pool.map(register, range(10)))
    assert len(ids) == 1
    assert fresh.get("/subjects/same/versions").json() == [1]


def test_binds_localhost_and_logs_its_url(registry_servers: RegistryServers) -> None:
    server = registry_servers.start()
    assert server.url.startswith("http://127.0.0.1:")
    assert f"listening on {server.url}" in server.log()
    server.terminate()


def test_access_log_never_shows_credentials(registry_servers: RegistryServers) -> None:
    server = registry_servers.start()
    secret = "s3cr3t-token-value"
    httpx.get(server.url + "/subjects", headers={"Authorization": f"Bearer {secret}"}, verify=False)
    httpx.get(server.url + "/subjects", auth=("user", secret), verify=False)
    server.terminate()
    log = server.log()
    assert "/subjects" in log  # requests are logged ...
    assert secret not in log and "Authorization" not in log  # ... their credentials are not


def test_unknown_schema_id_after_restart_still_404(
    registry_servers: RegistryServers, tmp_path: Path
) -> None:
    server = registry_servers.start(data=tmp_path / "r.db")
    server.restart()
    assert error_of(httpx.get(server.url + "/schemas/ids/1", verify=False)) == (404, 40403)
    server.terminate()


def test_python_dash_m_codegen_registry_server_is_the_serve_command() -> None:
    done = subprocess.run(  # noqa: PLW1510  (the exit code is asserted below)
        [sys.executable, "-m", "codegen.registry_server", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0
    assert "--data" in done.stdout and "--port" in done.stdout
