"""A small project for the `avrobind lint` tests: pyproject.toml plus .avsc files, CLI in-process."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.sync.sync_helpers import Run, avrobind

CONFIG = """\
[tool.avrobind]
schemas = "avsc"
out = "generated"
package = "shop"
{lint}
"""

# Clean under every rule (ALL, DOCS included).
BASE: dict[str, Any] = {
    "type": "record",
    "name": "OrderPlaced",
    "namespace": "shop.orders",
    "doc": "An order was placed.",
    "fields": [{"name": "order_id", "type": "string", "doc": "Unique id of the order."}],
}


def with_field(field: dict[str, Any], **changes: Any) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    schema.update(changes)
    schema["fields"].append(field)
    return schema


@dataclass
class LintProject:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "pyproject.toml"

    def write_config(self, lint: str = '[tool.avrobind.lint]\nuse = ["ALL"]') -> None:
        self.config.write_text(CONFIG.format(lint=lint), encoding="utf-8")

    def write(self, rel: str, schema: Any) -> Path:
        path = self.root / "avsc" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
        return path

    def lint(self, *args: str) -> Run:
        return avrobind("lint", *args)

    def findings(self, *args: str) -> list[dict[str, Any]]:
        run = self.lint("--format", "json", *args)
        assert run.exit_code in (0, 1), run.output
        found: list[dict[str, Any]] = json.loads(run.stdout)
        assert (run.exit_code == 1) == bool(found), run.output
        return found


@pytest.fixture
def lint_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LintProject:
    """An empty project (config only) that is also the working directory."""
    root = tmp_path / "shop"
    root.mkdir()
    monkeypatch.chdir(root)
    project = LintProject(root)
    project.write_config()
    return project
