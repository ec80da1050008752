"""Findings and their machine-readable forms, shared by `lint`, `check` and `sync`.

A finding is one problem (or, for `sync`, one change) with a stable `rule` id (a lint rule, or
the kind of a check/sync finding such as `INCOMPATIBLE`), the `file` and JSON `path` it is
about, and a `message`. Three renderings:

- text: `file:path: RULE: message`, one line each (the house style of every error);
- json: a list of objects with `rule`, `file`, `path`, `message` (and `line`, `level`, plus
  `subject` where one applies);
- github: GitHub Actions workflow commands (`::error file=…,line=…,title=RULE::message`),
  which annotate the pull request's diff.

The line of a JSON path is found in the file's text (`pointer_line`), so annotations land on
the field they are about.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = ("text", "json", "github")
LEVELS = ("error", "warning", "notice")


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    file: Path | None = None
    path: str = ""  # a JSON pointer into `file` ("" when it is about the whole file)
    level: str = "error"  # error | warning | notice (GitHub's annotation levels)
    subject: str | None = None

    def where(self) -> str:
        if self.file is None:
            return ""
        shown = show_path(self.file)
        return f"{shown}:{self.path or '/'}" if self.path or self.file.suffix == ".avsc" else shown


def stale_files(
    root: Path,
    added: Iterable[str],
    changed: Iterable[str],
    removed: Iterable[str],
    *,
    rule: str,
    fix: str,
) -> list[Finding]:
    """Findings for the files under `root` that a `--check` found missing, changed or extra."""
    out = [Finding(rule, f"missing: {fix}", root / p) for p in added]
    out += [Finding(rule, f"changed: {fix}", root / p) for p in changed]
    out += [Finding(rule, f"extra file: {fix}", root / p) for p in removed]
    return out


def show_path(p: Path) -> str:
    """`p` relative to the working directory when it is inside it (as the user typed it)."""
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(p)


def render_text(findings: Iterable[Finding]) -> list[str]:
    out = []
    for f in findings:
        where = f.where()
        out.append(f"{where}: {f.rule}: {f.message}" if where else f"{f.rule}: {f.message}")
    return out


def to_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    lines = _Lines()
    out = []
    for f in findings:
        item: dict[str, Any] = {
            "rule": f.rule,
            "file": None if f.file is None else show_path(f.file),
            "path": f.path,
            "message": f.message,
            "line": lines.line(f),
            "level": f.level,
        }
        if f.subject is not None:
            item["subject"] = f.subject
        out.append(item)
    return out


def render_json(findings: Iterable[Finding]) -> str:
    return json.dumps(to_json(findings), indent=2, ensure_ascii=False)


def render_github(findings: Iterable[Finding]) -> list[str]:
    """One workflow command per finding (`::error …::`, `::warning …::`, `::notice …::`)."""
    lines = _Lines()
    out = []
    for f in findings:
        props = []
        if f.file is not None:
            props.append(f"file={_property(show_path(f.file))}")
            line = lines.line(f)
            if line is not None:
                props.append(f"line={line}")
        props.append(f"title={_property(f.rule)}")
        message = f"{f.path}: {f.message}" if f.path else f.message
        out.append(f"::{f.level} {','.join(props)}::{_data(message)}")
    return out


def render(findings: Sequence[Finding], fmt: str) -> list[str]:
    """The lines to print for `fmt` (json is one document, possibly over several lines)."""
    if fmt == "json":
        return [render_json(findings)]
    if fmt == "github":
        return render_github(findings)
    return render_text(findings)


# GitHub's escaping of workflow command data and properties (actions/toolkit, command.ts).
def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


class _Lines:
    """Line numbers of findings, each file read once."""

    def __init__(self) -> None:
        self._texts: dict[Path, str | None] = {}

    def line(self, f: Finding) -> int | None:
        if f.file is None or f.file.suffix != ".avsc":
            return None
        if f.file not in self._texts:
            try:
                self._texts[f.file] = f.file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[f.file] = None
        text = self._texts[f.file]
        return None if text is None else pointer_line(text, f.path)


def pointer_line(text: str, pointer: str) -> int | None:
    """The 1-based line where the value at JSON `pointer` starts in JSON `text`.

    Follows the pointer as far as the text goes: a pointer past the end of the document (or
    text that is not JSON) gives the line of the deepest value reached.
    """
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    decoder = json.JSONDecoder()
    try:
        pos = _skip(text, 0)
        for token in tokens:
            found = _child(text, pos, token, decoder)
            if found is None:
                break
            pos = found
    except (ValueError, IndexError):
        return None
    return text.count("\n", 0, pos) + 1


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _child(text: str, pos: int, token: str, decoder: json.JSONDecoder) -> int | None:
    """Where the member `token` of the object or array at `pos` starts (None if absent)."""
    opening = text[pos]
    if opening not in "{[":
        return None
    closing = "}" if opening == "{" else "]"
    pos = _skip(text, pos + 1)
    index = 0
    while text[pos] != closing:
        if opening == "{":
            key, pos = decoder.raw_decode(text, pos)
            pos = _skip(text, pos)
            pos = _skip(text, pos + 1)  # the colon
            hit = key == token
        else:
            hit = token == str(index)
        if hit:
            return pos
        _, pos = decoder.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
        index += 1
    return None
