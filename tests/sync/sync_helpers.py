"""Helpers for the `sync` and `check` tests: a temporary project, the CLI run in-process, a
request recorder, and a small HTTP double for faults the real registry cannot produce."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from codegen.cli import cli

REPO = Path(__file__).resolve().parents[2]

# The example project's topics, written out here rather than read from the repo's
# pyproject.toml so that the expected levels below are independent of it.
CONFIG = """\
[tool.avrobind]
schemas = "avsc"
out = "generated"
package = "telescope_schemas"
compatibility = "BACKWARD"
{extra}
[tool.avrobind.topics."telescope.commands"]
value = "telescope.commands.TelescopeCommand"
key = "string"
compatibility = "FULL"

[tool.avrobind.topics."telescope.acknowledgments"]
value = "telescope.acknowledgments.CommandAcknowledgment"
key = "string"

[tool.avrobind.topics."telescope.data"]
value = "telescope.data.Observation"
key = "string"

[tool.avrobind.topics."telescope.status"]
value = "telescope.status.TelescopeStatus"
key = "string"
compatibility = "BACKWARD_TRANSITIVE"
"""

LEVELS = {
    "telescope.commands-key": "FULL",
    "telescope.commands-value": "FULL",
    "telescope.acknowledgments-key": "BACKWARD",
    "telescope.acknowledgments-value": "BACKWARD",
    "telescope.data-key": "BACKWARD",
    "telescope.data-value": "BACKWARD",
    "telescope.status-key": "BACKWARD_TRANSITIVE",
    "telescope.status-value": "BACKWARD_TRANSITIVE",
}


@dataclass
class Project:
    """A temporary avrobind project: pyproject.toml and a copy of the repo's avsc/."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "pyproject.toml"

    def write_config(self, extra: str = "") -> None:
        self.config.write_text(CONFIG.format(extra=extra), encoding="utf-8")

    def schema(self, rel: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / "avsc" / rel).read_text(encoding="utf-8"))
        return data

    def edit(self, rel: str, change: Callable[[dict[str, Any]], None]) -> None:
        data = self.schema(rel)
        change(data)
        (self.root / "avsc" / rel).write_text(json.dumps(data, indent=2), encoding="utf-8")

    def add_field(self, rel: str, field_json: dict[str, Any]) -> None:
        self.edit(rel, lambda d: d["fields"].append(field_json))


def make_project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "avsc", root / "avsc")
    p = Project(root)
    p.write_config()
    return p


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


_CLEARED = {
    name: None
    for name in (
        "AVROBIND_REGISTRY_URL",
        "AVROBIND_REGISTRY_USERNAME",
        "AVROBIND_REGISTRY_PASSWORD",
        "AVROBIND_REGISTRY_BASIC_AUTH",
        "AVROBIND_REGISTRY_TOKEN",
        "AVROBIND_REGISTRY_RETRIES",
        "AVROBIND_SCHEMAS",
        "AVROBIND_OUT",
        "AVROBIND_PACKAGE",
    )
}


def avrobind(*args: str, env: dict[str, str] | None = None) -> Run:
    """Run the CLI in-process (click's runner), with no AVROBIND_* variable leaking in."""
    result = CliRunner().invoke(
        cli, list(args), env={**_CLEARED, **(env or {})}, catch_exceptions=False
    )
    return Run(result.exit_code, result.stdout, result.stderr)


@dataclass
class Recorder:
    """Every request the registry client sends while installed: (method, path)."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    # (method, path) -> how many more times to answer with this synthetic response instead
    faults: dict[tuple[str, str], list[httpx.Response | Exception]] = field(default_factory=dict)

    def count(self, method: str, path: str | None = None, *, suffix: str | None = None) -> int:
        return sum(
            1
            for m, p in self.requests
            if m == method
            and (path is None or p == path)
            and (suffix is None or p.endswith(suffix))
        )

    def clear(self) -> None:
        self.requests.clear()


def registry_get(url: str, path: str) -> Any:
    response = httpx.get(url + path, timeout=10)
    return response.json()


@dataclass
class Canned:
    status: int
    body: bytes
    content_type: str


class DoubleServer:
    """A tiny HTTP server answering every request with one canned response.

    A test double: the real registry cannot be made to answer HTML, broken JSON or 401/403."""

    def __init__(self, canned: Canned) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                outer.hits += 1
                self.send_response(canned.status)
                self.send_header("Content-Type", canned.content_type)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.hits = 0

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that cancelled its other requests closed the connection

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def unreachable_url() -> str:
    """A loopback URL nothing listens on (a port that was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"
