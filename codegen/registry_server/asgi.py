"""What wraps the registry's routes: how requests reach them and how failures leave.

- `StrictPaths`: percent-escapes decoded as UTF-8 or refused with 400 (`a%FFb` and `a%FEb` must
  not both become `a\\ufffdb`); an encoded "/" inside a segment survives routing;
- `BasicAuth`: HTTP basic auth when credentials are configured (401 / 40101 otherwise);
- `NeverDrop`: an unexpected exception still ends in a 500 answer, and the connection stays
  open (Starlette re-raises after answering, and uvicorn then closes the connection);
- `Workers`: daemon threads for parsing, compatibility checks and SQLite writes, so one huge
  schema never stalls the event loop, and a stop never waits for it;
- `read_body`: the request body, refused with 413 beyond the configured size.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from codegen.registry_server.auth import Credentials
from codegen.registry_server.errors import RegistryError

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
# A subject may contain "/" (Protobuf references are named by file path), sent as %2F. Routing
# works on the decoded path, so a decoded "/" inside a segment travels as this stand-in.
SLASH = "\ue000"
UNAUTHORIZED = 40101
STOPPING = 50002  # Confluent's "operation timed out"

log = logging.getLogger("avrobind.registry")
T = TypeVar("T")
Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Any]


class RegistryResponse(JSONResponse):
    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            # A lone surrogate echoed from the request (in an error message): escape it.
            return json.dumps(content, separators=(",", ":")).encode("ascii")


def error_response(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    return RegistryResponse(
        {"error_code": code, "message": message}, status_code=status, headers=headers
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise _too_large(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> RegistryError:
    return RegistryError(
        413,
        413,
        f"Request body larger than {limit} bytes (the server's --max-body-size)",
    )


class Workers:
    """A fixed set of daemon threads; `await workers.run(fn, ...)` runs `fn` on one of them.

    Daemon threads, because a stop must not wait for a check that may take long: when the
    process exits, a write in progress is rolled back by SQLite, and nothing was acknowledged.
    """

    def __init__(self, count: int) -> None:
        self._jobs: queue.SimpleQueue[tuple[concurrent.futures.Future[Any], Callable[[], Any]]]
        self._jobs = queue.SimpleQueue()
        for i in range(count):
            threading.Thread(target=self._work, name=f"registry-worker-{i}", daemon=True).start()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((future, lambda: fn(*args)))
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            # uvicorn cancels what is still running when its graceful shutdown times out: answer
            # that (a 5xx clients retry) rather than let it surface as a 500 with a traceback.
            raise RegistryError(
                503,
                STOPPING,
                "The registry is stopping; this request may not have been carried out: retry it",
            ) from None

    def _work(self) -> None:
        while True:
            future, job = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue  # the request went away before its turn
            try:
                future.set_result(job())
            except BaseException as exc:  # noqa: BLE001  (handed to the awaiting request)
                future.set_exception(exc)


class StrictPaths:
    """Decodes the raw path segment by segment as UTF-8; 400 on escapes that are not UTF-8."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope["path"].encode("utf-8")
            try:
                path = "/".join(
                    unquote_to_bytes(segment).decode("utf-8").replace("/", SLASH)
                    for segment in raw.split(b"/")
                )
                query = scope.get("query_string", b"").replace(b"+", b" ")
                unquote_to_bytes(query).decode("utf-8")
            except UnicodeDecodeError:
                shown = (raw + b"?" + scope["query_string"]) if scope.get("query_string") else raw
                message = f"Invalid URL {shown.decode('latin-1')!r}: its %-escapes are not UTF-8"
                await error_response(400, 400, message)(scope, receive, send)
                return
            scope = {**scope, "path": path}
        await self.app(scope, receive, send)


class BasicAuth:
    """Answers 401 unless the request carries one of the configured user:password pairs."""

    def __init__(self, app: ASGIApp, credentials: Credentials) -> None:
        self.app = app
        self.credentials = credentials

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
            if not self.credentials.allows(header):
                response = error_response(
                    401,
                    UNAUTHORIZED,
                    "Unauthorized: this registry requires HTTP basic auth",
                    headers={"WWW-Authenticate": 'Basic realm="avrobind registry"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class NeverDrop:
    """The outermost wrapper: an exception becomes a 500 answer on a connection kept open."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                message = f"Internal Server Error: {type(exc).__name__}"
                await error_response(500, 500, message)(scope, receive, send)
