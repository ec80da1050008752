"""``schema_registry_url="mock://[NAME]"``: the registry in this process, with no socket.

A ``mock://`` URL is served by avrobind's own registry server (``avrobind registry serve``):
its ASGI application, over an in-memory store, called through an httpx transport. One
implementation, not a second mock: ids, versions, compatibility levels, modes and 409s are
the server's. The same NAME is the same registry within a process (``mock://`` alone is
``mock://default``), whichever runtime copy (avrobind's or a generated package's ``_runtime``)
and whichever client (sync or async) asks.

The application runs on one event loop of its own, on a daemon thread: the sync client waits
for its answer, the async client awaits it (a registry client may belong to any loop, and the
application to one). The server's code is avrobind's, not the runtime's: it is imported when a
``mock://`` URL is first used (by name, so generated packages stay self-contained), and its
absence is a ``RegistryConfigError`` that says what to install.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import sys
import threading
import types
from typing import Any, Final

import httpx

from ..errors import RegistryConfigError

__all__ = [
    "SCHEME",
    "AsyncMockTransport",
    "MockTransport",
    "forget",
    "is_mock",
    "name_of",
]

SCHEME: Final = "mock"
DEFAULT_NAME: Final = "default"
_SHARED: Final = "_avrobind_mock_registries_v1"
_WORKERS: Final = (
    2  # the server's threads for parsing and checks, shared by every registry
)


def is_mock(url: str) -> bool:
    return url.lower().startswith(SCHEME + "://")


def name_of(url: str) -> str:
    """The registry NAME of ``mock://NAME`` (``default`` for ``mock://``)."""
    rest = url.split("://", 1)[1].rstrip("/")
    return rest or DEFAULT_NAME


def _shared() -> Any:
    shared = sys.modules.get(_SHARED)
    if shared is None:
        module = types.ModuleType(_SHARED, "avrobind's in-process registries (mock://)")
        module.apps = {}  # type: ignore[attr-defined]
        module.stores = {}  # type: ignore[attr-defined]
        module.lock = threading.Lock()  # type: ignore[attr-defined]
        module.loop = None  # type: ignore[attr-defined]
        module.workers = None  # type: ignore[attr-defined]
        shared = sys.modules.setdefault(_SHARED, module)
    return shared


def _server() -> tuple[Any, Any, Any, Any]:
    """The registry server's modules (avrobind's, imported by name: see the docstring)."""
    try:
        return tuple(  # type: ignore[return-value]
            importlib.import_module(f"codegen.registry_server.{name}")
            for name in ("app", "asgi", "service", "store")
        )
    except ImportError as exc:
        raise RegistryConfigError(
            "schema_registry_url='mock://...' serves avrobind's own registry in this process, "
            "and avrobind with its registry extra is not installed: pip install "
            f"'avrobind[registry]' (a test dependency) ({exc})"
        ) from exc


def _loop(shared: Any) -> asyncio.AbstractEventLoop:
    """The event loop the registries run on (started on first use; a daemon thread)."""
    loop: asyncio.AbstractEventLoop | None = shared.loop
    if loop is None:
        loop = asyncio.new_event_loop()
        threading.Thread(
            target=loop.run_forever, name="avrobind-mock-registry", daemon=True
        ).start()
        shared.loop = loop
    return loop


def _app(name: str) -> tuple[Any, asyncio.AbstractEventLoop]:
    shared = _shared()
    with shared.lock:
        app = shared.apps.get(name)
        if app is None:
            app_module, asgi, service, store_module = _server()
            if shared.workers is None:
                shared.workers = asgi.Workers(_WORKERS)
            store = store_module.Store(None)
            app = app_module.build_app(service.Registry(store), workers=shared.workers)
            shared.apps[name] = app
            shared.stores[name] = store
        return app, _loop(shared)


def forget(url_or_name: str) -> None:
    """Drop a registry (its schemas are gone; the pytest fixture does this after its test)."""
    name = name_of(url_or_name) if "://" in url_or_name else url_or_name
    shared = _shared()
    with shared.lock:
        shared.apps.pop(name, None)
        store = shared.stores.pop(name, None)
    if store is not None:
        store.close()


async def _answer(
    app: Any, method: str, url: str, headers: Any, body: bytes
) -> httpx.Response:
    """The application's answer, read whole, on the registries' loop."""
    asgi = httpx.ASGITransport(app=app)
    request = httpx.Request(method, url, headers=headers, content=body)
    response = await asgi.handle_async_request(request)
    content = await response.aread()
    return httpx.Response(
        response.status_code, headers=response.headers, content=content
    )


def _submit(
    name: str, request: httpx.Request, body: bytes
) -> concurrent.futures.Future[Any]:
    app, loop = _app(name)
    url = str(request.url.copy_with(scheme="http", host="registry.invalid"))
    return asyncio.run_coroutine_threadsafe(
        _answer(app, request.method, url, request.headers, body), loop
    )


def _copy(response: httpx.Response) -> httpx.Response:
    return httpx.Response(
        response.status_code, headers=response.headers, content=response.content
    )


class MockTransport(httpx.BaseTransport):
    """The sync client's transport for ``mock://NAME``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return _copy(_submit(self.name, request, request.read()).result())


class AsyncMockTransport(httpx.AsyncBaseTransport):
    """The async client's transport for ``mock://NAME``."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        return _copy(await asyncio.wrap_future(_submit(self.name, request, body)))
