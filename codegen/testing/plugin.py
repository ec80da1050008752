"""avrobind's pytest plugin (entry point ``pytest11``: loaded wherever avrobind is installed).

Fixtures, each fresh for every test and dropped after it:

- ``avrobind_kafka``: a ``MemoryKafka``, a ``memory://`` bootstrap string with helpers to read
  what a topic holds and to inject raw bytes;
- ``avrobind_registry``: a ``MockRegistry``, a ``mock://`` schema registry URL.

The runtime is imported when a fixture is first used, not when pytest loads the plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from codegen.testing.kafka import MemoryKafka
    from codegen.testing.registry import MockRegistry

__all__ = ["avrobind_kafka", "avrobind_registry"]


@pytest.fixture
def avrobind_kafka() -> Iterator[MemoryKafka]:
    """A fresh in-memory Kafka broker's bootstrap string (``memory://test-...``)."""
    from codegen.testing.kafka import MemoryKafka

    kafka = MemoryKafka.fresh()
    yield kafka
    kafka.close()


@pytest.fixture
def avrobind_registry() -> Iterator[MockRegistry]:
    """A fresh in-process schema registry's URL (``mock://test-...``)."""
    from codegen.testing.registry import MockRegistry

    registry = MockRegistry.fresh()
    yield registry
    registry.close()
