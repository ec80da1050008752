"""`[tool.avrobind.lint]`: use / except / ignore / field-style, and bad configuration (exit 2)."""

from __future__ import annotations

import pytest

from tests.lint.lint_helpers import BASE, LintProject, with_field

# Breaks FIELD_NAME_SNAKE_CASE (/fields/1), NULLABLE_DEFAULT_NULL (/fields/1) and DOC_REQUIRED.
BAD = with_field({"name": "orderNote", "type": ["null", "string"]})


def rules(found: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["file"]) for f in found)


def test_default_leaves_docs_out(lint_project: LintProject) -> None:
    lint_project.write_config("")
    lint_project.write("orders.avsc", BAD)
    assert rules(lint_project.findings()) == [
        ("FIELD_NAME_SNAKE_CASE", "avsc/orders.avsc"),
        ("NULLABLE_DEFAULT_NULL", "avsc/orders.avsc"),
    ]


def test_use_and_except_take_rules_and_categories(lint_project: LintProject) -> None:
    lint_project.write_config(
        '[tool.avrobind.lint]\nuse = ["NAMING", "DOCS"]\nexcept = ["FIELD_NAME_SNAKE_CASE"]'
    )
    lint_project.write("orders.avsc", BAD)
    assert rules(lint_project.findings()) == [("DOC_REQUIRED", "avsc/orders.avsc")]


def test_ignore_per_rule_and_for_all_rules(lint_project: LintProject) -> None:
    lint_project.write("orders.avsc", BAD)
    lint_project.write("legacy/old.avsc", {**BAD, "name": "Old"})
    lint_project.write("vendor/deep/x.avsc", {**BAD, "name": "X"})
    lint_project.write_config(
        "[tool.avrobind.lint]\n"
        'use = ["DEFAULT"]\n'
        'ignore = { FIELD_NAME_SNAKE_CASE = ["avsc/legacy/*.avsc"], EVOLUTION = ["avsc/vendor"] }'
    )

    found = lint_project.findings()

    assert rules(found) == [
        ("FIELD_NAME_SNAKE_CASE", "avsc/orders.avsc"),
        ("FIELD_NAME_SNAKE_CASE", "avsc/vendor/deep/x.avsc"),  # only EVOLUTION ignored there
        ("NULLABLE_DEFAULT_NULL", "avsc/legacy/old.avsc"),  # only the naming rule ignored there
        ("NULLABLE_DEFAULT_NULL", "avsc/orders.avsc"),
    ]
    run = lint_project.lint()
    assert "2 ignored by [tool.avrobind.lint] ignore" in run.stderr

    lint_project.write_config(
        '[tool.avrobind.lint]\nignore = ["avsc/**/old.avsc", "avsc/vendor/**"]'
    )
    assert {f["file"] for f in lint_project.findings()} == {"avsc/orders.avsc"}


@pytest.mark.parametrize(
    ("lint", "key", "message"),
    [
        (
            'use = ["DEFAULT", "FIELD_NAME_SNAKECASE"]',
            "tool.avrobind.lint.use",
            "unknown rule or category 'FIELD_NAME_SNAKECASE'; did you mean 'FIELD_NAME_SNAKE_CASE'?",
        ),
        ('except = ["NOPE"]', "tool.avrobind.lint.except", "unknown rule or category 'NOPE'"),
        (
            'ignore = { DOCS_REQUIRED = ["avsc"] }',
            "tool.avrobind.lint.ignore.DOCS_REQUIRED",
            "did you mean 'DOC_REQUIRED'?",
        ),
        (
            'ignore = { DOC_REQUIRED = "avsc" }',
            "tool.avrobind.lint.ignore.DOC_REQUIRED",
            "must be a list of path globs",
        ),
        ('use = "DEFAULT"', "tool.avrobind.lint.use", "must be a list of rule ids or categories"),
        (
            'field-style = "kebab"',
            "tool.avrobind.lint.field-style",
            "must be one of 'snake', 'camel'",
        ),
        ('severity = "warning"', "tool.avrobind.lint.severity", "unknown key"),
        (
            'use = ["FIELD_NAME_SNAKE_CASE", "FIELD_NAME_CAMEL_CASE"]',
            "tool.avrobind.lint.use",
            "contradict each other",
        ),
    ],
)
def test_bad_configuration_exits_2_naming_the_key(
    lint_project: LintProject, lint: str, key: str, message: str
) -> None:
    lint_project.write("orders.avsc", BASE)
    lint_project.write_config(f"[tool.avrobind.lint]\n{lint}")

    run = lint_project.lint()

    assert run.exit_code == 2, run.output
    assert f"pyproject.toml:{key}: " in run.stderr
    assert message in run.stderr
    assert run.stdout == ""


def test_list_rules_marks_the_rules_in_use(lint_project: LintProject) -> None:
    lint_project.write_config('[tool.avrobind.lint]\nuse = ["DOCS"]')
    run = lint_project.lint("--list-rules")
    assert run.exit_code == 0, run.output
    in_use = {line.split()[0] for line in run.stdout.splitlines() if line.split()[2:3] == ["yes"]}
    assert in_use == {"DOC_REQUIRED"}
