"""Raw keys (`key-format = "raw"`) have no subject: `sync` registers none and `check` compares
none, while the topics' values and Avro keys are handled as before."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.sync.sync_helpers import LEVELS, Project, avrobind, registry_get

DATA_TABLE = '[tool.avrobind.topics."telescope.data"]\nvalue = "telescope.data.Observation"\n'


def raw_data_key(project: Project, key: str = "string") -> None:
    """Make telescope.data's key raw (and the topic compacted)."""
    text = project.config.read_text(encoding="utf-8")
    old = DATA_TABLE + 'key = "string"\n'
    assert old in text
    new = DATA_TABLE + f'key = "{key}"\nkey-format = "raw"\ntombstones = true\n'
    project.config.write_text(text.replace(old, new), encoding="utf-8")


def test_sync_registers_no_subject_for_raw_keys(project: Project, registry_url: str) -> None:
    raw_data_key(project)
    plan = avrobind(
        "sync",
        "--config",
        str(project.config),
        "--registry",
        registry_url,
        "--dry-run",
        "--format",
        "json",
    )
    assert plan.exit_code == 0, plan.output
    planned = {s["subject"]: s["role"] for s in plan.json()["subjects"]}
    expected = set(LEVELS) - {"telescope.data-key"}
    assert set(planned) == expected
    assert planned["telescope.data-value"] == "value"
    run = avrobind("sync", "--config", str(project.config), "--registry", registry_url)
    assert run.exit_code == 0, run.output
    assert sorted(registry_get(registry_url, "/subjects")) == sorted(expected)
    assert "telescope.data-key" not in run.stdout


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
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
        check=True,
    )


def test_check_compares_no_raw_key(project: Project) -> None:
    git(project.root, "init", "-q")
    assert avrobind("generate", "--config", str(project.config)).exit_code == 0
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "-m", "Avro keys")
    raw_data_key(project)  # `check` takes the topics from the working tree's config
    assert avrobind("generate", "--config", str(project.config)).exit_code == 0
    run = avrobind("check", "--config", str(project.config))
    assert run.exit_code == 0, run.output
    lines = [line.split() for line in run.stdout.splitlines() if "telescope." in line]
    assert {words[1] for words in lines} == set(LEVELS) - {"telescope.data-key"}
