"""The layout rules of `codegen/` (README "Layout"), so that they stay true as features land.

- no module over 800 lines;
- no import cycle between modules (imports inside functions and `TYPE_CHECKING` blocks count);
- each top-level unit imports only the units below it: the three job folders (`generator`,
  `workflow`, `registry_server`) never import each other, and `runtime/` imports nothing of
  avrobind outside itself and no third-party package but its runtime dependencies (it is copied
  verbatim into every generated package);
- every folder has an `__init__.py` whose docstring says what the folder may import;
- the README's "Layout" section names every folder and module, and nothing that is gone.

Imports are read from the source (`ast`), not executed. `from pkg import name` counts as an
import of the submodule `pkg.name` when that is a module, else of `pkg`.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import codegen

ROOT = Path(codegen.__file__).parent
MAX_LINES = 800

# What each unit (`codegen.<first component>`) may import besides itself and the root package.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "runtime": set(),
    "schema": {"errors", "runtime"},
    "config": {"errors", "schema"},
    "compat": {"schema"},
    "subjects": {"config", "errors", "schema"},
    "generator": {"config", "errors", "runtime", "schema", "subjects"},
    "workflow": {"config", "errors", "runtime", "schema", "subjects"},
    "registry_server": {"errors", "schema"},
    "testing": {"runtime"},
    "cli": {
        "config",
        "errors",
        "generator",
        "registry_server",
        "runtime",
        "schema",
        "subjects",
        "workflow",
    },
    "__main__": {"cli"},
}
# What generated packages may need at run time (confluent-kafka only inside functions).
RUNTIME_DEPS = {"fastavro", "dataclasses_avroschema", "httpx", "aiokafka"}
RUNTIME_LAZY_DEPS = {"confluent_kafka"}
# What runtime/ imports by name inside functions (`importlib.import_module`): OpenTelemetry
# (the `otel` extra) and, for `mock://` registry URLs, avrobind's own registry server.
RUNTIME_DYNAMIC = ("opentelemetry.", "codegen.registry_server.")


def _module_name(path: Path) -> str:
    parts = ["codegen", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str) -> Iterator[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import in module `name`."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    package = name if _is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        at_top = id(node) in top_level
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, at_top
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if sub in MODULES else target), node.lineno, at_top


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _graph() -> dict[str, set[str]]:
    return {
        name: {target for target, _, _ in _imports(name) if target in MODULES} for name in MODULES
    }


def test_every_unit_has_a_rule() -> None:
    units = {_unit(name) for name in MODULES} - {""}
    assert units <= set(ALLOWED), f"add a rule for {sorted(units - set(ALLOWED))}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines (at most {MAX_LINES})"


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_units_import_only_what_they_may() -> None:
    wrong = []
    for name in sorted(MODULES):
        unit = _unit(name)
        allowed = ALLOWED.get(unit, set()) | {unit, ""}
        if name.endswith(".__main__"):
            allowed = allowed | {"cli"}  # `python -m codegen.<folder>` hands over to the CLI
        for target, line, _ in _imports(name):
            if (target == "codegen" or target.startswith("codegen.")) and _unit(
                target
            ) not in allowed:
                wrong.append(f"{MODULES[name]}:{line}: {name} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_runtime_is_self_contained() -> None:
    """Generated packages carry runtime/ as `_runtime/`: nothing else of avrobind is there."""
    wrong = []
    for name in sorted(n for n in MODULES if _unit(n) == "runtime"):
        tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
        absolute = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0]
        for node in absolute:
            if (node.module or "").startswith("codegen"):
                wrong.append(f"{MODULES[name]}:{node.lineno}: absolute import of {node.module}")
        for target, line, at_top in _imports(name):
            top = target.split(".")[0]
            if target.startswith("codegen."):
                ok = _unit(target) == "runtime"
            else:
                ok = (
                    top in sys.stdlib_module_names
                    or top == "__future__"
                    or top in RUNTIME_DEPS
                    or (top in RUNTIME_LAZY_DEPS and not at_top)
                )
            if not ok:
                wrong.append(f"{MODULES[name]}:{line}: {name} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_runtime_imports_by_name_only_what_it_may() -> None:
    """`importlib.import_module` in runtime/ escapes the checks above: only inside functions,
    and only of `RUNTIME_DYNAMIC` (whose absence each caller turns into a clear error)."""
    wrong, seen = [], []
    for name in sorted(n for n in MODULES if _unit(n) == "runtime"):
        tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
        top_level = {id(node) for stmt in tree.body for node in ast.walk(stmt)} - {
            id(node)
            for stmt in tree.body
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            for node in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "import_module"
            ):
                target = ast.unparse(node.args[0]) if node.args else ""
                seen.append(target)
                text = target.strip("f\"'")
                if id(node) in top_level or not text.startswith(RUNTIME_DYNAMIC):
                    wrong.append(f"{MODULES[name]}:{node.lineno}: import_module({target})")
    assert not wrong, "\n".join(wrong)
    assert seen, "no import_module found: the check reads nothing"


def test_every_folder_says_what_it_may_import() -> None:
    folders = sorted({p.parent for p in MODULES.values()})
    missing = []
    for folder in folders:
        init = folder / "__init__.py"
        doc = (
            ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
            if init.is_file()
            else None
        )
        if folder != ROOT and (doc is None or "May import" not in doc):
            missing.append(str(init))
    assert not missing, "no docstring saying what the folder may import: " + ", ".join(missing)


def test_the_rules_see_what_they_check() -> None:
    """The checks above read real imports (guards against a parser that finds nothing)."""
    graph = _graph()
    assert "codegen.generator.codecs" in graph["codegen.generator.plan"]
    assert "codegen.runtime.registry" in graph["codegen.runtime.serde"]
    assert "codegen.runtime.registry.base" in graph["codegen.runtime.registry.client"]
    assert "codegen.schema.compat" in graph["codegen.registry_server.service"]


def _layout_rows() -> list[list[str]]:
    readme = (ROOT.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return [re.findall(r"`([^`]+)`", line) for line in section.splitlines() if line.startswith("|")]


def test_readme_layout_matches_the_tree() -> None:
    """A module is named by its path, or by its file name in the row of its folder."""
    rows = _layout_rows()
    named = {token for row in rows for token in row if token.startswith("codegen/")}
    repo = ROOT.parent
    gone = sorted(p for p in named if not (repo / p).exists())
    assert not gone, f"README Layout names what does not exist: {gone}"
    missing = []
    for path in sorted(MODULES.values()):
        rel = path.relative_to(repo).as_posix()
        folder = f"{path.parent.relative_to(repo).as_posix()}/"
        if folder != "codegen/" and folder not in named:
            missing.append(folder)
        if path.name == "__init__.py" or rel in named:
            continue
        if not any(folder in row and path.name in row for row in rows):
            missing.append(rel)
    assert not missing, f"README Layout does not name: {sorted(set(missing))}"
