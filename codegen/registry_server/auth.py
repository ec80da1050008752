"""Optional HTTP basic auth of the local registry: where the credentials come from, how they match.

`--auth-file FILE` holds one `user:password` per line (blank lines and `#` comments ignored; the
password is everything after the first colon), or `AVROBIND_REGISTRY_SERVER_AUTH=user:password`
gives a single pair. Errors name the file and line, never the secret.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from pathlib import Path

ENV = "AVROBIND_REGISTRY_SERVER_AUTH"


class AuthConfigError(Exception):
    """The credentials cannot be used; the message says where and why (never the secret)."""


class Credentials:
    """The accepted `user:password` pairs."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = [f"{user}:{password}".encode() for user, password in pairs]
        self.users = sorted({user for user, _ in pairs})

    def allows(self, header: bytes | None) -> bool:
        """Whether an `Authorization` header value carries one of the pairs."""
        if header is None or header[:6].lower() != b"basic ":
            return False
        try:
            given = base64.b64decode(header[6:].strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        # Every pair is compared (no early exit), each in constant time.
        return sum(hmac.compare_digest(given, pair) for pair in self._pairs) > 0


def load_credentials(auth_file: str | None, environ: Mapping[str, str]) -> Credentials | None:
    """The credentials from `--auth-file` or the environment; None when neither is set."""
    from_env = environ.get(ENV)
    if auth_file is not None and from_env:
        raise AuthConfigError(f"give --auth-file or {ENV}, not both")
    if auth_file is not None:
        return Credentials(_read_file(auth_file))
    if from_env:
        return Credentials([_pair(from_env, ENV)])
    return None


def _read_file(auth_file: str) -> list[tuple[str, str]]:
    try:
        text = Path(auth_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise AuthConfigError(f"cannot read --auth-file {auth_file}: {reason}") from None
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            pairs.append(_pair(line.rstrip("\r\n"), f"{auth_file}:{number}"))
    if not pairs:
        raise AuthConfigError(f"--auth-file {auth_file} holds no user:password line")
    return pairs


def _pair(text: str, where: str) -> tuple[str, str]:
    user, colon, password = text.partition(":")
    if not colon or not user.strip() or not password:
        raise AuthConfigError(f"{where}: expected user:password (a user and a non-empty password)")
    return user.strip(), password
