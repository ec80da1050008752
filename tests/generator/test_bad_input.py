"""Bad input: one clear message naming the file and JSON path, exit code 2, nothing written.

Each case starts from a valid project whose package was already generated once, breaks one
thing, and checks that the second `avrobind generate` leaves the output directory exactly as
it was (same files, same bytes, same modification times).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from codegen.cli import cli

GOOD = {
    "common/position.avsc": {
        "type": "record",
        "name": "Position",
        "namespace": "demo.common",
        "fields": [{"name": "x", "type": "double"}, {"name": "y", "type": "double"}],
    },
    "events/event.avsc": {
        "type": "record",
        "name": "Event",
        "namespace": "demo.events",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "where", "type": ["null", "demo.common.Position"], "default": None},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        ],
    },
}


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def write_project(root: Path, schemas: dict[str, Any], topics: str = "") -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[tool.avrobind]\nschemas = "avsc"\nout = "out"\npackage = "demo_pkg"\n' + topics,
        encoding="utf-8",
    )
    for rel, value in schemas.items():
        p = root / "avsc" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(
            value if isinstance(value, str) else json.dumps(value, indent=2), encoding="utf-8"
        )


def run(root: Path, *args: str) -> Any:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, ["generate", *args])
    finally:
        os.chdir(cwd)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(tmp_path, GOOD)
    result = run(tmp_path)
    assert result.exit_code == 0, result.output
    return tmp_path


def broken(project: Path, rel: str, text: str) -> tuple[Any, dict[str, tuple[bytes, int]]]:
    before = snapshot(project / "out")
    (project / "avsc" / rel).parent.mkdir(parents=True, exist_ok=True)
    (project / "avsc" / rel).write_text(text, encoding="utf-8")
    return run(project), before


def assert_rejected(
    result: Any, before: dict[str, tuple[bytes, int]], project: Path, *needles: str
) -> None:
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    assert "nothing was written" in result.stderr
    assert snapshot(project / "out") == before


def test_invalid_json(project: Path) -> None:
    result, before = broken(
        project, "events/event.avsc", '{"type": "record", "name": "Event", "fields": [}'
    )
    assert_rejected(result, before, project, "events/event.avsc", "invalid JSON", "line 1")


def test_unknown_type_name(project: Path) -> None:
    schema = {**GOOD["events/event.avsc"]}
    schema["fields"] = [{"name": "id", "type": "demo.common.Positon"}]
    result, before = broken(project, "events/event.avsc", json.dumps(schema))
    assert_rejected(
        result, before, project, "events/event.avsc:/fields/0/type", "unknown type", "Positon"
    )


def test_unknown_relative_name_says_where_it_looked(project: Path) -> None:
    schema = {**GOOD["events/event.avsc"], "fields": [{"name": "p", "type": "Position"}]}
    result, before = broken(project, "events/event.avsc", json.dumps(schema))
    assert_rejected(
        result, before, project, "/fields/0/type", "demo.events.Position", "demo.common.Position"
    )


def test_duplicate_full_name_in_two_files(project: Path) -> None:
    result, before = broken(project, "other/again.avsc", json.dumps(GOOD["common/position.avsc"]))
    assert_rejected(
        result,
        before,
        project,
        "duplicate definition of 'demo.common.Position'",
        "common/position.avsc",
    )


def test_default_that_does_not_match_its_type(project: Path) -> None:
    schema = {
        "type": "record",
        "name": "Bad",
        "fields": [{"name": "count", "type": "int", "default": "zero"}],
    }
    result, before = broken(project, "bad.avsc", json.dumps(schema))
    assert_rejected(
        result, before, project, "bad.avsc:/fields/0", "invalid default for field 'count'", "int"
    )


def test_nested_default_names_the_inner_path(project: Path) -> None:
    schema = {
        "type": "record",
        "name": "Bad",
        "fields": [
            {
                "name": "points",
                "type": {"type": "array", "items": "demo.common.Position"},
                "default": [{"x": 1.0, "y": 2.0}, {"x": 1.0, "y": "two"}],
            }
        ],
    }
    result, before = broken(project, "bad.avsc", json.dumps(schema))
    assert_rejected(result, before, project, "bad.avsc:/fields/0", "[1].y")


def test_union_default_must_match_the_first_branch(project: Path) -> None:
    schema = {
        "type": "record",
        "name": "Bad",
        "fields": [{"name": "s", "type": ["null", "string"], "default": "x"}],
    }
    result, before = broken(project, "bad.avsc", json.dumps(schema))
    assert_rejected(
        result, before, project, "bad.avsc:/fields/0", "first branch", "put that branch first"
    )


def test_invalid_name(project: Path) -> None:
    schema = {"type": "record", "name": "Bad-Name", "fields": []}
    result, before = broken(project, "bad.avsc", json.dumps(schema))
    assert_rejected(result, before, project, "bad.avsc:/", "invalid record name 'Bad-Name'")


def test_invalid_field_name(project: Path) -> None:
    schema = {"type": "record", "name": "Bad", "fields": [{"name": "9lives", "type": "int"}]}
    result, before = broken(project, "bad.avsc", json.dumps(schema))
    assert_rejected(result, before, project, "bad.avsc:/fields/0", "invalid field name '9lives'")


def test_union_with_two_branches_of_the_same_type(project: Path) -> None:
    schema = {
        "type": "record",
        "name": "Bad",
        "fields": [{"name": "u", "type": ["null", "string", "string"]}],
    }
    result, before = broken(project, "bad.avsc", json.dumps(schema))
    assert_rejected(
        result,
        before,
        project,
        "bad.avsc:/fields/0/type/2",
        "two branches of the same type 'string'",
    )


def test_union_with_two_arrays(project: Path) -> None:
    schema = {
        "type": "record",
        "name": "Bad",
        "fields": [
            {
                "name": "u",
                "type": [{"type": "array", "items": "int"}, {"type": "array", "items": "long"}],
            }
        ],
    }
    result, before = broken(project, "bad.avsc", json.dumps(schema))
    assert_rejected(result, before, project, "bad.avsc:/fields/0/type/1", "'array'")


def test_missing_schema_directory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.avrobind]\nschemas = "nowhere"\nout = "out"\npackage = "p"\n', encoding="utf-8"
    )
    result = run(tmp_path)
    assert result.exit_code == 2
    assert "nowhere" in result.stderr and "does not exist" in result.stderr
    assert not (tmp_path / "out").exists()


def test_topic_naming_a_type_that_does_not_exist(project: Path) -> None:
    before = snapshot(project / "out")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write('\n[tool.avrobind.topics."demo.events"]\nvalue = "demo.events.Evnt"\n')
    result = run(project)
    assert_rejected(
        result,
        before,
        project,
        "pyproject.toml",
        'tool.avrobind.topics."demo.events".value',
        "demo.events.Evnt",
    )
    assert "did you mean" not in result.stderr or "demo.events.Event" in result.stderr


def test_unknown_config_key_is_named(project: Path) -> None:
    before = snapshot(project / "out")
    text = (
        (project / "pyproject.toml")
        .read_text()
        .replace('package = "demo_pkg"', 'package = "demo_pkg"\nshemas = "x"')
    )
    (project / "pyproject.toml").write_text(text)
    result = run(project)
    assert_rejected(result, before, project, "tool.avrobind.shemas", "unknown key")


def test_every_problem_is_reported_at_once(project: Path) -> None:
    before = snapshot(project / "out")
    (project / "avsc" / "a.avsc").write_text(
        '{"type": "record", "name": "A", "fields": [{"name": "x", "type": "Nope"}]}'
    )
    (project / "avsc" / "b.avsc").write_text("not json")
    result = run(project)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert (
        len(errors) == 2
        and any("a.avsc" in e for e in errors)
        and any("b.avsc" in e for e in errors)
    )
    assert snapshot(project / "out") == before


def test_a_failed_run_into_an_empty_directory_creates_nothing(tmp_path: Path) -> None:
    write_project(tmp_path, {"x.avsc": '{"type": "record"}'})
    result = run(tmp_path)
    assert result.exit_code == 2
    assert "has no 'name'" in result.stderr
    assert not (tmp_path / "out").exists()


TOPIC = '\n[tool.avrobind.topics."demo.events"]\nvalue = "demo.events.Event"\n'


@pytest.mark.parametrize(
    ("table", "path", "needles"),
    [
        (
            'key = "string"\nkey-format = "json"',
            ".key-format",
            ["must be one of avro, raw", "'json'"],
        ),
        ('key = "string"\nkey-format = 1', ".key-format", ["must be one of avro, raw"]),
        ('tombstones = "yes"', ".tombstones", ["must be true or false", "'yes'"]),
        ('key-format = "raw"', ".key-format", ["has none", 'key = "string"']),
        (
            'key = "demo.common.Position"\nkey-format = "raw"',
            ".key",
            [
                "Kafka's own serializers",
                "string, bytes, int, long, float, double, uuid",
                'key-format = "avro"',
            ],
        ),
        ('key = "boolean"\nkey-format = "raw"', ".key", ["not for 'boolean'"]),
        ('key = "uuid"', ".key", ['add key-format = "raw"']),
    ],
    ids=[
        "unknown-format",
        "format-not-a-string",
        "tombstones-not-bool",
        "format-without-key",
        "raw-named-type",
        "raw-boolean",
        "uuid-avro",
    ],
)
def test_bad_key_format_and_tombstones_name_the_key(
    project: Path, table: str, path: str, needles: list[str]
) -> None:
    before = snapshot(project / "out")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write(TOPIC + table + "\n")
    result = run(project)
    assert_rejected(
        result,
        before,
        project,
        "pyproject.toml",
        f'tool.avrobind.topics."demo.events"{path}:',
        *needles,
    )


def test_raw_keys_and_tombstones_are_accepted_with_any_subject_strategy(project: Path) -> None:
    # A raw key has no subject, so a record strategy for the value is fine with a string key.
    with (project / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write(
            TOPIC
            + 'key = "string"\nkey-format = "raw"\ntombstones = true\nsubject-strategy = "record"\n'
        )
    result = run(project)
    assert result.exit_code == 0, result.output
    topics = (project / "out" / "demo_pkg" / "topics.py").read_text()
    assert 'KEY_SUBJECT = None\n    VALUE_SUBJECT = "demo.events.Event"' in topics
    assert "tombstones=True" in topics
