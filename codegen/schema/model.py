"""The typed model of a set of Avro schemas, as built by the loader.

Every node keeps the JSON it came from (`source`), the file it was read from and its JSON pointer,
so the generator can reproduce the schema exactly and errors can say where a problem is.
Named types are referenced through `Ref`, resolved by the loader (`Ref.target`), which makes
recursive and cross-file schemas plain object graphs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


class _Missing:
    """Marks a field without a default (None is a valid default); use the `MISSING` instance."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Logical:
    """A logical type annotation that avrobind understands and validated."""

    name: str
    precision: int = 0
    scale: int = 0


@dataclass(eq=False)
class Location:
    file: Path
    path: str

    def __str__(self) -> str:
        return f"{self.file}:{self.path}"


@dataclass(eq=False)
class Node:
    source: Any
    loc: Location

    @property
    def kind(self) -> str:
        raise NotImplementedError


@dataclass(eq=False)
class Primitive(Node):
    name: str = "null"
    logical: Logical | None = None

    @property
    def kind(self) -> str:
        return self.name


@dataclass(eq=False)
class Array(Node):
    items: Type = None  # type: ignore[assignment]

    @property
    def kind(self) -> str:
        return "array"


@dataclass(eq=False)
class Map(Node):
    values: Type = None  # type: ignore[assignment]

    @property
    def kind(self) -> str:
        return "map"


@dataclass(eq=False)
class Union(Node):
    branches: list[Type] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "union"


@dataclass(eq=False)
class Named(Node):
    fullname: str = ""
    doc: str | None = None
    aliases: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.fullname.rpartition(".")[2]

    @property
    def namespace(self) -> str:
        return self.fullname.rpartition(".")[0]


@dataclass(eq=False)
class Field:
    name: str
    type: Type
    source: dict[str, Any]
    loc: Location
    default: Any = MISSING
    doc: str | None = None
    aliases: list[str] = field(default_factory=list)

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING


@dataclass(eq=False)
class Record(Named):
    fields: list[Field] = field(default_factory=list)
    is_error: bool = False

    @property
    def kind(self) -> str:
        return "record"


@dataclass(eq=False)
class Enum(Named):
    symbols: list[str] = field(default_factory=list)
    default: str | None = None

    @property
    def kind(self) -> str:
        return "enum"


@dataclass(eq=False)
class Fixed(Named):
    size: int = 0
    logical: Logical | None = None

    @property
    def kind(self) -> str:
        return "fixed"


@dataclass(eq=False)
class Ref(Node):
    """A use of a named type by name; `target` is set once names are resolved."""

    fullname: str = ""
    target: Named = None  # type: ignore[assignment]

    @property
    def kind(self) -> str:
        return self.target.kind if self.target is not None else "ref"


Type = Primitive | Array | Map | Union | Record | Enum | Fixed | Ref


def walk(t: Type | Named) -> Iterator[Type | Named]:
    """Every node of a definition's subtree, depth first (references are not followed)."""
    yield t
    if isinstance(t, Record):
        for f in t.fields:
            yield from walk(f.type)
    elif isinstance(t, Array):
        yield from walk(t.items)
    elif isinstance(t, Map):
        yield from walk(t.values)
    elif isinstance(t, Union):
        for b in t.branches:
            yield from walk(b)


def deref(t: Type) -> Type:
    """The definition behind a reference (or the type itself)."""
    if isinstance(t, Ref):
        target: Type = t.target  # type: ignore[assignment]
        return target
    return t


@dataclass(eq=False)
class SchemaFile:
    """One .avsc file: its parsed JSON and the top-level schemas it holds."""

    path: Path
    json: Any
    roots: list[Type] = field(default_factory=list)


@dataclass(eq=False)
class SchemaSet:
    """Everything loaded from a schema directory, names resolved across files."""

    files: list[SchemaFile]
    named: dict[str, Named]  # full name -> definition, in definition order

    def get(self, fullname: str) -> Named | None:
        return self.named.get(fullname)
