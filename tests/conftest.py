"""Suite-wide settings. Fixtures for servers live in tests/fixtures_*.py, loaded per directory."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from tests.fixtures_corpus import corpus_packages  # noqa: F401  (a session fixture, found by name)

# Property tests are bounded by example counts, never by time: machines are noisy.
settings.register_profile(
    "avrobind",
    deadline=None,
    max_examples=int(os.environ.get("AVROBIND_PROPERTY_EXAMPLES", "40")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile("avrobind")
