"""Serdes: typed values <-> Confluent-framed Avro bytes, with the schema registry.

Three layers, each usable alone:

- A ``Codec`` turns values of one schema into Avro binary and back: ``RecordCodec`` for
  generated records, ``EnumCodec`` for generated enums, ``ModelCodec`` for hand-written
  dataclasses-avroschema ``AvroModel`` classes, ``PlainCodec`` for any other schema whose
  Python value is fastavro's (primitives, fixed). ``codec_for`` picks one.
- ``SubjectSerde`` (sync, ``SchemaRegistryClient``) and ``AsyncSubjectSerde`` (asyncio,
  ``AsyncSchemaRegistryClient``) frame one codec under one registry subject:
  ``serialize(value) -> bytes`` and ``deserialize(data) -> value``.
- ``TopicSerde`` / ``AsyncTopicSerde`` hold the key and value serdes of one topic
  (``serialize``/``deserialize`` for values, ``serialize_key``/``deserialize_key`` for keys).
  Generated ``<Topic>Serde`` classes are ``TopicSerde`` subclasses with everything embedded.

Registration: with ``auto_register=True`` (the default) the first ``serialize`` registers the
schema under its subject (the registry answers with the existing id when it has it); with
``auto_register=False`` it looks the schema up under the subject (in any version) and raises
``SchemaNotFoundError`` when it is not there -- register it with ``avrobind sync`` first.
A codec with a ``Registration`` (``references = true``) registers what ``avrobind sync``
does instead of its self-contained schema: the schema naming the shared types it uses, with a
Confluent reference to each, every referenced subject registered (or looked up) first.

Reading: the header's schema id is resolved once per id. A writer schema with the same Parsing
Canonical Form as the serde's own is read directly; another one (an older or newer version) is
fetched, parsed once and resolved against the serde's schema by fastavro (fields the reader
lacks are dropped, missing ones take their defaults). After the first message of each schema
id, neither direction makes an HTTP request.

Keys and values of a primitive ``"bytes"`` schema are written raw after the header, without
Avro's length prefix: that is what Confluent's serializers (Java, and confluent-kafka's
``AvroSerializer``) do, so they interoperate. Every other schema's body is exactly what
``fastavro.schemaless_writer`` writes. Keys may instead be raw (``RawKey``, in ``keys.py``):
written by Kafka's own serializers, with no subject and no framing.

Tombstones (a message without a value: a key deleted from a compacted topic): with
``TopicSpec(tombstones=True)`` ``deserialize(None)`` returns None (``TombstoneTopicSerde``
types it so); otherwise it raises ``TombstoneError``.

Subject names (``subject_strategy``): ``"topic"`` gives ``<topic>-key`` / ``<topic>-value``,
``"record"`` the schema's full name, ``"topic-record"`` ``<topic>-<full name>``; primitives are
named by their type (``"string"``), as confluent-kafka does.
"""

from __future__ import annotations

import io
import json
import struct
import typing
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, NoReturn, Self, TypeVar, cast

import fastavro
from dataclasses_avroschema import AvroModel
from fastavro.schema import to_parsing_canonical_form

from .codec import DecodeError, EncodeError, WrongTypeError, encode
from .errors import (
    AvrobindError,
    DeserializationError,
    SchemaNotFoundError,
    SerializationError,
    TombstoneError,
    TruncatedMessageError,
    UnknownSchemaIdError,
)
from .keys import RawKey
from .model import AvroEnum, AvroRecord
from .registry import (
    AsyncSchemaRegistryClient,
    RegistryConfig,
    SchemaInfo,
    SchemaReference,
    SchemaRegistryClient,
)
from .schema import MISSING, fastavro_schema, fastavro_view, inline_first_use
from .wire import HEADER_SIZE, header, parse_header

__all__ = [
    "STRATEGIES",
    "AsyncSubjectSerde",
    "AsyncTopicSerde",
    "Codec",
    "EnumCodec",
    "ModelCodec",
    "PlainCodec",
    "RecordCodec",
    "Registration",
    "SubjectSerde",
    "TombstoneTopicSerde",
    "TopicSerde",
    "TopicSpec",
    "codec_for",
    "subject_name",
]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R", bound=AvroRecord)
E = TypeVar("E", bound=AvroEnum)
M = TypeVar("M", bound=AvroModel)

STRATEGIES: Final = ("topic", "record", "topic-record")
_PRIMITIVES: Final = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


# --- codecs ---------------------------------------------------------------------------------


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

    def __init__(self, schema: str | None = None, registration: Registration | None = None) -> None:
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

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


def _from_stream(read: Callable[..., T], data: bytes, pos: int, *args: Any) -> tuple[T, int]:
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


def _missing_fields(writer: Any, reader: Any) -> dict[str, Any] | None:
    """`{name: MISSING}` for the reader's fields the writer lacks (see `RecordCodec._projection`),
    or None when the two records differ in any other way (renamed, retyped or aliased fields)."""
    if not (isinstance(writer, dict) and isinstance(reader, dict)):
        return None
    if writer.get("type") != "record" or reader.get("type") != "record":
        return None
    if writer.get("name") != reader.get("name"):
        return None
    by_name = {f["name"]: f for f in writer["fields"]}
    missing: dict[str, Any] = {}
    used: list[str] = []
    for f in reader["fields"]:
        w = by_name.get(f["name"])
        if w is None:
            if "default" not in f or any(a in by_name for a in f.get("aliases", ())):
                return None
            missing[f["name"]] = MISSING
        elif _type_text(w["type"]) != _type_text(f["type"]):
            return None
        else:
            used += _names_used(f["type"])
    # Equal text is not enough where a field names a type defined elsewhere: that definition
    # must be the same on both sides too (and the record itself, if recursive, is not).
    w_named, r_named = writer.get("__named_schemas", {}), reader.get("__named_schemas", {})
    seen: set[str] = set()
    while used:
        name = used.pop()
        if name in seen:
            continue
        seen.add(name)
        if name == reader["name"] or name not in w_named or name not in r_named:
            return None
        if _type_text(w_named[name]) != _type_text(r_named[name]):
            return None
        used += _names_used(w_named[name])
    return missing


def _names_used(schema: Any) -> list[str]:
    """Named types a parsed schema refers to by name (definitions inside it are walked)."""
    if isinstance(schema, str):
        return [] if schema in _PRIMITIVE_NAMES else [schema]
    if isinstance(schema, list):
        return [n for branch in schema for n in _names_used(branch)]
    if isinstance(schema, dict):
        if "fields" in schema:
            return [n for f in schema["fields"] for n in _names_used(f["type"])]
        if "items" in schema:
            return _names_used(schema["items"])
        if "values" in schema:
            return _names_used(schema["values"])
        if isinstance(schema.get("type"), str) and schema["type"] not in _COMPLEX_NAMES:
            return _names_used(schema["type"])
    return []


_PRIMITIVE_NAMES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
_COMPLEX_NAMES = frozenset({"record", "error", "enum", "fixed", "array", "map"})


def _type_text(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, default=str)


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
            raise WrongTypeError(f"expected {self.cls.__name__}, got {type(value).__name__}")
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

    def resolve_at(self, data: bytes, pos: int, writer: Any) -> tuple[R, int]:
        buf = io.BytesIO(data)
        buf.seek(pos)
        try:
            value = self.resolve(buf, writer)
        except Exception as exc:
            raise _stream_error(buf, data, exc) from exc
        return value, buf.tell()

    def resolve(self, buf: io.BytesIO, writer: Any) -> R:
        missing = self._projection(writer)
        if missing is None:
            reader = self.cls.resolution_schema()
            datum: Any = fastavro.schemaless_reader(buf, writer, reader, return_named_type=True)
        else:
            datum = fastavro.schemaless_reader(buf, writer, None, return_named_type=True)
            datum.update(missing)
        return self.cls.from_avro(datum)

    @cached_property
    def _projections(self) -> dict[int, tuple[Any, dict[str, Any] | None]]:
        return {}

    def _projection(self, writer: Any) -> dict[str, Any] | None:
        """When `writer` differs from the generated schema only by whole top-level fields (the
        common evolution: fields added with defaults, fields removed), the value is read with
        the writer schema alone and the missing fields are marked `MISSING` (from_avro then
        takes their defaults); that equals fastavro's resolution and skips most of its cost.
        Anything else resolves fully. Cached per (parsed, long-lived) writer schema."""
        cached = self._projections.get(id(writer))
        if cached is not None and cached[0] is writer:
            return cached[1]
        missing = _missing_fields(writer, self.parsed)
        self._projections[id(writer)] = (writer, missing)
        return missing


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
        if not isinstance(value, types) or (kind in ("int", "long") and isinstance(value, bool)):
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


def codec_for(schema: Any, registrations: Mapping[str, Registration] | None = None) -> Codec[Any]:
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
        raise TypeError(f"{schema.__name__} is not an Avro record, enum or AvroModel class")
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


def subject_name(strategy: str, topic: str, role: str, codec: Codec[Any]) -> str:
    """The registry subject of a topic's key or value under a subject strategy."""
    if strategy == "topic":
        return f"{topic}-{role}"
    if strategy == "record":
        return codec.name
    if strategy == "topic-record":
        return f"{topic}-{codec.name}"
    raise ValueError(f"subject_strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")


# --- what a topic holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class TopicSpec(Generic[K, V]):
    """A topic and the schemas of its values and (optionally) keys.

    Keys with a codec are Avro, framed, under a key subject; a ``RawKey`` is written by
    Kafka's own serializer of its type, with no subject. Without either, keys are bytes
    (``str`` keys are sent as UTF-8, as the seed's classes did). ``tombstones``: messages
    without a value are read as None rather than refused (compacted topics).
    """

    topic: str
    value: Codec[V]
    key: Codec[K] | RawKey[K] | None = None
    subject_strategy: str = "topic"
    registry_url: str | None = None  # the configured default (AVROBIND_REGISTRY_URL wins)
    tombstones: bool = False

    def subject(self, role: str, strategy: str | None = None) -> str | None:
        """The subject of ``role`` ("key" or "value"); None for a key without a schema."""
        codec = self.key if role == "key" else self.value
        if not isinstance(codec, Codec):
            return None
        return subject_name(strategy or self.subject_strategy, self.topic, role, codec)

    def tombstone(self) -> None:
        """What a message without a value reads as: None, or ``TombstoneError``."""
        if not self.tombstones:
            raise TombstoneError(
                f"the message has no value (a tombstone), which is not a {self.value.name}: "
                f"topic {self.topic!r} is not configured with tombstones = true",
                field="value",
            )


def registry_config(
    schema_registry_url: str | None,
    registry: RegistryConfig | str | None,
    default_url: str | None,
) -> RegistryConfig:
    """The registry configuration: an explicit config or URL, else ``AVROBIND_REGISTRY_*``
    variables (auth, TLS...) with ``schema_registry_url`` or the configured URL."""
    if isinstance(registry, RegistryConfig):
        return registry
    if isinstance(registry, str):
        schema_registry_url = registry
    return RegistryConfig.from_env(url=schema_registry_url, default_url=default_url)


# --- one subject ----------------------------------------------------------------------------

_Reader = Callable[[bytes, int], tuple[Any, int]]
# A registry call of a registration plan: the client method ("register" or "lookup"), the
# subject, the schema text and its references. The plan is sent the method's answer.
_Call = tuple[str, str, str, tuple[SchemaReference, ...]]
_Plan = Generator[_Call, Any, int]


class _SubjectBase(Generic[T]):
    """Framing and caches of one codec under one subject; no I/O (the subclasses do it)."""

    def __init__(
        self, codec: Codec[T], subject: str, *, auto_register: bool = True, field: str = "value"
    ) -> None:
        self.codec = codec
        self.subject = subject
        self.auto_register = auto_register
        self.field = field
        self._schema_id: int | None = None
        self._header = b""
        self._readers: dict[int, _Reader] = {}
        self._by_header: dict[bytes, _Reader] = {}  # the same, by the 5 header bytes

    @property
    def schema(self) -> str:
        """The schema (JSON text) values are written with."""
        return self.codec.schema

    @property
    def schema_id(self) -> int | None:
        """The id of ``schema`` under ``subject`` once known (after ``register``)."""
        return self._schema_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.subject!r}, {self.codec!r}, schema_id={self._schema_id})"
        )

    def _set_schema_id(self, schema_id: int) -> int:
        self._header = header(schema_id)
        self._schema_id = schema_id
        self._remember(schema_id, self.codec.reader)
        return schema_id

    def _remember(self, schema_id: int, read: _Reader) -> _Reader:
        read = self._readers.setdefault(schema_id, read)
        self._by_header[header(schema_id)] = read
        return read

    def _not_registered(self) -> SchemaNotFoundError:
        return SchemaNotFoundError(
            text=(
                f"the {self.codec.name} schema is not registered under subject {self.subject!r} "
                "and auto_register is off: register it first (run `avrobind sync`)"
            ),
            subject=self.subject,
        )

    def _registration_plan(self) -> _Plan:
        """The registry calls that register (or look up) the schema; ends with its id.

        Run by ``register`` of the sync and async serdes, which make the calls.
        """
        registration = self.codec.registration
        refs: tuple[SchemaReference, ...] = ()
        if registration is None:
            schema = self.schema
        else:
            schema = registration.schema
            refs = yield from self._references_plan(registration.references, {})
        if self.auto_register:
            schema_id: int = yield ("register", self.subject, schema, refs)
            return schema_id
        found = yield ("lookup", self.subject, schema, refs)
        if found is None:
            raise self._not_registered()
        return int(found.schema_id)

    def _references_plan(
        self, used: tuple[Registration, ...], done: dict[str, SchemaReference]
    ) -> Generator[_Call, Any, tuple[SchemaReference, ...]]:
        """References to the subjects of ``used``, each looked up (registered first when
        missing and ``auto_register``) after the subjects it references, depth first.

        A reference names the version that holds the exact schema, as ``avrobind sync`` does:
        after ``sync`` nothing is registered, and a changed shared type gets a new version of
        its own subject before the schemas referencing it are registered.
        """
        refs = []
        for reg in used:
            ref = done.get(reg.name)
            if ref is None:
                inner = yield from self._references_plan(reg.references, done)
                found = yield ("lookup", reg.name, reg.schema, inner)
                if found is None and self.auto_register:
                    yield ("register", reg.name, reg.schema, inner)
                    found = yield ("lookup", reg.name, reg.schema, inner)
                if found is None:
                    raise SchemaNotFoundError(
                        text=(
                            f"the {reg.name} schema, referenced by the {self.codec.name} schema "
                            f"of subject {self.subject!r}, is not registered under subject "
                            f"{reg.name!r}"
                            + (
                                ""
                                if self.auto_register
                                else " and auto_register is off: register it first "
                                "(run `avrobind sync`)"
                            )
                        ),
                        subject=reg.name,
                    )
                ref = done[reg.name] = SchemaReference(reg.name, reg.name, found.version)
            refs.append(ref)
        return tuple(refs)

    def _encode(self, value: T) -> bytes:
        try:
            return self.codec.encode(value, self._header)
        except Exception as exc:  # noqa: BLE001 -- `_encode_failed` raises
            self._encode_failed(value, exc)

    def _encode_failed(self, value: T, exc: Exception) -> NoReturn:
        """Raise the error of a failed encoding (the serde's subject in it)."""
        if isinstance(exc, SerializationError):
            if exc.subject is None:
                exc.subject = self.subject
            raise exc
        if isinstance(exc, AvrobindError):
            raise exc
        raise SerializationError(
            f"cannot encode {type(value).__name__} as {self.codec.name} "
            f"(subject {self.subject!r}): {type(exc).__name__}: {exc}",
            subject=self.subject,
        ) from exc

    def _decode(self, data: bytes, read: _Reader) -> T:
        value: T
        try:
            value, end = read(data, HEADER_SIZE)
        except Exception as exc:
            raise self._decode_error(data, exc) from exc
        if end != len(data):
            raise self._leftover(data, end)
        return value

    def _leftover(self, data: bytes, end: int) -> DeserializationError:
        schema_id = parse_header(data)
        return DeserializationError(
            f"{len(data) - end} bytes are left after the Avro body of schema id {schema_id}: "
            "the message is corrupt or was not written with that schema",
            schema_id=schema_id,
            field=self.field,
        )

    def _decode_error(self, data: bytes, exc: Exception) -> DeserializationError:
        schema_id = parse_header(data)
        if isinstance(exc, (EOFError, IndexError, struct.error)):
            # The generated decoders index past the end (IndexError, struct.error) only when
            # the input is short; stream readers report it as EOFError.
            return TruncatedMessageError(
                f"the Avro body ends early: {len(data)} bytes are not a whole message of "
                f"schema id {schema_id}",
                size=len(data),
                schema_id=schema_id,
                field=self.field,
            )
        reason = str(exc) if isinstance(exc, DecodeError) else f"{type(exc).__name__}: {exc}"
        return DeserializationError(
            f"cannot decode the Avro body as {self.codec.name} (schema id {schema_id}): {reason}",
            schema_id=schema_id,
            field=self.field,
        )

    def _header_id(self, data: bytes) -> int:
        try:
            return parse_header(data)
        except DeserializationError as exc:
            exc.field = self.field
            raise

    def _add_writer(self, info: SchemaInfo, named: dict[str, Any]) -> _Reader:
        """The reader of messages written with ``info``'s schema (parsed once, then cached)."""
        schema_id = info.schema_id
        if info.schema_type.upper() != "AVRO":
            raise DeserializationError(
                f"schema id {schema_id} is a {info.schema_type} schema, not Avro",
                schema_id=schema_id,
                field=self.field,
            )
        try:
            source = fastavro_view(json.loads(info.schema))
            if named:
                # The schema names types of its references. fastavro cannot resolve such a
                # writer against a reader that defines them inline: define each at first use.
                parsed = fastavro.parse_schema(source, named_schemas=dict(named), _force=True)
                source = inline_first_use(parsed, named)
            writer = fastavro.parse_schema(source, _write_hint=True, _force=True)
            same = to_parsing_canonical_form(writer) == self.codec.canonical
        except Exception as exc:
            raise DeserializationError(
                f"the registry's schema id {schema_id} is not usable Avro: "
                f"{type(exc).__name__}: {exc}",
                schema_id=schema_id,
                field=self.field,
            ) from exc
        # The same binary layout needs no resolution.
        read = self.codec.reader if same else partial(self.codec.resolve_at, writer=writer)

        return self._remember(schema_id, read)


def _as_bytes(data: Any) -> bytes:
    if not isinstance(data, (bytearray, memoryview)):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    return bytes(data)


def _add_named(schema: str, named: dict[str, Any]) -> None:
    fastavro.parse_schema(fastavro_view(json.loads(schema)), named_schemas=named, _force=True)


class SubjectSerde(_SubjectBase[T]):
    """Sync serde of one codec under one subject (``SchemaRegistryClient``; thread-safe)."""

    def __init__(
        self,
        codec: Codec[T],
        subject: str,
        registry: SchemaRegistryClient,
        *,
        auto_register: bool = True,
        field: str = "value",
    ) -> None:
        super().__init__(codec, subject, auto_register=auto_register, field=field)
        self.registry = registry

    def register(self) -> int:
        """Register (or, with ``auto_register=False``, look up) the schema; its id (cached)."""
        if self._schema_id is not None:
            return self._schema_id
        plan = self._registration_plan()
        answer: Any = None
        try:
            while True:
                method, subject, schema, refs = plan.send(answer)
                answer = getattr(self.registry, method)(subject, schema, refs)
        except StopIteration as done:
            return self._set_schema_id(done.value)

    def serialize(self, value: T) -> bytes:
        """``value`` as framed Avro bytes (the first call registers the schema)."""
        if self._schema_id is None:
            self.register()
        try:  # `_encode`, inlined: this is the hot path
            return self.codec.encode(value, self._header)
        except Exception as exc:  # noqa: BLE001 -- `_encode_failed` raises
            self._encode_failed(value, exc)

    def deserialize(self, data: bytes) -> T:
        """The value in framed Avro bytes written with any registered schema version."""
        if type(data) is not bytes:
            data = _as_bytes(data)
        read = self._by_header.get(data[:HEADER_SIZE])
        if read is None:
            schema_id = self._header_id(data)
            read = self._readers.get(schema_id) or self._load(schema_id)
        value: T
        try:  # `_decode`, inlined: this is the hot path
            value, end = read(data, HEADER_SIZE)
        except Exception as exc:
            raise self._decode_error(data, exc) from exc
        if end != len(data):
            raise self._leftover(data, end)
        return value

    def _load(self, schema_id: int) -> _Reader:
        try:
            info = self.registry.get_schema_info(schema_id)
        except SchemaNotFoundError as exc:
            raise UnknownSchemaIdError(schema_id, field=self.field) from exc
        named: dict[str, Any] = {}
        self._load_references(info.references, named, set())
        return self._add_writer(info, named)

    def _load_references(
        self, refs: Iterable[SchemaReference], named: dict[str, Any], seen: set[tuple[str, int]]
    ) -> None:
        for ref in refs:
            if (ref.subject, ref.version) in seen:
                continue
            seen.add((ref.subject, ref.version))
            found = self.registry.get_version(ref.subject, ref.version)
            self._load_references(found.references, named, seen)
            _add_named(found.schema, named)


class AsyncSubjectSerde(_SubjectBase[T]):
    """The asyncio twin of ``SubjectSerde`` (``AsyncSchemaRegistryClient``)."""

    def __init__(
        self,
        codec: Codec[T],
        subject: str,
        registry: AsyncSchemaRegistryClient,
        *,
        auto_register: bool = True,
        field: str = "value",
    ) -> None:
        super().__init__(codec, subject, auto_register=auto_register, field=field)
        self.registry = registry

    async def register(self) -> int:
        """Register (or, with ``auto_register=False``, look up) the schema; its id (cached)."""
        if self._schema_id is not None:
            return self._schema_id
        plan = self._registration_plan()
        answer: Any = None
        try:
            while True:
                method, subject, schema, refs = plan.send(answer)
                answer = await getattr(self.registry, method)(subject, schema, refs)
        except StopIteration as done:
            return self._set_schema_id(done.value)

    async def serialize(self, value: T) -> bytes:
        """``value`` as framed Avro bytes (the first call registers the schema)."""
        if self._schema_id is None:
            await self.register()
        return self._encode(value)

    def serialize_now(self, value: T) -> bytes:
        """``serialize`` without I/O, once ``register`` has run."""
        if self._schema_id is None:
            raise RuntimeError(f"the schema of subject {self.subject!r} is not registered yet")
        return self._encode(value)

    async def deserialize(self, data: bytes) -> T:
        """The value in framed Avro bytes written with any registered schema version."""
        if type(data) is not bytes:
            data = _as_bytes(data)
        read = self._by_header.get(data[:HEADER_SIZE])
        if read is None:
            schema_id = self._header_id(data)
            read = self._readers.get(schema_id) or await self._load(schema_id)
        return self._decode(data, read)

    async def _load(self, schema_id: int) -> _Reader:
        try:
            info = await self.registry.get_schema_info(schema_id)
        except SchemaNotFoundError as exc:
            raise UnknownSchemaIdError(schema_id, field=self.field) from exc
        named: dict[str, Any] = {}
        await self._load_references(info.references, named, set())
        return self._add_writer(info, named)

    async def _load_references(
        self, refs: Iterable[SchemaReference], named: dict[str, Any], seen: set[tuple[str, int]]
    ) -> None:
        for ref in refs:
            if (ref.subject, ref.version) in seen:
                continue
            seen.add((ref.subject, ref.version))
            found = await self.registry.get_version(ref.subject, ref.version)
            await self._load_references(found.references, named, seen)
            _add_named(found.schema, named)


# --- keys without a schema ------------------------------------------------------------------


def raw_key(key: Any) -> bytes | None:
    """A key of a topic without a key schema: bytes as they are, ``str`` as UTF-8."""
    if key is None or isinstance(key, bytes):
        return key
    if isinstance(key, (bytearray, memoryview)):
        return bytes(key)
    if isinstance(key, str):
        return key.encode()
    raise TypeError(
        f"this topic has no key schema: a key is bytes or str, got {type(key).__name__}"
    )


# --- one topic ------------------------------------------------------------------------------


class _TopicSerdeBase(Generic[K, V]):
    """What the sync and async topic serdes share: the spec, the subjects, the options."""

    # Set by generated subclasses: the configured topic and subjects, the key and value
    # types (a generated class carries its schema: ``VALUE_TYPE.avro_schema()``) and SPEC.
    TOPIC: ClassVar[str]
    KEY_SUBJECT: ClassVar[str | None]
    VALUE_SUBJECT: ClassVar[str]
    KEY_TYPE: ClassVar[type | None]
    VALUE_TYPE: ClassVar[type]
    SPEC: ClassVar[TopicSpec[Any, Any]]

    spec: TopicSpec[K, V]
    raw_key: RawKey[K] | None  # keys written by Kafka's own serializers (no subject)
    _TOMBSTONES: ClassVar[bool] = False  # True: the class types deserialize(None) -> None

    def _setup_spec(self, spec: TopicSpec[K, V] | None, subject_strategy: str | None) -> None:
        chosen = spec if spec is not None else getattr(type(self), "SPEC", None)
        if chosen is None:
            raise TypeError(f"{type(self).__name__} needs a TopicSpec (spec=...)")
        if self._TOMBSTONES and not chosen.tombstones:
            raise ValueError(f"{type(self).__name__} needs a TopicSpec with tombstones=True")
        strategy = subject_strategy or chosen.subject_strategy
        if strategy not in STRATEGIES:
            raise ValueError(
                f"subject_strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}"
            )
        self.spec = chosen
        self.topic = chosen.topic
        self.subject_strategy = strategy
        self.key_subject = chosen.subject("key", strategy)
        value_subject = chosen.subject("value", strategy)
        assert value_subject is not None
        self.value_subject = value_subject
        self.raw_key = chosen.key if isinstance(chosen.key, RawKey) else None

    def _plain_key(self, key: K) -> bytes:
        """The bytes of a key without a subject (raw, or bytes/UTF-8 without a key type)."""
        if self.raw_key is not None:
            return self.raw_key.encode(key)
        raw = raw_key(key)
        if raw is None:
            raise TypeError("a key to serialize must not be None")
        return raw

    def _plain_key_value(self, data: bytes) -> K:
        if self.raw_key is not None:
            return self.raw_key.decode(data)
        return cast("K", bytes(data))

    def _tombstone(self) -> V:
        """A message without a value: None where the spec allows tombstones."""
        self.spec.tombstone()
        return cast("V", None)  # only TombstoneTopicSerde types it (V | None)


class TopicSerde(_TopicSerdeBase[K, V]):
    """Transport-free serde of one topic's keys and values (sync; any Kafka client).

    ``serde.serialize(value)`` / ``serde.deserialize(data)`` handle values,
    ``serialize_key`` / ``deserialize_key`` keys; ``serde.value`` and ``serde.key`` are the
    ``SubjectSerde`` of each (``key`` is None when the topic has no key schema: its keys are
    raw, ``serde.raw_key``, or bytes). ``registry`` may be a ``SchemaRegistryClient`` (shared, not closed here), a
    ``RegistryConfig`` or a URL; otherwise ``schema_registry_url``, then
    ``AVROBIND_REGISTRY_URL``, then the configured URL is used.
    """

    def __init__(
        self,
        schema_registry_url: str | None = None,
        *,
        spec: TopicSpec[K, V] | None = None,
        registry: SchemaRegistryClient | RegistryConfig | str | None = None,
        auto_register: bool = True,
        subject_strategy: str | None = None,
    ) -> None:
        self._setup_spec(spec, subject_strategy)
        if isinstance(registry, AsyncSchemaRegistryClient):
            raise TypeError("TopicSerde needs a SchemaRegistryClient, not the async client")
        if isinstance(registry, SchemaRegistryClient):
            self.registry, self._owns_registry = registry, False
        else:
            config = registry_config(schema_registry_url, registry, self.spec.registry_url)
            self.registry, self._owns_registry = SchemaRegistryClient(config), True
        self.value: SubjectSerde[V] = SubjectSerde(
            self.spec.value, self.value_subject, self.registry, auto_register=auto_register
        )
        self.key: SubjectSerde[K] | None = None
        if isinstance(self.spec.key, Codec) and self.key_subject is not None:
            self.key = SubjectSerde(
                self.spec.key,
                self.key_subject,
                self.registry,
                auto_register=auto_register,
                field="key",
            )

    def register(self) -> None:
        """Register (or look up) the key and value schemas now rather than on first use."""
        if self.key is not None:
            self.key.register()
        self.value.register()

    def serialize(self, value: V) -> bytes:
        """A value as framed Avro bytes."""
        return self.value.serialize(value)

    def deserialize(self, data: bytes) -> V:
        """The value in framed Avro bytes (any registered version of its schema).

        A tombstone (None) raises ``TombstoneError`` unless the topic has tombstones
        (``TombstoneTopicSerde``: then it is None)."""
        if data is None:
            return self._tombstone()
        return self.value.deserialize(data)

    def serialize_key(self, key: K) -> bytes:
        """A key as framed Avro bytes, or raw (Kafka's serializers) without a key schema."""
        if self.key is None:
            return self._plain_key(key)
        return self.key.serialize(key)

    def deserialize_key(self, data: bytes) -> K:
        """The key in ``data`` (framed Avro, or raw without a key schema)."""
        if self.key is None:
            return self._plain_key_value(data)
        return self.key.deserialize(data)

    def close(self) -> None:
        """Close the registry client (unless it was passed in)."""
        if self._owns_registry:
            self.registry.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(topic={self.topic!r}, key={self.key!r}, value={self.value!r})"
        )


class TombstoneTopicSerde(TopicSerde[K, V]):
    """The ``TopicSerde`` of a topic with tombstones (compacted): ``deserialize(None)`` is None,
    and typed so; its spec has ``tombstones=True``."""

    _TOMBSTONES = True

    @typing.overload
    def deserialize(self, data: bytes) -> V: ...
    @typing.overload
    def deserialize(self, data: None) -> None: ...
    @typing.overload
    def deserialize(self, data: bytes | None) -> V | None: ...
    def deserialize(self, data: bytes | None) -> V | None:
        """The value in framed Avro bytes, or None for a tombstone (no value)."""
        if data is None:
            return None
        return self.value.deserialize(data)


class AsyncTopicSerde(_TopicSerdeBase[K, V]):
    """The asyncio twin of ``TopicSerde`` (what the Kafka producer and consumer use)."""

    def __init__(
        self,
        schema_registry_url: str | None = None,
        *,
        spec: TopicSpec[K, V] | None = None,
        registry: AsyncSchemaRegistryClient | RegistryConfig | str | None = None,
        auto_register: bool = True,
        subject_strategy: str | None = None,
    ) -> None:
        self._setup_spec(spec, subject_strategy)
        if isinstance(registry, SchemaRegistryClient):
            raise TypeError(
                "AsyncTopicSerde needs an AsyncSchemaRegistryClient, not the sync client"
            )
        if isinstance(registry, AsyncSchemaRegistryClient):
            self.registry, self._owns_registry = registry, False
        else:
            config = registry_config(schema_registry_url, registry, self.spec.registry_url)
            self.registry, self._owns_registry = AsyncSchemaRegistryClient(config), True
        self.value: AsyncSubjectSerde[V] = AsyncSubjectSerde(
            self.spec.value, self.value_subject, self.registry, auto_register=auto_register
        )
        self.key: AsyncSubjectSerde[K] | None = None
        if isinstance(self.spec.key, Codec) and self.key_subject is not None:
            self.key = AsyncSubjectSerde(
                self.spec.key,
                self.key_subject,
                self.registry,
                auto_register=auto_register,
                field="key",
            )

    async def register(self) -> None:
        """Register (or look up) the key and value schemas now rather than on first use."""
        if self.key is not None:
            await self.key.register()
        await self.value.register()

    async def serialize(self, value: V) -> bytes:
        """A value as framed Avro bytes."""
        return await self.value.serialize(value)

    async def deserialize(self, data: bytes) -> V:
        """The value in framed Avro bytes (any registered version of its schema); a
        tombstone (None) is None on topics with tombstones, else ``TombstoneError``."""
        if data is None:
            return self._tombstone()
        return await self.value.deserialize(data)

    async def serialize_key(self, key: K) -> bytes:
        """A key as framed Avro bytes, or raw (Kafka's serializers) without a key schema."""
        if self.key is None:
            return self._plain_key(key)
        return await self.key.serialize(key)

    def serialize_key_now(self, key: K) -> bytes:
        """``serialize_key`` without I/O, once ``register`` has run."""
        if self.key is None:
            return self._plain_key(key)
        return self.key.serialize_now(key)

    async def deserialize_key(self, data: bytes) -> K:
        """The key in ``data`` (framed Avro, or raw without a key schema)."""
        if self.key is None:
            return self._plain_key_value(data)
        return await self.key.deserialize(data)

    async def aclose(self) -> None:
        """Close the registry client (unless it was passed in)."""
        if self._owns_registry:
            await self.registry.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(topic={self.topic!r}, key={self.key!r}, value={self.value!r})"
        )
