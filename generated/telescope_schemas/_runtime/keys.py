"""Raw keys: what Kafka's own serializers put on the wire (no schema registry, no framing).

Most topics are keyed with Kafka's ``StringSerializer`` rather than Avro. ``RawKey(kind)``
reads and writes keys exactly as those serializers do, so a key written by any client is
read here and the other way round:

====================  ===============  ================================================
kind                  Python type      bytes (Java serializer / confluent-kafka's)
====================  ===============  ================================================
``"string"``          ``str``          UTF-8 (``StringSerializer``)
``"bytes"``           ``bytes``        as they are (``ByteArraySerializer``)
``"int"``             ``int``          4 bytes big-endian signed (``IntegerSerializer``)
``"long"``            ``int``          8 bytes big-endian signed (``LongSerializer``)
``"float"``           ``float``        IEEE 754 single, big-endian (``FloatSerializer``)
``"double"``          ``float``        IEEE 754 double, big-endian (``DoubleSerializer``)
``"uuid"``            ``uuid.UUID``    its text, UTF-8 (``UUIDSerializer``)
====================  ===============  ================================================

Errors are the serdes' own: ``SerializationError`` (``WrongTypeError`` for a value of the
wrong type) on the way out, ``DeserializationError`` with ``field="key"`` on the way in.
"""

from __future__ import annotations

import struct
import uuid
from typing import Any, Final, Generic, TypeVar

from .codec import WrongTypeError
from .errors import DeserializationError, SerializationError

__all__ = ["RAW_KINDS", "RawKey", "UntypedKey"]

K = TypeVar("K")

_STRUCTS: Final = {
    "int": struct.Struct(">i"),
    "long": struct.Struct(">q"),
    "float": struct.Struct(">f"),
    "double": struct.Struct(">d"),
}
_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "string": (str,),
    "bytes": (bytes, bytearray, memoryview),
    "int": (int,),
    "long": (int,),
    "float": (float, int),
    "double": (float, int),
    "uuid": (uuid.UUID,),
}
_SERIALIZERS: Final = {
    "int": "IntegerSerializer",
    "long": "LongSerializer",
    "float": "FloatSerializer",
    "double": "DoubleSerializer",
}
RAW_KINDS: Final = tuple(_TYPES)
"""The key types Kafka has serializers for, by their Avro names (``uuid``: the logical type)."""


class RawKey(Generic[K]):
    """Keys of one type, written as Kafka's serializer of that type writes them."""

    def __init__(self, kind: str) -> None:
        if kind not in _TYPES:
            raise ValueError(
                f"raw keys are one of {', '.join(RAW_KINDS)}, got {kind!r}"
            )
        self.kind = kind
        self._types = _TYPES[kind]
        self._struct = _STRUCTS.get(kind)

    def encode(self, key: K) -> bytes:
        """The key's bytes; ``WrongTypeError`` / ``SerializationError`` if it has none."""
        value: Any = key
        if not isinstance(key, self._types) or isinstance(key, bool):
            hint = (
                ' (for str keys, configure the topic with key = "string" and key-format = "raw")'
                if self.kind == "bytes" and isinstance(key, str)
                else ""
            )
            raise WrongTypeError(
                f"expected {self._types[0].__name__} for a raw {self.kind} key, "
                f"got {type(key).__name__}{hint}"
            )
        try:
            if self._struct is not None:
                return self._struct.pack(value)
            if self.kind == "bytes":
                return bytes(value)
            return str(value).encode()  # a str, or a UUID's canonical text
        except (struct.error, OverflowError, UnicodeEncodeError) as exc:
            raise SerializationError(
                f"{key!r} is not a raw {self.kind} key: {exc}"
            ) from None

    def decode(self, data: bytes) -> K:
        """The key in ``data``; ``DeserializationError`` (``field="key"``) if it is not one."""
        if self._struct is not None:
            if len(data) != self._struct.size:
                raise DeserializationError(
                    f"a raw {self.kind} key is {self._struct.size} bytes (Kafka's "
                    f"{_SERIALIZERS[self.kind]}), got {len(data)}",
                    field="key",
                )
            return self._struct.unpack(data)[0]  # type: ignore[no-any-return]
        if self.kind == "bytes":
            return bytes(data)  # type: ignore[return-value]
        try:
            text = bytes(data).decode()
            return text if self.kind == "string" else uuid.UUID(text)  # type: ignore[return-value]
        except ValueError as exc:  # UnicodeDecodeError too
            raise DeserializationError(
                f"the key is not a raw {self.kind} key: {exc}", field="key"
            ) from None

    def __repr__(self) -> str:
        return f"RawKey({self.kind!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawKey) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash((RawKey, self.kind))


class UntypedKey(RawKey[Any]):
    """Keys of a topic without a key type (the seed's classes without ``key_schema``): bytes
    as they are and ``str`` as UTF-8 on the way out, bytes on the way in."""

    def __init__(self) -> None:
        super().__init__("bytes")

    def encode(self, key: Any) -> bytes:
        return key.encode() if isinstance(key, str) else super().encode(key)
