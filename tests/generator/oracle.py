"""Expected schemas, computed from the source files without the generator's code.

Two independent views of "the schema of named type N":
- `expected_pcf`: fastavro parses the source files (dependencies first); the first occurrence of
  each named type is expanded over fastavro's fully-qualified output; fastavro prints the
  Parsing Canonical Form.
- `FullMatcher`: walks a generated schema and the raw source JSON side by side and demands
  every key, in order, with equal values (docs, defaults, aliases, order, logical types,
  custom properties). The only differences allowed are those a self-contained schema needs: a
  type defined elsewhere appears inline at its first use, and an inlined or extracted
  definition may gain an explicit `namespace` equal to its own namespace.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import to_parsing_canonical_form

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
NAMED = {"record", "error", "enum", "fixed"}


def _fullname(node: dict[str, Any], ns: str) -> tuple[str, str]:
    name = node["name"]
    if "." in name:
        return name, name.rpartition(".")[0]
    space = node.get("namespace", ns) or ""
    return (f"{space}.{name}" if space else name), space


def _resolve(name: str, ns: str) -> str:
    return name if "." in name or not ns else f"{ns}.{name}"


def raw_definitions(sources: Iterable[Any]) -> dict[str, tuple[dict[str, Any], str]]:
    """Every named definition in raw schema JSON: full name -> (JSON, enclosing namespace)."""
    out: dict[str, tuple[dict[str, Any], str]] = {}

    def walk(js: Any, ns: str) -> None:
        if isinstance(js, list):
            for b in js:
                walk(b, ns)
        elif isinstance(js, dict):
            t = js.get("type")
            if t in NAMED:
                full, inner = _fullname(js, ns)
                out[full] = (js, ns)
                for f in js.get("fields", []):
                    walk(f["type"], inner)
            elif t == "array":
                walk(js["items"], ns)
            elif t == "map":
                walk(js["values"], ns)

    for src in sources:
        walk(src, "")
    return out


class FullMatcher:
    def __init__(self, defs: dict[str, tuple[dict[str, Any], str]]) -> None:
        self.defs = defs

    def check(self, actual: Any, fullname: str) -> None:
        self.seen: set[str] = set()
        self.named(actual, fullname, "", "")

    def named(self, actual: Any, full: str, ctx: str, path: str) -> None:
        self.seen.add(full)
        raw, _ = self.defs[full]
        own = full.rpartition(".")[0]
        assert isinstance(actual, dict), (
            f"{path}: expected the definition of {full}, got {actual!r}"
        )
        keys = list(raw)
        if "namespace" not in raw and "." not in raw["name"] and own != ctx:
            keys.insert(keys.index("name") + 1, "namespace")
            assert actual.get("namespace") == own, f"{path}: namespace of {full}"
        assert list(actual) == keys, f"{path}: keys of {full}: {list(actual)} != {keys}"
        for k in raw:
            if k == "fields":
                assert len(actual[k]) == len(raw[k]), f"{path}: field count of {full}"
                for i, (fa, fr) in enumerate(zip(actual[k], raw[k], strict=True)):
                    assert list(fa) == list(fr), f"{path}/fields/{i}: keys {list(fa)} != {list(fr)}"
                    for fk in fr:
                        if fk == "type":
                            self.type(fa[fk], fr[fk], own, f"{path}/fields/{i}/type")
                        else:
                            same(fa[fk], fr[fk], f"{path}/fields/{i}/{fk}")
            else:
                same(actual[k], raw[k], f"{path}/{k}")

    def type(self, actual: Any, raw: Any, ctx: str, path: str) -> None:
        if isinstance(raw, str):
            if raw in PRIMITIVES:
                same(actual, raw, path)
                return
            full = _resolve(raw, ctx)
            if full in self.seen:
                same(actual, raw, path)
            else:
                self.named(actual, full, ctx, path)
        elif isinstance(raw, list):
            assert isinstance(actual, list) and len(actual) == len(raw), path
            for i, (a, r) in enumerate(zip(actual, raw, strict=True)):
                self.type(a, r, ctx, f"{path}/{i}")
        else:
            t = raw["type"]
            if t in NAMED:
                full, _ = _fullname(raw, ctx)
                if full in self.seen:  # used before this definition: a reference by full name
                    same(actual, full, path)
                else:
                    self.named(actual, full, ctx, path)
            elif t in ("array", "map"):
                assert isinstance(actual, dict) and list(actual) == list(raw), path
                inner = "items" if t == "array" else "values"
                for k in raw:
                    if k == inner:
                        self.type(actual[k], raw[k], ctx, f"{path}/{k}")
                    else:
                        same(actual[k], raw[k], f"{path}/{k}")
            elif t in PRIMITIVES:
                same(actual, raw, path)
            else:  # {"type": "SomeName"}: a reference written as an object
                full = _resolve(t, ctx)
                if full in self.seen:
                    same(actual, raw, path)
                else:
                    self.named(actual, full, ctx, path)


def same(a: Any, b: Any, path: str) -> None:
    """Equal JSON, including key order and the difference between 1, 1.0 and true."""
    assert json.dumps(a) == json.dumps(b), f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"


def parse_sources(sources: Iterable[Any]) -> dict[str, Any]:
    """fastavro's own parse of source schemas, dependencies first: full name -> definition."""
    named: dict[str, Any] = {}
    for src in sources:
        fastavro.parse_schema(src, named, _write_hint=False)
    return named


def expected_standalone(fullname: str, named: dict[str, Any]) -> Any:
    """First occurrence of every named type expanded, over fastavro's fully-qualified schemas."""
    seen: set[str] = set()

    def walk(js: Any) -> Any:
        if isinstance(js, str):
            if js in named and js not in seen:
                return walk(named[js])  # the definition marks itself seen
            return js
        if isinstance(js, list):
            return [walk(b) for b in js]
        if isinstance(js, dict):
            if js.get("type") in NAMED:
                if js["name"] in seen:
                    return js["name"]  # defined inline here, but already expanded earlier
                seen.add(js["name"])
            out = {}
            if js.get("type") in NAMED and "." not in js["name"]:
                # fastavro's output names null-namespace types bare, which would inherit the
                # enclosing namespace when re-parsed: say explicitly that it is the null one.
                out["namespace"] = ""
            for k, v in js.items():
                if k == "fields":
                    out[k] = [{**f, "type": walk(f["type"])} for f in v]
                elif k in ("items", "values"):
                    out[k] = walk(v)
                else:
                    out[k] = v
            return out
        return js

    return walk(named[fullname])


def expected_pcf(fullname: str, named: dict[str, Any]) -> str:
    return to_parsing_canonical_form(expected_standalone(fullname, named))


def actual_pcf(schema: Any) -> str:
    # Straight from JSON: fastavro mis-reads "namespace": "" when re-parsing its own output.
    return to_parsing_canonical_form(schema)


def load_json(paths: Iterable[Path]) -> list[Any]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]
