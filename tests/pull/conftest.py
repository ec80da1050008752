"""Fixtures of the `avrobind pull` tests: a fresh local registry per test, filled by
confluent-kafka's own SchemaRegistryClient (a peer, not avrobind's client)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient

from tests.fixtures_registry import *  # noqa: F403  (pytest finds the fixtures by name)
from tests.sync.sync_helpers import Project, make_project

MONEY: dict[str, Any] = {
    "type": "record",
    "name": "Money",
    "namespace": "partner.common",
    "fields": [
        {"name": "amountCents", "type": "long"},  # not snake_case: lint must leave it alone
        {"name": "currency", "type": "string"},
    ],
}
PAYMENT: dict[str, Any] = {
    "type": "record",
    "name": "Payment",
    "namespace": "partner.payments",
    "doc": "A payment, owned by the payments team.",
    "fields": [
        {"name": "payment_id", "type": "string"},
        {"name": "amount", "type": "partner.common.Money"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
PAYMENT_V2: dict[str, Any] = {
    **PAYMENT,
    "fields": [*PAYMENT["fields"], {"name": "channel", "type": "string", "default": "web"}],
}
MONEY_REF = SchemaReference("partner.common.Money", "partner.common.Money", 1)


@dataclass
class Partner:
    """The other team's registry, written to with confluent-kafka's client."""

    url: str
    client: SchemaRegistryClient

    def register(self, subject: str, schema: Any, refs: list[SchemaReference] | None = None) -> int:
        return int(
            self.client.register_schema(subject, Schema(json.dumps(schema), "AVRO", refs or []))
        )


@pytest.fixture
def partner(registry_url: str) -> Iterator[Partner]:
    """A fresh registry holding Money (its own subject) and Payment, which references it."""
    client = SchemaRegistryClient({"url": registry_url})
    p = Partner(registry_url, client)
    p.register("partner.common.Money", MONEY)
    p.register("payments-value", PAYMENT, [MONEY_REF])
    p.register("payments-key", "string")
    p.register("refunds-value", {**PAYMENT, "name": "Refund"}, [MONEY_REF])
    yield p


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The example project (avsc/ and its topics), also the working directory."""
    p = make_project(tmp_path)
    monkeypatch.chdir(p.root)
    return p
