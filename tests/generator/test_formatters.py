"""The whole generated package (models, topics, `_runtime/`) is a fixed point of black's and
`ruff format`'s default settings (issue 13 item 9): a user whose formatter reaches the output
directory finds nothing to rewrite, so `generate --check` does not report it stale.

Both formatters run as a user's would with no configuration: in a directory with no
pyproject.toml, ruff.toml or .git above it, HOME and XDG_CONFIG_HOME pointing there too (no
user-level configuration), ruff with `--isolated`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.config import load_config
from codegen.errors import InputErrors
from codegen.generator import generate, plan, render
from codegen.schema.expand import check_expressible
from codegen.schema.loader import load_files
from tests.avro_strategies import avro_schema_files
from tests.fixtures_corpus import CorpusPackage
from tests.generator.gen_support import write_schemas
from tests.paths import REPO


def _formatters_keep(root: Path, *, runtime: bool = True) -> None:
    """black and ruff format, default settings, leave every file under `root` unchanged."""
    env = {
        **os.environ,
        "HOME": str(root),
        "XDG_CONFIG_HOME": str(root / ".config"),
        "XDG_CACHE_HOME": str(root / ".cache"),
        "BLACK_CACHE_DIR": str(root / ".cache" / "black"),
    }
    for marker in ("pyproject.toml", "ruff.toml", ".ruff.toml", ".git", "setup.cfg"):
        for parent in [root, *root.parents]:
            assert not (parent / marker).exists(), f"{parent / marker} would configure a formatter"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))
    assert any("_runtime" in f for f in files) == runtime and files
    for command in (
        [sys.executable, "-m", "black", "--check", "."],
        [sys.executable, "-m", "ruff", "format", "--isolated", "--no-cache", "--check", "."],
    ):
        done = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{command[2]} would reformat:\n{done.stdout}{done.stderr}"


def _scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory no formatter configuration applies to (the check above says so)."""
    return tmp_path_factory.mktemp("formatters", numbered=True)


def test_the_repositorys_package_is_formatter_stable(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """avsc/ rendered afresh with the repository's configuration (topics, references, the
    embedded registry), as `generated/` is."""
    config = load_config(REPO / "pyproject.toml", environ={})
    _, rendered = generate.build(config)
    root = _scratch(tmp_path_factory)
    render.write(root / config.package, rendered)
    assert (root / config.package / "topics.py").is_file()
    _formatters_keep(root)


def test_a_corpus_sized_package_is_formatter_stable(
    corpus_packages: dict[str, CorpusPackage], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every corpus package's models and topics (106 schemas written by others: long names
    and docs, deep nesting, every type), copied where no configuration applies."""
    root = _scratch(tmp_path_factory)
    for pkg in {p.name: p for p in corpus_packages.values()}.values():
        # (their `_runtime/` is the repository package's, checked above: 106 copies of it
        # would only multiply the formatters' time)
        shutil.copytree(
            pkg.root / pkg.name, root / pkg.name, ignore=shutil.ignore_patterns("_runtime")
        )
    _formatters_keep(root, runtime=False)


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sets=st.lists(avro_schema_files(), min_size=8, max_size=8))
def test_random_packages_are_formatter_stable(
    sets: list[list[tuple[str, Any]]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Packages of random schemas (every type, logical types, defaults, recursion, odd names),
    eight at a time (the formatters start once for all); their `_runtime/` is checked above."""
    root = _scratch(tmp_path_factory)
    packages = 0
    for i, files in enumerate(sets):
        try:
            schemas = load_files(write_schemas(root / f"avsc{i}", dict(files)))
            check_expressible(schemas)
        except InputErrors:
            continue  # (the one valid input with no self-contained form: see test_properties.py)
        rendered = render.render(plan.build(schemas, f"pkg{i}"))
        rendered.files = {k: v for k, v in rendered.files.items() if not k.startswith("_runtime/")}
        render.write(root / f"pkg{i}", rendered)
        shutil.rmtree(root / f"avsc{i}")
        packages += 1
    if packages:
        _formatters_keep(root, runtime=False)
