"""What a new user hit on day one with `avrobind generate` (issue 13), and hostile input (15.9).

Each test writes a small project as a user would (pyproject.toml + avsc/), runs the real CLI
and checks what the user sees: the exit code, one line per problem naming the file, and the
files on disk.
"""

from __future__ import annotations

import importlib
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import fastavro
import pytest
from click.testing import CliRunner

from codegen.cli import cli
from codegen.generator.generate import MARKER
from tests.generator.test_bad_input import GOOD, snapshot, write_project

ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": "shop.orders",
    "fields": [{"name": "id", "type": "string"}, {"name": "qty", "type": "int", "default": 1}],
}
TOPIC = '\n[tool.avrobind.topics."shop.orders"]\nvalue = "shop.orders.Order"\nkey = "string"\n'


def run(cwd: Path, *args: str, env: dict[str, str | None] | None = None) -> Any:
    """The CLI in-process, from `cwd`, with no AVROBIND_* variable leaking in."""
    cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith("AVROBIND_")}
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), env={**cleared, **(env or {})})
    finally:
        os.chdir(old)


def project(root: Path, config: str, schemas: dict[str, Any]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    for rel, value in schemas.items():
        path = root / "avsc" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = value if isinstance(value, str) else json.dumps(value, indent=2)
        path.write_text(text, encoding="utf-8")
    return root


def config(package: str = "shop_schemas", extra: str = "", out: str = "generated") -> str:
    return f'[tool.avrobind]\nschemas = "avsc"\nout = "{out}"\npackage = "{package}"\n{extra}'


def error_lines(result: Any) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def fresh_import(out: Path, name: str) -> Any:
    """Import package `name` from `out` (forgetting any earlier package of that name)."""
    for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[mod]
    sys.path.insert(0, str(out))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(out))


# --- 13.1: the environment's registry URL is read at run time, never baked in ----------------


def test_registry_url_from_the_environment_is_not_baked_into_topics_py(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        config(extra='registry = "http://team-registry:8081"\n' + TOPIC),
        {"o.avsc": ORDER},
    )
    ci = {"AVROBIND_REGISTRY_URL": "http://ci-only-registry:8081"}
    first = run(root, "generate", env=ci)
    assert first.exit_code == 0, first.output
    topics = (root / "generated/shop_schemas/topics.py").read_text()
    assert '"http://team-registry:8081"' in topics and "ci-only-registry" not in topics
    # The README's CI job sets the variable for `sync`; the checks still see no change, with it,
    # with another value and without it.
    for env in (ci, {"AVROBIND_REGISTRY_URL": "http://laptop:8081"}, {}):
        check = run(root, "generate", "--check", env=env)
        assert check.exit_code == 0 and "up to date" in check.output, check.output
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one"],
        cwd=root,
        check=True,
    )
    checked = run(root, "check", env=ci)
    assert checked.exit_code == 0, checked.output
    # The generated package reads the variable when it runs.
    pkg = fresh_import(root / "generated", "shop_schemas")
    assert pkg.topics.REGISTRY_URL == "http://team-registry:8081"
    serde = pkg.ShopOrdersSerde(schema_registry_url=None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AVROBIND_REGISTRY_URL", "http://ci-only-registry:8081")
        serde_env = pkg.ShopOrdersSerde()
    assert _urls(serde) == ["http://team-registry:8081"]
    assert _urls(serde_env) == ["http://ci-only-registry:8081"]


def _urls(serde: Any) -> list[str]:
    """The registry URLs a serde was configured with (found on its registry client)."""
    for value in vars(serde).values():
        config = getattr(value, "config", None)
        if config is not None and hasattr(config, "urls"):
            return list(config.urls)
    raise AssertionError(f"no registry client on {serde!r}")


# --- 13.2: generate replaces only a package that avrobind wrote ------------------------------


def test_generate_leaves_a_directory_it_did_not_write_untouched(tmp_path: Path) -> None:
    root = project(tmp_path, "", {"o.avsc": ORDER})
    (root / "pyproject.toml").unlink()
    mine = root / "mypkg"
    mine.mkdir()
    (mine / "__init__.py").write_text('"""My own package."""\n')
    (mine / "important.py").write_text("DATA = 42\n")
    before = snapshot(root)
    for args in (("generate",), ("generate", "--check")):
        result = run(root, *args, "--schemas", "avsc", "--out", ".", "--package", "mypkg")
        assert result.exit_code == 2, result.output
        [line] = error_lines(result)
        assert str(mine) in line and "not written by avrobind" in line
        assert "important.py" in line and MARKER in line
        assert snapshot(root) == before  # nothing touched, no temporary directory left
    # An empty directory (made by the user for the package) is fine, and so is avrobind's own
    # package on the next run.
    empty = root / "fresh"
    empty.mkdir()
    assert (
        run(root, "generate", "--schemas", "avsc", "--out", ".", "--package", "fresh").exit_code
        == 0
    )
    assert MARKER in (empty / "__init__.py").read_text().splitlines()[0]
    (root / "avsc/o.avsc").write_text(json.dumps({**ORDER, "doc": "changed"}))
    again = run(root, "generate", "--schemas", "avsc", "--out", ".", "--package", "fresh")
    assert again.exit_code == 0 and "1 changed" in again.output, again.output


# --- 13.3: an invalid pyproject.toml is an error, never skipped ----------------------------------


def test_invalid_pyproject_is_reported_with_line_and_column(tmp_path: Path) -> None:
    parent = project(tmp_path, config(extra=TOPIC), {"o.avsc": ORDER})
    child = parent / "service"
    child.mkdir()
    (child / "pyproject.toml").write_text(
        '[tool.avrobind]\nschemas = "avsc"\npackage = "svc\nout = "x"\n'
    )
    result = run(child, "generate")
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert line.startswith(
        f"error: {child / 'pyproject.toml'}:3:15: invalid TOML: Illegal character"
    )
    assert not (parent / "generated").exists()  # the parent's config did not stand in
    # The same through --config, and for an error at the very end of the file.
    (child / "pyproject.toml").write_text('[tool.avrobind]\nschemas = "avsc"\npackage =')
    for args in (("generate",), ("generate", "--config", "pyproject.toml"), ("lint",)):
        result = run(child, *args)
        assert result.exit_code == 2
        assert error_lines(result) == [
            f"error: {child / 'pyproject.toml'}:3:10: invalid TOML: Invalid value"
        ], result.output


# --- 13.7: package names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        ("class", "'class' is a Python keyword"),
        ("json", "module of Python's standard library"),
        ("my-pkg", "must be a Python identifier"),
        (
            "acme.schemas",
            "out = 'generated/acme' and package = 'schemas'",
        ),
    ],
)
def test_package_names_that_cannot_be_imported_are_refused(
    tmp_path: Path, package: str, expected: str
) -> None:
    root = project(tmp_path, config(package), {"o.avsc": ORDER})
    result = run(root, "generate")
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert "tool.avrobind.package" in line and expected in line, line
    # From the command line, the message names the flag.
    flag = run(root, "generate", "--package", package)
    assert flag.exit_code == 2 and error_lines(flag)[0].startswith("error: --package: ")


def test_a_subpackage_is_made_as_the_message_says(tmp_path: Path) -> None:
    root = project(tmp_path, config("schemas", out="src/acme"), {"o.avsc": ORDER})
    result = run(root, "generate")
    assert result.exit_code == 0, result.output
    schemas = fresh_import(root / "src", "acme.schemas")
    order = schemas.Order(id_="a", qty=3)
    assert schemas.Order.deserialize(order.serialize()) == order
    assert schemas.Order.__module__ == "acme.schemas.shop.orders"


# --- 13.8: every problem of a run, with suggestions -----------------------------------------------


def test_every_schema_problem_is_reported_in_one_run(tmp_path: Path) -> None:
    bad = {
        "type": "record",
        "name": "Order",
        "namespace": "shop",
        "fields": [
            {"name": "a", "type": "int", "default": "x"},
            {"name": "b", "type": ["null", "string"], "default": "y"},
            {"name": "c", "type": "String"},
            {"name": "d", "type": "integer"},
            {"name": "e", "type": {"type": "string", "logicalType": "uuid"}, "default": "nope"},
            {
                "name": "f",
                "type": {"type": "long", "logicalType": "timestamp-millis"},
                "default": 2**62,
            },
            {"name": "g", "type": {"type": "string", "logicalType": "uuid"}, "default": "1" * 32},
            {"name": "h", "type": "Positon"},
            {"name": "i", "type": {"type": "int", "logicalType": "date"}, "default": 10**9},
            {"name": "j", "type": "double", "default": "nan"},
        ],
    }
    position = {"type": "record", "name": "Position", "namespace": "shop", "fields": []}
    root = project(tmp_path, config(), {"bad.avsc": bad, "position.avsc": position})
    result = run(root, "generate")
    assert result.exit_code == 2
    file = root / "avsc/bad.avsc"
    assert error_lines(result) == [
        f"error: {file}:/fields/0: invalid default for field 'a': expected an integer in the int range for int, got \"x\"",
        f"error: {file}:/fields/1: invalid default for field 'b': a union default must match the union's first branch (null); \"y\" is a string: put that branch first",
        f"error: {file}:/fields/2/type: unknown type 'String' (looked for 'shop.String'); did you mean 'string'?",
        f"error: {file}:/fields/3/type: unknown type 'integer' (looked for 'shop.integer'); did you mean 'int'?",
        f"error: {file}:/fields/4: invalid default for field 'e': \"nope\" is not a UUID",
        f"error: {file}:/fields/5: invalid default for field 'f': 4611686018427387904 is not a valid timestamp-millis (outside the range of Python's datetime)",
        f"error: {file}:/fields/6: invalid default for field 'g': \"11111111111111111111111111111111\" is not a UUID in canonical form ('11111111-1111-1111-1111-111111111111')",
        f"error: {file}:/fields/7/type: unknown type 'Positon' (looked for 'shop.Positon'); did you mean 'shop.Position'?",
        f"error: {file}:/fields/8: invalid default for field 'i': 1000000000 is not a valid date (outside the range of Python's datetime)",
        f'error: {file}:/fields/9: invalid default for field \'j\': expected a number (or "NaN", "Infinity", "-Infinity") for double, got "nan"',
    ]
    assert result.stderr.splitlines()[-1] == "avrobind: 10 error(s); nothing was written"


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ('key = "str"', "type 'str' is not defined in any schema under"),
        (
            'key = "str"\nkey-format = "raw"',
            "a raw key is written by one of Kafka's own serializers",
        ),
        ('key = "Integer"\nkey-format = "raw"', "did you mean 'int'?"),
        ('key = "shop.orders.order"', "did you mean 'shop.orders.Order'?"),
    ],
)
def test_config_type_names_get_suggestions(tmp_path: Path, topic: str, expected: str) -> None:
    extra = f'\n[tool.avrobind.topics."t"]\nvalue = "shop.orders.Order"\n{topic}\n'
    root = project(tmp_path, config(extra=extra), {"o.avsc": ORDER})
    result = run(root, "generate")
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert expected in line and 'topics."t".key' in line, line
    if "str" in topic:
        assert "did you mean 'string'?" in line


# --- 13.4: textual float defaults, as Java accepts them -------------------------------------------


FLOATS = {
    "type": "record",
    "name": "Reading",
    "namespace": "lab",
    "fields": [
        {"name": "value", "type": "double"},
        {"name": "low", "type": "float", "default": "-Infinity"},
        {"name": "high", "type": "double", "default": "Infinity"},
        {"name": "missing", "type": "float", "default": "NaN"},
        {"name": "maybe", "type": ["double", "null"], "default": "NaN"},
    ],
}


def test_textual_nan_and_infinity_defaults(tmp_path: Path) -> None:
    root = project(tmp_path, config("lab_schemas"), {"r.avsc": FLOATS})
    result = run(root, "generate")
    assert result.exit_code == 0, result.output
    pkg = fresh_import(root / "generated", "lab_schemas")
    reading = pkg.Reading(value=1.5)
    assert reading.low == -math.inf and reading.high == math.inf
    assert math.isnan(reading.missing) and math.isnan(reading.maybe)
    # The schema keeps the text: the class's schema is the file's.
    assert pkg.Reading.avro_schema_to_python() == FLOATS
    again = pkg.Reading.deserialize(reading.serialize())
    assert again.low == -math.inf and math.isnan(again.missing)
    # fastavro reads the generated bytes with the schema as written.
    data = fastavro.schemaless_reader(
        io.BytesIO(reading.serialize()), fastavro.parse_schema(FLOATS)
    )
    assert data["high"] == math.inf and math.isnan(data["maybe"])
    # Data from a writer without those fields gets the defaults as floats, not as text.
    old = {"type": "record", "name": "Reading", "namespace": "lab", "fields": [FLOATS["fields"][0]]}
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(old), {"value": 2.0})
    resolved = pkg.Reading.deserialize(buf.getvalue(), writer_schema=old)
    assert resolved.value == 2.0 and resolved.high == math.inf and resolved.low == -math.inf
    assert isinstance(resolved.missing, float) and math.isnan(resolved.missing)
    assert pkg.Reading.parse_obj({"value": 3.0}).high == math.inf
    # `check` and the compatibility API accept the schema too.
    from codegen.compat import check_level, check_pair

    assert check_pair(FLOATS, old).compatible
    assert check_level(FLOATS, [old], "FULL").compatible


# --- 13.5: union defaults, generator side ------------------------------------------------------


UNION = {
    "type": "record",
    "name": "Note",
    "namespace": "n",
    "fields": [
        {"name": "text", "type": ["null", "string"], "default": "none yet"},
        {"name": "count", "type": ["string", "long"], "default": 3},
        {"name": "tags", "type": {"type": "array", "items": ["null", "int"]}, "default": [1, None]},
    ],
}


def test_union_defaults_any_branch_is_opt_in(tmp_path: Path) -> None:
    root = project(tmp_path, config("notes"), {"n.avsc": UNION})
    strict = run(root, "generate")
    assert strict.exit_code == 2
    assert len(error_lines(strict)) == 3  # the two top-level unions and the one in the array
    assert all("put that branch first" in line for line in error_lines(strict))
    (root / "pyproject.toml").write_text(config("notes", 'union-defaults = "any-branch"\n'))
    relaxed = run(root, "generate")
    assert relaxed.exit_code == 0, relaxed.output
    pkg = fresh_import(root / "generated", "notes")
    note = pkg.Note()
    assert (note.text, note.count, note.tags) == ("none yet", 3, [1, None])
    assert pkg.Note.deserialize(note.serialize()) == note
    # A value that matches no branch is still an error, and so is an unknown rule.
    (root / "avsc/n.avsc").write_text(
        json.dumps({**UNION, "fields": [{**UNION["fields"][1], "default": 1.5}]})
    )
    none = run(root, "generate")
    assert none.exit_code == 2 and "matches no branch of the union" in error_lines(none)[0]
    (root / "pyproject.toml").write_text(config("notes", 'union-defaults = "some"\n'))
    bad = run(root, "generate")
    assert bad.exit_code == 2
    assert "tool.avrobind.union-defaults: must be one of 'first-branch', 'any-branch'" in bad.stderr


# --- 13.11: generate validates the registry URL it embeds -----------------------------------------


def test_generate_validates_the_configured_registry_url(tmp_path: Path) -> None:
    root = project(tmp_path, config(extra='registry = "localhost:8081"\n'), {"o.avsc": ORDER})
    result = run(root, "generate")
    assert result.exit_code == 2
    assert error_lines(result) == [
        (
            f"error: {root / 'pyproject.toml'}:tool.avrobind.registry: 'localhost:8081' is not an "
            "http:// or https:// URL with a host"
        )
    ]
    # A bad variable does not concern generate (the package reads it at run time).
    (root / "pyproject.toml").write_text(config(extra='registry = "http://localhost:8081"\n'))
    assert run(root, "generate", env={"AVROBIND_REGISTRY_URL": "nonsense"}).exit_code == 0


# --- 15.9: deeply nested JSON --------------------------------------------------------------------


def _nested_records(depth: int) -> str:
    head = "".join(
        f'{{"type":"record","name":"R{i}","fields":[{{"name":"x","type":' for i in range(depth)
    )
    return head + '"int"' + "}]}" * depth


@pytest.mark.parametrize(
    "text",
    [
        _nested_records(500),
        '{"type":"record","name":"A","fields":[{"name":"a","type":'
        + '{"type":"array","items":' * 100_000
        + '"int"'
        + "}" * 100_000
        + "}]}",
        '{"type":"record","name":"P","fields":[],"x":' + '{"a":' * 5000 + "1" + "}" * 5000 + "}",
        # Deep enough to pass the JSON decoder, too deep for avrobind.
        '{"type":"record","name":"P","fields":[],"x":' + "[" * 300 + "]" * 300 + "}",
    ],
    ids=["500-records", "100k-arrays", "5000-objects-property", "300-arrays-property"],
)
def test_deep_json_is_one_line_naming_the_file(tmp_path: Path, text: str) -> None:
    (tmp_path / "avsc").mkdir()
    (tmp_path / "avsc/ok.avsc").write_text(json.dumps(ORDER))
    (tmp_path / "avsc/deep.avsc").write_text(text)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen",
            "generate",
            "--schemas",
            "avsc",
            "--out",
            "o",
            "--package",
            "p",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"error: {tmp_path / 'avsc/deep.avsc'}: nested ")
    assert "avrobind reads schemas nested up to 200 levels" in lines[0]
    assert not (tmp_path / "o").exists()


def test_nesting_up_to_the_limit_generates(tmp_path: Path) -> None:
    depth = 66  # 3 JSON levels per record: 199 of the 200
    (tmp_path / "avsc").mkdir()
    (tmp_path / "avsc/deep.avsc").write_text(_nested_records(depth))
    result = run(tmp_path, "generate", "--schemas", "avsc", "--out", "o", "--package", "deep_ok")
    assert result.exit_code == 0, result.output
    pkg = fresh_import(tmp_path / "o", "deep_ok")
    outer = pkg.R0
    value = outer.fake()
    assert outer.deserialize(value.serialize()) == value


# --- 15.11: records named like the package's own modules -----------------------------------------


def test_root_namespace_records_named_like_package_modules(tmp_path: Path) -> None:
    names = ["_runtime", "runtime", "topics", "root", "py", "_importlib", "_t", "_module"]
    schemas: dict[str, Any] = {
        f"{n}.avsc": {"type": "record", "name": n, "fields": [{"name": "v", "type": "int"}]}
        for n in names
    }
    schemas["all.avsc"] = {
        "type": "record",
        "name": "All",
        "fields": [{"name": f"f{i}", "type": n} for i, n in enumerate(names)],
    }
    topic = '\n[tool.avrobind.topics."all"]\nvalue = "All"\n[tool.avrobind.topics."rt"]\nvalue = "_runtime"\n'
    root = project(tmp_path, config("modpkg", topic), schemas)
    result = run(root, "generate")
    assert result.exit_code == 0, result.output
    pkg = fresh_import(root / "generated", "modpkg")
    module = type(importlib)
    for name in ("_runtime", "runtime", "topics", "root"):
        importlib.import_module(f"modpkg.{name}")
        assert isinstance(getattr(pkg, name), module), name  # still the package's modules
    assert (
        pkg.runtime.RegistryConfig
        is importlib.import_module("modpkg._runtime.registry").RegistryConfig
    )
    assert pkg.topics.AllSerde.__name__ == "AllSerde" and pkg.RtSerde is pkg.topics.RtSerde
    root_module = importlib.import_module("modpkg.root")
    # Classes whose names the module itself uses are escaped (`_t` → `_t_`).
    classes = {
        c.__avro_name__: c for c in vars(root_module).values() if hasattr(c, "__avro_name__")
    }
    assert root_module._t_ is classes["_t"] and root_module._runtime is classes["_runtime"]
    value = pkg.All(**{f"f{i}": classes[n](v=i) for i, n in enumerate(names)})
    assert pkg.All.deserialize(value.serialize()) == value
    assert [type(getattr(value, f"f{i}")).__avro_name__ for i in range(len(names))] == names
    # None of them is re-exported over a module or a name the package root uses itself.
    assert not set(names) - {"py"} & set(pkg.__all__)


def test_the_package_root_carries_the_marker(tmp_path: Path) -> None:
    write_project(tmp_path, GOOD)
    assert run(tmp_path, "generate").exit_code == 0
    first_line = (tmp_path / "out/demo_pkg/__init__.py").read_text().splitlines()[0]
    assert MARKER in first_line
