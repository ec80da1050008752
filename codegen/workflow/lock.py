"""`avrobind.lock`: what `avrobind pull` fetched, so that a re-run is reproducible and checkable.

One JSON document beside the config file, written deterministically (sorted, two-space
indent), for example:

```json
{
  "lock-version": 1,
  "subjects": [
    {
      "subject": "orders-value",
      "requested": "latest",
      "version": 3,
      "id": 17,
      "fingerprint": "sha256:5f1c…",
      "file": "avsc/com.acme.Order.avsc",
      "sha256": "9a0b…",
      "references": [{"name": "com.acme.Money", "subject": "com.acme.Money", "version": 1}]
    }
  ]
}
```

`requested` is what was asked for (`latest`, a version number, or `reference` for a subject
pulled because another one references it); `fingerprint` is the Avro specification's SHA-256
fingerprint of the schema's Parsing Canonical Form (references inlined), comparable with any
Avro library's; `sha256` is the digest of the file as written, which tells an edited file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.config import Config
from codegen.errors import InputError, InputErrors

LOCK_NAME = "avrobind.lock"
LOCK_VERSION = 1
REFERENCE = "reference"


@dataclass(frozen=True)
class LockedReference:
    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True)
class LockedSubject:
    subject: str
    requested: str  # "latest", a version number, or "reference"
    version: int
    id: int
    fingerprint: str
    file: str  # relative to the lock file's directory, with forward slashes
    sha256: str
    references: tuple[LockedReference, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "requested": self.requested,
            "version": self.version,
            "id": self.id,
            "fingerprint": self.fingerprint,
            "file": self.file,
            "sha256": self.sha256,
            "references": [r.to_json() for r in self.references],
        }


@dataclass
class Lock:
    path: Path
    subjects: dict[str, LockedSubject] = field(default_factory=dict)
    exists: bool = False

    def text(self) -> str:
        doc = {
            "lock-version": LOCK_VERSION,
            "subjects": [self.subjects[s].to_json() for s in sorted(self.subjects)],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    def file_path(self, entry: LockedSubject) -> Path:
        return self.path.parent / entry.file

    def files(self) -> set[Path]:
        """Every file the lock records (resolved), for commands that leave pulled files alone."""
        return {self.file_path(e).resolve() for e in self.subjects.values()}


def lock_path(config: Config) -> Path:
    """`avrobind.lock` beside the config file (in the working directory without one)."""
    return (config.file.parent if config.file is not None else Path.cwd()) / LOCK_NAME


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_lock(path: Path) -> Lock:
    """The lock at `path` (empty when there is none); a damaged lock is bad input (exit 2)."""
    if not path.is_file():
        return Lock(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise InputErrors([InputError(f"cannot read the lock: {e}", file=path)]) from None
    if not isinstance(doc, dict) or doc.get("lock-version") != LOCK_VERSION:
        raise InputErrors(
            [
                InputError(
                    f"not an avrobind lock of version {LOCK_VERSION} (delete it and pull again)",
                    file=path,
                    path="/lock-version",
                )
            ]
        )
    lock = Lock(path, exists=True)
    items = doc.get("subjects")
    if not isinstance(items, list):
        raise InputErrors([InputError("must be a list", file=path, path="/subjects")])
    for i, item in enumerate(items):
        try:
            entry = LockedSubject(
                subject=_str(item, "subject"),
                requested=_str(item, "requested"),
                version=_int(item, "version"),
                id=_int(item, "id"),
                fingerprint=_str(item, "fingerprint"),
                file=_str(item, "file"),
                sha256=_str(item, "sha256"),
                references=tuple(
                    LockedReference(_str(r, "name"), _str(r, "subject"), _int(r, "version"))
                    for r in item.get("references", [])
                ),
            )
        except (KeyError, TypeError, AttributeError) as e:
            raise InputErrors(
                [InputError(f"invalid entry ({e}); pull again", file=path, path=f"/subjects/{i}")]
            ) from None
        lock.subjects[entry.subject] = entry
    return lock


def _str(item: Any, key: str) -> str:
    value = item[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a string")
    return value


def _int(item: Any, key: str) -> int:
    value = item[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{key} must be an integer")
    return value
