"""Fixtures of the `avrobind check` tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.check.test_check_git import commit, generate, git
from tests.sync.sync_helpers import Project, make_project


@pytest.fixture
def repo(tmp_path: Path) -> Project:
    """The example project, generated and committed at the root of a fresh git repository."""
    project = make_project(tmp_path)
    git(project.root, "init", "-q")
    generate(project)
    commit(project.root, "schemas")
    return project
