"""What the producer sends (``Message``) and the consumer yields (``Record``); Kafka headers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

K = TypeVar("K")
V = TypeVar("V")

Headers: TypeAlias = Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]]


@dataclass(frozen=True, slots=True)
class Message(Generic[K, V]):
    """One message for ``send_batch``: a value with an optional key, headers, partition."""

    value: V
    key: K | None = None
    headers: Headers | None = None
    partition: int | None = None
    timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Record(Generic[K, V]):
    """A consumed message: the typed value and key, and where the message came from.

    ``value`` is None for a tombstone (only on topics configured with tombstones).
    ``headers`` keeps the order and duplicates of Kafka headers (a null header value is
    ``b""``); ``timestamp`` is in milliseconds since the epoch.
    """

    value: V
    key: K | None
    headers: tuple[tuple[str, bytes], ...]
    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: int = 0

    def header(self, name: str) -> bytes | None:
        """The last value of header ``name``, or None."""
        found = None
        for key, value in self.headers:
            if key == name:
                found = value
        return found


def _headers(headers: Headers | None) -> list[tuple[str, bytes]] | None:
    if headers is None:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: list[tuple[str, bytes]] = []
    for name, value in pairs:
        if not isinstance(name, str):
            raise TypeError(f"header names are str, got {type(name).__name__}")
        if isinstance(value, str):
            value = value.encode()
        elif not isinstance(value, (bytes, bytearray)):
            raise TypeError(
                f"header {name!r}: values are bytes or str, got {type(value).__name__}"
            )
        out.append((name, bytes(value)))
    return out
