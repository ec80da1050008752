"""The registry's HTTP surface: Confluent Schema Registry REST routes over Starlette.

Reads of the in-memory state, and small bodies naming a schema parsed before (a serializer's
repeated register or look-up), are answered on the event loop; anything that parses a schema or
a big body, checks compatibility or writes to SQLite runs on `Workers` threads, so a slow
request never stalls the others.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from codegen.registry_server.asgi import (
    MEDIA_TYPE,
    SLASH,
    ASGIApp,
    BasicAuth,
    NeverDrop,
    RegistryResponse,
    StrictPaths,
    Workers,
    error_response,
    read_body,
)
from codegen.registry_server.auth import Credentials
from codegen.registry_server.errors import RegistryError
from codegen.registry_server.service import Registry, SchemaRequest

DEFAULT_MAX_BODY = 16 * 1024 * 1024
_WORKERS = 16
# Bodies up to this size are decoded on the event loop, to answer a schema registered before
# without a trip through the workers (what serializers send again and again).
_INLINE_BODY = 64 * 1024
_MAX_ID = 2**31 - 1
# What Confluent's resources @Consume; a missing Content-Type counts as application/octet-stream.
_ACCEPTED = frozenset(
    {
        MEDIA_TYPE,
        "application/vnd.schemaregistry+json",
        "application/json",
        "application/octet-stream",
    }
)
_REASONS = {404: "Not Found", 405: "Method Not Allowed", 415: "Unsupported Media Type"}

Endpoint = Callable[[Request], Awaitable[Response]]


def _flag(request: Request, *names: str) -> bool:
    # Booleans as JAX-RS reads them: case-insensitive "true" (Python clients send "True").
    return any(request.query_params.get(n, "").strip().lower() == "true" for n in names)


async def _raw_body(request: Request, limit: int) -> bytes:
    content_type = request.headers.get("content-type")
    if content_type is not None:
        media = content_type.split(";", 1)[0].strip().lower()
        if media not in _ACCEPTED:
            raise RegistryError(415, 415, "HTTP 415 Unsupported Media Type")
    return await read_body(request, limit)


def _json(raw: bytes) -> Any:
    """The request body as JSON (a big one is decoded on a worker: that takes a while)."""
    if not raw.strip():
        raise RegistryError(422, 422, "request body may not be null")
    try:
        return json.loads(raw)
    except RecursionError:
        raise RegistryError(400, 400, "JSON body nested too deeply") from None
    except ValueError as exc:
        raise RegistryError(400, 400, f"Unexpected character in JSON body: {exc}") from None


def _mapping_error(what: str) -> RegistryError:
    return RegistryError(400, 400, f"Cannot deserialize request body: {what}")


def _schema_request(body: Any) -> SchemaRequest:
    if not isinstance(body, dict):
        raise _mapping_error("expected a JSON object")
    schema = body.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise _mapping_error('"schema" must be a string holding the schema JSON')
    schema_type = body.get("schemaType") or "AVRO"
    if not isinstance(schema_type, str):
        raise _mapping_error('"schemaType" must be a string')
    references = body.get("references") or []
    if not isinstance(references, list) or not all(isinstance(r, dict) for r in references):
        raise _mapping_error('"references" must be an array of objects')
    ids = {}
    for key in ("id", "version"):
        value = body.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise _mapping_error(f'"{key}" must be an integer')
        if value is not None and value > _MAX_ID:
            raise _mapping_error(f'"{key}" must be at most {_MAX_ID}')
        ids[key] = value if value is None or value > 0 else None
    return SchemaRequest(schema, schema_type, tuple(references), ids["id"], ids["version"])


def _subject(request: Request) -> str:
    return str(request.path_params["subject"]).replace(SLASH, "/")


def _schema_id(request: Request) -> int:
    """The `{id}` of a path: digits (else 404 like an unknown route); too big ids are unknown."""
    text = str(request.path_params["id"])
    if not (text.isascii() and text.isdigit()):
        raise RegistryError(404, 404, "HTTP 404 Not Found")
    if len(text) > 10 or int(text) > _MAX_ID:
        raise RegistryError(
            404, 40403, f"Schema {text[:20]}{'...' if len(text) > 20 else ''} not found"
        )
    return int(text)


def build_app(
    registry: Registry,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    credentials: Credentials | None = None,
    workers: Workers | None = None,
) -> ASGIApp:
    """The ASGI application serving `registry` (basic auth when `credentials` are given)."""
    pool = workers or Workers(_WORKERS)

    async def body(request: Request) -> bytes:
        return await _raw_body(request, max_body)

    async def root(request: Request) -> Response:
        return RegistryResponse({})

    async def schema_types(request: Request) -> Response:
        return RegistryResponse(["AVRO"])

    async def schema_by_id(request: Request) -> Response:
        return RegistryResponse(registry.schema_by_id(_schema_id(request)))

    async def raw_schema_by_id(request: Request) -> Response:
        text = registry.schema_by_id(_schema_id(request))["schema"]
        return Response(text, media_type=MEDIA_TYPE)

    async def id_versions(request: Request) -> Response:
        found = registry.id_versions(_schema_id(request), _flag(request, "deleted"))
        return RegistryResponse(_page(request, found))

    async def id_subjects(request: Request) -> Response:
        found = registry.id_subjects(_schema_id(request), _flag(request, "deleted"))
        return RegistryResponse(_page(request, found))

    async def list_subjects(request: Request) -> Response:
        subjects = registry.subjects(
            request.query_params.get("subjectPrefix"),
            _flag(request, "deleted"),
            _flag(request, "deletedOnly", "deleted_only"),
        )
        return RegistryResponse(_page(request, subjects))

    async def schema_body(request: Request) -> tuple[SchemaRequest, bool]:
        """The body as a schema request, and whether it is small (decoded on the event loop)."""
        raw = await body(request)
        if len(raw) <= _INLINE_BODY:
            return _schema_request(_json(raw)), True
        return await pool.run(lambda: _schema_request(_json(raw))), False

    async def lookup(request: Request) -> Response:
        schema_request, small = await schema_body(request)
        subject, normalize = _subject(request), _flag(request, "normalize")
        deleted = _flag(request, "deleted")
        if small and not normalize:
            found = registry.lookup_cached(subject, schema_request, deleted)
            if found is not None:
                return RegistryResponse(found)
        found = await pool.run(registry.lookup, subject, schema_request, normalize, deleted)
        return RegistryResponse(found)

    async def delete_subject(request: Request) -> Response:
        subject, permanent = _subject(request), _flag(request, "permanent")
        return RegistryResponse(await pool.run(registry.delete_subject, subject, permanent))

    async def list_versions(request: Request) -> Response:
        versions = registry.versions(
            _subject(request),
            _flag(request, "deleted"),
            _flag(request, "deletedOnly", "deleted_only"),
        )
        return RegistryResponse(_page(request, versions))

    async def register(request: Request) -> Response:
        schema_request, small = await schema_body(request)
        subject, normalize = _subject(request), _flag(request, "normalize")
        if small and not normalize:
            found = registry.registered_id(subject, schema_request)
            if found is not None:
                return RegistryResponse({"id": found})
        return RegistryResponse(
            {"id": await pool.run(registry.register, subject, schema_request, normalize)}
        )

    async def get_version(request: Request) -> Response:
        found = registry.version(
            _subject(request), request.path_params["version"], _flag(request, "deleted")
        )
        return RegistryResponse(found)

    async def get_version_schema(request: Request) -> Response:
        found = registry.version(
            _subject(request), request.path_params["version"], _flag(request, "deleted")
        )
        return Response(found["schema"], media_type=MEDIA_TYPE)

    async def referenced_by(request: Request) -> Response:
        ids = registry.referenced_by(_subject(request), request.path_params["version"])
        return RegistryResponse(_page(request, ids))

    async def delete_version(request: Request) -> Response:
        subject, version = _subject(request), request.path_params["version"]
        permanent = _flag(request, "permanent")
        return RegistryResponse(
            await pool.run(registry.delete_version, subject, version, permanent)
        )

    async def compatibility(request: Request) -> Response:
        schema_request, _ = await schema_body(request)
        subject, version = _subject(request), request.path_params.get("version")
        normalize, verbose = _flag(request, "normalize"), _flag(request, "verbose")
        compatible, messages = await pool.run(
            registry.check_compatibility, subject, version, schema_request, normalize, verbose
        )
        out: dict[str, Any] = {"is_compatible": compatible}
        if verbose:
            out["messages"] = messages
        return RegistryResponse(out)

    def _scope(request: Request) -> str | None:
        return _subject(request) if "subject" in request.path_params else None

    async def _object(request: Request) -> dict[str, Any]:
        raw = await body(request)
        found = _json(raw) if len(raw) <= _INLINE_BODY else await pool.run(_json, raw)
        if not isinstance(found, dict):
            raise _mapping_error("expected a JSON object")
        return found

    async def get_config(request: Request) -> Response:
        level = registry.get_level(_scope(request), _flag(request, "defaultToGlobal"))
        return RegistryResponse({"compatibilityLevel": level})

    async def put_config(request: Request) -> Response:
        found = await _object(request)
        level = found.get("compatibility", found.get("compatibilityLevel"))
        level = await pool.run(registry.set_level, _scope(request), level)
        return RegistryResponse({"compatibility": level})

    async def delete_config(request: Request) -> Response:
        level = await pool.run(registry.delete_level, _scope(request))
        return RegistryResponse({"compatibilityLevel": level})

    async def get_mode(request: Request) -> Response:
        mode = registry.get_mode(_scope(request), _flag(request, "defaultToGlobal"))
        return RegistryResponse({"mode": mode})

    async def put_mode(request: Request) -> Response:
        found = await _object(request)
        force = _flag(request, "force")
        mode = await pool.run(registry.set_mode, _scope(request), found.get("mode"), force)
        return RegistryResponse({"mode": mode})

    async def delete_mode(request: Request) -> Response:
        return RegistryResponse({"mode": await pool.run(registry.delete_mode, _subject(request))})

    routes = [
        Route("/", root, methods=["GET"]),
        Route("/schemas/types", schema_types, methods=["GET"]),
        Route("/schemas/ids/{id}", schema_by_id, methods=["GET"]),
        Route("/schemas/ids/{id}/schema", raw_schema_by_id, methods=["GET"]),
        Route("/schemas/ids/{id}/versions", id_versions, methods=["GET"]),
        Route("/schemas/ids/{id}/subjects", id_subjects, methods=["GET"]),
        Route("/subjects", list_subjects, methods=["GET"]),
        Route("/subjects/{subject}", lookup, methods=["POST"]),
        Route("/subjects/{subject}", delete_subject, methods=["DELETE"]),
        Route("/subjects/{subject}/versions", list_versions, methods=["GET"]),
        Route("/subjects/{subject}/versions", register, methods=["POST"]),
        Route("/subjects/{subject}/versions/{version}", get_version, methods=["GET"]),
        Route("/subjects/{subject}/versions/{version}", delete_version, methods=["DELETE"]),
        Route("/subjects/{subject}/versions/{version}/schema", get_version_schema, methods=["GET"]),
        Route(
            "/subjects/{subject}/versions/{version}/referencedby", referenced_by, methods=["GET"]
        ),
        Route("/compatibility/subjects/{subject}/versions", compatibility, methods=["POST"]),
        Route(
            "/compatibility/subjects/{subject}/versions/{version}", compatibility, methods=["POST"]
        ),
        Route("/config", get_config, methods=["GET"]),
        Route("/config", put_config, methods=["PUT"]),
        Route("/config", delete_config, methods=["DELETE"]),
        Route("/config/{subject}", get_config, methods=["GET"]),
        Route("/config/{subject}", put_config, methods=["PUT"]),
        Route("/config/{subject}", delete_config, methods=["DELETE"]),
        Route("/mode", get_mode, methods=["GET"]),
        Route("/mode", put_mode, methods=["PUT"]),
        Route("/mode/{subject}", get_mode, methods=["GET"]),
        Route("/mode/{subject}", put_mode, methods=["PUT"]),
        Route("/mode/{subject}", delete_mode, methods=["DELETE"]),
    ]

    async def registry_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RegistryError)
        headers = {"Connection": "close"} if exc.status == 413 else None  # the rest is unread
        return error_response(exc.status, exc.code, exc.message, headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        reason = _REASONS.get(exc.status_code, exc.detail)
        return error_response(exc.status_code, exc.status_code, f"HTTP {exc.status_code} {reason}")

    async def internal_error(request: Request, exc: Exception) -> Response:
        return error_response(500, 500, f"Internal Server Error: {type(exc).__name__}: {exc}")

    app: ASGIApp = StrictPaths(
        Starlette(
            routes=routes,
            exception_handlers={
                RegistryError: registry_error,
                HTTPException: http_error,
                Exception: internal_error,
            },
        )
    )
    if credentials is not None:
        app = BasicAuth(app, credentials)
    return NeverDrop(app)


def _page(request: Request, items: list[Any]) -> list[Any]:
    """Confluent's `offset`/`limit` paging (limit <= 0 means everything)."""
    try:
        offset = max(int(request.query_params.get("offset", "0")), 0)
        limit = int(request.query_params.get("limit", "-1"))
    except ValueError:
        return items
    end = None if limit <= 0 else offset + limit
    return items[offset:end]
