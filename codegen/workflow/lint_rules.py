"""The lint rules: their stable ids and categories, and the checks of one tree of schemas.

Rules that compare with git history (`--against`) are in `lint_evolution`; which rules run and
where they are ignored is `lint_config`. Each check yields `Finding`s naming the file and the
JSON path of the offending type, field or symbol.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from codegen.schema import model as m
from codegen.workflow.report import Finding


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    summary: str


NAMING, STRUCTURE, EVOLUTION, BREAKING, DOCS = (
    "NAMING",
    "STRUCTURE",
    "EVOLUTION",
    "BREAKING",
    "DOCS",
)
# DEFAULT leaves DOCS out, as buf's STANDARD leaves out COMMENTS: opt in with use = [..., "DOCS"].
CATEGORIES = {
    NAMING: "names follow one style",
    STRUCTURE: "schemas mean what they seem to",
    EVOLUTION: "schemas can evolve without breaking readers",
    BREAKING: "changes since the --against ref that break readers",
    DOCS: "every type and field is documented",
}
DEFAULT_CATEGORIES = (NAMING, STRUCTURE, EVOLUTION, BREAKING)

_RULES = [
    Rule("RECORD_NAME_PASCAL_CASE", NAMING, "record names are PascalCase"),
    Rule("ENUM_NAME_PASCAL_CASE", NAMING, "enum names are PascalCase"),
    Rule("FIXED_NAME_PASCAL_CASE", NAMING, "fixed names are PascalCase"),
    Rule("FIELD_NAME_SNAKE_CASE", NAMING, "field names are lower_snake_case"),
    Rule("FIELD_NAME_CAMEL_CASE", NAMING, "field names are lowerCamelCase"),
    Rule("ENUM_SYMBOL_UPPER_SNAKE_CASE", NAMING, "enum symbols are UPPER_SNAKE_CASE"),
    Rule("NAMESPACE_LOWER_CASE", NAMING, "namespaces are lower case, dot-separated"),
    Rule("TYPE_NAME_UNIQUE", NAMING, "no two named types share a name in different namespaces"),
    Rule("NAMESPACE_REQUIRED", STRUCTURE, "every named type has a namespace"),
    Rule("LOGICAL_TYPE_VALID", STRUCTURE, "no logical type that readers silently ignore"),
    Rule("ENUM_DEFAULT_REQUIRED", EVOLUTION, "every enum has a default symbol"),
    Rule("NULLABLE_DEFAULT_NULL", EVOLUTION, "an optional field lists null first, default null"),
    Rule("FIELD_ADDED_WITHOUT_DEFAULT", BREAKING, "a field added since REF has a default"),
    Rule("FIELD_REMOVED_WITHOUT_DEFAULT", BREAKING, "a field removed since REF had a default"),
    Rule("ENUM_SYMBOL_REMOVED", BREAKING, "no enum symbol removed since REF (unless a default)"),
    Rule("DOC_REQUIRED", DOCS, "every named type and field has a doc"),
]
RULES = {r.id: r for r in _RULES}
FIELD_STYLES = {"snake": "FIELD_NAME_SNAKE_CASE", "camel": "FIELD_NAME_CAMEL_CASE"}

_PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*\Z")
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")
_CAMEL = re.compile(r"[a-z][A-Za-z0-9]*\Z")
_UPPER_SNAKE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*\Z")
_NAMESPACE_PART = re.compile(r"[a-z][a-z0-9_]*\Z")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
KNOWN_LOGICAL = {
    "decimal": ("bytes", "fixed"),
    "big-decimal": ("bytes",),
    "uuid": ("string", "fixed"),
    "duration": ("fixed",),
    "date": ("int",),
    "time-millis": ("int",),
    "time-micros": ("long",),
    "timestamp-millis": ("long",),
    "timestamp-micros": ("long",),
    "timestamp-nanos": ("long",),
    "local-timestamp-millis": ("long",),
    "local-timestamp-micros": ("long",),
    "local-timestamp-nanos": ("long",),
}


def words(name: str) -> list[str]:
    return _WORDS.findall(name)


def pascal(name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in words(name))


def snake(name: str) -> str:
    return "_".join(w.lower() for w in words(name))


def camel(name: str) -> str:
    p = "".join(w[:1].upper() + w[1:].lower() for w in words(name))
    return p[:1].lower() + p[1:]


def upper_snake(name: str) -> str:
    return "_".join(w.upper() for w in words(name))


def check_tree(schemas: m.SchemaSet, active: frozenset[str]) -> list[Finding]:
    """Every violation of the `active` single-tree rules, in file order."""
    out: list[Finding] = []
    for sf in schemas.files:
        for root in sf.roots:
            for node in m.walk(root):
                if isinstance(node, m.Named):
                    out += _named(node, active)
                    if isinstance(node, m.Record):
                        for f in node.fields:
                            out += _field(node, f, active)
                if "LOGICAL_TYPE_VALID" in active:
                    out += _logical(node)
    if "TYPE_NAME_UNIQUE" in active:
        out += _unique_names(schemas)
    return out


def _finding(rule: str, loc: m.Location, message: str, suffix: str = "") -> Finding:
    return Finding(rule, message, loc.file, loc.path + suffix)


def _named(n: m.Named, active: frozenset[str]) -> Iterator[Finding]:
    kind = n.kind
    rule = f"{kind.upper()}_NAME_PASCAL_CASE"
    if rule in active and not _PASCAL.match(n.name):
        yield _finding(
            rule, n.loc, f"{kind} name {n.name!r} is not PascalCase (e.g. {pascal(n.name)!r})"
        )
    explicit = "namespace" in n.source or "." in str(n.source.get("name", ""))
    if "NAMESPACE_LOWER_CASE" in active and n.namespace and explicit:
        bad = [p for p in n.namespace.split(".") if not _NAMESPACE_PART.match(p)]
        if bad:
            yield _finding(
                "NAMESPACE_LOWER_CASE",
                n.loc,
                f"namespace {n.namespace!r} of {kind} {n.name!r} is not lower case "
                f"(e.g. {n.namespace.lower()!r})",
            )
    if "NAMESPACE_REQUIRED" in active and not n.namespace:
        yield _finding(
            "NAMESPACE_REQUIRED",
            n.loc,
            f'{kind} {n.name!r} has no namespace: add "namespace": "<your.org.domain>" '
            "(names without one collide across teams and generate top-level modules)",
        )
    if "DOC_REQUIRED" in active and not (n.doc or "").strip():
        yield _finding("DOC_REQUIRED", n.loc, f"{kind} {n.fullname!r} has no doc")
    if isinstance(n, m.Enum):
        yield from _enum(n, active)


def _enum(n: m.Enum, active: frozenset[str]) -> Iterator[Finding]:
    if "ENUM_SYMBOL_UPPER_SNAKE_CASE" in active:
        for i, s in enumerate(n.symbols):
            if not _UPPER_SNAKE.match(s):
                yield _finding(
                    "ENUM_SYMBOL_UPPER_SNAKE_CASE",
                    n.loc,
                    f"symbol {s!r} of enum {n.fullname!r} is not UPPER_SNAKE_CASE "
                    f"(e.g. {upper_snake(s)!r})",
                    f"/symbols/{i}",
                )
    if "ENUM_DEFAULT_REQUIRED" in active and n.default is None:
        fallback = next((s for s in n.symbols if s.upper() in ("UNKNOWN", "UNSPECIFIED")), None)
        hint = (
            f'"default": "{fallback}"'
            if fallback
            else 'a symbol such as "UNKNOWN" and "default": "UNKNOWN"'
        )
        yield _finding(
            "ENUM_DEFAULT_REQUIRED",
            n.loc,
            f"enum {n.fullname!r} has no default: a reader that lacks a symbol added later "
            f"fails on every message carrying it; add {hint}",
        )


def _field(rec: m.Record, f: m.Field, active: frozenset[str]) -> Iterator[Finding]:
    for style, rule in FIELD_STYLES.items():
        if rule not in active:
            continue
        pattern, fix = (_SNAKE, snake) if style == "snake" else (_CAMEL, camel)
        if not pattern.match(f.name):
            wanted = "lower_snake_case" if style == "snake" else "lowerCamelCase"
            yield _finding(
                rule,
                f.loc,
                f"field {f.name!r} of record {rec.fullname!r} is not {wanted} "
                f"(e.g. {fix(f.name)!r}; keep the old name in the field's aliases)",
            )
    if "DOC_REQUIRED" in active and not (f.doc or "").strip():
        yield _finding("DOC_REQUIRED", f.loc, f"field {f.name!r} of {rec.fullname!r} has no doc")
    if "NULLABLE_DEFAULT_NULL" in active and isinstance(f.type, m.Union):
        kinds = [b.name if isinstance(b, m.Primitive) else None for b in f.type.branches]
        if "null" in kinds:
            at = kinds.index("null")
            if at != 0:
                yield _finding(
                    "NULLABLE_DEFAULT_NULL",
                    f.loc,
                    f"optional field {f.name!r} lists null as union branch {at}: put null first "
                    'and add "default": null (a union default must match its first branch)',
                    "/type",
                )
            elif not f.has_default:
                yield _finding(
                    "NULLABLE_DEFAULT_NULL",
                    f.loc,
                    f'optional field {f.name!r} has no default: add "default": null, so that '
                    "readers can read data written before the field existed",
                )
            elif f.default is not None:
                yield _finding(
                    "NULLABLE_DEFAULT_NULL",
                    f.loc,
                    f"optional field {f.name!r} defaults to {f.default!r}, not null",
                    "/default",
                )
    if "LOGICAL_TYPE_VALID" in active and "logicalType" in f.source:
        yield _finding(
            "LOGICAL_TYPE_VALID",
            f.loc,
            f'field {f.name!r} carries "logicalType" on the field, where readers ignore it: '
            'move it into the type, e.g. "type": {"type": "long", "logicalType": '
            '"timestamp-millis"}',
            "/logicalType",
        )


def _logical(node: m.Type | m.Named) -> Iterator[Finding]:
    if not isinstance(node, (m.Primitive, m.Fixed)) or not isinstance(node.source, dict):
        return
    lt = node.source.get("logicalType")
    if lt is None or node.logical is not None:
        return
    base = "fixed" if isinstance(node, m.Fixed) else node.name
    if not isinstance(lt, str) or lt not in KNOWN_LOGICAL:
        near = difflib.get_close_matches(str(lt), KNOWN_LOGICAL, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        why = f"unknown logical type {lt!r}{hint}"
    elif base not in KNOWN_LOGICAL[lt]:
        why = (
            f"logical type {lt!r} does not apply to {base} (only to {', '.join(KNOWN_LOGICAL[lt])})"
        )
    else:
        why = f"logical type {lt!r} is invalid here ({_invalid_detail(node, lt)})"
    yield _finding(
        "LOGICAL_TYPE_VALID",
        node.loc,
        f"{why}: readers ignore it and read a plain {base}",
        "/logicalType",
    )


def _invalid_detail(node: m.Primitive | m.Fixed, lt: str) -> str:
    src = node.source
    if lt == "decimal":
        return f"precision {src.get('precision')!r}, scale {src.get('scale', 0)!r}"
    if isinstance(node, m.Fixed):
        return f"fixed size {node.size}"
    return "see the Avro specification"


def _unique_names(schemas: m.SchemaSet) -> Iterator[Finding]:
    by_name: dict[str, list[m.Named]] = {}
    for n in schemas.named.values():
        by_name.setdefault(n.name, []).append(n)
    for name, defs in by_name.items():
        if len(defs) < 2:
            continue
        for n in defs:
            others = ", ".join(repr(o.fullname) for o in defs if o is not n)
            yield _finding(
                "TYPE_NAME_UNIQUE",
                n.loc,
                f"{n.kind} name {name!r} is also used by {others}: the generated package cannot "
                "re-export both from its root, and readers of docs and logs confuse them",
            )
