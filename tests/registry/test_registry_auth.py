"""Optional basic auth and the warning on exposed addresses (issue 15, item 7).

The server had no authentication at all, and `--host 0.0.0.0` accepted an unauthenticated
`PUT /mode READONLY_OVERRIDE` from anywhere, silently.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from codegen.cli import cli
from codegen.registry_server.auth import ENV
from codegen.registry_server.server import _warn_if_exposed
from codegen.runtime.registry import RegistryConfig
from codegen.runtime.registry import SchemaRegistryClient as AvrobindClient
from tests.fixtures_registry import RegistryServers
from tests.registry.registry_helpers import error_of, record

SERVE = [sys.executable, "-m", "codegen", "registry", "serve", "--port", "0"]
USER = record()


@pytest.fixture
def auth_file(tmp_path: Path) -> Path:
    path = tmp_path / "users"
    path.write_text("# shared dev registry\nalice:s3cret:with:colons\n\nbob:hunter2\n")
    return path


def test_auth_file_requires_basic_auth_on_every_route(
    registry_servers: RegistryServers, auth_file: Path
) -> None:
    server = registry_servers.start(args=["--auth-file", str(auth_file)])
    assert "auth: basic" in server.log()
    anonymous = httpx.Client(base_url=server.url, verify=False)
    for method, path in [
        ("GET", "/"),
        ("GET", "/subjects"),
        ("GET", "/schemas/ids/1"),
        ("PUT", "/mode"),
        ("POST", "/subjects/s/versions"),
        ("DELETE", "/subjects/s"),
    ]:
        response = anonymous.request(method, path, json={"mode": "READONLY_OVERRIDE"})
        assert error_of(response) == (401, 40101), path
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
    wrong = httpx.Client(base_url=server.url, auth=("alice", "s3cret"), verify=False)
    assert error_of(wrong.get("/subjects")) == (401, 40101)
    bearer = httpx.Client(
        base_url=server.url, headers={"Authorization": "Bearer s3cret"}, verify=False
    )
    assert error_of(bearer.get("/subjects")) == (401, 40101)
    # Nothing the anonymous requests asked for happened.
    alice = httpx.Client(base_url=server.url, auth=("alice", "s3cret:with:colons"), verify=False)
    assert alice.get("/mode").json() == {"mode": "READWRITE"}
    response = alice.post("/subjects/s/versions", json={"schema": json.dumps(USER)})
    assert response.json() == {"id": 1}
    bob = httpx.Client(base_url=server.url, auth=("bob", "hunter2"), verify=False)
    assert bob.get("/subjects").json() == ["s"]
    for client in (anonymous, wrong, bearer, alice, bob):
        client.close()
    # The secrets never reach the log.
    server.terminate()
    assert "hunter2" not in server.log() and "s3cret" not in server.log()


def test_clients_authenticate_against_it(
    registry_servers: RegistryServers, auth_file: Path
) -> None:
    server = registry_servers.start(args=["--auth-file", str(auth_file)])
    peer = SchemaRegistryClient({"url": server.url, "basic.auth.user.info": "bob:hunter2"})
    schema_id = peer.register_schema("peer-value", Schema(json.dumps(USER), "AVRO"))
    with AvrobindClient(RegistryConfig(server.url, basic_auth="bob:hunter2")) as ours:
        assert json.loads(ours.get_schema(schema_id)) == USER
    server.terminate()


def test_credentials_from_the_environment(registry_servers: RegistryServers) -> None:
    server = registry_servers.start(env={ENV: "ci:t0ken"})
    assert "auth: basic" in server.log()
    assert error_of(httpx.get(f"{server.url}/subjects", verify=False)) == (401, 40101)
    assert httpx.get(f"{server.url}/subjects", auth=("ci", "t0ken"), verify=False).json() == []
    server.terminate()


def _serve_fails(args: list[str], env: dict[str, str] | None = None) -> str:
    """Run `registry serve` expecting a start-up failure: its one stderr line."""
    done = subprocess.run(  # noqa: PLW1510  (the exit code is asserted below)
        [*SERVE, *args], capture_output=True, text=True, timeout=30, env=env
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("avrobind registry: "), done.stderr
    return lines[0]


def test_unusable_credentials_stop_the_start(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert str(missing) in _serve_fails(["--auth-file", str(missing)])
    malformed = tmp_path / "malformed"
    malformed.write_text("alice:fine\njust-a-password-no-user\n")
    line = _serve_fails(["--auth-file", str(malformed)])
    assert f"{malformed}:2" in line and "user:password" in line
    assert "just-a-password" not in line
    empty = tmp_path / "empty"
    empty.write_text("# nobody\n")
    assert "no user:password" in _serve_fails(["--auth-file", str(empty)])
    both = {**os.environ, ENV: "a:b"}
    assert "not both" in _serve_fails(["--auth-file", str(malformed)], env=both)


def test_binding_a_non_loopback_address_warns(
    registry_servers: RegistryServers, auth_file: Path
) -> None:
    # Bound to every interface only with credentials required, and for a moment.
    server = registry_servers.start(args=["--host", "0.0.0.0", "--auth-file", str(auth_file)])
    server.terminate()
    warnings = [line for line in server.log().splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "plain HTTP" in warnings[0]
    local = registry_servers.start(args=["--auth-file", str(auth_file)])
    local.terminate()
    assert "WARNING" not in local.log()


def test_the_warning_without_credentials_says_what_is_exposed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # In process: a real server bound to 0.0.0.0 without credentials is what the issue forbids.
    with caplog.at_level(logging.WARNING, logger="avrobind.registry"):
        _warn_if_exposed("0.0.0.0", "0.0.0.0", None)
        _warn_if_exposed("::", "::", None)
        _warn_if_exposed("localhost", "127.0.0.1", None)
        _warn_if_exposed("::1", "::1", None)
    assert len(caplog.records) == 2
    text = caplog.records[0].getMessage()
    assert "no authentication" in text and "READONLY_OVERRIDE" in text and "--auth-file" in text


def test_help_and_readme_say_it() -> None:
    result = CliRunner().invoke(cli, ["registry", "serve", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--auth-file" in text and ENV in text
    assert "No authentication" in text and "non-loopback" in text
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## `avrobind registry serve`", 1)[1].split("\n## ", 1)[0]
    assert "--auth-file" in section and ENV in section and "0.0.0.0" in section
