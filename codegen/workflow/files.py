"""Writing the files that `pull` and `docs` own: each replaced in one step, and compared first."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def differences(root: Path, files: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(missing, changed): the files under `root` whose content is not `files[name]`."""
    missing, changed = [], []
    for name, text in sorted(files.items()):
        try:
            have = (root / name).read_bytes()
        except FileNotFoundError:
            missing.append(name)
            continue
        if have != text.encode():
            changed.append(name)
    return missing, changed
