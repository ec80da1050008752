"""Helpers for the registry tests: a thin REST client and small schema builders."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"


class Client:
    """Thin helpers over httpx for the Confluent REST calls the tests make."""

    def __init__(self, url: str) -> None:
        self.url = url
        # verify=False: the server speaks plain http, and a verifying TLS context costs ~40 ms.
        self.http = httpx.Client(
            base_url=url, headers={"Content-Type": MEDIA_TYPE}, timeout=10, verify=False
        )
        self._prefix = uuid.uuid4().hex[:8]

    def subject(self, name: str) -> str:
        """A subject name unique to this test (the shared server outlives it)."""
        return f"{name}-{self._prefix}"

    @staticmethod
    def body(schema: Any, **extra: Any) -> dict[str, Any]:
        text = schema if isinstance(schema, str) else json.dumps(schema)
        return {"schema": text, **extra}

    def register(
        self, subject: str, schema: Any, params: Any = None, **extra: Any
    ) -> httpx.Response:
        return self.http.post(
            f"/subjects/{subject}/versions", json=self.body(schema, **extra), params=params
        )

    def register_id(self, subject: str, schema: Any, **extra: Any) -> int:
        response = self.register(subject, schema, **extra)
        assert response.status_code == 200, response.text
        schema_id = response.json()["id"]
        assert isinstance(schema_id, int)
        return schema_id

    def lookup(self, subject: str, schema: Any, params: Any = None, **extra: Any) -> httpx.Response:
        return self.http.post(
            f"/subjects/{subject}", json=self.body(schema, **extra), params=params
        )

    def compat(
        self, subject: str, version: str | int | None, schema: Any, params: Any = None
    ) -> httpx.Response:
        path = f"/compatibility/subjects/{subject}/versions"
        if version is not None:
            path += f"/{version}"
        return self.http.post(path, json=self.body(schema), params=params)

    def get(self, path: str, params: Any = None) -> httpx.Response:
        return self.http.get(path, params=params)

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.http.put(path, json=body)

    def delete(self, path: str, params: Any = None) -> httpx.Response:
        return self.http.delete(path, params=params)


def error_of(response: httpx.Response) -> tuple[int, int]:
    """(HTTP status, error_code), checking the Confluent error body shape on the way."""
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    assert isinstance(body["message"], str) and body["message"]
    return response.status_code, body["error_code"]


def record(
    name: str = "User", fields: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    fields = fields if fields is not None else [{"name": "id", "type": "long"}]
    return {"type": "record", "name": name, "namespace": "com.example", "fields": fields, **extra}
