"""Running the registry: `avrobind registry serve` (uvicorn in the foreground until SIGINT/SIGTERM).

Start-up problems (a bad or busy port, a data file another server holds, unusable credentials)
are a `StartupError`: one line for the user, exit code 2, nothing half-started.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import re
import socket
import sqlite3

import uvicorn

from codegen.registry_server.app import DEFAULT_MAX_BODY, build_app
from codegen.registry_server.auth import ENV as AUTH_ENV
from codegen.registry_server.auth import AuthConfigError, Credentials, load_credentials
from codegen.registry_server.service import Registry
from codegen.registry_server.store import DataFileInUse, Store

log = logging.getLogger("avrobind.registry")

_SIZE = re.compile(r"(\d+)\s*([kmg]?)(i?b)?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class StartupError(Exception):
    """Why the server cannot start, in one line."""


def parse_port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise StartupError(f"invalid --port {text!r}: a TCP port is 0-65535 (0 picks a free one)")
    return int(text)


def parse_size(text: str) -> int:
    """`--max-body-size`: bytes, with an optional K, M or G (binary) suffix."""
    match = _SIZE.fullmatch(text.strip())
    if not match or int(match[1]) <= 0:
        raise StartupError(f"invalid --max-body-size {text!r}: give bytes, e.g. 1048576 or 16M")
    return int(match[1]) * _UNITS[match[2].lower()]


def serve(
    host: str,
    port: int,
    data: str | None,
    *,
    auth_file: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> None:
    """Serve the registry on `host:port` (port 0 picks a free one), persisting to `data` if given."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not 0 <= port <= 65535:
        raise StartupError(f"invalid --port {port}: a TCP port is 0-65535 (0 picks a free one)")
    try:
        credentials = load_credentials(auth_file, os.environ)
    except AuthConfigError as exc:
        raise StartupError(str(exc)) from None
    store = _open(data)
    try:
        sock = _bind(host, port)
        try:
            registry = Registry(store)
        except (sqlite3.Error, ValueError, KeyError) as exc:  # ValueError: SchemaInvalid too
            raise StartupError(f"cannot load {data}: {type(exc).__name__}: {exc}") from None
        sock.listen(128)
        bound = sock.getsockname()
        shown_host = f"[{host}]" if sock.family == socket.AF_INET6 else host
        _warn_if_exposed(host, bound[0], credentials)
        config = uvicorn.Config(
            build_app(registry, max_body=max_body, credentials=credentials),
            log_config=None,  # keep the basicConfig format; uvicorn's access lines carry no headers
            lifespan="off",  # the app has no startup/shutdown work
            timeout_graceful_shutdown=2,
        )
        where = data if data else "memory"
        auth = "basic" if credentials else "none"
        log.info(
            "listening on http://%s:%d (storage: %s, auth: %s, max body: %d bytes)",
            shown_host,
            bound[1],
            where,
            auth,
            max_body,
        )
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        store.close()


def _open(data: str | None) -> Store:
    try:
        return Store(data)
    except DataFileInUse:
        raise StartupError(
            f"{data} is in use by another registry server: stop that one, or give this one "
            "another --data file (two servers on one file would hand out the same ids)"
        ) from None
    except (sqlite3.Error, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise StartupError(f"cannot use {data} as its database: {reason}") from None


def _bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (listening comes later, once the data is loaded)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Bound here rather than by uvicorn so the URL logged carries the real port. The explicit
    # IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it each keep-alive response waits ~40 ms on Nagle.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            reason = "the address is already in use (another registry?); choose another --port"
        elif isinstance(exc, socket.gaierror):
            reason = f"unknown host {host!r}"
        else:
            reason = exc.strerror or str(exc)
        raise StartupError(f"cannot listen on {host}:{port}: {reason}") from None
    return sock


def _warn_if_exposed(host: str, address: str, credentials: Credentials | None) -> None:
    """A WARNING when the bound address is reachable from other machines."""
    try:
        loopback = ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return
    if credentials is None:
        log.warning(
            "%s is not a loopback address and no authentication is configured: anyone who can "
            "reach this port can register, delete and change modes (e.g. PUT /mode "
            "READONLY_OVERRIDE). Use --auth-file or %s, or bind 127.0.0.1.",
            host,
            AUTH_ENV,
        )
    else:
        log.warning(
            "%s is not a loopback address: basic auth is on, but this server speaks plain HTTP, "
            "so passwords and schemas cross the network readable; use it on a trusted network only.",
            host,
        )
