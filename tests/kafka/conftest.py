"""Fixtures for the runtime Kafka tests: a real tansu broker and real registries (subprocesses)."""

from __future__ import annotations

from tests.fixtures_kafka import *  # noqa: F403  (pytest finds the fixtures by name)
from tests.fixtures_registry import *  # noqa: F403
