"""`avrobind generate`: idempotence, --check, configuration-free use, determinism."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.cli import cli
from tests.generator.test_bad_input import GOOD, snapshot, write_project
from tests.paths import REPO


def run(cwd: Path, *args: str) -> object:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args))
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(tmp_path, GOOD)
    return tmp_path


def test_second_run_changes_nothing_and_says_so(project: Path) -> None:
    first = run(project, "generate")
    assert first.exit_code == 0, first.output
    assert "wrote out/demo_pkg" in first.output
    before = snapshot(project / "out")
    second = run(project, "generate")
    assert second.exit_code == 0
    assert "nothing changed" in second.output
    assert snapshot(project / "out") == before  # not even rewritten (same mtimes)


def test_check_reports_stale_files_and_writes_nothing(project: Path) -> None:
    assert run(project, "generate").exit_code == 0
    ok = run(project, "generate", "--check")
    assert ok.exit_code == 0 and "up to date" in ok.output

    event = project / "avsc" / "events" / "event.avsc"
    event.write_text(event.read_text().replace('"id"', '"ident"'))
    before = snapshot(project / "out")
    stale = run(project, "generate", "--check")
    assert stale.exit_code == 1
    assert "changed: demo/events.py" in stale.output
    assert snapshot(project / "out") == before


def test_check_notices_hand_edits_and_extra_files(project: Path) -> None:
    assert run(project, "generate").exit_code == 0
    target = project / "out" / "demo_pkg" / "demo" / "common.py"
    target.write_text(target.read_text() + "\n# edited by hand\n")
    (project / "out" / "demo_pkg" / "stray.py").write_text("x = 1\n")
    result = run(project, "generate", "--check")
    assert result.exit_code == 1
    assert "changed: demo/common.py" in result.output and "extra:   stray.py" in result.output
    fixed = run(project, "generate")
    assert fixed.exit_code == 0
    assert not (project / "out" / "demo_pkg" / "stray.py").exists()
    assert run(project, "generate", "--check").exit_code == 0


def test_check_on_a_missing_package_is_stale(project: Path) -> None:
    result = run(project, "generate", "--check")
    assert result.exit_code == 1 and "missing: __init__.py" in result.output
    assert not (project / "out").exists()


def test_flags_need_no_config_file(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    write_project(tmp_path / "scratch", GOOD)
    shutil.copytree(tmp_path / "scratch" / "avsc", schemas)
    result = run(
        tmp_path, "generate", "--schemas", "schemas", "--out", "build", "--package", "flagged"
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "build" / "flagged" / "demo" / "events.py").is_file()


def test_without_config_and_flags_the_error_says_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path, "generate")
    assert result.exit_code == 2
    assert "--config" in result.stderr and "--schemas" in result.stderr


def test_config_file_option_and_relative_paths(tmp_path: Path) -> None:
    write_project(tmp_path / "proj", GOOD)
    result = run(tmp_path, "generate", "--config", "proj/pyproject.toml")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "proj" / "out" / "demo_pkg" / "__init__.py").is_file()


def test_output_is_deterministic_across_processes(tmp_path: Path) -> None:
    """Two fresh interpreters with different hash seeds render byte-identical packages."""
    write_project(tmp_path, GOOD)
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "codegen",
                "generate",
                "--schemas",
                "avsc",
                "--out",
                str(out),
                "--package",
                "p",
            ],
            cwd=tmp_path,
            env=env,
            check=True,
            capture_output=True,
        )
        outputs.append({k: v[0] for k, v in snapshot(out).items()})
    assert outputs[0] == outputs[1]


def test_the_repository_generated_package_is_up_to_date() -> None:
    """`make generate` on a clean checkout leaves git status clean."""
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
