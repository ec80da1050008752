"""``AsyncSchemaRegistryClient``: the asyncio registry client.

A thin driver, the twin of ``client``: the same plans and transport steps, run with an
``httpx.AsyncClient`` and ``asyncio.sleep``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import httpx

from .base import ClientBase
from .cache import AsyncFlights
from .config import RegistryConfig, http_options
from .mock import AsyncMockTransport, is_mock, name_of
from .models import (
    CompatibilityResult,
    ReferenceLike,
    RegisteredSchema,
    SchemaInfo,
    SubjectVersion,
)
from .plans import Operation, Plan
from .transport import Answer, Request, Step

_T = TypeVar("_T")


class AsyncSchemaRegistryClient(ClientBase):
    """The asyncio twin of ``SchemaRegistryClient``: same methods, awaited.

    Task-safe; like any ``httpx.AsyncClient`` it belongs to the event loop that first uses it.
    """

    def __init__(
        self,
        config: RegistryConfig | str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None,
    ) -> None:
        super().__init__(config)
        if transport is None and is_mock(self._config.urls[0]):
            transport = AsyncMockTransport(name_of(self._config.urls[0]))
        self._flights = AsyncFlights()
        self._http = httpx.AsyncClient(
            transport=transport, event_hooks=event_hooks, **http_options(self._config)
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    close = aclose  # the sync client's name, awaited

    # -- I/O

    async def _call(self, op: Operation[_T]) -> _T:
        if op.cached is not None:
            return op.cached
        if op.share is None:
            return await self._run(op.plan)
        return await self._flights.run(op.share, lambda: self._run(op.plan))

    async def _run(self, plan: Plan[_T]) -> _T:
        steps = self._transport.steps(plan)
        try:
            step = next(steps)
            while True:
                step = steps.send(await self._do(step))
        except StopIteration as stop:
            return cast("_T", stop.value)
        finally:
            steps.close()  # after a failure here: the plan's cleanup runs at once

    async def _do(self, step: Step) -> Answer:
        if not isinstance(step, Request):
            await asyncio.sleep(step)
            return None
        try:
            return await self._http.request(
                step.method,
                step.url,
                params=step.params,
                content=step.content,
                headers=step.headers,
            )
        except httpx.TransportError as exc:
            return exc

    # -- API (documented on SchemaRegistryClient)

    async def register(
        self,
        subject: str,
        schema: str,
        references: Sequence[ReferenceLike] | None = None,
        *,
        normalize: bool = False,
        schema_type: str = "AVRO",
    ) -> int:
        """Register ``schema`` (JSON text) under ``subject``; return its id (cached)."""
        return await self._call(
            self._plans.register(subject, schema, references, normalize, schema_type)
        )

    async def lookup(
        self,
        subject: str,
        schema: str,
        references: Sequence[ReferenceLike] | None = None,
        *,
        normalize: bool = False,
        deleted: bool = False,
        schema_type: str = "AVRO",
    ) -> RegisteredSchema | None:
        """Find ``schema`` under ``subject``; None if the subject or the schema is not there."""
        return await self._call(
            self._plans.lookup(
                subject, schema, references, normalize, deleted, schema_type
            )
        )

    async def get_schema(self, schema_id: int) -> str:
        """The text of the schema with this id (cached); raises ``SchemaNotFoundError``."""
        return (await self.get_schema_info(schema_id)).schema

    async def get_schema_info(self, schema_id: int) -> SchemaInfo:
        """The schema with this id with its type and references (cached)."""
        return await self._call(self._plans.get_schema_info(schema_id))

    async def get_versions_by_id(self, schema_id: int) -> list[SubjectVersion]:
        """Every (subject, version) registered with this schema id."""
        return await self._call(self._plans.get_versions_by_id(schema_id))

    async def get_latest(self, subject: str) -> RegisteredSchema | None:
        """The subject's latest version, or None if it has none (cached for ``latest_ttl``)."""
        return await self._call(self._plans.get_latest(subject))

    async def get_version(self, subject: str, version: int | str) -> RegisteredSchema:
        """One version (a number or ``"latest"``); raises if the subject or version is missing."""
        return await self._call(self._plans.get_version(subject, version))

    async def get_versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        """The subject's version numbers; [] if the subject does not exist."""
        return await self._call(self._plans.get_versions(subject, deleted))

    async def get_subjects(
        self, prefix: str | None = None, *, deleted: bool = False
    ) -> list[str]:
        """All subject names, optionally only those starting with ``prefix``."""
        return await self._call(self._plans.get_subjects(prefix, deleted))

    async def test_compatibility(
        self,
        subject: str,
        schema: str,
        version: int | str = "latest",
        *,
        references: Sequence[ReferenceLike] | None = None,
        verbose: bool = True,
        normalize: bool = False,
        schema_type: str = "AVRO",
    ) -> CompatibilityResult:
        """Would ``schema`` be accepted? A subject without versions counts as compatible."""
        return await self._call(
            self._plans.test_compatibility(
                subject, schema, version, references, verbose, normalize, schema_type
            )
        )

    async def get_compatibility(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> str | None:
        """The registry's level, or the subject's own (None when it has none)."""
        return await self._call(
            self._plans.get_compatibility(subject, default_to_global)
        )

    async def set_compatibility(self, level: str, subject: str | None = None) -> str:
        """Set the registry's (or the subject's) compatibility level; returns the level set."""
        return await self._call(self._plans.set_compatibility(level, subject))

    async def delete_compatibility(self, subject: str) -> str | None:
        """Drop the subject's own level (it falls back to the global); returns the old one."""
        return await self._call(self._plans.delete_compatibility(subject))

    async def get_mode(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> str | None:
        """READWRITE, READONLY or IMPORT; None when the subject has no mode of its own."""
        return await self._call(self._plans.get_mode(subject, default_to_global))

    async def set_mode(
        self, mode: str, subject: str | None = None, *, force: bool = False
    ) -> str:
        """Set the registry's (or the subject's) mode; returns the mode set."""
        return await self._call(self._plans.set_mode(mode, subject, force))

    async def delete_mode(self, subject: str) -> str | None:
        """Drop the subject's own mode; returns the old one (None if it had none)."""
        return await self._call(self._plans.delete_mode(subject))

    async def delete_subject(
        self, subject: str, *, permanent: bool = False
    ) -> list[int]:
        """Soft-delete the subject (then hard-delete if ``permanent``); returns the versions."""
        return await self._call(self._plans.delete_subject(subject, permanent))

    async def delete_version(
        self, subject: str, version: int | str, *, permanent: bool = False
    ) -> int:
        """Soft-delete one version (then hard-delete if ``permanent``); returns its number."""
        return await self._call(self._plans.delete_version(subject, version, permanent))
