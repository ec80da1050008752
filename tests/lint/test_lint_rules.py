"""Every single-tree lint rule: one schema that breaks it, found with its rule id, file and path;
and the clean base schema breaks none (so each example trips exactly the rule it is about)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from codegen.workflow.lint_rules import RULES
from tests.lint.lint_helpers import BASE, LintProject, with_field
from tests.paths import REPO

ENUM = {
    "type": "enum",
    "name": "OrderStatus",
    "symbols": ["PLACED", "UNKNOWN"],
    "default": "UNKNOWN",
}

# rule -> (schema of orders.avsc, expected JSON paths of the findings)
EXAMPLES: dict[str, tuple[Any, list[str]]] = {
    "RECORD_NAME_PASCAL_CASE": ({**BASE, "name": "order_placed"}, [""]),
    "ENUM_NAME_PASCAL_CASE": (
        with_field({"name": "status", "type": {**ENUM, "name": "order_status"}}),
        ["/fields/1/type"],
    ),
    "FIXED_NAME_PASCAL_CASE": (
        with_field({"name": "digest", "type": {"type": "fixed", "name": "md5", "size": 16}}),
        ["/fields/1/type"],
    ),
    "FIELD_NAME_SNAKE_CASE": (with_field({"name": "orderTotal", "type": "long"}), ["/fields/1"]),
    "ENUM_SYMBOL_UPPER_SNAKE_CASE": (
        with_field({"name": "status", "type": {**ENUM, "symbols": ["Placed", "UNKNOWN"]}}),
        ["/fields/1/type/symbols/0"],
    ),
    "NAMESPACE_LOWER_CASE": ({**BASE, "namespace": "Shop.Orders"}, [""]),
    "NAMESPACE_REQUIRED": ({k: v for k, v in BASE.items() if k != "namespace"}, [""]),
    "LOGICAL_TYPE_VALID": (
        {
            **BASE,
            "fields": [
                *BASE["fields"],
                # on the field, where readers ignore it
                {"name": "placed_at", "type": "long", "logicalType": "timestamp-millis"},
                # a typo: readers ignore unknown logical types too
                {"name": "paid_at", "type": {"type": "long", "logicalType": "timestamp-milis"}},
            ],
        },
        ["/fields/1/logicalType", "/fields/2/type/logicalType"],
    ),
    "ENUM_DEFAULT_REQUIRED": (
        with_field({"name": "status", "type": {k: v for k, v in ENUM.items() if k != "default"}}),
        ["/fields/1/type"],
    ),
    "NULLABLE_DEFAULT_NULL": (
        {
            **BASE,
            "fields": [
                *BASE["fields"],
                {"name": "note", "type": ["string", "null"], "default": "none"},
                {"name": "coupon", "type": ["null", "string"]},
            ],
        },
        ["/fields/1/type", "/fields/2"],
    ),
    "DOC_REQUIRED": ({**BASE, "fields": [{"name": "order_id", "type": "string"}]}, ["/fields/0"]),
}


def _add_docs(schema: Any, rule: str) -> Any:
    """Give every named type and field a doc (DOC_REQUIRED is part of ALL)."""
    if rule == "DOC_REQUIRED" or not isinstance(schema, dict):
        return schema
    for f in schema.get("fields", []):
        f.setdefault("doc", "A field.")
        if isinstance(f["type"], dict) and f["type"].get("type") in ("enum", "fixed"):
            f["type"].setdefault("doc", "A type.")
    return schema


def test_the_base_schema_is_clean(lint_project: LintProject) -> None:
    lint_project.write("orders.avsc", BASE)
    run = lint_project.lint()
    assert run.exit_code == 0, run.output
    assert "no violations" in run.stdout


@pytest.mark.parametrize("rule", sorted(EXAMPLES))
def test_each_rule_finds_its_example(lint_project: LintProject, rule: str) -> None:
    schema, paths = EXAMPLES[rule]
    lint_project.write("orders.avsc", _add_docs(schema, rule))

    found = lint_project.findings()

    assert [(f["rule"], f["file"], f["path"]) for f in found] == [
        (rule, "avsc/orders.avsc", p) for p in paths
    ]
    assert all(f["message"] and f["level"] == "error" for f in found)


def test_type_name_unique_flags_both_definitions(lint_project: LintProject) -> None:
    money = {"type": "record", "name": "Money", "doc": "An amount.", "fields": []}
    lint_project.write("a.avsc", {**money, "namespace": "shop.billing"})
    lint_project.write("b.avsc", {**money, "namespace": "shop.payments"})

    found = lint_project.findings()

    assert sorted((f["rule"], f["file"]) for f in found) == [
        ("TYPE_NAME_UNIQUE", "avsc/a.avsc"),
        ("TYPE_NAME_UNIQUE", "avsc/b.avsc"),
    ]
    assert "'shop.payments.Money'" in found[0]["message"]


def test_camel_case_field_style(lint_project: LintProject) -> None:
    lint_project.write_config('[tool.avrobind.lint]\nfield-style = "camel"')
    lint_project.write(
        "orders.avsc",
        {
            **BASE,
            "fields": [
                {"name": "orderId", "type": "string"},
                {"name": "total_cents", "type": "long"},
            ],
        },
    )

    found = lint_project.findings()

    assert [(f["rule"], f["path"]) for f in found] == [("FIELD_NAME_CAMEL_CASE", "/fields/1")]
    assert "'totalCents'" in found[0]["message"]


def test_nested_and_inherited_namespaces(lint_project: LintProject) -> None:
    """A nested type inherits its namespace: neither NAMESPACE_REQUIRED nor a second
    NAMESPACE_LOWER_CASE for it."""
    lint_project.write(
        "orders.avsc",
        with_field(
            {
                "name": "lines",
                "doc": "x",
                "type": {
                    "type": "array",
                    "items": {"type": "record", "name": "Line", "doc": "x", "fields": []},
                },
            },
            namespace="Shop",
        ),
    )
    found = lint_project.findings()
    assert [(f["rule"], f["path"]) for f in found] == [("NAMESPACE_LOWER_CASE", "")]


def test_text_and_github_formats(lint_project: LintProject) -> None:
    path = lint_project.write(
        "orders.avsc", with_field({"name": "orderTotal", "type": "long", "doc": "x"})
    )

    text = lint_project.lint()
    github = lint_project.lint("--format", "github")

    assert text.exit_code == github.exit_code == 1
    message = (
        "field 'orderTotal' of record 'shop.orders.OrderPlaced' is not lower_snake_case "
        "(e.g. 'order_total'; keep the old name in the field's aliases)"
    )
    assert text.stdout.splitlines() == [
        f"avsc/orders.avsc:/fields/1: FIELD_NAME_SNAKE_CASE: {message}"
    ]
    assert "avrobind lint: 1 violation(s)" in text.stderr
    # The annotation points at the line where the field's object starts.
    line = (
        next(i for i, s in enumerate(path.read_text().splitlines(), 1) if '"orderTotal"' in s) - 1
    )
    assert github.stdout.splitlines() == [
        f"::error file=avsc/orders.avsc,line={line},title=FIELD_NAME_SNAKE_CASE::/fields/1: {message}"
    ]


def test_bad_schema_is_bad_input(lint_project: LintProject) -> None:
    lint_project.write("orders.avsc", with_field({"name": "x", "type": "Nope"}))
    run = lint_project.lint()
    assert run.exit_code == 2, run.output
    assert "avsc/orders.avsc:/fields/1/type: unknown type 'Nope'" in run.stderr
    assert run.stdout == ""


def test_readme_documents_every_rule_with_an_example() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n### `avrobind lint`", 1)[1].split("\n### ", 1)[0]
    rows = {
        m[1]: m[2]
        for m in re.finditer(r"^\| `([A-Z_]+)` \|[^|]*\|(.*)\|$", section, flags=re.MULTILINE)
    }
    assert set(rows) == set(RULES)
    assert all("`" in example for example in rows.values())
