"""Errors of the build-time tools: bad schemas and bad configuration.

Each carries where the problem is (file and JSON path, or config key path) so the CLI can print
one clear line per problem and exit with code 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class InputError(Exception):
    """Bad input (a schema or the configuration): exit code 2."""

    def __init__(self, message: str, *, file: Path | str | None = None, path: str = "") -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.path = path
        super().__init__(self.describe())

    def describe(self) -> str:
        where = self.file or ""
        if self.path:
            where = f"{where}:{self.path}" if where else self.path
        return f"{where}: {self.message}" if where else self.message


class SchemaError(InputError):
    """A schema file is invalid; `path` is a JSON pointer into the file."""


class ConfigError(InputError):
    """The configuration is invalid; `path` is the dotted key path."""


class InputErrors(Exception):
    """Several input errors found in one pass; all are reported together."""

    def __init__(self, errors: Iterable[InputError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(e.describe() for e in self.errors))


def json_pointer(*parts: str | int) -> str:
    """Build an RFC 6901 JSON pointer ("/fields/0/type") from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
