"""SQLite persistence of the registry: schemas, subject versions and settings.

One code path for both modes: `sqlite3` on `:memory:` when no file is given. The database is
the source of truth: new schema ids and version numbers are allocated inside the transaction
that writes them (`next_schema_id`, `next_version`), and rows are inserted, never replaced, so
an acknowledged registration cannot be overwritten. A data file is used by one server at a
time: `Store` takes an exclusive lock on it (`DataFileInUse` when another process holds it).
The registry keeps its working state in memory and changes it only after a commit, so reads
never touch SQLite. Every failure of SQLite (a database locked by another program, a full
disk) is a `StoreError`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock, one server is on trust
    fcntl = None  # type: ignore[assignment]

# How long a write waits for a database locked by another program before it fails (50001).
BUSY_TIMEOUT = 2.0

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


class StoreError(Exception):
    """SQLite failed (locked by another program, disk full, ...); nothing was written."""


class DataFileInUse(Exception):
    """Another process (another `avrobind registry serve`) holds the data file."""


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
    """Persistence; writes happen inside `transaction()`, one thread at a time."""

    def __init__(self, path: str | None, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self._mutex = threading.Lock()
        self._lock_fd = _lock_data_file(path) if path else None
        try:
            self._db = sqlite3.connect(
                path or ":memory:",
                check_same_thread=False,
                isolation_level=None,
                timeout=busy_timeout,
            )
            if path:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except BaseException:
            self._release()
            raise

    def close(self, timeout: float = 1.0) -> None:
        """Close, unless a write still runs after `timeout` (the process is exiting anyway)."""
        if self._mutex.acquire(timeout=timeout):
            try:
                self._db.close()
            finally:
                self._mutex.release()
            self._release()

    def _release(self) -> None:
        # Closed only after SQLite's own descriptors: closing a descriptor of the file drops
        # the process's POSIX locks on it, and SQLite relies on those.
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic commit (BEGIN IMMEDIATE: allocations see every committed row)."""
        with self._mutex:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from None
            try:
                yield
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StoreError(str(exc)) from None
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

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

    # ---- inside a transaction ----------------------------------------------------------------

    def next_schema_id(self) -> int:
        """One above every id ever stored (ids are never reused)."""
        row = self._db.execute("SELECT coalesce(max(id), 0) + 1 FROM schemas").fetchone()
        return int(row[0])

    def next_version(self, subject: str) -> int:
        row = self._db.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM versions WHERE subject = ?", (subject,)
        ).fetchone()
        return int(row[0])

    def insert_schema(self, row: SchemaRow) -> None:
        self._db.execute(
            "INSERT INTO schemas (id, schema, refs) VALUES (?, ?, ?)",
            (row.id, row.schema, row.refs),
        )

    def replace_schema(self, row: SchemaRow) -> None:
        """Overwrite an id no version uses any more (IMPORT mode may reuse it)."""
        self._db.execute(
            "INSERT OR REPLACE INTO schemas (id, schema, refs) VALUES (?, ?, ?)",
            (row.id, row.schema, row.refs),
        )

    def insert_version(self, row: VersionRow) -> None:
        self._db.execute(
            "INSERT INTO versions (subject, version, schema_id, deleted) VALUES (?, ?, ?, ?)",
            (row.subject, row.version, row.schema_id, int(row.deleted)),
        )

    def mark_deleted(self, subject: str, version: int) -> None:
        self._db.execute(
            "UPDATE versions SET deleted = 1 WHERE subject = ? AND version = ?", (subject, version)
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


def _lock_data_file(path: str) -> int | None:
    """Hold an exclusive advisory lock on `path` for the life of the process.

    flock, not fcntl record locks: it is independent of the POSIX locks SQLite takes on the
    same file, and the kernel drops it when the process dies (kill -9 included).
    """
    if fcntl is None:  # pragma: no cover
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataFileInUse(path) from None
    except OSError:
        os.close(fd)
        raise
    return fd
