"""The registry's HTTP surface: Confluent Schema Registry REST routes over Starlette."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from codegen.registry_server.errors import RegistryError
from codegen.registry_server.service import Registry, SchemaRequest

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
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


class RegistryResponse(JSONResponse):
    media_type = MEDIA_TYPE


def _error(status: int, code: int, message: str) -> Response:
    return RegistryResponse({"error_code": code, "message": message}, status_code=status)


def _flag(request: Request, *names: str) -> bool:
    # Booleans as JAX-RS reads them: case-insensitive "true" (Python clients send "True").
    return any(request.query_params.get(n, "").strip().lower() == "true" for n in names)


async def _body(request: Request) -> Any:
    content_type = request.headers.get("content-type")
    if content_type is not None:
        media = content_type.split(";", 1)[0].strip().lower()
        if media not in _ACCEPTED:
            raise RegistryError(415, 415, "HTTP 415 Unsupported Media Type")
    raw = await request.body()
    if not raw.strip():
        raise RegistryError(422, 422, "request body may not be null")
    try:
        return json.loads(raw)
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
        ids[key] = value if value is None or value > 0 else None
    return SchemaRequest(schema, schema_type, tuple(references), ids["id"], ids["version"])


# A subject may contain "/" (Protobuf references are named by file path), sent as %2F. Routing
# works on the decoded path, so a decoded "/" inside a segment travels as this stand-in.
_SLASH = "\ue000"


def _subject(request: Request) -> str:
    return str(request.path_params["subject"]).replace(_SLASH, "/")


class _EncodedSlashes:
    """ASGI wrapper: decode the raw path segment by segment, keeping an encoded "/" in place."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raw = scope.get("raw_path")
        if scope["type"] == "http" and raw and b"%2f" in raw.lower():
            segments = raw.decode("latin-1").split("/")
            path = "/".join(unquote(seg).replace("/", _SLASH) for seg in segments)
            scope = {**scope, "path": path}
        await self.app(scope, receive, send)


def build_app(registry: Registry) -> _EncodedSlashes:
    """The ASGI application serving `registry`."""

    async def root(request: Request) -> Response:
        return RegistryResponse({})

    async def schema_types(request: Request) -> Response:
        return RegistryResponse(["AVRO"])

    async def schema_by_id(request: Request) -> Response:
        return RegistryResponse(registry.schema_by_id(request.path_params["id"]))

    async def raw_schema_by_id(request: Request) -> Response:
        text = registry.schema_by_id(request.path_params["id"])["schema"]
        return Response(text, media_type=MEDIA_TYPE)

    async def id_versions(request: Request) -> Response:
        return RegistryResponse(
            _page(
                request, registry.id_versions(request.path_params["id"], _flag(request, "deleted"))
            )
        )

    async def id_subjects(request: Request) -> Response:
        return RegistryResponse(
            _page(
                request, registry.id_subjects(request.path_params["id"], _flag(request, "deleted"))
            )
        )

    async def list_subjects(request: Request) -> Response:
        subjects = registry.subjects(
            request.query_params.get("subjectPrefix"),
            _flag(request, "deleted"),
            _flag(request, "deletedOnly", "deleted_only"),
        )
        return RegistryResponse(_page(request, subjects))

    async def lookup(request: Request) -> Response:
        body = _schema_request(await _body(request))
        found = registry.lookup(
            _subject(request), body, _flag(request, "normalize"), _flag(request, "deleted")
        )
        return RegistryResponse(found)

    async def delete_subject(request: Request) -> Response:
        return RegistryResponse(
            registry.delete_subject(_subject(request), _flag(request, "permanent"))
        )

    async def list_versions(request: Request) -> Response:
        versions = registry.versions(
            _subject(request),
            _flag(request, "deleted"),
            _flag(request, "deletedOnly", "deleted_only"),
        )
        return RegistryResponse(_page(request, versions))

    async def register(request: Request) -> Response:
        body = _schema_request(await _body(request))
        schema_id = registry.register(_subject(request), body, _flag(request, "normalize"))
        return RegistryResponse({"id": schema_id})

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
        deleted = registry.delete_version(
            _subject(request), request.path_params["version"], _flag(request, "permanent")
        )
        return RegistryResponse(deleted)

    async def compatibility(request: Request) -> Response:
        body = _schema_request(await _body(request))
        verbose = _flag(request, "verbose")
        compatible, messages = registry.check_compatibility(
            _subject(request),
            request.path_params.get("version"),
            body,
            _flag(request, "normalize"),
            verbose,
        )
        out: dict[str, Any] = {"is_compatible": compatible}
        if verbose:
            out["messages"] = messages
        return RegistryResponse(out)

    def _scope(request: Request) -> str | None:
        return _subject(request) if "subject" in request.path_params else None

    async def get_config(request: Request) -> Response:
        level = registry.get_level(_scope(request), _flag(request, "defaultToGlobal"))
        return RegistryResponse({"compatibilityLevel": level})

    async def put_config(request: Request) -> Response:
        body = await _body(request)
        if not isinstance(body, dict):
            raise _mapping_error("expected a JSON object")
        level = body.get("compatibility", body.get("compatibilityLevel"))
        return RegistryResponse({"compatibility": registry.set_level(_scope(request), level)})

    async def delete_config(request: Request) -> Response:
        return RegistryResponse({"compatibilityLevel": registry.delete_level(_scope(request))})

    async def get_mode(request: Request) -> Response:
        mode = registry.get_mode(_scope(request), _flag(request, "defaultToGlobal"))
        return RegistryResponse({"mode": mode})

    async def put_mode(request: Request) -> Response:
        body = await _body(request)
        if not isinstance(body, dict):
            raise _mapping_error("expected a JSON object")
        mode = registry.set_mode(_scope(request), body.get("mode"), _flag(request, "force"))
        return RegistryResponse({"mode": mode})

    async def delete_mode(request: Request) -> Response:
        return RegistryResponse({"mode": registry.delete_mode(_subject(request))})

    routes = [
        Route("/", root, methods=["GET"]),
        Route("/schemas/types", schema_types, methods=["GET"]),
        Route("/schemas/ids/{id:int}", schema_by_id, methods=["GET"]),
        Route("/schemas/ids/{id:int}/schema", raw_schema_by_id, methods=["GET"]),
        Route("/schemas/ids/{id:int}/versions", id_versions, methods=["GET"]),
        Route("/schemas/ids/{id:int}/subjects", id_subjects, methods=["GET"]),
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
        return _error(exc.status, exc.code, exc.message)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        reason = _REASONS.get(exc.status_code, exc.detail)
        return _error(exc.status_code, exc.status_code, f"HTTP {exc.status_code} {reason}")

    async def internal_error(request: Request, exc: Exception) -> Response:
        return _error(500, 500, f"Internal Server Error: {type(exc).__name__}: {exc}")

    return _EncodedSlashes(
        Starlette(
            routes=routes,
            exception_handlers={
                RegistryError: registry_error,
                HTTPException: http_error,
                Exception: internal_error,
            },
        )
    )


def _page(request: Request, items: list[Any]) -> list[Any]:
    """Confluent's `offset`/`limit` paging (limit <= 0 means everything)."""
    try:
        offset = max(int(request.query_params.get("offset", "0")), 0)
        limit = int(request.query_params.get("limit", "-1"))
    except ValueError:
        return items
    end = None if limit <= 0 else offset + limit
    return items[offset:end]
