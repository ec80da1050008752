"""The test kit for services that use a generated package: the pytest plugin (``plugin``,
registered through the ``pytest11`` entry point as ``avrobind``) and the helpers behind its
fixtures (``kafka``: a ``memory://`` broker's contents, raw injection; ``registry``: a
``mock://`` registry URL).

May import: ``codegen.runtime`` (the in-memory broker and the ``mock://`` registry live there,
shared with every generated package's ``_runtime`` through a table of the process) and pytest.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MemoryKafka", "MockRegistry"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: pytest imports this package with the plugin in every run.
    if name == "MemoryKafka":
        from codegen.testing.kafka import MemoryKafka

        return MemoryKafka
    if name == "MockRegistry":
        from codegen.testing.registry import MockRegistry

        return MockRegistry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
