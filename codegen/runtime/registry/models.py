"""The registry API's value types and protocol constants, and the checks of what callers pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, TypeAlias

CONTENT_TYPE: Final = "application/vnd.schemaregistry.v1+json"
ACCEPT: Final = (
    "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, "
    "application/json"
)
COMPATIBILITY_LEVELS: Final = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)
MODES: Final = ("READWRITE", "READONLY", "IMPORT")


@dataclass(frozen=True, slots=True)
class SchemaReference:
    """A named type the schema uses from another subject (``version`` -1 means latest)."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        """The reference as the registry's JSON object."""
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True, slots=True)
class RegisteredSchema:
    """One version of a subject, as the registry stores it."""

    subject: str
    version: int
    schema_id: int
    schema: str
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = ()


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    """A schema fetched by id: its text, type and references."""

    schema_id: int
    schema: str
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = ()


class SubjectVersion(NamedTuple):
    """A (subject, version) pair under which a schema id is registered."""

    subject: str
    version: int


class CompatibilityResult(NamedTuple):
    """Outcome of ``test_compatibility``; unpacks as ``(is_compatible, messages)``.

    Its truth value is ``is_compatible`` (a plain tuple would always be true).
    """

    is_compatible: bool
    messages: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.is_compatible


ReferenceLike: TypeAlias = SchemaReference | Mapping[str, Any]


class SchemaKey(NamedTuple):
    """A schema under a subject as a request sends it: the key of the id and lookup caches."""

    subject: str
    schema: str
    schema_type: str
    references: tuple[SchemaReference, ...]
    normalize: bool


def check_subject(subject: str) -> str:
    """``subject`` if it is a non-empty string (else ValueError)."""
    if not isinstance(subject, str) or not subject:
        raise ValueError(f"a subject must be a non-empty string, got {subject!r}")
    return subject


def reference(value: ReferenceLike) -> SchemaReference:
    """A ``SchemaReference`` from one or from its JSON object (else ValueError)."""
    if isinstance(value, SchemaReference):
        return value
    try:
        return SchemaReference(
            str(value["name"]), str(value["subject"]), int(value["version"])
        )
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f"a schema reference needs 'name', 'subject' and an integer 'version', got {value!r}"
        ) from None


def schema_key(
    subject: str,
    schema: str,
    references: Sequence[ReferenceLike] | None,
    schema_type: str,
    normalize: bool,
) -> SchemaKey:
    """The checked key of a schema a caller passed (ValueError/TypeError on bad input)."""
    check_subject(subject)
    if not isinstance(schema, str):
        raise TypeError(
            f"schema must be the schema's JSON text (str), got {type(schema).__name__}"
        )
    refs = tuple(reference(r) for r in references) if references else ()
    return SchemaKey(subject, schema, schema_type.upper(), refs, bool(normalize))
