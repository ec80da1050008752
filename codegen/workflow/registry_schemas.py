"""Registered schemas as `sync` and `pull` read them: each version fetched once per run, and
parsed with its references (fetched recursively) into one self-contained schema."""

from __future__ import annotations

from typing import Any

from codegen.runtime.errors import RegistryResponseError
from codegen.runtime.registry import AsyncSchemaRegistryClient, RegisteredSchema
from codegen.schema.forms import ParsedSchema, SchemaInvalid, merge_definitions, parse


class RegistrySchemas:
    """A per-run cache of subject versions and their parsed forms; one event loop's client."""

    def __init__(self, client: AsyncSchemaRegistryClient) -> None:
        self.client = client
        self._versions: dict[tuple[str, int], RegisteredSchema] = {}
        self._parsed: dict[tuple[str, int], ParsedSchema] = {}

    def remember(self, registered: RegisteredSchema) -> None:
        """A version fetched otherwise (e.g. as the latest), so it is not fetched again."""
        self._versions[(registered.subject, registered.version)] = registered

    async def version(self, subject: str, number: int) -> RegisteredSchema:
        key = (subject, number)
        found = self._versions.get(key)
        if found is None:
            found = self._versions[key] = await self.client.get_version(subject, number)
        return found

    async def expanded(self, registered: RegisteredSchema) -> Any:
        """The registered schema, self-contained (references inlined), as JSON."""
        if not registered.references:
            return registered.schema
        return (await self.parsed(registered)).expanded()

    async def parsed(self, registered: RegisteredSchema) -> ParsedSchema:
        """The schema parsed in the name space its references open (fetched as needed)."""
        key = (registered.subject, registered.version)
        parsed = self._parsed.get(key)
        if parsed is None:
            parts = []
            for ref in registered.references:
                dependency = await self.version(ref.subject, ref.version)
                parts.append((await self.parsed(dependency)).definitions())
            try:
                parsed = parse(registered.schema, merge_definitions(parts), strict=False)
            except SchemaInvalid as e:
                raise RegistryResponseError(
                    f"version {registered.version} of subject {registered.subject!r} on the "
                    f"registry cannot be parsed with its references: {e}",
                    subject=registered.subject,
                ) from None
            self._parsed[key] = parsed
        return parsed
