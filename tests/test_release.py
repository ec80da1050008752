"""Pre-commit hooks and releases, as another repository uses them (issue 13, items 14 and 15).

pre-commit itself is not a dependency of the suite; its file selection is small and documented
(a hook runs when `always_run` is true, or when a staged path matches `files` and not
`exclude`), so it is applied here to the hook definitions as they are written.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import codegen
from tests.paths import REPO


def hook_blocks(path: Path) -> dict[str, dict[str, str]]:
    """`id` -> the hook's one-line `key: value` settings, from a hooks or config YAML file."""
    hooks: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^\s*-\s+id:\s*(\S+)", line)
        if found:
            current = hooks.setdefault(found.group(1), {})
            continue
        pair = re.match(r"^\s+([a-z_]+):\s*(.*?)\s*(#.*)?$", line)
        if current is not None and pair:
            current[pair.group(1)] = pair.group(2)
    return hooks


def runs_for(hook: dict[str, str], staged: list[str]) -> bool:
    """Whether pre-commit runs `hook` for a commit of `staged` paths."""
    if hook.get("always_run") == "true":
        return True
    files = re.compile(hook.get("files", ""))
    exclude = re.compile(hook["exclude"]) if "exclude" in hook else None
    return any(files.search(p) and not (exclude is not None and exclude.search(p)) for p in staged)


GENERATED_EDITS = [
    ["generated/shop_schemas/shop/orders.py"],  # the default out = "generated"
    ["src/acme/schemas/topics.py"],  # out = "src/acme"
    ["README.md", "lib/schemas/_runtime/serde.py"],
]


@pytest.mark.parametrize("hooks_file", [".pre-commit-hooks.yaml", ".pre-commit-config.yaml"])
@pytest.mark.parametrize("staged", GENERATED_EDITS)
def test_the_generate_hook_runs_when_generated_files_are_staged(
    hooks_file: str, staged: list[str]
) -> None:
    hook = hook_blocks(REPO / hooks_file)["avrobind-generate"]
    assert hook["entry"].endswith("avrobind generate --check")
    assert runs_for(hook, staged)


def test_the_other_hooks_run_when_schemas_or_config_are_staged() -> None:
    hooks = hook_blocks(REPO / ".pre-commit-hooks.yaml")
    assert set(hooks) == {"avrobind-generate", "avrobind-check", "avrobind-lint"}
    for name in ("avrobind-check", "avrobind-lint"):
        assert runs_for(hooks[name], ["avsc/shop/order.avsc"])
        assert runs_for(hooks[name], ["pyproject.toml"])
        assert not runs_for(hooks[name], ["docs/notes.md"])


def test_the_generate_hook_command_catches_a_hand_edit(tmp_path: Path) -> None:
    (tmp_path / "avsc").mkdir()
    (tmp_path / "avsc/o.avsc").write_text(
        '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"n","type":"int"}]}'
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.avrobind]\nschemas = "avsc"\nout = "src/acme"\npackage = "schemas"\n'
    )
    command = [sys.executable, "-m", "codegen", "generate"]
    run = subprocess.run(
        [*command], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120
    )
    assert run.returncode == 0, run.stderr
    checked = [*command, "--check"]
    ok = subprocess.run(checked, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    module = tmp_path / "src/acme/schemas/shop.py"
    module.write_text(module.read_text() + "\n# a quick fix\n")
    stale = subprocess.run(checked, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert "changed: shop.py" in stale.stdout


def test_version_readme_pin_and_releasing_note_agree() -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert codegen.__version__ == version
    readme = (REPO / "README.md").read_text()
    pins = re.findall(r"^\s*rev:\s*(\S+)", readme, re.MULTILINE)
    assert pins == [f"v{version}"]
    releasing = (REPO / "RELEASING.md").read_text()
    assert "git tag -a vX.Y.Z" in releasing and f"v{version}" in releasing


def release_tag_problems(repo: Path) -> list[str]:
    """What is wrong with the release tags (``v*``) of a checkout: each must be annotated and
    sit on a commit whose pyproject version is the tag's. A clone without tags has none."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, check=True
        ).stdout

    problems = []
    for tag in git("tag", "-l", "v*").split():
        if git("cat-file", "-t", tag).strip() != "tag":
            problems.append(f"{tag} is not an annotated tag")
        version = tomllib.loads(git("show", f"{tag}:pyproject.toml"))["project"]["version"]
        if version != tag.removeprefix("v"):
            problems.append(f"{tag} sits on version {version}")
    return problems


def test_this_checkout_has_no_bad_release_tag() -> None:
    assert release_tag_problems(REPO) == []


def test_bad_release_tags_are_found(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, capture_output=True, check=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "1.2.0"\n')
    git("add", ".")
    git("commit", "-q", "-m", "one")
    git("tag", "-a", "v1.2.0", "-m", "release 1.2.0")
    assert release_tag_problems(tmp_path) == []
    git("tag", "v1.2.1")  # lightweight, and on the wrong version
    assert release_tag_problems(tmp_path) == [
        "v1.2.1 is not an annotated tag",
        "v1.2.1 sits on version 1.2.0",
    ]
