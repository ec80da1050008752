"""``MockRegistry``: a ``mock://NAME`` registry URL of one test."""

from __future__ import annotations

import uuid

from codegen.runtime.registry import SchemaRegistryClient
from codegen.runtime.registry.mock import forget

__all__ = ["MockRegistry"]


class MockRegistry(str):
    """A ``mock://NAME`` URL (pass it as ``schema_registry_url``), served in this process by
    avrobind's registry server; ``client()`` is a registry client of it (to look at what was
    registered, or set a compatibility level)."""

    __slots__ = ()

    @classmethod
    def fresh(cls) -> MockRegistry:
        return cls(f"mock://test-{uuid.uuid4().hex}")

    def client(self) -> SchemaRegistryClient:
        return SchemaRegistryClient(str(self))

    def close(self) -> None:
        """Forget the registry (its schemas are gone)."""
        forget(str(self))
