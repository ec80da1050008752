"""Pytest fixtures that run the local registry (`avrobind registry serve`) as real subprocesses.

Use from a conftest with `pytest_plugins = ["tests.fixtures_registry"]` or
`from tests.fixtures_registry import *`.

- `registry_server` (session): one shared in-memory server; `.url`, `.port`, `.pid`, and
  `.spawn(data=..., port=...)` to start extra servers. State is shared by every test using it,
  so give subjects unique names (e.g. with `unique_subject`) and leave global config/mode alone.
- `registry_url` (function): the URL of a *fresh* in-memory server for this test alone (clean
  state: ids from 1, global level BACKWARD, mode READWRITE). A server starts in about 0.2 s and
  one is always kept warm in the background, so this costs little; it is stopped after the test.
- `registry_servers` (session): the factory behind both, for servers with `--data FILE`,
  other options (`args=[...]`, `env={...}`), restarts (`server.restart()`), or kills
  (`server.kill()`).

Every process is started with `sys.executable -m codegen registry serve` and stopped by its PID.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx
import pytest

__all__ = [
    "RegistryServer",
    "RegistryServers",
    "registry_server",
    "registry_servers",
    "registry_url",
    "unique_subject",
]

_LISTENING = re.compile(r"listening on (http://\S+)")
_START_TIMEOUT = 20.0


class RegistryServer:
    """One `avrobind registry serve` subprocess."""

    def __init__(
        self,
        factory: RegistryServers,
        data: str | None,
        port: int,
        log: Path,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._factory = factory
        self.data = data
        self.args = list(args)
        self.env = None if env is None else {**os.environ, **env}
        self.log_path = log
        self._requested_port = port
        self.url = ""
        self.port = 0
        self._log_offset = 0
        self._proc = self._launch(port)
        self._ready = False

    def _launch(self, port: int) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "codegen", "registry", "serve", "--port", str(port)]
        if self.data is not None:
            args += ["--data", self.data]
        args += self.args
        with self.log_path.open("ab") as log:
            # Only what this process writes counts when looking for its "listening on" line.
            self._log_offset = log.tell()
            return subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env
            )

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> RegistryServer:
        """Block until the server answers `GET /`; raises with its log if it dies or hangs."""
        if self._ready:
            return self
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"registry exited with {self._proc.returncode}:\n{self.log()}")
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                match = _LISTENING.search(log.read().decode(errors="replace"))
            if match:
                self.url = match.group(1)
                self.port = int(self.url.rsplit(":", 1)[1])
                try:
                    # verify=False: plain http, and building a verifying TLS context costs ~40 ms.
                    # 401: up, and asking for credentials (--auth-file).
                    status = httpx.get(self.url + "/", timeout=2, verify=False).status_code
                    if status in (200, 401):
                        self._ready = True
                        return self
                except httpx.TransportError:
                    pass
            time.sleep(0.01)
        self.kill()
        raise RuntimeError(f"registry did not start within {_START_TIMEOUT} s:\n{self.log()}")

    def terminate(self, wait: bool = True) -> None:
        """SIGTERM (graceful shutdown); waits for the exit unless `wait=False`."""
        if self.running:
            self._proc.terminate()
        if wait:
            self._reap()

    def kill(self) -> None:
        """SIGKILL: no shutdown at all (what a crash looks like)."""
        if self.running:
            self._proc.kill()
        self._reap()

    def _reap(self) -> None:
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def restart(self) -> RegistryServer:
        """Stop (if running) and start again on the same port with the same `--data`."""
        self.terminate()
        self._proc = self._launch(self.port or self._requested_port)
        self._ready = False
        return self.wait_ready()

    def spawn(self, data: str | Path | None = None, port: int = 0) -> RegistryServer:
        """Start another server (ready when returned); stopped at the end of the session."""
        return self._factory.start(data=data, port=port)

    def wait_exit(self, timeout: float = 30) -> int:
        """The exit code, once the process has ended (it is killed after `timeout` s)."""
        try:
            return self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise


class RegistryServers:
    """Starts registry subprocesses and stops every one of them, by PID, in `stop_all`."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._servers: list[RegistryServer] = []
        self._spare: RegistryServer | None = None
        self._count = itertools.count(1)

    def launch(
        self,
        data: str | Path | None = None,
        port: int = 0,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> RegistryServer:
        """Start a server without waiting for it (call `wait_ready()` before use).

        `args` are more command-line options; `env` is added to the environment.
        """
        log = self._log_dir / f"registry-{next(self._count)}.log"
        server = RegistryServer(self, None if data is None else str(data), port, log, args, env)
        self._servers.append(server)
        return server

    def start(
        self,
        data: str | Path | None = None,
        port: int = 0,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> RegistryServer:
        """Start a server and wait until it answers."""
        return self.launch(data, port, args, env).wait_ready()

    def fresh(self) -> RegistryServer:
        """A new in-memory server; the next one is started right away so it is warm when needed."""
        server = self._spare or self.launch()
        self._spare = self.launch()
        self._servers = [s for s in self._servers if s.running or s is server]
        return server.wait_ready()

    def stop_all(self) -> None:
        for server in self._servers:
            server.terminate(wait=False)
        for server in self._servers:
            server.terminate()
        self._servers.clear()
        self._spare = None


@pytest.fixture(scope="session")
def registry_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServers]:
    """Factory for registry subprocesses; all are stopped at the end of the session."""
    servers = RegistryServers(tmp_path_factory.mktemp("registry-logs"))
    try:
        yield servers
    finally:
        servers.stop_all()


@pytest.fixture(scope="session")
def registry_server(registry_servers: RegistryServers) -> RegistryServer:
    """A registry shared by the whole session (use unique subject names)."""
    return registry_servers.start()


@pytest.fixture
def registry_url(registry_servers: RegistryServers) -> Iterator[str]:
    """The URL of a fresh in-memory registry used by this test only."""
    server = registry_servers.fresh()
    try:
        yield server.url
    finally:
        server.terminate(wait=False)


@pytest.fixture
def unique_subject(request: pytest.FixtureRequest) -> str:
    """A subject name no other test uses (for the shared `registry_server`)."""
    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}-value"
