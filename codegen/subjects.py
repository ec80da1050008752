"""The schema each registry subject holds, for `sync` (to register) and `check` (to compare).

By default a subject's schema is self-contained (`codegen.schema.expand.standalone`). With
`references = true`, every named type that is the top-level type of its own .avsc file and is
used from another file becomes a subject of its own (named by the type's full name), and the
schemas using it name it by its full name instead of inlining it, listing it as a Confluent
schema reference. Both forms describe the same Avro type, so compatibility checks always
compare the self-contained form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from codegen.config import Config
from codegen.errors import ConfigError, InputErrors
from codegen.schema import model as m
from codegen.schema.expand import standalone

REFERENCE_ROLE = "reference"


@dataclass(frozen=True)
class SubjectSchema:
    """What one subject registers and under which level."""

    subject: str
    type_name: str  # a primitive or a full name
    level: str
    schema: Any  # the self-contained JSON: what compatibility checks compare
    text: str  # the JSON text to register (self-contained, or using `references`)
    references: tuple[str, ...] = ()  # full names of referenced types; each is its own subject
    topic: str | None = None  # None for a shared type registered for references
    role: str = REFERENCE_ROLE  # "key" | "value" | "reference"


def subject_schemas(config: Config, schemas: m.SchemaSet) -> list[SubjectSchema]:
    """Every subject to register, dependencies before dependents.

    Configured subjects whose type `schemas` does not define are left out (validate the
    working tree with `check_topics` first; an old git revision may simply predate them).
    """
    providers = _providers(schemas) if config.references else {}
    out: dict[str, SubjectSchema] = {}
    order = _dependency_order(providers, config) if providers else []
    for root in order:
        spec = _build(root, config.compatibility, providers, None, REFERENCE_ROLE)
        out[spec.subject] = spec
    errors: list[ConfigError] = []
    prefix = (
        "tool.avrobind." if config.file is not None and config.file.name == "pyproject.toml" else ""
    )
    configured: set[str] = set()
    for s in config.subjects():
        if s.type_name in m.PRIMITIVES:
            text = json.dumps(s.type_name)
            spec = SubjectSchema(
                s.name, s.type_name, s.compatibility, s.type_name, text, (), s.topic, s.role
            )
        else:
            named = schemas.get(s.type_name)
            if named is None:
                continue
            spec = _build(named, s.compatibility, providers, s.topic, s.role, subject=s.name)
        old = out.get(spec.subject)
        if old is not None:
            where = f'{prefix}topics."{s.topic}".{s.role}'
            if (old.text, old.references) != (spec.text, spec.references):
                errors.append(
                    ConfigError(
                        f"subject {spec.subject!r} would hold two different schemas "
                        f"({old.type_name} and {spec.type_name}); choose another subject-strategy",
                        file=config.file,
                        path=where,
                    )
                )
                continue
            if old.subject in configured and old.level != spec.level:
                errors.append(
                    ConfigError(
                        f"subject {spec.subject!r} is configured twice with different levels "
                        f"({old.level} and {spec.level})",
                        file=config.file,
                        path=where,
                    )
                )
                continue
            if old.subject in configured:
                continue  # the same subject named by two topics: register it once
        # A configured subject that is also a shared type keeps its position (dependencies
        # first) but takes the topic's level.
        out[spec.subject] = spec
        configured.add(spec.subject)
    if errors:
        raise InputErrors(errors)
    return list(out.values())


def reference_forms(config: Config, schemas: m.SchemaSet) -> dict[str, SubjectSchema]:
    """With `references = true`, what `sync` registers for each named type a subject holds,
    by full name: every shared type (dependencies first), then the configured named types.

    The generated runtime embeds these so that it registers and looks up exactly what `sync`
    does; the text and references of a type do not depend on the subject holding it. Empty
    with `references = false`.
    """
    if not config.references:
        return {}
    providers = _providers(schemas)
    out: dict[str, SubjectSchema] = {}
    if providers:
        for root in _dependency_order(providers, config):
            out[root.fullname] = _build(root, config.compatibility, providers, None, REFERENCE_ROLE)
    for s in config.subjects():
        named = schemas.get(s.type_name)
        if named is not None and s.type_name not in out:
            out[s.type_name] = _build(named, s.compatibility, providers, s.topic, s.role)
    return out


def _build(
    named: m.Named,
    level: str,
    providers: dict[str, m.Named],
    topic: str | None,
    role: str,
    subject: str | None = None,
) -> SubjectSchema:
    schema = standalone(named)
    if providers:
        registered, found = _referencing(named, providers)
        refs = tuple(found)
    else:
        registered, refs = schema, ()
    return SubjectSchema(
        subject=subject or named.fullname,
        type_name=named.fullname,
        level=level,
        schema=schema,
        text=json.dumps(registered, separators=(",", ":"), ensure_ascii=False),
        references=refs,
        topic=topic,
        role=role,
    )


# --- references -------------------------------------------------------------------------------


def _providers(schemas: m.SchemaSet) -> dict[str, m.Named]:
    """Full name of every definition → the file-level type that shares it, for shared types.

    A file-level named type is shared when another file uses it or a type defined inside it.
    """
    root_of: dict[str, m.Named] = {}
    for sf in schemas.files:
        for root in sf.roots:
            if isinstance(root, m.Named):
                for node in m.walk(root):
                    if isinstance(node, m.Named):
                        root_of[node.fullname] = root
    shared: set[str] = set()
    for sf in schemas.files:
        for root in sf.roots:
            for node in m.walk(root):
                if isinstance(node, m.Ref) and node.target is not None:
                    owner = root_of.get(node.target.fullname)
                    if owner is not None and owner.loc.file != sf.path:
                        shared.add(owner.fullname)
    return {name: owner for name, owner in root_of.items() if owner.fullname in shared}


def _dependency_order(providers: dict[str, m.Named], config: Config) -> list[m.Named]:
    """The shared types, each after the shared types it uses; a cycle is an input error."""
    roots = {r.fullname: r for r in providers.values()}
    deps: dict[str, list[str]] = {}
    for name, root in roots.items():
        deps[name] = _referencing(root, providers)[1]
    order: list[m.Named] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*chain[chain.index(name) :], name]
            raise InputErrors(
                [
                    ConfigError(
                        "cannot register with schema references: the files of "
                        f"{' -> '.join(cycle)} use each other's types; set references = false "
                        "or move the shared types into one file",
                        file=config.file,
                        path="tool.avrobind.references"
                        if config.file is not None and config.file.name == "pyproject.toml"
                        else "references",
                    )
                ]
            )
        state[name] = 1
        for dep in deps[name]:
            visit(dep, [*chain, name])
        state[name] = 2
        order.append(roots[name])

    for name in sorted(roots):
        visit(name, [])
    return order


def _referencing(named: m.Named, providers: dict[str, m.Named]) -> tuple[Any, list[str]]:
    """`standalone`, except that shared types from other files are named, not inlined.

    Returns the schema and the shared types it refers to (their subjects), in order of use.
    """
    references: list[str] = []

    def external(full: str) -> list[str] | None:
        owner = providers.get(full)
        if owner is None or owner.loc.file == named.loc.file:
            return None
        if owner.fullname not in references:
            references.append(owner.fullname)
        # The referenced subject's schema defines everything inside its file-level type.
        return [n.fullname for n in m.walk(owner) if isinstance(n, m.Named)]

    return standalone(named, external), references


# --- messages ---------------------------------------------------------------------------------

_MESSAGE = re.compile(
    r"^(?:(?P<bw>reading previous\[(?P<bi>\d+)\] data with new)"
    r"|(?P<fw>reading new data with previous\[(?P<fi>\d+)\])"
    r"|(?P<bad>previous\[(?P<i>\d+)\])"
    r"|(?P<new>new)): (?P<rest>.*)$",
    re.DOTALL,
)
_POINTER = re.compile(r"^(/[^:\s]*)(.*)$", re.DOTALL)


_FIELD_NOTE = re.compile(r" \(field [^)]*\)")


def without_field_names(message: str) -> str:
    """`message` without the field names `explain` added (to compare with a registry's)."""
    return _FIELD_NOTE.sub("", message, count=1)


def explain(messages: Sequence[str], new: Any, previous: Sequence[tuple[str, Any]]) -> list[str]:
    """`codegen.compat.check_level` messages with `previous[i]` named by `previous[i][0]`
    (e.g. "version 3") and the field names behind each JSON pointer added."""
    out: list[str] = []
    for message in messages:
        match = _MESSAGE.match(message)
        if match is None:
            out.append(message)
            continue
        rest = match["rest"]
        if match["bw"] is not None:
            label, schema = previous[int(match["bi"])]
            head, rest = f"reading {label} data with new", _with_fields(rest, new)
        elif match["fw"] is not None:
            label, schema = previous[int(match["fi"])]
            head, rest = f"reading new data with {label}", _with_fields(rest, schema)
        elif match["bad"] is not None:
            head = previous[int(match["i"])][0]
        else:
            head = "the new schema"
        out.append(f"{head}: {rest}")
    return out


def _with_fields(rest: str, reader: Any) -> str:
    match = _POINTER.match(rest)
    if match is None:
        return rest
    names = field_path(reader, match[1])
    return f"{match[1]} (field {names}){match[2]}" if names else rest


def field_path(schema: Any, pointer: str) -> str:
    """The dotted field names a JSON pointer into `schema` passes through ("target.ra_deg")."""
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError:
            return ""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    names: list[str] = []
    node = schema
    for i, token in enumerate(tokens):
        if isinstance(node, dict) and token not in node and token.isdigit():
            continue  # a writer union branch index that the checker appends to the path
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            break
        if i > 0 and tokens[i - 1] == "fields" and isinstance(node, dict) and "name" in node:
            names.append(str(node["name"]))
    return ".".join(names)
