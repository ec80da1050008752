"""SQLite persistence of the registry: schemas, subject versions and settings.

One code path for both modes: `sqlite3` on `:memory:` when no file is given. The registry keeps
its working state in memory and writes every change through to this store, so reads never touch
SQLite; callers serialise access (the registry holds a lock around every mutation).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schemas (
    id INTEGER PRIMARY KEY,
    schema TEXT NOT NULL,
    refs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    subject TEXT NOT NULL,
    version INTEGER NOT NULL,
    schema_id INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (subject, version)
);
CREATE TABLE IF NOT EXISTS settings (
    kind TEXT NOT NULL,      -- 'compatibility' or 'mode'
    subject TEXT NOT NULL,   -- '' for the global setting
    value TEXT NOT NULL,
    PRIMARY KEY (kind, subject)
);
"""


@dataclass(frozen=True)
class SchemaRow:
    id: int
    schema: str
    refs: str  # JSON list of {"name", "subject", "version"}


@dataclass(frozen=True)
class VersionRow:
    subject: str
    version: int
    schema_id: int
    deleted: bool


@dataclass(frozen=True)
class SettingRow:
    kind: str
    subject: str
    value: str


class Store:
    """Write-through persistence; every method call is its own transaction unless batched."""

    def __init__(self, path: str | None) -> None:
        self._db = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None
        )
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes into one atomic commit (nested use joins the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth = 0

    def load(self) -> tuple[list[SchemaRow], list[VersionRow], list[SettingRow]]:
        schemas = [
            SchemaRow(*r)
            for r in self._db.execute("SELECT id, schema, refs FROM schemas ORDER BY id")
        ]
        versions = [
            VersionRow(s, v, i, bool(d))
            for s, v, i, d in self._db.execute(
                "SELECT subject, version, schema_id, deleted FROM versions ORDER BY subject, version"
            )
        ]
        settings = [
            SettingRow(*r) for r in self._db.execute("SELECT kind, subject, value FROM settings")
        ]
        return schemas, versions, settings

    def add_schema(self, row: SchemaRow) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO schemas (id, schema, refs) VALUES (?, ?, ?)",
            (row.id, row.schema, row.refs),
        )

    def put_version(self, row: VersionRow) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO versions (subject, version, schema_id, deleted) VALUES (?, ?, ?, ?)",
            (row.subject, row.version, row.schema_id, int(row.deleted)),
        )

    def remove_version(self, subject: str, version: int) -> None:
        self._db.execute(
            "DELETE FROM versions WHERE subject = ? AND version = ?", (subject, version)
        )

    def put_setting(self, kind: str, subject: str, value: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO settings (kind, subject, value) VALUES (?, ?, ?)",
            (kind, subject, value),
        )

    def remove_setting(self, kind: str, subject: str) -> None:
        self._db.execute("DELETE FROM settings WHERE kind = ? AND subject = ?", (kind, subject))
