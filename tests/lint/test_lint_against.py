"""`avrobind lint --against REF`: the BREAKING rules, in a real git repository."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.check.test_check_git import commit, git
from tests.lint.lint_helpers import BASE, LintProject

ENUM = {"type": "enum", "name": "Status", "doc": "x", "symbols": ["PLACED", "PAID", "SHIPPED"]}


def schema(*fields: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(BASE)
    out["fields"] += [{"doc": "x", **f} for f in fields]
    return out


@pytest.fixture
def repo(lint_project: LintProject) -> LintProject:
    lint_project.write_config('[tool.avrobind.lint]\nuse = ["BREAKING"]')
    lint_project.write(
        "orders.avsc",
        schema({"name": "total", "type": "long"}, {"name": "status", "type": ENUM}),
    )
    git(lint_project.root, "init", "-q")
    commit(lint_project.root, "orders")
    return lint_project


def test_unchanged_is_clean_and_says_what_it_compared(repo: LintProject) -> None:
    run = repo.lint("--against", "HEAD")
    assert run.exit_code == 0, run.output
    head = git(repo.root, "rev-parse", "--short=7", "HEAD").strip()
    assert f"BREAKING rules against HEAD ({head})" in run.stdout


def test_breaking_changes_are_found(repo: LintProject) -> None:
    repo.write(
        "orders.avsc",
        schema(
            # `total` removed (it had no default), `currency` added without one,
            # `status` lost SHIPPED and has no default
            {"name": "status", "type": {**ENUM, "symbols": ["PLACED", "PAID"]}},
            {"name": "currency", "type": "string"},
            {"name": "note", "type": ["null", "string"], "default": None},  # fine: a default
        ),
    )

    found = repo.findings("--against", "HEAD")

    assert sorted((f["rule"], f["path"]) for f in found) == [
        ("ENUM_SYMBOL_REMOVED", "/fields/1/type"),
        ("FIELD_ADDED_WITHOUT_DEFAULT", "/fields/2"),
        ("FIELD_REMOVED_WITHOUT_DEFAULT", ""),
    ]
    messages = {f["rule"]: f["message"] for f in found}
    assert (
        "'currency' was added to 'shop.orders.OrderPlaced' since HEAD ("
        in messages["FIELD_ADDED_WITHOUT_DEFAULT"]
    )
    assert "'total' was removed" in messages["FIELD_REMOVED_WITHOUT_DEFAULT"]
    assert "lost 'SHIPPED'" in messages["ENUM_SYMBOL_REMOVED"]
    # Without --against, the BREAKING rules have nothing to compare with.
    assert repo.lint().exit_code == 0


def test_renames_follow_aliases_as_schema_resolution_does(repo: LintProject) -> None:
    """The record and the field are matched through the new schema's aliases, so the renamed
    field is not "added"; but readers of the old schema know no alias for the new name, so for
    them the field is gone (and had no default)."""
    renamed = schema(
        {"name": "total_cents", "type": "long", "aliases": ["total"]},
        {"name": "status", "type": {**ENUM, "default": "PLACED", "symbols": ["PLACED", "PAID"]}},
    )
    renamed["name"], renamed["aliases"] = "OrderCreated", ["OrderPlaced"]
    repo.write("orders.avsc", renamed)
    found = repo.findings("--against", "HEAD")
    assert [(f["rule"], f["path"]) for f in found] == [("FIELD_REMOVED_WITHOUT_DEFAULT", "")]
    assert "'total' was removed from 'shop.orders.OrderCreated'" in found[0]["message"]


def test_unknown_ref_and_no_repository_exit_2(repo: LintProject) -> None:
    run = repo.lint("--against", "no-such-branch")
    assert run.exit_code == 2, run.output
    assert "unknown git ref 'no-such-branch'" in run.stderr
    repo.write_config('[tool.avrobind.lint]\nuse = ["NAMING"]')  # no BREAKING rule in use
    assert repo.lint("--against", "no-such-branch").exit_code == 2

    (repo.root / ".git").rename(repo.root / "not-git")
    run = repo.lint("--against", "HEAD")
    assert run.exit_code == 2, run.output
    assert "not in a git repository" in run.stderr
