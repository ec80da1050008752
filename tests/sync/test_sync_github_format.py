"""`avrobind sync --format github`: annotations for incompatibilities, errors and changes."""

from __future__ import annotations

from tests.sync.sync_helpers import LEVELS, Project, avrobind, unreachable_url

REQUIRED_DOME = {"name": "dome", "type": "string"}


def test_changes_are_notices(project: Project, registry_url: str) -> None:
    dry = avrobind(
        "sync",
        "--config",
        str(project.config),
        "--registry",
        registry_url,
        "--format",
        "github",
        "--dry-run",
    )
    assert dry.exit_code == 0, dry.output
    assert all(line.startswith("::notice ") for line in dry.stdout.splitlines())
    assert "::notice file=" in dry.stdout and "title=NEW_SUBJECT::" in dry.stdout
    assert "telescope.data-value: would register a new version (dry run)" in dry.stdout

    run = avrobind(
        "sync", "--config", str(project.config), "--registry", registry_url, "--format", "github"
    )

    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    registered = [line for line in lines if "title=NEW_SUBJECT::" in line]
    levels = [line for line in lines if "title=SET_LEVEL::" in line]
    assert len(registered) == len(levels) == len(LEVELS)
    assert any(
        "avsc/data/observation.avsc,line=1,title=NEW_SUBJECT::" in line
        and "telescope.data-value: registered as version 1 (id " in line
        for line in registered
    )
    assert any(
        "telescope.commands-value: compatibility level set (unset -> FULL)" in line
        for line in levels
    )

    again = avrobind(
        "sync", "--config", str(project.config), "--registry", registry_url, "--format", "github"
    )
    assert again.exit_code == 0 and again.stdout == ""


def test_incompatible_change_is_an_error_on_the_field(project: Project, registry_url: str) -> None:
    assert (
        avrobind("sync", "--config", str(project.config), "--registry", registry_url).exit_code == 0
    )
    project.add_field("data/observation.avsc", REQUIRED_DOME)

    run = avrobind(
        "sync", "--config", str(project.config), "--registry", registry_url, "--format", "github"
    )

    assert run.exit_code == 1, run.output
    errors = [line for line in run.stdout.splitlines() if line.startswith("::error ")]
    assert errors, run.output
    text = (project.root / "avsc" / "data" / "observation.avsc").read_text().splitlines()
    dome = next(i for i, s in enumerate(text, 1) if '"dome"' in s) - 1  # the field's "{"
    assert any(
        f"avsc/data/observation.avsc,line={dome},title=INCOMPATIBLE::/fields/" in line
        and "reader field 'dome' has no default" in line
        for line in errors
    ), run.stdout
    assert "incompatible" in run.stderr


def test_unreachable_registry_is_an_error_annotation(project: Project) -> None:
    run = avrobind(
        "sync",
        "--config",
        str(project.config),
        "--registry",
        unreachable_url(),
        "--format",
        "github",
        env={"AVROBIND_REGISTRY_RETRIES": "0"},
    )

    assert run.exit_code == 3, run.output
    (line,) = run.stdout.splitlines()
    assert line.startswith("::error title=REGISTRY_ERROR::")
