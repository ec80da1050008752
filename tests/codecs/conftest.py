"""Fixtures for the codec tests: a real registry (subprocess) for the serde checks."""

from __future__ import annotations

from tests.fixtures_registry import *  # noqa: F403  (pytest finds the fixtures by name)
