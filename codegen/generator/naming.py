"""Avro names → Python identifiers and modules.

The Avro name always stays in the schema; only the Python side is escaped. Rules:
- a name that is a Python keyword or a builtin gets a trailing underscore (`class` → `class_`,
  `id` → `id_`), as do field names that would shadow a method of the generated class;
- an escaped name that collides with another name in the same scope gets more underscores,
  names that need no escaping keep theirs (so `class` and `class_` become `class__` and `class_`);
- a namespace becomes a module path (`telescope.commands` → `telescope/commands.py`).
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable

# Names a record's attributes must not take: AvroModel's API and what the generator adds.
RECORD_RESERVED = frozenset(
    {
        "Meta",
        "asdict",
        "avro_schema",
        "avro_schema_to_python",
        "deserialize",
        "deserialize_to_python",
        "fake",
        "from_avro",
        "generate_schema",
        "get_fields",
        "get_fullname",
        "parse_json",
        "parse_obj",
        "serialize",
        "to_avro",
        "to_dict",
        "to_json",
        "validate",
        "model_config",
    }
)

# Enum members may not shadow Enum's own API, nor use _sunder_/__dunder__ names.
ENUM_RESERVED = frozenset({"name", "value", "mro", "avro_schema", "avro_schema_to_python"})

# Top-level entries of a generated package that a namespace module must not take.
PACKAGE_RESERVED = frozenset({"_runtime", "runtime", "topics", "root", "py"})

_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))


def _needs_escape(name: str, reserved: frozenset[str]) -> bool:
    return keyword.iskeyword(name) or name in _BUILTINS or name in reserved


def assign(
    names: Iterable[str], reserved: frozenset[str] = frozenset(), taken: Iterable[str] = ()
) -> dict[str, str]:
    """Map each Avro name to a unique Python identifier in one scope.

    Names that are valid as they are keep them; the others get trailing underscores until they
    collide with nothing (the result is deterministic: it depends only on the set of names).
    """
    names = list(dict.fromkeys(names))
    used = set(taken)
    out: dict[str, str] = {}
    for n in names:
        if not _needs_escape(n, reserved) and _mangle_safe(n) == n:
            out[n] = n
            used.add(n)
    for n in names:
        if n in out:
            continue
        candidate = _mangle_safe(n)
        while _needs_escape(candidate, reserved) or candidate in used:
            candidate += "_"
        out[n] = candidate
        used.add(candidate)
    return out


def _mangle_safe(name: str) -> str:
    """Avoid class-private name mangling (`__x` inside a class body becomes `_Cls__x`)."""
    if name.startswith("__") and not name.endswith("__"):
        return "f" + name
    if name.startswith("__") and name.endswith("__"):
        return "f" + name  # dunder names belong to Python
    return name


def enum_members(symbols: Iterable[str]) -> dict[str, str]:
    """Python member names of an enum's symbols."""
    out: dict[str, str] = {}
    symbols = list(symbols)
    fixed = {s: ("M" + s if s.startswith("_") else s) for s in symbols}
    assigned = assign(fixed.values(), ENUM_RESERVED)
    for s in symbols:
        out[s] = assigned[fixed[s]]
    return out


def module_segments(namespace: str) -> tuple[str, ...]:
    """The module path of a namespace (empty namespace → the `root` module)."""
    if not namespace:
        return ("root",)
    parts = []
    for i, seg in enumerate(namespace.split(".")):
        escaped = seg
        while keyword.iskeyword(escaped) or (i == 0 and escaped in PACKAGE_RESERVED):
            escaped += "_"
        parts.append(escaped)
    return tuple(parts)


_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def topic_prefix(topic: str) -> str:
    """`telescope.commands` → `TelescopeCommands` (split on non-alphanumerics, capitalise, join)."""
    parts = [p for p in _SPLIT.split(topic) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts)
    if not name:
        raise ValueError(f"topic {topic!r} has no letters or digits")
    if name[0].isdigit():
        name = "T" + name
    return name


def constant_name(name: str) -> str:
    """`TelescopeCommand` → `TELESCOPE_COMMAND` (for module-level schema constants)."""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").upper() or "X"
