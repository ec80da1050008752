"""The `[tool.avrobind]` configuration: discovery, overrides and validation.

Precedence: command-line flags, then `AVROBIND_*` environment variables, then the config file,
then defaults. Paths in the file are relative to the file; paths on the command line or in the
environment are relative to the working directory. Every error names the file and the key path.
"""

from __future__ import annotations

import keyword
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.errors import ConfigError, InputErrors
from codegen.schema import model as m
from codegen.schema.compat import LEVELS, UNION_DEFAULTS
from codegen.schema.loader import suggest_types

STRATEGIES = ("topic", "record", "topic-record")
KEY_FORMATS = ("avro", "raw")
# Raw keys: the types Kafka has serializers for (uuid: the logical type, as its text).
RAW_KEY_TYPES = ("string", "bytes", "int", "long", "float", "double", "uuid")
_TOP_KEYS = {
    "schemas",
    "out",
    "package",
    "registry",
    "registry-deadline",
    "compatibility",
    "topics",
    "references",
    "union-defaults",
}
DEFAULT_DEADLINE = 15.0  # seconds a registry command may take, in all
_TOPIC_KEYS = {
    "value",
    "key",
    "compatibility",
    "subject-strategy",
    "key-format",
    "tombstones",
}
_PACKAGE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ENV = {
    "schemas": "AVROBIND_SCHEMAS",
    "out": "AVROBIND_OUT",
    "package": "AVROBIND_PACKAGE",
    "registry": "AVROBIND_REGISTRY_URL",
    "registry-deadline": "AVROBIND_REGISTRY_DEADLINE",
}
# How each source of a setting is named in messages (the file's is its key path).
_FLAGS = {"registry": "--registry", "registry-deadline": "--deadline"}


@dataclass(frozen=True)
class Subject:
    """One registry subject: which schema it holds and under which level."""

    name: str
    topic: str
    role: str  # "key" | "value"
    type_name: str  # a primitive or a full name
    compatibility: str


@dataclass(frozen=True)
class TopicConfig:
    name: str
    value: str | None
    key: str | None
    compatibility: str | None
    subject_strategy: str = "topic"
    key_format: str = "avro"  # "raw": Kafka's own serializers, no key subject
    tombstones: bool = False  # null values are read as None (compacted topics)

    @property
    def key_subject(self) -> bool:
        """Whether the key is registered (an Avro key)."""
        return self.key is not None and self.key_format == "avro"

    def subject_name(self, role: str, type_name: str) -> str:
        if self.subject_strategy == "topic":
            return f"{self.name}-{role}"
        if self.subject_strategy == "record":
            return type_name
        return f"{self.name}-{type_name}"


@dataclass(frozen=True)
class Config:
    schemas: Path
    out: Path
    package: str
    registry: str | None = None
    compatibility: str = "BACKWARD"
    topics: dict[str, TopicConfig] = field(default_factory=dict)
    references: bool = False
    file: Path | None = None
    # Where `registry` came from: "file" (or a Config built in code), "cli" or "env"; and how
    # messages name it ("--registry", "AVROBIND_REGISTRY_URL", "<file>:tool.avrobind.registry").
    registry_origin: str = "file"
    registry_source: str = "registry"
    file_registry: str | None = None  # the file's own `registry`, when a flag or variable won
    union_defaults: str = "first-branch"
    registry_deadline: float = DEFAULT_DEADLINE
    registry_deadline_source: str = "default"

    @property
    def package_dir(self) -> Path:
        return self.out / self.package

    @property
    def embedded_registry(self) -> str | None:
        """The registry generated code embeds: the configured one, never a flag's or the
        environment's (the generated package reads AVROBIND_REGISTRY_URL when it runs)."""
        return self.registry if self.registry_origin == "file" else self.file_registry

    def key_path(self, key: str) -> str:
        """How a key of the config file is named in messages (`<file>:tool.avrobind.<key>`)."""
        prefix = (
            "tool.avrobind" if self.file is not None and self.file.name == "pyproject.toml" else ""
        )
        return _source(key, "file", self.file, prefix)

    def subjects(self) -> list[Subject]:
        """Every configured subject, in topic order (key before value)."""
        out: list[Subject] = []
        for topic in self.topics.values():
            level = topic.compatibility or self.compatibility
            for role in ("key", "value"):
                type_name = topic.key if role == "key" else topic.value
                if role == "key" and not topic.key_subject:
                    continue  # raw keys have no subject
                if type_name is not None:
                    out.append(
                        Subject(
                            topic.subject_name(role, type_name), topic.name, role, type_name, level
                        )
                    )
        return out


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.avrobind] table, from `start` upwards.

    A pyproject.toml that cannot be read is an error, never skipped: it may be the project's
    own config, and a parent directory's config would silently stand in for it.
    """
    for d in (start, *start.parents):
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            data = _read_toml(candidate)
            tool = data.get("tool", {})
            if isinstance(tool, dict) and "avrobind" in tool:
                return candidate
    return None


_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _read_toml(file: Path) -> dict[str, Any]:
    """Parse a TOML file; errors name the file, and the line and column (`file:3:10: ...`)."""
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputErrors([ConfigError(f"cannot read: {e}", file=file)]) from None
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as e:
        # tomllib (3.11) puts the position only in its message: "... (at line 3, column 10)".
        text = str(e)
        where = _TOML_POSITION.search(text)
        if where is None:
            raise InputErrors([ConfigError(f"invalid TOML: {text}", file=file)]) from None
        line, column = where.groups()
        if line is None:  # "at end of document"
            lines = source.split("\n")
            line, column = str(len(lines)), str(len(lines[-1]) + 1)
        message = f"invalid TOML: {text[: where.start()]}"
        raise InputErrors([ConfigError(message, file=file, path=f"{line}:{column}")]) from None


def load_config(
    config_file: Path | None = None,
    *,
    cwd: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Read, merge and validate the configuration."""
    cwd = cwd or Path.cwd()
    environ = os.environ if environ is None else environ
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    raw: dict[str, Any] = {}
    base = cwd
    file: Path | None = None
    if config_file is not None:
        file = config_file if config_file.is_absolute() else cwd / config_file
        if not file.is_file():
            raise InputErrors([ConfigError("config file not found", file=file)])
        raw = _read_table(file)
        base = file.parent
    elif not {"schemas", "out", "package"} <= overrides.keys():
        file = find_config(cwd)
        if file is None:
            raise InputErrors(
                [
                    ConfigError(
                        f"no pyproject.toml with a [tool.avrobind] table in {cwd} or above; "
                        "pass --config FILE, or all of --schemas, --out and --package"
                    )
                ]
            )
        raw = _read_table(file)
        base = file.parent
    return _validate(raw, file, base, cwd, overrides, environ)


def _read_table(file: Path) -> dict[str, Any]:
    data = _read_toml(file)
    if file.name == "pyproject.toml" or "tool" in data:
        table = data.get("tool", {}).get("avrobind")
        if table is None:
            raise InputErrors([ConfigError("no [tool.avrobind] table", file=file)])
        if not isinstance(table, dict):
            raise InputErrors([ConfigError("must be a table", file=file, path="tool.avrobind")])
        return table
    return data  # a dedicated avrobind.toml may hold the keys at top level


def _validate(
    raw: dict[str, Any],
    file: Path | None,
    base: Path,
    cwd: Path,
    overrides: Mapping[str, Any],
    environ: Mapping[str, str],
) -> Config:
    errors: list[ConfigError] = []
    prefix = "tool.avrobind" if file is not None and file.name == "pyproject.toml" else ""

    def err(key: str, message: str) -> None:
        errors.append(ConfigError(message, file=file, path=f"{prefix}.{key}" if prefix else key))

    for key in sorted(set(raw) - _TOP_KEYS):
        err(key, f"unknown key (valid keys: {', '.join(sorted(_TOP_KEYS))})")

    def origin_err(key: str, origin: str, message: str) -> None:
        """An error about a setting, named by where it came from (flag, variable or key)."""
        if origin in ("file", "default"):
            err(key, message)
        else:
            errors.append(ConfigError(message, path=_source(key, origin, file, prefix)))

    def pick(key: str, default: Any) -> tuple[Any, str]:
        if key in overrides:
            return overrides[key], "cli"
        env_name = ENV.get(key)
        if env_name and environ.get(env_name):
            return environ[env_name], "env"
        if key in raw:
            return raw[key], "file"
        return default, "default"

    def path_value(key: str, default: str) -> Path:
        value, origin = pick(key, default)
        if not isinstance(value, (str, Path)) or not str(value):
            err(key, f"must be a path string, got {value!r}")
            return base
        p = Path(value)
        if p.is_absolute():
            return p
        return (cwd if origin in ("cli", "env") else base) / p

    schemas = path_value("schemas", "avsc")
    out = path_value("out", "generated")
    package, package_origin = pick("package", None)
    if package is None:
        err("package", "required: the import name of the generated package")
        package = "generated_schemas"
    else:
        out_value = pick("out", "generated")[0]
        problem = package_problem(
            package, out_value if isinstance(out_value, (str, Path)) else "generated"
        )
        if problem is not None:
            origin_err("package", package_origin, problem)
            package = "generated_schemas"
    registry, registry_origin = pick("registry", None)
    if registry is not None and (not isinstance(registry, str) or not registry.strip()):
        origin_err("registry", registry_origin, f"must be a URL string, got {registry!r}")
        registry = None
    file_registry = raw.get("registry") if isinstance(raw.get("registry"), str) else None
    union_defaults = raw.get("union-defaults", "first-branch")
    if union_defaults not in UNION_DEFAULTS:
        err(
            "union-defaults",
            f"must be one of {', '.join(map(repr, UNION_DEFAULTS))}, got {union_defaults!r}",
        )
        union_defaults = "first-branch"
    deadline, deadline_origin = pick("registry-deadline", DEFAULT_DEADLINE)
    deadline = _seconds(deadline)
    if deadline is None:
        shown = pick("registry-deadline", None)[0]
        origin_err(
            "registry-deadline",
            deadline_origin,
            f"must be a positive number of seconds, got {shown!r}",
        )
        deadline = DEFAULT_DEADLINE
    level, _ = pick("compatibility", "BACKWARD")
    level = _level(level, "compatibility", err) or "BACKWARD"
    references = raw.get("references", False)
    if not isinstance(references, bool):
        err("references", f"must be true or false, got {references!r}")
        references = False
    topics: dict[str, TopicConfig] = {}
    raw_topics = raw.get("topics", {})
    if not isinstance(raw_topics, dict):
        err("topics", "must be a table of topics")
        raw_topics = {}
    for name, spec in raw_topics.items():
        key = f'topics."{name}"'
        if not name.strip():
            err(key, "topic names must not be empty")
            continue
        if not isinstance(spec, dict):
            err(key, "must be a table (value = ..., key = ..., compatibility = ...)")
            continue
        for k in sorted(set(spec) - _TOPIC_KEYS):
            err(f"{key}.{k}", f"unknown key (valid keys: {', '.join(sorted(_TOPIC_KEYS))})")
        value, tkey = spec.get("value"), spec.get("key")
        for role, v in (("value", value), ("key", tkey)):
            if v is not None and (not isinstance(v, str) or not v):
                err(f"{key}.{role}", f"must be a type name (a primitive or a full name), got {v!r}")
        if value is None and tkey is None:
            err(key, 'names no schema: set value = "<full name>" (and optionally key)')
        strategy = spec.get("subject-strategy", "topic")
        if strategy not in STRATEGIES:
            err(
                f"{key}.subject-strategy",
                f"must be one of {', '.join(STRATEGIES)}, got {strategy!r}",
            )
            strategy = "topic"
        tlevel = (
            _level(spec["compatibility"], f"{key}.compatibility", err)
            if "compatibility" in spec
            else None
        )
        key_format = _key_format(spec, key, err)
        tombstones = spec.get("tombstones", False)
        if not isinstance(tombstones, bool):
            err(f"{key}.tombstones", f"must be true or false, got {tombstones!r}")
            tombstones = False
        topics[name] = TopicConfig(
            name=name,
            value=value if isinstance(value, str) else None,
            key=tkey if isinstance(tkey, str) else None,
            compatibility=tlevel,
            subject_strategy=strategy,
            key_format=key_format,
            tombstones=tombstones,
        )
    if errors:
        raise InputErrors(errors)
    return Config(
        schemas=schemas,
        out=out,
        package=package,
        registry=registry,
        compatibility=level,
        topics=topics,
        references=references,
        file=file,
        registry_origin="file" if registry_origin == "default" else registry_origin,
        registry_source=_source("registry", registry_origin, file, prefix),
        file_registry=file_registry,
        union_defaults=union_defaults,
        registry_deadline=deadline,
        registry_deadline_source=(
            "default"
            if deadline_origin == "default"
            else _source("registry-deadline", deadline_origin, file, prefix)
        ),
    )


def _source(key: str, origin: str, file: Path | None, prefix: str) -> str:
    """How a setting's source is named in messages: its flag, variable or key path."""
    if origin == "cli":
        return _FLAGS.get(key, f"--{key}")
    if origin == "env":
        return ENV[key]
    path = f"{prefix}.{key}" if prefix else key
    return f"{file}:{path}" if file is not None else path


def _seconds(value: Any) -> float | None:
    """A positive number of seconds (a number, or text such as "15"), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        return None
    return float(value)


def package_problem(package: Any, out: str | Path = "generated") -> str | None:
    """Why `package` cannot be the import name of a generated package (None: it can)."""
    if not isinstance(package, str):
        return f"must be a Python identifier, got {package!r}"
    if "." in package and all(_PACKAGE.match(p) for p in package.split(".")):
        parent, _, name = package.rpartition(".")
        where = (Path(out) / parent.replace(".", "/")).as_posix()
        return (
            f"must be a single name, got {package!r}: for the subpackage {package}, write it "
            f"into its parent's directory: out = {where!r} and package = {name!r}"
        )
    if not _PACKAGE.match(package):
        return f"must be a Python identifier (letters, digits, _), got {package!r}"
    if keyword.iskeyword(package):
        return f"{package!r} is a Python keyword: `import {package}` would be a syntax error"
    if package in sys.stdlib_module_names:
        return (
            f"{package!r} is a module of Python's standard library: the generated package "
            "would shadow it (or be shadowed by it); choose another name"
        )
    return None


def _key_format(spec: dict[str, Any], key: str, err: Any) -> str:
    """The topic's `key-format` ("avro" unless "raw" is asked for), checked against its key."""
    fmt = spec.get("key-format", "avro")
    tkey = spec.get("key")
    if fmt not in KEY_FORMATS:
        err(f"{key}.key-format", f"must be one of {', '.join(KEY_FORMATS)}, got {fmt!r}")
        return "avro"
    if "key-format" in spec and tkey is None:
        err(
            f"{key}.key-format",
            'applies to the topic\'s key, and it has none: set key = "string" (or another type)',
        )
    if not isinstance(tkey, str):
        return str(fmt)
    if fmt == "raw" and tkey not in RAW_KEY_TYPES:
        near = [t for t in suggest_types(tkey, ()) if t in RAW_KEY_TYPES]
        if near:
            hint = f"; did you mean {near[0]!r}?"
        elif tkey in m.PRIMITIVES:
            hint = ""
        else:
            hint = '; a named type needs key-format = "avro" (Confluent framing, a key subject)'

        err(
            f"{key}.key",
            "a raw key is written by one of Kafka's own serializers, for "
            f"{', '.join(RAW_KEY_TYPES)}; not for {tkey!r}{hint}",
        )
    elif fmt == "avro" and tkey == "uuid":
        err(
            f"{key}.key",
            '"uuid" keys are raw (Kafka\'s UUIDSerializer): add key-format = "raw"',
        )
    return str(fmt)


def _level(value: Any, key: str, err: Any) -> str | None:
    if not isinstance(value, str) or value.upper() not in LEVELS:
        err(key, f"must be one of {', '.join(LEVELS)}, got {value!r}")
        return None
    return value.upper()


def check_topics(config: Config, schemas: m.SchemaSet) -> None:
    """Every topic names types that exist (and record strategies name records)."""
    errors: list[ConfigError] = []
    prefix = (
        "tool.avrobind." if config.file is not None and config.file.name == "pyproject.toml" else ""
    )
    for topic in config.topics.values():
        for role, type_name in (("key", topic.key), ("value", topic.value)):
            if type_name is None or (role == "key" and not topic.key_subject):
                continue  # raw keys name no schema (their types are checked in _validate)
            path = f'{prefix}topics."{topic.name}".{role}'
            if type_name in m.PRIMITIVES:
                if topic.subject_strategy != "topic":
                    errors.append(
                        ConfigError(
                            f"subject strategy {topic.subject_strategy!r} needs a record, not {type_name!r}",
                            file=config.file,
                            path=path,
                        )
                    )
                continue
            named = schemas.get(type_name)
            if named is None:
                near = suggest_types(type_name, schemas.named)
                hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
                errors.append(
                    ConfigError(
                        f"type {type_name!r} is not defined in any schema under {config.schemas}{hint}",
                        file=config.file,
                        path=path,
                    )
                )
            elif topic.subject_strategy != "topic" and not isinstance(named, m.Record):
                errors.append(
                    ConfigError(
                        f"subject strategy {topic.subject_strategy!r} needs a record, {type_name!r} is a {named.kind}",
                        file=config.file,
                        path=path,
                    )
                )
    if errors:
        raise InputErrors(errors)


# --- sections of their own ([tool.avrobind.lint]) ----------------------------------------------
# Each is read by the command that uses it, which validates its keys (see `section`).
SECTIONS = ("lint",)
_TOP_KEYS.update(SECTIONS)


def section(config: Config, name: str) -> tuple[dict[str, Any], str]:
    """The raw `[tool.avrobind.<name>]` table of `config`'s file ({} without one) and the key
    path its errors start with (`tool.avrobind.lint`, or `lint` in a dedicated TOML file)."""
    prefix = (
        "tool.avrobind." if config.file is not None and config.file.name == "pyproject.toml" else ""
    )
    if config.file is None:
        return {}, f"{prefix}{name}"
    table = _read_table(config.file).get(name, {})
    if not isinstance(table, dict):
        raise InputErrors(
            [ConfigError("must be a table", file=config.file, path=f"{prefix}{name}")]
        )
    return table, f"{prefix}{name}"
