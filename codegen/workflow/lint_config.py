"""`[tool.avrobind.lint]`: which rules run and where they are ignored, as buf configures lint.

```toml
[tool.avrobind.lint]
use = ["DEFAULT", "DOCS"]            # rule ids and categories (default: ["DEFAULT"])
except = ["TYPE_NAME_UNIQUE"]        # taken out of what `use` selects
ignore = { DOC_REQUIRED = ["avsc/legacy/**"] }   # per rule or category: path globs
# ignore = ["avsc/vendor/**"]        # or a list: ignored by every rule
field-style = "snake"                # "snake" (FIELD_NAME_SNAKE_CASE) or "camel" (FIELD_NAME_CAMEL_CASE)
```

Globs are relative to the directory of the config file (the project root): `*` and `?` stay
within one path segment, `**` spans segments, and a directory ignores everything under it.
An unknown rule or category, key or style is a configuration error (exit 2) naming the key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen.config import Config, section
from codegen.errors import ConfigError, InputErrors
from codegen.workflow.lint_rules import CATEGORIES, DEFAULT_CATEGORIES, FIELD_STYLES, RULES
from codegen.workflow.report import Finding

_KEYS = ("use", "except", "ignore", "field-style")
_GROUPS = ("DEFAULT", "ALL")


@dataclass(frozen=True)
class Ignore:
    rules: frozenset[str] | None  # None: every rule
    glob: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class LintConfig:
    rules: frozenset[str]  # the active rule ids
    ignores: tuple[Ignore, ...] = ()
    field_style: str = "snake"
    root: Path = Path(".")

    def ignored(self, finding: Finding) -> bool:
        """Whether an `ignore` glob covers the finding's file for its rule."""
        if finding.file is None or not self.ignores:
            return False
        path = _relative(finding.file, self.root)
        candidates = [path, *(p.as_posix() for p in Path(path).parents if str(p) != ".")]
        return any(
            (i.rules is None or finding.rule in i.rules)
            and any(i.pattern.fullmatch(c) for c in candidates)
            for i in self.ignores
        )


def load_lint_config(config: Config) -> LintConfig:
    """`[tool.avrobind.lint]` of `config`, validated (InputErrors naming each bad key)."""
    raw, prefix = section(config, "lint")
    root = config.file.parent if config.file is not None else Path.cwd()
    errors: list[ConfigError] = []

    def err(key: str, message: str) -> None:
        errors.append(ConfigError(message, file=config.file, path=f"{prefix}.{key}"))

    for key in sorted(set(raw) - set(_KEYS)):
        err(key, f"unknown key (valid keys: {', '.join(_KEYS)})")
    style = raw.get("field-style", "snake")
    if style not in FIELD_STYLES:
        err("field-style", f"must be one of {', '.join(map(repr, FIELD_STYLES))}, got {style!r}")
        style = "snake"
    use = _names(raw.get("use", ["DEFAULT"]), "use", style, err)
    excluded = _names(raw.get("except", []), "except", style, err)
    rules = frozenset(use - excluded)
    if set(FIELD_STYLES.values()) <= rules:
        err("use", "FIELD_NAME_SNAKE_CASE and FIELD_NAME_CAMEL_CASE contradict each other")
    ignores = _ignores(raw.get("ignore", []), style, err)
    if errors:
        raise InputErrors(errors)
    return LintConfig(rules, tuple(ignores), style, root)


def expand(name: str, style: str) -> set[str] | None:
    """The rule ids a rule id, category, DEFAULT or ALL stands for (None: unknown name)."""
    other = next(r for s, r in FIELD_STYLES.items() if s != style)
    if name in RULES:
        return {name}
    if name == "ALL":
        cats: Sequence[str] = tuple(CATEGORIES)
    elif name == "DEFAULT":
        cats = DEFAULT_CATEGORIES
    elif name in CATEGORIES:
        cats = (name,)
    else:
        return None
    return {r.id for r in RULES.values() if r.category in cats and r.id != other}


def _names(value: Any, key: str, style: str, err: Any) -> set[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        err(key, f"must be a list of rule ids or categories, got {value!r}")
        return set()
    out: set[str] = set()
    for name in value:
        rules = expand(name, style)
        if rules is None:
            err(key, _unknown(name))
        else:
            out |= rules
    return out


def _unknown(name: str) -> str:
    known = [*RULES, *CATEGORIES, *_GROUPS]
    near = difflib.get_close_matches(name.upper(), known, n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return (
        f"unknown rule or category {name!r}{hint} (categories: {', '.join([*_GROUPS, *CATEGORIES])}; "
        "rules: see `avrobind lint --list-rules`)"
    )


def _ignores(value: Any, style: str, err: Any) -> list[Ignore]:
    out: list[Ignore] = []
    if isinstance(value, list):
        entries: list[tuple[str, frozenset[str] | None, Any]] = [("ignore", None, value)]
    elif isinstance(value, dict):
        entries = []
        for name, globs in value.items():
            named = expand(name, style)
            if named is None:
                err(f"ignore.{name}", _unknown(name))
                continue
            entries.append((f"ignore.{name}", frozenset(named), globs))
    else:
        err("ignore", f"must be a list of path globs or a table of rule = [globs], got {value!r}")
        return out
    for key, rules, globs in entries:
        if not isinstance(globs, list) or not all(isinstance(g, str) and g for g in globs):
            err(key, f"must be a list of path globs, got {globs!r}")
            continue
        out += [Ignore(rules, g, _glob(g)) for g in globs]
    return out


def _glob(glob: str) -> re.Pattern[str]:
    g = glob.strip()
    while g.startswith("./"):
        g = g[2:]
    g = g.rstrip("/")
    out, i = [], 0
    while i < len(g):
        if g.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif g.startswith("**", i):
            out.append(".*")
            i += 2
        elif g[i] == "*":
            out.append("[^/]*")
            i += 1
        elif g[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(g[i]))
            i += 1
    return re.compile("".join(out))


def _relative(file: Path, root: Path) -> str:
    try:
        return file.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return file.as_posix()
