"""Fixtures of the `avrobind lint` tests (see lint_helpers)."""

from tests.lint.lint_helpers import lint_project  # noqa: F401  (pytest finds fixtures by name)
