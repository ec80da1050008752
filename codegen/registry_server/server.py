"""Running the registry: `avrobind registry serve` (uvicorn in the foreground until SIGINT/SIGTERM)."""

from __future__ import annotations

import logging
import socket
import sqlite3

import uvicorn

from codegen.registry_server.app import build_app
from codegen.registry_server.service import Registry
from codegen.registry_server.store import Store

log = logging.getLogger("avrobind.registry")


def serve(host: str, port: int, data: str | None) -> None:
    """Serve the registry on `host:port` (port 0 picks a free one), persisting to `data` if given."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        store = Store(data)
    except sqlite3.Error as exc:
        raise SystemExit(f"avrobind registry: cannot use {data} as its database: {exc}") from None
    try:
        app = build_app(Registry(store))
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # Bound here rather than by uvicorn so the URL logged below carries the real port. The
        # explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it each keep-alive response waits ~40 ms on Nagle.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        bound_port = sock.getsockname()[1]
        shown_host = f"[{host}]" if family == socket.AF_INET6 else host
        config = uvicorn.Config(
            app,
            log_config=None,  # keep the basicConfig format; uvicorn's access lines carry no headers
            lifespan="off",  # the app has no startup/shutdown work
            timeout_graceful_shutdown=2,
        )
        where = data if data else "memory"
        log.info("listening on http://%s:%d (storage: %s)", shown_host, bound_port, where)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        store.close()
