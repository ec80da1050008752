"""Start-up failures of `avrobind registry serve`: one line on stderr, exit 2 (issue 13, item 10).

A busy port or `--port 99999` used to print a traceback.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

SERVE = [sys.executable, "-m", "codegen", "registry", "serve"]


def _fails(*args: str) -> str:
    done = subprocess.run(  # noqa: PLW1510  (the exit code is asserted below)
        [*SERVE, *args], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("avrobind registry: "), done.stderr
    return lines[0]


def test_a_busy_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _fails("--port", str(port))
    assert f"127.0.0.1:{port}" in line and "already in use" in line


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http", "80.5"])
def test_a_port_out_of_range_or_not_a_number(port: str) -> None:
    line = _fails("--port", port)
    assert "--port" in line and port in line and "0-65535" in line


def test_an_unknown_host() -> None:
    assert "cannot listen on no-such-host.invalid:0" in _fails(
        "--host", "no-such-host.invalid", "--port", "0"
    )


@pytest.mark.parametrize("size", ["0", "lots", "-5", "16X"])
def test_an_invalid_body_limit(size: str) -> None:
    assert "--max-body-size" in _fails("--port", "0", "--max-body-size", size)


def test_an_unusable_data_file(tmp_path: Path) -> None:
    not_a_db = tmp_path / "garbage.db"
    not_a_db.write_text("this is not sqlite\n" * 100)
    line = _fails("--port", "0", "--data", str(not_a_db))
    assert str(not_a_db) in line and "database" in line
    missing_dir = tmp_path / "no" / "such" / "dir.db"
    assert str(missing_dir) in _fails("--port", "0", "--data", str(missing_dir))


def test_a_database_holding_garbage(tmp_path: Path) -> None:
    data = tmp_path / "edited.db"
    db = sqlite3.connect(data)
    db.executescript(
        "CREATE TABLE schemas (id INTEGER PRIMARY KEY, schema TEXT NOT NULL, refs TEXT NOT NULL);"
        "INSERT INTO schemas VALUES (1, '{not json', '[]');"
    )
    db.close()
    line = _fails("--port", "0", "--data", str(data))
    assert f"cannot load {data}" in line and "not valid JSON" in line
