"""`avrobind generate`: config → schemas → plan → rendered package → disk (or a staleness diff)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import codegen.topics
from codegen import plan as planning
from codegen import render
from codegen.config import Config, check_topics
from codegen.schema.expand import check_expressible
from codegen.schema.loader import load_directory
from codegen.schema.model import SchemaSet


@dataclass
class GenerateResult:
    package_dir: Path
    diff: render.Diff
    files: int
    written: bool


def build(config: Config) -> tuple[SchemaSet, render.Rendered]:
    """Load, validate and render everything; raises InputErrors before anything is written."""
    schemas = load_directory(config.schemas)
    check_topics(config, schemas)
    check_expressible(schemas)
    plan = planning.build(schemas, config.package)
    extra: dict[str, str] = {}
    if config.topics:
        extra["topics.py"] = codegen.topics.render_topics(plan, config, schemas)
    return schemas, render.render(plan, sources_root=config.schemas.parent, extra=extra)


def generate(config: Config, *, check: bool = False) -> GenerateResult:
    """Render the package; with `check`, only report how the files on disk differ."""
    _, rendered = build(config)
    pkg_dir = config.package_dir
    if check:
        d = render.diff(pkg_dir, rendered)
        return GenerateResult(pkg_dir, d, len(rendered.files), written=False)
    d = render.write(pkg_dir, rendered)
    return GenerateResult(pkg_dir, d, len(rendered.files), written=d.stale)
