"""Generate packages from schemas in a temporary directory and import them."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from codegen.generator import formatting, plan, render
from codegen.schema.expand import check_expressible
from codegen.schema.loader import load_files
from tests.paths import CORPUS, REPO  # noqa: F401  (re-exported for the tests)

_counter = itertools.count()


def unique_package(prefix: str = "gen") -> str:
    return f"{prefix}_{next(_counter)}_{id(_counter) % 10_000}"


def write_schemas(directory: Path, schemas: Mapping[str, Any]) -> list[Path]:
    """Write {relative path: JSON value or text} as .avsc files; return their paths."""
    paths = []
    for rel, value in schemas.items():
        p = directory / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(
            value if isinstance(value, str) else json.dumps(value, indent=2), encoding="utf-8"
        )
        paths.append(p)
    return paths


def generate_files(paths: Iterable[Path], out: Path, package: str) -> Path:
    """Load, plan, render and write a package; returns its directory."""
    return generate_plan(paths, out, package)[0]


def generate_plan(paths: Iterable[Path], out: Path, package: str) -> tuple[Path, plan.Plan]:
    """`generate_files`, and the plan the package was rendered from."""
    schemas = load_files(list(paths))
    check_expressible(schemas)
    the_plan = plan.build(schemas, package)
    pkg_dir = out / package
    render.write(pkg_dir, render.render(the_plan))
    return pkg_dir, the_plan


LongBodies = dict[tuple[tuple[str, ...], int], list[str]]


@contextlib.contextmanager
def long_bodies(limit: int | None = None) -> Iterator[LongBodies]:
    """The function bodies with a line too long that the generator formats meanwhile (the
    first `limit` different ones): {(lines, indent): what `formatting.format_body` gave}."""
    seen: LongBodies = {}
    real = formatting.format_body

    def recording(lines: list[str], indent: int) -> list[str]:
        out = real(lines, indent)
        long = any(len(line) + indent > formatting.LINE for line in lines)
        if long and (limit is None or len(seen) < limit):
            seen.setdefault((tuple(lines), indent), out)
        return out

    formatting.format_body = recording  # type: ignore[assignment]
    try:
        yield seen
    finally:
        formatting.format_body = real  # type: ignore[assignment]


def import_package(out: Path, package: str) -> ModuleType:
    if str(out) not in sys.path:
        sys.path.insert(0, str(out))
    importlib.invalidate_caches()
    return importlib.import_module(package)


def generated_types(package: ModuleType) -> dict[str, type]:
    """Every generated record/enum class of an imported package, by Avro full name."""
    out: dict[str, type] = {}
    prefix = package.__name__ + "."
    for name, mod in list(sys.modules.items()):
        if mod is None or not (name == package.__name__ or name.startswith(prefix)):
            continue
        if "._runtime" in name:
            continue
        for value in vars(mod).values():
            if (
                isinstance(value, type)
                and value.__module__ == name
                and "__avro_name__" in vars(value)
            ):
                out[value.__avro_name__] = value
    return out


def corpus_manifest() -> list[dict[str, Any]]:
    return json.loads((CORPUS / "MANIFEST.json").read_text())["files"]


def corpus_groups() -> list[list[dict[str, Any]]]:
    """Corpus entries packed into groups whose full names do not collide.

    Test suites reuse names (`TestRecord`, `Foo`...), so the corpus cannot be one package; a
    file always travels with the files it `needs`.
    """
    defined_by = {e["path"]: set(e["defines"]) for e in corpus_manifest()}
    groups: list[tuple[set[str], dict[str, str], list[dict[str, Any]]]] = []
    for entry in corpus_manifest():
        files = [*entry.get("needs", []), entry["path"]]
        for candidate in groups:
            names, owner, members = candidate
            if all(owner.get(n, f) == f for f in files for n in defined_by[f]):
                break
        else:
            names, owner, members = set(), {}, []
            groups.append((names, owner, members))
        for f in files:
            for n in defined_by[f]:
                owner[n] = f
                names.add(n)
        members.append(entry)
    return [members for _, _, members in groups]


def group_files(members: list[dict[str, Any]]) -> list[Path]:
    paths: dict[str, None] = {}
    for e in members:
        for f in [*e.get("needs", []), e["path"]]:
            paths[f] = None
    return [CORPUS / f for f in paths]
