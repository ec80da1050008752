"""Typed errors raised by the runtime (registry client, wire format, serdes, Kafka clients)."""

from __future__ import annotations


class AvrobindError(Exception):
    """Base class of every error the avrobind runtime raises."""
