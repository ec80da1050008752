"""`avrobind generate`: config → schemas → plan → rendered package → disk (or a staleness diff)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import codegen
from codegen.config import Config, check_topics
from codegen.generator import plan as planning
from codegen.generator import render, topics
from codegen.schema.expand import check_expressible
from codegen.schema.loader import discover, load_directory
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
        extra["topics.py"] = topics.render_topics(plan, config, schemas)
    return schemas, render.render(plan, sources_root=config.schemas.parent, extra=extra)


def generate(config: Config, *, check: bool = False) -> GenerateResult:
    """Render the package; with `check`, only report how the files on disk differ.

    When neither the inputs (schemas, configuration, avrobind itself) nor the files written
    last time have changed, nothing is parsed or rendered (see `_Stamp`).
    """
    pkg_dir = config.package_dir
    stamp = _Stamp(config)
    files = stamp.unchanged()
    if files is not None:
        return GenerateResult(pkg_dir, render.Diff(), files, written=False)
    _, rendered = build(config)
    if check:
        d = render.diff(pkg_dir, rendered)
        return GenerateResult(pkg_dir, d, len(rendered.files), written=False)
    d = render.write(pkg_dir, rendered)
    stamp.save(rendered)
    return GenerateResult(pkg_dir, d, len(rendered.files), written=d.stale)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Stamp:
    """What the last `generate` of a package read and wrote, kept in the user's cache
    directory (not in the package: it would change with every change to avrobind).

    The package is up to date when the inputs hash the same (every .avsc file, the
    configuration, avrobind's own code and templates) and every file of the package is
    exactly what was written then.
    """

    def __init__(self, config: Config) -> None:
        self.pkg_dir = config.package_dir
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "avrobind"
        name = _digest(str(self.pkg_dir.resolve()).encode())[:32]
        self.path = root / f"generate-{name}.json"
        self.key = self._inputs(config)

    def _inputs(self, config: Config) -> str:
        h = hashlib.sha256()
        code = Path(codegen.__file__).parent
        for p in sorted(code.rglob("*.py")):
            h.update(p.relative_to(code).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
        for p in sorted(render.templates_dir().glob("*")):
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
        settings = [
            config.package,
            config.registry,
            config.compatibility,
            config.references,
            config.schemas.name,
            [repr(t) for t in config.topics.values()],
        ]
        h.update(json.dumps(settings).encode())
        for p in discover(config.schemas):
            h.update(
                p.relative_to(config.schemas).as_posix().encode() + b"\0" + p.read_bytes() + b"\0"
            )
        return h.hexdigest()

    def unchanged(self) -> int | None:
        """The number of files of an up-to-date package, else None."""
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(saved, dict) or saved.get("inputs") != self.key:
            return None
        outputs = saved.get("outputs")
        if not isinstance(outputs, dict):
            return None
        have = render.existing_files(self.pkg_dir)
        if set(have) != set(outputs):
            return None
        if any(_digest(data) != outputs[path] for path, data in have.items()):
            return None
        return len(outputs)

    def save(self, rendered: render.Rendered) -> None:
        outputs = {path: _digest(text.encode("utf-8")) for path, text in rendered.files.items()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"inputs": self.key, "outputs": outputs}), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # no cache directory: the next run renders again
