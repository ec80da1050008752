"""`avrobind check --against REF` in temporary git repositories (real git, CLI in-process)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.sync.sync_helpers import Project, Run, avrobind, make_project

OPTIONAL_SEEING = {"name": "seeing", "type": ["null", "double"], "default": None}
REQUIRED_SEEING = {"name": "seeing", "type": "double"}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def generate(project: Project) -> None:
    run = avrobind("generate", "--config", str(project.config))
    assert run.exit_code == 0, run.output


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def check(project: Project, *args: str) -> Run:
    return avrobind("check", "--config", str(project.config), *args)


def verdict(run: Run, subject: str) -> list[str]:
    """The report line of `subject`, split: [status, subject, level, ...]."""
    lines = [line.split() for line in run.stdout.splitlines()]
    return next(words for words in lines if len(words) > 2 and words[1] == subject)


def field_index(project: Project, rel: str, name: str) -> int:
    fields: list[dict[str, Any]] = project.schema(rel)["fields"]
    return next(i for i, f in enumerate(fields) if f["name"] == name)


def test_unchanged_tree_passes(repo: Project) -> None:
    run = check(repo)
    assert run.exit_code == 0, run.output
    assert "is up to date" in run.stdout
    assert {verdict(run, s)[0] for s in ("telescope.data-value", "telescope.status-value")} == {
        "unchanged"
    }


def test_incompatible_edit_fails_naming_the_field_path(repo: Project) -> None:
    repo.add_field("data/observation.avsc", REQUIRED_SEEING)
    generate(repo)

    run = check(repo, "--against", "HEAD")

    assert run.exit_code == 1, run.output
    index = field_index(repo, "data/observation.avsc", "seeing")
    assert verdict(run, "telescope.data-value")[0:3:2] == ["INCOMPATIBLE", "BACKWARD"]
    assert f"/fields/{index} (field seeing)" in run.stdout
    assert "reader field 'seeing' has no default" in run.stdout
    assert "1 incompatible subject(s)" in run.stderr
    assert "stale" not in run.output


def test_incompatible_nested_change_names_the_nested_field(repo: Project) -> None:
    def narrow(schema: dict[str, Any]) -> None:
        schema["fields"][0]["type"] = "float"  # ra_deg: double -> float cannot read old data

    repo.edit("common/sky_position.avsc", narrow)
    generate(repo)

    run = check(repo)

    assert run.exit_code == 1, run.output
    assert "(field target.ra_deg)" in run.stdout  # telescope.data-value uses SkyPosition as target
    assert "(field pointing.ra_deg)" in run.stdout  # telescope.status-value, in a union


def test_compatible_edit_passes(repo: Project) -> None:
    repo.add_field("data/observation.avsc", OPTIONAL_SEEING)
    generate(repo)

    run = check(repo)

    assert run.exit_code == 0, run.output
    assert verdict(run, "telescope.data-value")[0] == "compatible"


def test_transitive_level_checks_every_committed_version(repo: Project) -> None:
    # Three commits: the original (fixture); one adding `dome` with a default (compatible);
    # one touching another file only (so the status schema repeats and is compared once).
    # The working tree then drops the default: compatible with the last version, not with the
    # first one, which has no `dome` to read.
    dome = {"name": "dome", "type": "string", "default": "open"}
    for rel in ("status/telescope_status.avsc", "acknowledgments/command_acknowledgment.avsc"):
        repo.add_field(rel, dome)
    generate(repo)
    commit(repo.root, "add dome with a default")
    repo.add_field("data/observation.avsc", OPTIONAL_SEEING)
    generate(repo)
    commit(repo.root, "observation: seeing")

    def drop_default(schema: dict[str, Any]) -> None:
        del schema["fields"][-1]["default"]

    for rel in ("status/telescope_status.avsc", "acknowledgments/command_acknowledgment.avsc"):
        repo.edit(rel, drop_default)
    generate(repo)

    run = check(repo, "-v")

    assert run.exit_code == 1, run.output
    first, second, _ = git(repo.root, "log", "--reverse", "--format=%h", "--abbrev=7").split()
    # BACKWARD_TRANSITIVE catches it through the first commit ...
    status = verdict(run, "telescope.status-value")
    assert status[0:3:2] == ["INCOMPATIBLE", "BACKWARD_TRANSITIVE"]
    assert " ".join(status[3:]) == f"(against commit {first}, commit {second})"
    assert f"reading commit {first} data with new" in run.stdout
    assert f"reading commit {second} data" not in run.stdout
    assert "(field dome)" in run.stdout
    # ... while plain BACKWARD only compares with HEAD, where the field exists.
    assert verdict(run, "telescope.acknowledgments-value")[0:3:2] == ["compatible", "BACKWARD"]


def test_stale_generated_code_fails(repo: Project) -> None:
    repo.add_field("data/observation.avsc", OPTIONAL_SEEING)  # not regenerated

    run = check(repo)

    assert run.exit_code == 1, run.output
    assert "is stale; run `avrobind generate`" in run.stdout
    assert "generated code is stale" in run.stderr


def test_new_subject_has_nothing_to_check(repo: Project) -> None:
    (repo.root / "avsc" / "alerts.avsc").write_text(
        '{"type": "record", "name": "Alert", "namespace": "telescope.alerts",'
        ' "fields": [{"name": "text", "type": "string"}]}'
    )
    repo.config.write_text(
        repo.config.read_text()
        + '\n[tool.avrobind.topics."telescope.alerts"]\nvalue = "telescope.alerts.Alert"\n'
    )
    generate(repo)

    run = check(repo)

    assert run.exit_code == 0, run.output
    assert verdict(run, "telescope.alerts-value")[0] == "new"


def test_against_an_older_ref(repo: Project) -> None:
    repo.add_field("data/observation.avsc", REQUIRED_SEEING)
    generate(repo)
    commit(repo.root, "an incompatible change, committed")

    assert check(repo, "--against", "HEAD").exit_code == 0
    run = check(repo, "--against", "HEAD~1")
    assert run.exit_code == 1, run.output
    assert "(field seeing)" in run.stdout


def test_not_a_git_repository_exits_2(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    generate(project)
    run = check(project)
    assert run.exit_code == 2, run.output
    assert "not in a git repository" in run.stderr


def test_unknown_ref_exits_2(repo: Project) -> None:
    run = check(repo, "--against", "no-such-branch")
    assert run.exit_code == 2, run.output
    assert "unknown git ref 'no-such-branch'" in run.stderr


def test_repository_without_commits_has_nothing_to_compare(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    git(project.root, "init", "-q")
    generate(project)
    run = check(project)
    assert run.exit_code == 0, run.output
    assert "no commit yet" in run.stdout


def test_runs_from_a_subdirectory_with_schemas_below_the_repo_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "monorepo"
    (root / "services").mkdir(parents=True)
    project = make_project(root / "services")  # the project lives in services/project/
    (root / "README").write_text("a monorepo\n")
    git(root, "init", "-q")
    generate(project)
    commit(root, "schemas")
    project.add_field("data/observation.avsc", REQUIRED_SEEING)
    generate(project)
    monkeypatch.chdir(project.root / "avsc" / "common")

    run = avrobind("check")  # finds services/project/pyproject.toml upwards

    assert run.exit_code == 1, run.output
    assert "(field seeing)" in run.stdout
