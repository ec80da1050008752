"""The Confluent wire format: magic byte 0, the schema id as 4 bytes big-endian, the Avro body.

::

    0x00 | schema id (4 bytes, big-endian) | Avro binary (schemaless, as fastavro writes it)

Confluent's serializers in every language, Karapace and avrobind read and write it, so a topic
can have producers and consumers written with any of them.
"""

from __future__ import annotations

import struct
from typing import Final

from .errors import InvalidMagicByteError, TruncatedMessageError

__all__ = [
    "HEADER_SIZE",
    "MAGIC_BYTE",
    "MAX_SCHEMA_ID",
    "frame",
    "header",
    "parse_header",
]

MAGIC_BYTE: Final = 0
HEADER_SIZE: Final = 5
MAX_SCHEMA_ID: Final = 2**31 - 1  # registries hand out ids as Java ints

_HEADER: Final = struct.Struct(">bI")


def header(schema_id: int) -> bytes:
    """The 5-byte header of a message written with schema ``schema_id``."""
    if isinstance(schema_id, bool) or not isinstance(schema_id, int):
        raise TypeError(f"a schema id is an int, got {type(schema_id).__name__}")
    if not 0 <= schema_id <= MAX_SCHEMA_ID:
        raise ValueError(f"a schema id is 0..{MAX_SCHEMA_ID}, got {schema_id}")
    return _HEADER.pack(MAGIC_BYTE, schema_id)


def frame(schema_id: int, body: bytes) -> bytes:
    """``body`` (Avro binary) framed with the header of ``schema_id``."""
    return header(schema_id) + body


def parse_header(data: bytes) -> int:
    """The schema id in the header of ``data``; the Avro body starts at ``HEADER_SIZE``.

    Raises ``InvalidMagicByteError`` when the first byte is not 0 and
    ``TruncatedMessageError`` when there are fewer than 5 bytes.
    """
    if len(data) < HEADER_SIZE:
        if data and data[0] != MAGIC_BYTE:
            raise InvalidMagicByteError(data[0])
        raise TruncatedMessageError(
            f"{len(data)} bytes are too short for the 5-byte wire-format header",
            size=len(data),
        )
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC_BYTE:
        raise InvalidMagicByteError(magic & 0xFF)
    return int(schema_id)
