"""Codecs: how the values of one schema become Avro binary and back (no framing, no registry).

``RecordCodec`` for generated records (their generated encoder and decoder), ``EnumCodec`` for
generated enums, ``ModelCodec`` for hand-written dataclasses-avroschema ``AvroModel`` classes,
``PlainCodec`` for any other schema whose Python value is fastavro's (primitives, fixed).
``codec_for`` picks one. A codec also reads values written with another (writer) schema,
resolved by fastavro. The serdes (``serde``) frame codecs under registry subjects.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Final, Generic, TypeVar

import fastavro
from dataclasses_avroschema import AvroModel
from fastavro.schema import to_parsing_canonical_form

from .codec import DecodeError, EncodeError, WrongTypeError, encode
from .model import AvroEnum, AvroRecord
from .resolver import build as build_resolver
from .schema import fastavro_schema

__all__ = [
    "Codec",
    "EnumCodec",
    "ModelCodec",
    "PlainCodec",
    "RecordCodec",
    "Registration",
    "codec_for",
]

T = TypeVar("T")
R = TypeVar("R", bound=AvroRecord)
E = TypeVar("E", bound=AvroEnum)
M = TypeVar("M", bound=AvroModel)

_PRIMITIVES: Final = (
    "null",
    "boolean",
    "int",
    "long",
    "float",
    "double",
    "bytes",
    "string",
)


@dataclass(frozen=True)
class Registration:
    """What a subject holding the named type ``name`` registers with schema references
    (``references = true``): ``schema``, the JSON text that names the shared types it uses
    instead of inlining them, and their own registrations, each under the subject named by its
    full name (which is also the reference's name), as ``avrobind sync`` registers them.

    The version of each referenced subject is the one holding that exact schema (any version
    counts, as for ``sync``); a missing one is registered first (``auto_register``).
    """

    name: str
    schema: str
    references: tuple[Registration, ...] = ()


class Codec(Generic[T]):
    """How values of one schema become Avro binary and back.

    ``schema`` is the JSON text of the self-contained schema values are written with, ``name``
    the full name of a named type or the primitive's type name (used by the record subject
    strategies). Both, and the parsed schema, are computed on first use, so building codecs at
    import costs nothing. ``registration``, when set, is what subjects register instead of
    ``schema`` (the same Avro type, using schema references).
    """

    registration: Registration | None = None

    def __init__(
        self, schema: str | None = None, registration: Registration | None = None
    ) -> None:
        if schema is not None:
            self.__dict__["schema"] = schema
        if registration is not None:
            self.registration = registration

    @cached_property
    def schema(self) -> str:
        """The schema as JSON text."""
        raise NotImplementedError

    @cached_property
    def parsed(self) -> Any:
        """The schema parsed by fastavro."""
        return fastavro_schema(json.loads(self.schema))

    @cached_property
    def canonical(self) -> str:
        """The schema's Parsing Canonical Form (equal forms mean the same binary layout)."""
        return str(to_parsing_canonical_form(self.parsed))

    @cached_property
    def name(self) -> str:
        """The full name of a named type, else the type's name (``"string"``, ``"array"``...)."""
        return _schema_name(self.parsed)

    def check(self, value: Any) -> None:
        """Raise TypeError if ``value`` is not of the Python type this codec writes."""

    def write(self, out: io.BytesIO, value: T) -> None:
        """Append the Avro binary of ``value`` (written with this schema) to ``out``."""
        raise NotImplementedError

    def read(self, buf: io.BytesIO) -> T:
        """Read a value written with this very schema."""
        raise NotImplementedError

    def resolve(self, buf: io.BytesIO, writer: Any) -> T:
        """Read a value written with the (parsed) ``writer`` schema into this schema."""
        raise NotImplementedError

    def encode(self, value: T, prefix: bytes = b"") -> bytes:
        """``prefix`` followed by the Avro binary of ``value`` (``check`` first)."""
        try:
            self.check(value)
        except TypeError as exc:
            raise WrongTypeError(str(exc)) from None
        out = io.BytesIO()
        out.write(prefix)
        self.write(out, value)
        return out.getvalue()

    def read_at(self, data: bytes, pos: int) -> tuple[T, int]:
        """The value written with this very schema at ``pos``, and the position after it."""
        return _from_stream(self.read, data, pos)

    @property
    def reader(self) -> Callable[[bytes, int], tuple[T, int]]:
        """``read_at``, or a faster function doing the same."""
        return self.read_at

    def resolve_at(self, data: bytes, pos: int, writer: Any) -> tuple[T, int]:
        """``resolve`` on ``data`` from ``pos``: the value and the position after it."""
        return _from_stream(self.resolve, data, pos, writer)

    def resolver(self, writer: Any) -> Callable[[bytes, int], tuple[T, int]]:
        """``resolve_at`` for the (parsed) ``writer`` schema, or a faster function doing the
        same (the serdes call it once per writer schema id)."""
        return partial(self.resolve_at, writer=writer)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


def _from_stream(
    read: Callable[..., T], data: bytes, pos: int, *args: Any
) -> tuple[T, int]:
    """Run a stream reader (fastavro) on ``data`` from ``pos``.

    A reader that runs out of input fails in many ways (EOFError, IndexError,
    UnicodeDecodeError on a cut string...): having consumed every byte means the body was cut
    short (``EOFError``), whatever the exception; any other failure is a ``DecodeError``.
    """
    buf = io.BytesIO(data)
    buf.seek(pos)
    try:
        value = read(buf, *args)
    except Exception as exc:
        raise _stream_error(buf, data, exc) from exc
    return value, buf.tell()


def _stream_error(buf: io.BytesIO, data: bytes, exc: Exception) -> Exception:
    if buf.tell() >= len(data):
        return EOFError()
    return DecodeError(f"{type(exc).__name__}: {exc}")


def _read(buf: io.BytesIO, writer: Any, reader: Any = None, named: bool = False) -> Any:
    """fastavro's datum (typed loosely: records are dicts, union branches may be tuples)."""
    return fastavro.schemaless_reader(buf, writer, reader, return_named_type=named)


def _compact(schema: Any) -> str:
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


class _ClassCodec(Codec[T]):
    """A codec of a class that carries its schema."""

    def __init__(self, cls: type[T], registration: Registration | None = None) -> None:
        super().__init__(registration=registration)
        self.cls = cls

    def check(self, value: Any) -> None:
        if not isinstance(value, self.cls):
            raise TypeError(f"expected {self.cls.__name__}, got {type(value).__name__}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.cls.__name__})"


class RecordCodec(_ClassCodec[R]):
    """A generated record class (``AvroRecord``): its source schema and conversion code."""

    @cached_property
    def schema(self) -> str:
        return _compact(self.cls.avro_schema_to_python())

    @cached_property
    def parsed(self) -> Any:
        return self.cls.parsed_schema()

    @cached_property
    def name(self) -> str:
        return self.cls.get_fullname()

    def write(self, out: io.BytesIO, value: R) -> None:
        out.write(encode(value))

    def encode(self, value: R, prefix: bytes = b"") -> bytes:
        """The generated encoder (no fastavro, no intermediate dict)."""
        if type(value) is not self.cls and not isinstance(value, self.cls):
            raise WrongTypeError(
                f"expected {self.cls.__name__}, got {type(value).__name__}"
            )
        buf = bytearray(prefix)
        try:
            value.__avro_write__(buf)
        except EncodeError as exc:
            if exc.record is None:
                exc.record = type(value).__name__
            raise
        return bytes(buf)

    def read(self, buf: io.BytesIO) -> R:
        start = buf.tell()
        data = buf.getvalue()
        value, end = self.read_at(data, start)
        buf.seek(end)
        return value

    def read_at(self, data: bytes, pos: int) -> tuple[R, int]:
        """The generated decoder: values written with the generated schema itself."""
        return self.cls.__avro_read__(data, pos)

    @property
    def reader(self) -> Callable[[bytes, int], tuple[R, int]]:
        return self.cls.__avro_read__

    def resolver(self, writer: Any) -> Callable[[bytes, int], tuple[R, int]]:
        """The reader of values written with the parsed ``writer`` schema: generated for the
        pair on first use (see ``resolver``) and cached per writer schema object, or, for
        pairs it leaves to fastavro, fastavro's resolution and the generated ``from_avro``.
        """
        cached = self._resolvers.get(id(writer))
        if cached is not None and cached[0] is writer:
            return cached[1]
        read = build_resolver(writer, self.cls)
        if read is None:
            read = partial(self._fastavro_resolve_at, writer=writer)
        self._resolvers[id(writer)] = (writer, read)
        return read

    @cached_property
    def _resolvers(
        self,
    ) -> dict[int, tuple[Any, Callable[[bytes, int], tuple[R, int]]]]:
        return {}

    def resolve_at(self, data: bytes, pos: int, writer: Any) -> tuple[R, int]:
        return self.resolver(writer)(data, pos)

    def resolve(self, buf: io.BytesIO, writer: Any) -> R:
        data = buf.getvalue()
        value, end = self.resolve_at(data, buf.tell(), writer)
        buf.seek(end)
        return value

    def _fastavro_resolve_at(self, data: bytes, pos: int, writer: Any) -> tuple[R, int]:
        buf = io.BytesIO(data)
        buf.seek(pos)
        try:
            reader = self.cls.resolution_schema()
            datum: Any = fastavro.schemaless_reader(
                buf, writer, reader, return_named_type=True
            )
            value = self.cls.from_avro(datum)
        except Exception as exc:
            raise _stream_error(buf, data, exc) from exc
        return value, buf.tell()


class EnumCodec(_ClassCodec[E]):
    """A generated enum class (``AvroEnum``): members are written as their symbols."""

    @cached_property
    def schema(self) -> str:
        return _compact(self.cls.avro_schema_to_python())

    def write(self, out: io.BytesIO, value: E) -> None:
        fastavro.schemaless_writer(out, self.parsed, value.value)

    def read(self, buf: io.BytesIO) -> E:
        return self.cls(_read(buf, self.parsed))

    def resolve(self, buf: io.BytesIO, writer: Any) -> E:
        return self.cls(_read(buf, writer, self.parsed))


class ModelCodec(_ClassCodec[M]):
    """A hand-written dataclasses-avroschema ``AvroModel`` (as in code written for the seed)."""

    @cached_property
    def schema(self) -> str:
        return self.cls.avro_schema()

    def write(self, out: io.BytesIO, value: M) -> None:
        out.write(value.serialize())

    def read(self, buf: io.BytesIO) -> M:
        return self.cls.parse_obj(_read(buf, self.parsed))

    def resolve(self, buf: io.BytesIO, writer: Any) -> M:
        return self.cls.parse_obj(_read(buf, writer, self.parsed))


_PLAIN_TYPES: Final[Mapping[str, tuple[type, ...]]] = {
    "null": (type(None),),
    "boolean": (bool,),
    "int": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "bytes": (bytes, bytearray),
    "string": (str,),
    "fixed": (bytes, bytearray),
}


class PlainCodec(Codec[Any]):
    """Any schema whose Python value is what fastavro reads and writes (primitives, fixed...).

    A primitive ``"bytes"`` schema is written raw, as Confluent's serializers do.
    """

    def __init__(self, schema: str | Mapping[str, Any]) -> None:
        super().__init__(schema if isinstance(schema, str) else _compact(schema))

    @cached_property
    def _node(self) -> Mapping[str, Any]:
        return self.parsed if isinstance(self.parsed, dict) else {"type": self.parsed}

    @cached_property
    def raw(self) -> bool:
        """Written raw after the header (plain bytes; a decimal on bytes is Avro-encoded)."""
        return self._node.get("type") == "bytes" and "logicalType" not in self._node

    def check(self, value: Any) -> None:
        kind = self._node.get("type")
        types = _PLAIN_TYPES.get(kind) if isinstance(kind, str) else None
        if types is None or "logicalType" in self._node:
            return  # fastavro decides (logical types accept several Python types)
        if not isinstance(value, types) or (
            kind in ("int", "long") and isinstance(value, bool)
        ):
            raise TypeError(
                f"expected {types[0].__name__} for {self.name!r}, got {type(value).__name__}"
            )

    def write(self, out: io.BytesIO, value: Any) -> None:
        if self.raw:
            out.write(value)
        else:
            fastavro.schemaless_writer(out, self.parsed, value)

    def read(self, buf: io.BytesIO) -> Any:
        if self.raw:
            return buf.read()
        return _read(buf, self.parsed)

    def resolve(self, buf: io.BytesIO, writer: Any) -> Any:
        return _read(buf, writer, self.parsed)


def codec_for(
    schema: Any, registrations: Mapping[str, Registration] | None = None
) -> Codec[Any]:
    """The codec of a generated record or enum class, an ``AvroModel`` class, or a schema
    (JSON text such as ``'"string"'``, a primitive name such as ``"string"``, or a dict).

    ``registrations`` (by full name) gives a generated record class its ``Registration``.
    """
    if isinstance(schema, Codec):
        return schema
    if isinstance(schema, type):
        if issubclass(schema, AvroRecord):
            found = registrations.get(schema.get_fullname()) if registrations else None
            return RecordCodec(schema, found)
        if issubclass(schema, AvroEnum):
            return EnumCodec(schema)
        if issubclass(schema, AvroModel):
            return ModelCodec(schema)
        raise TypeError(
            f"{schema.__name__} is not an Avro record, enum or AvroModel class"
        )
    if isinstance(schema, str) and schema in _PRIMITIVES:
        return PlainCodec(json.dumps(schema))
    if isinstance(schema, (str, Mapping)):
        return PlainCodec(schema)
    raise TypeError(f"cannot make a codec of {schema!r}")


def _schema_name(parsed: Any) -> str:
    if isinstance(parsed, dict):
        name = parsed.get("name")
        return str(name) if isinstance(name, str) else str(parsed.get("type"))
    return parsed if isinstance(parsed, str) else "union"
