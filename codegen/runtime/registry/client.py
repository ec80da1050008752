"""Confluent Schema Registry client, sync and async, on httpx.

``SchemaRegistryClient`` (sync, thread-safe) and ``AsyncSchemaRegistryClient`` (asyncio) have
the same methods; both work against Confluent Schema Registry, Karapace and
``avrobind registry serve``::

    with SchemaRegistryClient("http://localhost:8081") as registry:
        schema_id = registry.register("orders-value", schema_json)

Configuration (``RegistryConfig``) -- constructor argument / environment variable read by
``RegistryConfig.from_env()`` with the default prefix ``AVROBIND_REGISTRY_``:

- ``url`` / ``AVROBIND_REGISTRY_URL``: one URL or a comma-separated list (or a sequence). The
  client moves on to the next URL at once when a connection fails, and on the retry after a
  retryable error; it keeps using the URL that works. Credentials may be embedded as
  ``https://user:password@host``.
- ``basic_auth`` / ``AVROBIND_REGISTRY_BASIC_AUTH``: ``"user:password"``; or ``username`` and
  ``password`` / ``AVROBIND_REGISTRY_USERNAME`` and ``AVROBIND_REGISTRY_PASSWORD``. Credentials
  in the URL and here at the same time are an error.
- ``token`` / ``AVROBIND_REGISTRY_TOKEN``: sent as ``Authorization: Bearer <token>`` (not
  together with basic auth).
- ``verify`` / ``AVROBIND_REGISTRY_VERIFY`` (true/false), ``ca_bundle`` /
  ``AVROBIND_REGISTRY_CA_BUNDLE`` (PEM file or directory), ``cert`` / ``AVROBIND_REGISTRY_CERT``
  and ``key`` / ``AVROBIND_REGISTRY_KEY`` (client certificate and key, PEM), ``key_password`` /
  ``AVROBIND_REGISTRY_KEY_PASSWORD``.
- ``timeout`` / ``AVROBIND_REGISTRY_TIMEOUT`` (seconds, default 10), ``retries`` /
  ``AVROBIND_REGISTRY_RETRIES`` (default 3), ``latest_ttl`` / ``AVROBIND_REGISTRY_LATEST_TTL``
  (seconds, default 0 = no caching of ``get_latest``); ``backoff_base``, ``backoff_max`` and
  ``headers`` (extra HTTP headers) have no variable.

Retries: every call is retried after a connection failure (nothing was sent). After a timeout
or an HTTP 408/429/500/502/503/504, calls are retried when resending them cannot do harm: all
reads, lookups and compatibility checks, ``register`` (the registry returns the existing id
for a schema it already has) and the config/mode calls; subject and version deletes are not.
Waits grow exponentially from ``backoff_base`` up to ``backoff_max`` with jitter; a
``Retry-After`` header on 429/503 is honoured up to ``backoff_max``. When retries run out the
call raises ``RegistryUnavailableError``.

Caching: ``register`` and ``lookup`` remember (subject, schema, references, type, normalize)
-> id, so a repeated ``register`` makes no HTTP request; ``get_schema``/``get_schema_info``
remember schemas by id for the client's lifetime (ids are immutable); ``get_latest`` is cached
for ``latest_ttl`` seconds when that is positive. Deleting a subject or version forgets its
entries. Concurrent calls for the same uncached key share one HTTP request.

Errors (the sibling ``errors`` module; all are ``RegistryError``): ``RegistryUnavailableError``
(no usable answer, also TLS handshake failures, which are not retried),
``RegistryAuthError`` (401/403), ``RegistryResponseError`` (not the JSON expected),
``SubjectNotFoundError`` (40401), ``VersionNotFoundError`` (40402), ``SchemaNotFoundError``
(40403), ``IncompatibleSchemaError`` (HTTP 409, error 409 or 40901), ``InvalidSchemaError``
(42201), ``InvalidCompatibilityLevelError`` (42203), ``OperationNotPermittedError`` (42205),
``ReferenceExistsError`` (42206). Lookups that find nothing return None or [] instead.

Credentials never appear in ``repr``/``str`` of the config or clients, in logs or in errors.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import random
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Hashable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, NamedTuple, Self, TypeAlias, TypeVar, cast
from urllib.parse import quote, unquote, urlsplit

import httpx

from .errors import (
    IncompatibleSchemaError,
    InvalidCompatibilityLevelError,
    InvalidSchemaError,
    OperationNotPermittedError,
    ReferenceExistsError,
    RegistryAuthError,
    RegistryConfigError,
    RegistryError,
    RegistryResponseError,
    RegistryUnavailableError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)

__all__ = [
    "ACCEPT",
    "COMPATIBILITY_LEVELS",
    "CONTENT_TYPE",
    "MODES",
    "AsyncSchemaRegistryClient",
    "CompatibilityResult",
    "RegisteredSchema",
    "RegistryConfig",
    "SchemaInfo",
    "SchemaReference",
    "SchemaRegistryClient",
    "SubjectVersion",
]

log = logging.getLogger(__name__)

CONTENT_TYPE: Final = "application/vnd.schemaregistry.v1+json"
ACCEPT: Final = (
    "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json"
)
COMPATIBILITY_LEVELS: Final = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)
MODES: Final = ("READWRITE", "READONLY", "IMPORT")

_RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_MAX_VERSION: Final = 2**31 - 1
_ENV_HINT: Final = (
    "set basic auth (basic_auth='user:password', AVROBIND_REGISTRY_BASIC_AUTH, "
    "AVROBIND_REGISTRY_USERNAME and AVROBIND_REGISTRY_PASSWORD, or user:password@ in the URL) "
    "or a bearer token (token=... or AVROBIND_REGISTRY_TOKEN)"
)

_T = TypeVar("_T")


# --- public value types ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchemaReference:
    """A named type the schema uses from another subject (``version`` -1 means latest)."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        """The reference as the registry's JSON object."""
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True, slots=True)
class RegisteredSchema:
    """One version of a subject, as the registry stores it."""

    subject: str
    version: int
    schema_id: int
    schema: str
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = ()


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    """A schema fetched by id: its text, type and references."""

    schema_id: int
    schema: str
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = ()


class SubjectVersion(NamedTuple):
    """A (subject, version) pair under which a schema id is registered."""

    subject: str
    version: int


class CompatibilityResult(NamedTuple):
    """Outcome of ``test_compatibility``; unpacks as ``(is_compatible, messages)``.

    Its truth value is ``is_compatible`` (a plain tuple would always be true).
    """

    is_compatible: bool
    messages: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.is_compatible


ReferenceLike: TypeAlias = SchemaReference | Mapping[str, Any]


# --- configuration --------------------------------------------------------------------------

_PARAM_LABELS: Final[Mapping[str, str]] = {
    name: name
    for name in (
        "url",
        "basic_auth",
        "username",
        "password",
        "token",
        "timeout",
        "retries",
        "backoff_base",
        "backoff_max",
        "verify",
        "ca_bundle",
        "cert",
        "key",
        "key_password",
        "headers",
        "latest_ttl",
    )
}
_ENV_NAMES: Final = {
    "url": "URL",
    "basic_auth": "BASIC_AUTH",
    "username": "USERNAME",
    "password": "PASSWORD",
    "token": "TOKEN",
    "timeout": "TIMEOUT",
    "retries": "RETRIES",
    "verify": "VERIFY",
    "ca_bundle": "CA_BUNDLE",
    "cert": "CERT",
    "key": "KEY",
    "key_password": "KEY_PASSWORD",
    "latest_ttl": "LATEST_TTL",
}
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})


def _without_userinfo(text: str) -> str:
    """``text`` with any ``user:password@`` removed, for messages."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text.rpartition("@")[2]
    netloc, slash, tail = rest.partition("/")
    return f"{scheme}://{netloc.rpartition('@')[2]}{slash}{tail}"


def _split_url(raw: str, label: str) -> tuple[str, str | None, str | None]:
    """Return (URL without userinfo, user, password); the error never echoes credentials."""
    text = raw.strip()
    parts = urlsplit(text)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    shown = _without_userinfo(text)
    try:
        parts.port  # noqa: B018 -- validates the port
    except ValueError:
        raise RegistryConfigError(f"{label}: {shown!r} has an invalid port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistryConfigError(
            f"{label}: {shown!r} is not an http:// or https:// URL with a host"
        )
    if parts.query or parts.fragment:
        raise RegistryConfigError(f"{label}: {shown!r} must not have a query or fragment")
    clean = f"{parts.scheme}://{hostport}{parts.path.rstrip('/')}"
    if not userinfo:
        return clean, None, None
    user, colon, password = userinfo.partition(":")
    if not colon:
        raise RegistryConfigError(f"{label}: credentials in {shown!r} must be 'user:password@host'")
    return clean, unquote(user), unquote(password)


def _path(value: str | os.PathLike[str] | None, label: str) -> str | None:
    if value is None or value == "":
        return None
    path = os.fspath(value)
    if not os.path.exists(path):
        raise RegistryConfigError(f"{label}: {path!r} does not exist")
    return path


class RegistryConfig:
    """Where the registry is and how to talk to it; immutable. See the module docstring."""

    __slots__ = (
        "backoff_base",
        "backoff_max",
        "ca_bundle",
        "cert",
        "headers",
        "key",
        "key_password",
        "latest_ttl",
        "password",
        "retries",
        "timeout",
        "token",
        "urls",
        "username",
        "verify",
    )

    urls: tuple[str, ...]
    username: str | None
    password: str | None
    token: str | None
    timeout: float
    retries: int
    backoff_base: float
    backoff_max: float
    verify: bool
    ca_bundle: str | None
    cert: str | None
    key: str | None
    key_password: str | None
    headers: Mapping[str, str]
    latest_ttl: float

    def __init__(
        self,
        url: str | Sequence[str],
        *,
        basic_auth: str | None = None,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 10.0,
        verify: bool = True,
        ca_bundle: str | os.PathLike[str] | None = None,
        cert: str | os.PathLike[str] | None = None,
        key: str | os.PathLike[str] | None = None,
        key_password: str | None = None,
        headers: Mapping[str, str] | None = None,
        latest_ttl: float = 0.0,
    ) -> None:
        self._setup(
            _PARAM_LABELS,
            url=url,
            basic_auth=basic_auth,
            username=username,
            password=password,
            token=token,
            timeout=timeout,
            retries=retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            verify=verify,
            ca_bundle=ca_bundle,
            cert=cert,
            key=key,
            key_password=key_password,
            headers=headers,
            latest_ttl=latest_ttl,
        )

    def _setup(
        self,
        labels: Mapping[str, str],
        *,
        url: str | Sequence[str],
        basic_auth: str | None,
        username: str | None,
        password: str | None,
        token: str | None,
        timeout: float,
        retries: int,
        backoff_base: float,
        backoff_max: float,
        verify: bool,
        ca_bundle: str | os.PathLike[str] | None,
        cert: str | os.PathLike[str] | None,
        key: str | os.PathLike[str] | None,
        key_password: str | None,
        headers: Mapping[str, str] | None,
        latest_ttl: float,
    ) -> None:
        raw_urls = url.split(",") if isinstance(url, str) else list(url)
        urls: list[str] = []
        url_credentials: set[tuple[str, str]] = set()
        for raw in raw_urls:
            if not raw.strip():
                continue
            clean, url_user, url_password = _split_url(raw, labels["url"])
            urls.append(clean)
            if url_user is not None and url_password is not None:
                url_credentials.add((url_user, url_password))
        if not urls:
            raise RegistryConfigError(f"{labels['url']}: no schema registry URL given")
        if len(url_credentials) > 1:
            raise RegistryConfigError(
                f"{labels['url']}: the URLs embed different credentials; give them once "
                f"with {labels['basic_auth']} instead"
            )

        if basic_auth is not None and basic_auth != "":
            if username is not None or password is not None:
                raise RegistryConfigError(
                    f"give basic-auth credentials either as {labels['basic_auth']} or as "
                    f"{labels['username']} and {labels['password']}, not both"
                )
            username, colon, password = basic_auth.partition(":")
            if not colon:
                raise RegistryConfigError(
                    f"{labels['basic_auth']} must look like 'user:password' (no ':' found)"
                )
        if (username is None) != (password is None):
            missing = labels["password"] if password is None else labels["username"]
            raise RegistryConfigError(
                f"basic auth needs both a user name and a password: {missing} is not set"
            )
        if username is not None and not username:
            raise RegistryConfigError("basic auth: the user name is empty")
        if url_credentials:
            if username is not None:
                raise RegistryConfigError(
                    f"credentials are given both in {labels['url']} and as basic auth; "
                    "give them in one place only"
                )
            username, password = next(iter(url_credentials))
        if token == "":
            token = None
        if token is not None and username is not None:
            raise RegistryConfigError(
                f"give either basic-auth credentials or a bearer token ({labels['token']}), "
                "not both"
            )

        if not timeout > 0:
            raise RegistryConfigError(f"{labels['timeout']} must be a positive number of seconds")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise RegistryConfigError(f"{labels['retries']} must be a whole number >= 0")
        if not backoff_base >= 0 or not backoff_max >= backoff_base:
            raise RegistryConfigError(
                f"need 0 <= {labels['backoff_base']} <= {labels['backoff_max']}"
            )
        if not latest_ttl >= 0:
            raise RegistryConfigError(f"{labels['latest_ttl']} must be >= 0 seconds")

        ca_path = _path(ca_bundle, labels["ca_bundle"])
        cert_path = _path(cert, labels["cert"])
        key_path = _path(key, labels["key"])
        if ca_path is not None and not verify:
            raise RegistryConfigError(
                f"{labels['ca_bundle']} is set but {labels['verify']} is false; "
                "a CA bundle is only used when certificates are verified"
            )
        if key_path is not None and cert_path is None:
            raise RegistryConfigError(f"{labels['key']} is set without {labels['cert']}")
        if key_password is not None and key_path is None and cert_path is None:
            raise RegistryConfigError(
                f"{labels['key_password']} is set without {labels['cert']}/{labels['key']}"
            )
        extra = dict(headers or {})
        if any(name.lower() == "authorization" for name in extra) and (
            username is not None or token is not None
        ):
            raise RegistryConfigError(
                f"{labels['headers']} has an Authorization header and credentials are "
                "configured too; use one of them"
            )

        init = object.__setattr__
        init(self, "urls", tuple(urls))
        init(self, "username", username)
        init(self, "password", password)
        init(self, "token", token)
        init(self, "timeout", float(timeout))
        init(self, "retries", retries)
        init(self, "backoff_base", float(backoff_base))
        init(self, "backoff_max", float(backoff_max))
        init(self, "verify", bool(verify))
        init(self, "ca_bundle", ca_path)
        init(self, "cert", cert_path)
        init(self, "key", key_path)
        init(self, "key_password", key_password or None)
        init(self, "headers", extra)
        init(self, "latest_ttl", float(latest_ttl))

    @classmethod
    def from_env(
        cls,
        prefix: str = "AVROBIND_REGISTRY_",
        *,
        environ: Mapping[str, str] | None = None,
        url: str | Sequence[str] | None = None,
        default_url: str | None = None,
    ) -> RegistryConfig:
        """Read the configuration from ``{prefix}URL``, ``{prefix}USERNAME``... (see module doc).

        ``url`` (an explicit choice) wins over ``{prefix}URL``; ``default_url`` is used when
        neither is set. Empty variables count as unset.
        """
        env = os.environ if environ is None else environ
        labels = {
            name: f"{prefix}{_ENV_NAMES[name]}" if name in _ENV_NAMES else name
            for name in _PARAM_LABELS
        }

        def get(name: str) -> str | None:
            value = env.get(f"{prefix}{_ENV_NAMES[name]}")
            return value if value else None

        def number(name: str, default: float) -> float:
            value = get(name)
            if value is None:
                return default
            try:
                return float(value)
            except ValueError:
                raise RegistryConfigError(
                    f"{labels[name]} must be a number of seconds, got {value!r}"
                ) from None

        chosen = url if url is not None else (get("url") or default_url)
        if chosen is None:
            raise RegistryConfigError(f"{labels['url']} is not set")
        verify_text = (get("verify") or "true").strip().lower()
        if verify_text not in _TRUE | _FALSE:
            raise RegistryConfigError(
                f"{labels['verify']} must be true or false, got {verify_text!r}"
            )
        retries_text = get("retries") or "3"
        try:
            retries = int(retries_text)
        except ValueError:
            raise RegistryConfigError(
                f"{labels['retries']} must be a whole number, got {retries_text!r}"
            ) from None
        config = cls.__new__(cls)
        config._setup(
            labels,
            url=chosen,
            basic_auth=get("basic_auth"),
            username=get("username"),
            password=get("password"),
            token=get("token"),
            timeout=number("timeout", 10.0),
            retries=retries,
            backoff_base=0.5,
            backoff_max=10.0,
            verify=verify_text in _TRUE,
            ca_bundle=get("ca_bundle"),
            cert=get("cert"),
            key=get("key"),
            key_password=get("key_password"),
            headers=None,
            latest_ttl=number("latest_ttl", 0.0),
        )
        return config

    @property
    def auth_kind(self) -> str | None:
        """``"basic"``, ``"bearer"`` or None."""
        if self.username is not None:
            return "basic"
        return "bearer" if self.token is not None else None

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context for https URLs: ``verify``, ``ca_bundle`` and the client cert."""
        if not self.verify:
            context = httpx.create_ssl_context(verify=False)
        elif self.ca_bundle is not None:
            if os.path.isdir(self.ca_bundle):
                context = ssl.create_default_context(capath=self.ca_bundle)
            else:
                context = ssl.create_default_context(cafile=self.ca_bundle)
        else:
            context = httpx.create_ssl_context()
        if self.cert is not None:
            try:
                context.load_cert_chain(self.cert, self.key, self.key_password)
            except (OSError, ssl.SSLError) as exc:
                raise RegistryConfigError(
                    f"cannot load the client certificate {self.cert!r}"
                    + (f" with key {self.key!r}" if self.key else "")
                    + f": {exc.__class__.__name__}"
                ) from None
        return context

    def secrets(self) -> tuple[str, ...]:
        """Credential strings that must never be shown (used to scrub messages)."""
        found = [s for s in (self.password, self.token, self.key_password) if s]
        if self.username and self.password:
            found.append(f"{self.username}:{self.password}")
        # A very short secret would blank out ordinary words; those are too weak to matter.
        # Longest first, so "user:password" is masked whole rather than as "user:***".
        return tuple(sorted((s for s in found if len(s) >= 3), key=len, reverse=True))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RegistryConfig is immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        parts = [f"urls={list(self.urls)!r}", f"auth={self.auth_kind!r}"]
        parts += [f"timeout={self.timeout}", f"retries={self.retries}", f"verify={self.verify}"]
        parts += [
            f"{name}={value!r}"
            for name, value in (("ca_bundle", self.ca_bundle), ("cert", self.cert))
            if value is not None
        ]
        if self.headers:
            parts.append(f"headers={sorted(self.headers)!r}")  # names only: values may be keys
        if self.latest_ttl:
            parts.append(f"latest_ttl={self.latest_ttl}")
        return f"RegistryConfig({', '.join(parts)})"

    __str__ = __repr__


# --- request plumbing shared by both clients ------------------------------------------------


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


class _SchemaKey(NamedTuple):
    subject: str
    schema: str
    schema_type: str
    references: tuple[SchemaReference, ...]
    normalize: bool


@dataclass(frozen=True, slots=True)
class _Call:
    """One registry request and what its answers mean."""

    method: str
    path: str
    action: str  # completes "while trying to ..." in messages
    params: Mapping[str, str] | None = None
    body: bytes | None = None
    retry: bool = True  # may be resent after it possibly reached the server
    absent: frozenset[int] = frozenset()  # error codes answered as "nothing there"
    subject: str | None = None
    schema_id: int | None = None
    version: int | str | None = None
    level: str | None = None


@dataclass(frozen=True, slots=True)
class _Reply:
    data: Any
    url: str
    content_type: str | None
    absent: bool = False


@dataclass(frozen=True, slots=True)
class _Failure:
    """A failed attempt that a retry might fix."""

    reason: str
    base: str
    url: str
    no_retry: str | None = None  # why this must not be retried, if so
    status: int | None = None
    error_code: int | None = None
    message: str | None = None
    retry_after: float | None = None


_Plan: TypeAlias = Generator[_Call, _Reply, _T]

_NOT_IDEMPOTENT: Final = "not retried: resending it could repeat an operation that took effect"


def _quote(segment: str) -> str:
    quoted = quote(segment, safe="")
    # "." and ".." would be collapsed as dot-segments by URL normalisation.
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _check_subject(subject: str) -> str:
    if not isinstance(subject, str) or not subject:
        raise ValueError(f"a subject must be a non-empty string, got {subject!r}")
    return subject


def _version_segment(version: int | str) -> str:
    if version == "latest" or version == -1:
        return "latest"
    if (
        isinstance(version, bool)
        or not isinstance(version, int)
        or not 1 <= version <= _MAX_VERSION
    ):
        raise ValueError(f"a version must be 1..{_MAX_VERSION}, -1 or 'latest', got {version!r}")
    return str(version)


def _reference(value: ReferenceLike) -> SchemaReference:
    if isinstance(value, SchemaReference):
        return value
    try:
        return SchemaReference(str(value["name"]), str(value["subject"]), int(value["version"]))
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f"a schema reference needs 'name', 'subject' and an integer 'version', got {value!r}"
        ) from None


def _schema_key(
    subject: str,
    schema: str,
    references: Sequence[ReferenceLike] | None,
    schema_type: str,
    normalize: bool,
) -> _SchemaKey:
    _check_subject(subject)
    if not isinstance(schema, str):
        raise TypeError(f"schema must be the schema's JSON text (str), got {type(schema).__name__}")
    refs = tuple(_reference(r) for r in references) if references else ()
    return _SchemaKey(subject, schema, schema_type.upper(), refs, bool(normalize))


def _schema_body(key: _SchemaKey) -> bytes:
    body: dict[str, Any] = {"schema": key.schema}
    if key.schema_type != "AVRO":
        body["schemaType"] = key.schema_type
    if key.references:
        body["references"] = [r.to_json() for r in key.references]
    return json.dumps(body, separators=(",", ":")).encode()


def _json_body(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _flags(**flags: bool | str | None) -> dict[str, str] | None:
    params = {
        name: ("true" if value is True else value)
        for name, value in flags.items()
        if isinstance(value, str) or value is True
    }
    return params or None


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    """The ``ssl.SSLError`` behind a transport error (httpx wraps httpcore wraps ssl)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class _Caches:
    """The client caches; reads are lock-free dict lookups, writes take the lock."""

    def __init__(self, latest_ttl: float) -> None:
        self._lock = threading.Lock()
        self._latest_ttl = latest_ttl
        self.ids: dict[_SchemaKey, int] = {}
        self.lookups: dict[_SchemaKey, RegisteredSchema] = {}
        self.schemas: dict[int, SchemaInfo] = {}
        self._latest: dict[str, tuple[float, RegisteredSchema]] = {}

    def put_id(self, key: _SchemaKey, schema_id: int) -> None:
        with self._lock:
            self.ids[key] = schema_id
            self._latest.pop(key.subject, None)

    def put_lookup(self, key: _SchemaKey, found: RegisteredSchema) -> None:
        with self._lock:
            self.lookups[key] = found
            self.ids[key] = found.schema_id

    def put_schema(self, info: SchemaInfo) -> None:
        with self._lock:
            self.schemas[info.schema_id] = info

    def latest(self, subject: str) -> RegisteredSchema | None:
        entry = self._latest.get(subject)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put_latest(self, subject: str, found: RegisteredSchema) -> None:
        if self._latest_ttl > 0:
            with self._lock:
                self._latest[subject] = (time.monotonic() + self._latest_ttl, found)

    def forget_subject(self, subject: str) -> None:
        with self._lock:
            for key in [k for k in self.ids if k.subject == subject]:
                del self.ids[key]
            for key in [k for k in self.lookups if k.subject == subject]:
                del self.lookups[key]
            self._latest.pop(subject, None)

    def clear(self) -> None:
        with self._lock:
            self.ids.clear()
            self.lookups.clear()
            self.schemas.clear()
            self._latest.clear()


class _ClientBase:
    """Everything but I/O: request plans, response handling, error mapping, retry policy."""

    def __init__(self, config: RegistryConfig | str) -> None:
        self._config = config if isinstance(config, RegistryConfig) else RegistryConfig(config)
        self._caches = _Caches(self._config.latest_ttl)
        self._current = 0  # index of the URL to try first; moves on after a failure
        self._secrets = self._config.secrets()

    @property
    def config(self) -> RegistryConfig:
        """The configuration this client was built with."""
        return self._config

    def clear_caches(self) -> None:
        """Forget every cached id, schema and lookup."""
        self._caches.clear()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(urls={list(self._config.urls)!r})"

    # -- httpx setup

    def _client_options(self) -> dict[str, Any]:
        config = self._config
        auth: httpx.Auth | None = None
        if config.username is not None and config.password is not None:
            auth = httpx.BasicAuth(config.username, config.password)
        elif config.token is not None:
            auth = _BearerAuth(config.token)
        uses_tls = any(url.startswith("https:") for url in config.urls)
        return {
            "auth": auth,
            "headers": {
                "Accept": ACCEPT,
                "User-Agent": "avrobind-registry-client",
                **config.headers,
            },
            "timeout": httpx.Timeout(config.timeout),
            "verify": config.ssl_context() if uses_tls else True,
            "follow_redirects": False,
        }

    # -- attempt bookkeeping

    def _rotation(self) -> list[str]:
        urls = self._config.urls
        start = self._current % len(urls)
        return [*urls[start:], *urls[:start]]

    def _move_past(self, base: str) -> None:
        urls = self._config.urls
        if len(urls) > 1 and urls[self._current % len(urls)] == base:
            self._current = (urls.index(base) + 1) % len(urls)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        config = self._config
        if retry_after is not None:
            return min(retry_after, config.backoff_max)
        ceiling = min(config.backoff_max, config.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _on_transport_error(
        self, call: _Call, base: str, url: str, exc: httpx.TransportError
    ) -> tuple[_Failure, bool]:
        """Classify a transport error; the flag says whether to fail over right away."""
        if isinstance(exc, httpx.DecodingError):
            raise RegistryResponseError(
                f"schema registry at {base} sent a response to {call.method} {url} that "
                f"could not be decoded ({self._redact(str(exc))})",
                url=url,
                method=call.method,
                subject=call.subject,
            ) from None
        tls_error = _ssl_cause(exc)
        if tls_error is not None:
            detail = self._redact(str(tls_error)) or type(tls_error).__name__
            failure = _Failure(
                reason=f"the TLS handshake failed ({type(tls_error).__name__}: {detail})",
                base=base,
                url=url,
                no_retry=(
                    "not retried: check verify, ca_bundle (AVROBIND_REGISTRY_CA_BUNDLE) and "
                    "the client certificate (cert/key)"
                ),
            )
            return failure, False
        not_sent = isinstance(exc, _NOT_SENT)
        if not_sent:
            what = "could not connect"
        elif isinstance(exc, httpx.TimeoutException):
            what = "timed out waiting for the response"
        else:
            what = "the connection failed"
        detail = self._redact(str(exc)) or "no details"
        failure = _Failure(
            reason=f"{what} ({type(exc).__name__}: {detail})",
            base=base,
            url=url,
            no_retry=None if not_sent or call.retry else _NOT_IDEMPOTENT,
        )
        self._move_past(base)
        return failure, not_sent and len(self._config.urls) > 1

    def _give_up(self, call: _Call, failure: _Failure, attempts: int) -> RegistryUnavailableError:
        urls = self._config.urls
        where = (
            f"schema registry at {failure.base}"
            if len(urls) == 1
            else f"schema registry (tried {', '.join(urls)}; last {failure.base})"
        )
        text = f"{where} is unavailable: {failure.reason} while trying to {call.action}"
        if failure.no_retry is not None:
            text += f" ({failure.no_retry})"
        else:
            text += f"; gave up after {_plural(attempts, 'attempt')}"
        return RegistryUnavailableError(
            text,
            attempts=attempts,
            status=failure.status,
            error_code=failure.error_code,
            message=failure.message,
            url=failure.url,
            method=call.method,
            subject=call.subject,
        )

    def _on_response(self, call: _Call, base: str, response: httpx.Response) -> _Reply | _Failure:
        status = response.status_code
        url = str(response.request.url)
        content_type = response.headers.get("Content-Type")
        log.debug("schema registry %s %s -> HTTP %d", call.method, url, status)
        if 200 <= status < 300:
            try:
                return _Reply(response.json(), url, content_type)
            except ValueError:
                raise self._bad_body(call, base, url, response, "expected JSON") from None
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            if location:
                location = f" to {self._redact(_without_userinfo(location))}"
            raise RegistryResponseError(
                f"schema registry at {base} answered {call.method} {url} with a redirect "
                f"(HTTP {status}){location}; configure the final registry URL directly",
                status=status,
                url=url,
                method=call.method,
                subject=call.subject,
                content_type=content_type,
            )
        code, message, is_json = self._error_body(response)
        if status in _RETRYABLE_STATUSES:
            reason = f"HTTP {status} {response.reason_phrase}".rstrip()
            if code is not None:
                reason += f", error {code}"
            if message:
                reason += f": {message}"
            self._move_past(base)
            return _Failure(
                reason=reason,
                base=base,
                url=url,
                no_retry=None if call.retry else _NOT_IDEMPOTENT,
                status=status,
                error_code=code,
                message=message,
                retry_after=_retry_after(response) if status in (429, 503) else None,
            )
        if status in (401, 403):
            raise self._auth_error(call, base, url, status, code, message)
        if not is_json:
            raise self._bad_body(call, base, url, response, "expected a JSON error body")
        if status == 404 and code in call.absent:
            return _Reply(None, url, content_type, absent=True)
        raise self._status_error(call, base, url, status, code, message)

    def _error_body(self, response: httpx.Response) -> tuple[int | None, str | None, bool]:
        try:
            data = response.json()
        except ValueError:
            return None, None, False
        if not isinstance(data, dict):
            return None, self._redact(_excerpt(json.dumps(data))), True
        raw_code = data.get("error_code")
        code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        raw_message = data.get("message")
        if raw_message is None:
            raw_message = data.get("detail")
        message = self._redact(str(raw_message)) if raw_message is not None else None
        return code, message, True

    def _bad_body(
        self, call: _Call, base: str, url: str, response: httpx.Response, expected: str
    ) -> RegistryResponseError:
        content_type = response.headers.get("Content-Type")
        body = self._redact(_excerpt(response.text[:2000]))
        return RegistryResponseError(
            f"schema registry at {base} answered {call.method} {url} with HTTP "
            f"{response.status_code} and a body that is not JSON ({expected}; got "
            f"{content_type or 'no content type'}: {body!r}); check that {base} is the URL "
            "of a schema registry",
            status=response.status_code,
            url=url,
            method=call.method,
            subject=call.subject,
            content_type=content_type,
            body=body,
        )

    def _auth_error(
        self, call: _Call, base: str, url: str, status: int, code: int | None, message: str | None
    ) -> RegistryAuthError:
        kind = self._config.auth_kind
        detail = f"HTTP {status}" + (f", error {code}" if code is not None else "")
        said = f": {message}" if message else ""
        if status == 401:
            what = "authentication failed"
            if kind is None:
                hint = f"no credentials are configured; {_ENV_HINT}"
            else:
                creds = "basic-auth credentials" if kind == "basic" else "bearer token"
                hint = f"the configured {creds} were rejected; check them (not shown here)"
        else:
            what = "permission denied"
            hint = (
                "the credentials were accepted but may not do this"
                if kind is not None
                else f"no credentials are configured; {_ENV_HINT}"
            )
        return RegistryAuthError(
            f"schema registry at {base} refused to {call.action}: {what} ({detail}){said}; {hint}",
            status=status,
            error_code=code,
            message=message,
            url=url,
            method=call.method,
            subject=call.subject,
        )

    def _status_error(
        self, call: _Call, base: str, url: str, status: int, code: int | None, message: str | None
    ) -> RegistryError:
        context: dict[str, Any] = {
            "status": status,
            "error_code": code,
            "message": message,
            "url": url,
            "method": call.method,
            "subject": call.subject,
        }
        where = f"schema registry at {base}"
        detail = f"HTTP {status}" + (f", error {code}" if code is not None else "")
        said = f": {message}" if message else ""
        subject = call.subject
        if status == 409:
            return IncompatibleSchemaError(
                f"{where} rejected the schema for subject {subject!r} as incompatible "
                f"({detail}){said}",
                messages=[message] if message else [],
                **context,
            )
        if code == 40401:
            return SubjectNotFoundError(
                f"{where} has no subject {subject!r} ({detail}) (while trying to {call.action})",
                **context,
            )
        if code == 40402:
            return VersionNotFoundError(
                f"{where} has no version {call.version} of subject {subject!r} ({detail})",
                version=call.version,
                **context,
            )
        if code == 40403:
            text = (
                f"{where} has no schema with id {call.schema_id} ({detail})"
                if call.schema_id is not None
                else f"{where} has no such schema (while trying to {call.action}) ({detail})"
            )
            return SchemaNotFoundError(call.schema_id, text, **context)
        if code == 42201:
            return InvalidSchemaError(
                f"{where} rejected the schema for subject {subject!r} as invalid ({detail}){said}",
                **context,
            )
        if code == 42203:
            return InvalidCompatibilityLevelError(
                f"{where} rejected the compatibility level {call.level!r} ({detail}){said}; "
                f"known levels: {', '.join(COMPATIBILITY_LEVELS)}",
                level=call.level,
                **context,
            )
        if code == 42205:
            if call.path.startswith("/mode"):
                hint = "; switching to IMPORT needs force=True when schemas exist"
            else:
                scope = f"subject {subject!r}" if subject else "the registry"
                mode_args = f"'READWRITE', {subject!r}" if subject else "'READWRITE'"
                hint = (
                    f"; {scope} is in READONLY or IMPORT mode; switch it with "
                    f"set_mode({mode_args}) if writes are intended"
                )
            return OperationNotPermittedError(
                f"{where} refused to {call.action} ({detail}){said}{hint}", **context
            )
        if code == 42206:
            return ReferenceExistsError(
                f"{where} refused to {call.action}: another schema still references it "
                f"({detail}){said}; delete or update the referencing schemas first",
                **context,
            )
        hint = ""
        if status == 404 and code in (None, 404):
            hint = f"; check that {base} is the base URL of a schema registry"
        return RegistryError(f"{where} failed to {call.action} ({detail}){said}{hint}", **context)

    # -- decoding

    def _shape_error(self, call: _Call, reply: _Reply, problem: str) -> RegistryResponseError:
        body = self._redact(_excerpt(json.dumps(reply.data)))
        return RegistryResponseError(
            f"schema registry answered {call.method} {reply.url} with unexpected JSON "
            f"({problem}): {body!r}",
            url=reply.url,
            method=call.method,
            subject=call.subject,
            content_type=reply.content_type,
            body=body,
        )

    def _field(self, call: _Call, reply: _Reply, name: str, kind: type[_T]) -> _T:
        data = reply.data
        if not isinstance(data, dict):
            raise self._shape_error(call, reply, "expected a JSON object")
        value = data.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self._shape_error(call, reply, f"expected {kind.__name__} {name!r}")
        return value

    def _references(self, call: _Call, reply: _Reply) -> tuple[SchemaReference, ...] | None:
        raw = reply.data.get("references") if isinstance(reply.data, dict) else None
        if raw is None:
            return None
        try:
            return tuple(_reference(r) for r in raw)
        except (ValueError, TypeError):
            raise self._shape_error(call, reply, "malformed 'references'") from None

    def _schema_type(self, reply: _Reply) -> str:
        value = reply.data.get("schemaType") if isinstance(reply.data, dict) else None
        return value if isinstance(value, str) and value else "AVRO"

    def _registered(self, call: _Call, reply: _Reply, subject: str) -> RegisteredSchema:
        data = reply.data
        found_subject = data.get("subject") if isinstance(data, dict) else None
        return RegisteredSchema(
            subject=found_subject if isinstance(found_subject, str) else subject,
            version=self._field(call, reply, "version", int),
            schema_id=self._field(call, reply, "id", int),
            schema=self._field(call, reply, "schema", str),
            schema_type=self._schema_type(reply),
            references=self._references(call, reply) or (),
        )

    def _list_of(self, call: _Call, reply: _Reply, kind: type[_T]) -> list[_T]:
        data = reply.data
        if not isinstance(data, list) or not all(
            isinstance(item, kind) and not isinstance(item, bool) for item in data
        ):
            raise self._shape_error(call, reply, f"expected a list of {kind.__name__}")
        return cast("list[_T]", data)

    def _level(self, call: _Call, reply: _Reply, *keys: str) -> str:
        data = reply.data
        if isinstance(data, str):
            return data
        if isinstance(data, dict):
            for key in keys:
                value = data.get(key)
                if isinstance(value, str):
                    return value
        raise self._shape_error(call, reply, f"expected {' or '.join(map(repr, keys))}")

    # -- plans: the request sequence and result of each operation, independent of I/O

    def _register_plan(self, key: _SchemaKey) -> _Plan[int]:
        cached = self._caches.ids.get(key)
        if cached is not None:
            return cached
        call = _Call(
            "POST",
            f"/subjects/{_quote(key.subject)}/versions",
            f"register a schema under subject {key.subject!r}",
            params=_flags(normalize=key.normalize),
            body=_schema_body(key),
            subject=key.subject,
        )
        reply = yield call
        schema_id = self._field(call, reply, "id", int)
        self._caches.put_id(key, schema_id)
        return schema_id

    def _lookup_plan(self, key: _SchemaKey, deleted: bool) -> _Plan[RegisteredSchema | None]:
        if not deleted:
            cached = self._caches.lookups.get(key)
            if cached is not None:
                return cached
        call = _Call(
            "POST",
            f"/subjects/{_quote(key.subject)}",
            f"look up a schema under subject {key.subject!r}",
            params=_flags(normalize=key.normalize, deleted=deleted),
            body=_schema_body(key),
            absent=frozenset({40401, 40403}),
            subject=key.subject,
        )
        reply = yield call
        if reply.absent:
            return None
        found = self._registered(call, reply, key.subject)
        if self._references(call, reply) is None and key.references:
            found = RegisteredSchema(
                found.subject,
                found.version,
                found.schema_id,
                found.schema,
                found.schema_type,
                key.references,
            )
        if not deleted:
            self._caches.put_lookup(key, found)
        return found

    def _schema_info_plan(self, schema_id: int) -> _Plan[SchemaInfo]:
        if isinstance(schema_id, bool) or not isinstance(schema_id, int):
            raise TypeError(f"schema_id must be an int, got {type(schema_id).__name__}")
        cached = self._caches.schemas.get(schema_id)
        if cached is not None:
            return cached
        call = _Call(
            "GET",
            f"/schemas/ids/{schema_id}",
            f"fetch the schema with id {schema_id}",
            schema_id=schema_id,
        )
        reply = yield call
        info = SchemaInfo(
            schema_id=schema_id,
            schema=self._field(call, reply, "schema", str),
            schema_type=self._schema_type(reply),
            references=self._references(call, reply) or (),
        )
        self._caches.put_schema(info)
        return info

    def _versions_by_id_plan(self, schema_id: int) -> _Plan[list[SubjectVersion]]:
        call = _Call(
            "GET",
            f"/schemas/ids/{int(schema_id)}/versions",
            f"list the subjects using schema id {schema_id}",
            schema_id=schema_id,
        )
        reply = yield call
        pairs: list[SubjectVersion] = []
        for item in reply.data if isinstance(reply.data, list) else [None]:
            subject = item.get("subject") if isinstance(item, dict) else None
            version = item.get("version") if isinstance(item, dict) else None
            if not isinstance(subject, str) or not isinstance(version, int):
                raise self._shape_error(call, reply, "expected [{'subject', 'version'}]")
            pairs.append(SubjectVersion(subject, version))
        return pairs

    def _version_plan(
        self, subject: str, version: int | str, absent: frozenset[int] = frozenset()
    ) -> _Plan[RegisteredSchema | None]:
        segment = _version_segment(version)
        if segment == "latest" and absent:
            cached = self._caches.latest(_check_subject(subject))
            if cached is not None:
                return cached
        call = _Call(
            "GET",
            f"/subjects/{_quote(_check_subject(subject))}/versions/{segment}",
            f"fetch version {segment} of subject {subject!r}",
            absent=absent,
            subject=subject,
            version=segment if segment == "latest" else version,
        )
        reply = yield call
        if reply.absent:
            return None
        found = self._registered(call, reply, subject)
        if segment == "latest":
            self._caches.put_latest(subject, found)
        return found

    def _versions_plan(self, subject: str, deleted: bool) -> _Plan[list[int]]:
        call = _Call(
            "GET",
            f"/subjects/{_quote(_check_subject(subject))}/versions",
            f"list the versions of subject {subject!r}",
            params=_flags(deleted=deleted),
            absent=frozenset({40401}),
            subject=subject,
        )
        reply = yield call
        return [] if reply.absent else self._list_of(call, reply, int)

    def _subjects_plan(self, prefix: str | None, deleted: bool) -> _Plan[list[str]]:
        call = _Call(
            "GET",
            "/subjects",
            "list the subjects",
            params=_flags(subjectPrefix=prefix or None, deleted=deleted),
        )
        reply = yield call
        subjects = self._list_of(call, reply, str)
        # Registries that ignore subjectPrefix (older Karapace) return everything.
        return [s for s in subjects if s.startswith(prefix)] if prefix else subjects

    def _compatibility_plan(
        self, key: _SchemaKey, version: int | str, verbose: bool
    ) -> _Plan[CompatibilityResult]:
        segment = _version_segment(version)
        call = _Call(
            "POST",
            f"/compatibility/subjects/{_quote(key.subject)}/versions/{segment}",
            f"check a schema's compatibility with version {segment} of subject {key.subject!r}",
            params=_flags(verbose=verbose, normalize=key.normalize),
            body=_schema_body(key),
            # Against "latest" of a subject with no versions there is nothing to check:
            # Confluent answers 40401 (no subject), Karapace 40402 (no version).
            absent=frozenset({40401, 40402}) if segment == "latest" else frozenset(),
            subject=key.subject,
            version=segment if segment == "latest" else version,
        )
        reply = yield call
        if reply.absent:
            return CompatibilityResult(True, ())
        compatible = self._field(call, reply, "is_compatible", bool)
        raw = reply.data.get("messages") or []
        messages = tuple(str(m) for m in raw) if isinstance(raw, list) else (str(raw),)
        return CompatibilityResult(compatible, messages)

    def _get_config_plan(self, subject: str | None, default_to_global: bool) -> _Plan[str | None]:
        scope = f"subject {subject!r}" if subject is not None else "the registry"
        call = _Call(
            "GET",
            f"/config/{_quote(_check_subject(subject))}" if subject is not None else "/config",
            f"read the compatibility level of {scope}",
            params=_flags(defaultToGlobal=default_to_global),
            absent=frozenset({40401, 40408}) if subject is not None else frozenset(),
            subject=subject,
        )
        reply = yield call
        if reply.absent:
            return None
        return self._level(call, reply, "compatibilityLevel", "compatibility")

    def _set_config_plan(self, level: str, subject: str | None) -> _Plan[str]:
        scope = f"subject {subject!r}" if subject is not None else "the registry"
        call = _Call(
            "PUT",
            f"/config/{_quote(_check_subject(subject))}" if subject is not None else "/config",
            f"set the compatibility level of {scope} to {level!r}",
            body=_json_body({"compatibility": level}),
            subject=subject,
            level=level,
        )
        reply = yield call
        return self._level(call, reply, "compatibility", "compatibilityLevel")

    def _delete_config_plan(self, subject: str) -> _Plan[str | None]:
        call = _Call(
            "DELETE",
            f"/config/{_quote(_check_subject(subject))}",
            f"remove the compatibility level of subject {subject!r}",
            absent=frozenset({40401, 40408}),
            subject=subject,
        )
        reply = yield call
        if reply.absent:
            return None
        return self._level(call, reply, "compatibilityLevel", "compatibility")

    def _get_mode_plan(self, subject: str | None, default_to_global: bool) -> _Plan[str | None]:
        scope = f"subject {subject!r}" if subject is not None else "the registry"
        call = _Call(
            "GET",
            f"/mode/{_quote(_check_subject(subject))}" if subject is not None else "/mode",
            f"read the mode of {scope}",
            params=_flags(defaultToGlobal=default_to_global),
            absent=frozenset({40401, 40409}) if subject is not None else frozenset(),
            subject=subject,
        )
        reply = yield call
        if reply.absent:
            return None
        return self._level(call, reply, "mode")

    def _set_mode_plan(self, mode: str, subject: str | None, force: bool) -> _Plan[str]:
        scope = f"subject {subject!r}" if subject is not None else "the registry"
        call = _Call(
            "PUT",
            f"/mode/{_quote(_check_subject(subject))}" if subject is not None else "/mode",
            f"set the mode of {scope} to {mode!r}",
            params=_flags(force=force),
            body=_json_body({"mode": mode}),
            subject=subject,
        )
        reply = yield call
        return self._level(call, reply, "mode")

    def _delete_mode_plan(self, subject: str) -> _Plan[str | None]:
        call = _Call(
            "DELETE",
            f"/mode/{_quote(_check_subject(subject))}",
            f"remove the mode of subject {subject!r}",
            absent=frozenset({40401, 40409}),
            subject=subject,
        )
        reply = yield call
        if reply.absent:
            return None
        return self._level(call, reply, "mode")

    def _delete_subject_plan(self, subject: str, permanent: bool) -> _Plan[list[int]]:
        path = f"/subjects/{_quote(_check_subject(subject))}"
        try:
            soft = _Call(
                "DELETE",
                path,
                f"delete subject {subject!r}",
                retry=False,
                # Already soft-deleted (40404) is fine on the way to a permanent delete.
                absent=frozenset({40404}) if permanent else frozenset(),
                subject=subject,
            )
            reply = yield soft
            if permanent:
                hard = _Call(
                    "DELETE",
                    path,
                    f"permanently delete subject {subject!r}",
                    params={"permanent": "true"},
                    retry=False,
                    subject=subject,
                )
                reply = yield hard
                return self._list_of(hard, reply, int)
            return self._list_of(soft, reply, int)
        finally:
            self._caches.forget_subject(subject)

    def _delete_version_plan(self, subject: str, version: int | str, permanent: bool) -> _Plan[int]:
        segment = _version_segment(version)
        path = f"/subjects/{_quote(_check_subject(subject))}/versions/{segment}"
        try:
            soft = _Call(
                "DELETE",
                path,
                f"delete version {segment} of subject {subject!r}",
                retry=False,
                # Already soft-deleted (40406) is fine on the way to a permanent delete.
                absent=frozenset({40406}) if permanent else frozenset(),
                subject=subject,
                version=version,
            )
            reply = yield soft
            last = soft
            if permanent:
                last = _Call(
                    "DELETE",
                    path,
                    f"permanently delete version {segment} of subject {subject!r}",
                    params={"permanent": "true"},
                    retry=False,
                    subject=subject,
                    version=version,
                )
                reply = yield last
            data = reply.data
            if isinstance(data, bool) or not isinstance(data, int):
                raise self._shape_error(last, reply, "expected the deleted version number")
            return data
        finally:
            self._caches.forget_subject(subject)


# --- sync client ----------------------------------------------------------------------------


class _Flights:
    """Lets concurrent threads asking for the same key share one computation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[Hashable, Future[Any]] = {}

    def run(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        with self._lock:
            future = self._running.get(key)
            leader = future is None
            if future is None:
                future = self._running[key] = Future()
        if not leader:
            return cast("_T", future.result())
        try:
            result = compute()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                del self._running[key]


class SchemaRegistryClient(_ClientBase):
    """Synchronous, thread-safe registry client with pooled connections.

    ``config`` is a ``RegistryConfig`` or a URL. ``transport`` and ``event_hooks`` are passed to
    ``httpx.Client`` (for tests, proxies or instrumentation).
    """

    def __init__(
        self,
        config: RegistryConfig | str,
        *,
        transport: httpx.BaseTransport | None = None,
        event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None,
    ) -> None:
        super().__init__(config)
        self._flights = _Flights()
        self._http = httpx.Client(
            transport=transport, event_hooks=event_hooks, **self._client_options()
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    # -- I/O

    def _run(self, plan: _Plan[_T]) -> _T:
        reply: _Reply | None = None
        error: RegistryError | None = None
        while True:
            try:
                call = plan.throw(error) if error is not None else plan.send(cast("_Reply", reply))
            except StopIteration as stop:
                return cast("_T", stop.value)
            try:
                reply, error = self._send(call), None
            except RegistryError as exc:
                reply, error = None, exc
            except BaseException:
                plan.close()  # runs the plan's cleanup (cache invalidation) right away
                raise

    def _send(self, call: _Call) -> _Reply:
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(call)
            if isinstance(outcome, _Reply):
                return outcome
            if outcome.no_retry is not None or attempt > self._config.retries:
                raise self._give_up(call, outcome, attempt)
            delay = self._backoff(attempt, outcome.retry_after)
            log.warning(
                "schema registry: %s while trying to %s; retry %d of %d in %.2fs",
                outcome.reason,
                call.action,
                attempt,
                self._config.retries,
                delay,
            )
            time.sleep(delay)

    def _attempt(self, call: _Call) -> _Reply | _Failure:
        headers = {"Content-Type": CONTENT_TYPE} if call.body is not None else None
        failure: _Failure | None = None
        for base in self._rotation():
            url = base + call.path
            try:
                response = self._http.request(
                    call.method, url, params=call.params, content=call.body, headers=headers
                )
            except httpx.TransportError as exc:
                failure, fail_over = self._on_transport_error(call, base, url, exc)
                if fail_over:
                    continue
                return failure
            return self._on_response(call, base, response)
        assert failure is not None
        return failure

    # -- API

    def register(
        self,
        subject: str,
        schema: str,
        references: Sequence[ReferenceLike] | None = None,
        *,
        normalize: bool = False,
        schema_type: str = "AVRO",
    ) -> int:
        """Register ``schema`` (JSON text) under ``subject``; return its id (cached)."""
        key = _schema_key(subject, schema, references, schema_type, normalize)
        cached = self._caches.ids.get(key)
        if cached is not None:
            return cached
        return self._flights.run(("register", key), lambda: self._run(self._register_plan(key)))

    def lookup(
        self,
        subject: str,
        schema: str,
        references: Sequence[ReferenceLike] | None = None,
        *,
        normalize: bool = False,
        deleted: bool = False,
        schema_type: str = "AVRO",
    ) -> RegisteredSchema | None:
        """Find ``schema`` under ``subject``; None if the subject or the schema is not there."""
        key = _schema_key(subject, schema, references, schema_type, normalize)
        if deleted:
            return self._run(self._lookup_plan(key, deleted=True))
        cached = self._caches.lookups.get(key)
        if cached is not None:
            return cached
        return self._flights.run(("lookup", key), lambda: self._run(self._lookup_plan(key, False)))

    def get_schema(self, schema_id: int) -> str:
        """The text of the schema with this id (cached); raises ``SchemaNotFoundError``."""
        return self.get_schema_info(schema_id).schema

    def get_schema_info(self, schema_id: int) -> SchemaInfo:
        """The schema with this id with its type and references (cached)."""
        cached = self._caches.schemas.get(schema_id)
        if cached is not None:
            return cached
        return self._flights.run(
            ("schema", schema_id), lambda: self._run(self._schema_info_plan(schema_id))
        )

    def get_versions_by_id(self, schema_id: int) -> list[SubjectVersion]:
        """Every (subject, version) registered with this schema id."""
        return self._run(self._versions_by_id_plan(schema_id))

    def get_latest(self, subject: str) -> RegisteredSchema | None:
        """The subject's latest version, or None if it has none (cached for ``latest_ttl``)."""
        absent = frozenset({40401, 40402})
        if self._config.latest_ttl <= 0:
            return self._run(self._version_plan(subject, "latest", absent))
        cached = self._caches.latest(subject)
        if cached is not None:
            return cached
        return self._flights.run(
            ("latest", subject), lambda: self._run(self._version_plan(subject, "latest", absent))
        )

    def get_version(self, subject: str, version: int | str) -> RegisteredSchema:
        """One version (a number or ``"latest"``); raises if the subject or version is missing."""
        found = self._run(self._version_plan(subject, version))
        assert found is not None  # nothing is "absent" without an absent code
        return found

    def get_versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        """The subject's version numbers; [] if the subject does not exist."""
        return self._run(self._versions_plan(subject, deleted))

    def get_subjects(self, prefix: str | None = None, *, deleted: bool = False) -> list[str]:
        """All subject names, optionally only those starting with ``prefix``."""
        return self._run(self._subjects_plan(prefix, deleted))

    def test_compatibility(
        self,
        subject: str,
        schema: str,
        version: int | str = "latest",
        *,
        references: Sequence[ReferenceLike] | None = None,
        verbose: bool = True,
        normalize: bool = False,
        schema_type: str = "AVRO",
    ) -> CompatibilityResult:
        """Would ``schema`` be accepted? A subject without versions counts as compatible."""
        key = _schema_key(subject, schema, references, schema_type, normalize)
        return self._run(self._compatibility_plan(key, version, verbose))

    def get_compatibility(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> str | None:
        """The registry's level, or the subject's own (None when it has none)."""
        return self._run(self._get_config_plan(subject, default_to_global))

    def set_compatibility(self, level: str, subject: str | None = None) -> str:
        """Set the registry's (or the subject's) compatibility level; returns the level set."""
        return self._run(self._set_config_plan(level, subject))

    def delete_compatibility(self, subject: str) -> str | None:
        """Drop the subject's own level (it falls back to the global); returns the old one."""
        return self._run(self._delete_config_plan(subject))

    def get_mode(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> str | None:
        """READWRITE, READONLY or IMPORT; None when the subject has no mode of its own."""
        return self._run(self._get_mode_plan(subject, default_to_global))

    def set_mode(self, mode: str, subject: str | None = None, *, force: bool = False) -> str:
        """Set the registry's (or the subject's) mode; returns the mode set."""
        return self._run(self._set_mode_plan(mode, subject, force))

    def delete_mode(self, subject: str) -> str | None:
        """Drop the subject's own mode; returns the old one (None if it had none)."""
        return self._run(self._delete_mode_plan(subject))

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        """Soft-delete the subject (then hard-delete if ``permanent``); returns the versions."""
        return self._run(self._delete_subject_plan(subject, permanent))

    def delete_version(self, subject: str, version: int | str, *, permanent: bool = False) -> int:
        """Soft-delete one version (then hard-delete if ``permanent``); returns its number."""
        return self._run(self._delete_version_plan(subject, version, permanent))


# --- async client ---------------------------------------------------------------------------


class _AsyncFlights:
    """Lets concurrent tasks asking for the same key share one computation."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, compute: Callable[[], Awaitable[_T]]) -> _T:
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(compute())
            self._running[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        # shield: a cancelled caller must not cancel the request the others wait for.
        return cast("_T", await asyncio.shield(task))

    def _finished(self, key: Hashable, task: asyncio.Future[Any]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            task.exception()  # marks it retrieved when every waiter was cancelled


class AsyncSchemaRegistryClient(_ClientBase):
    """The asyncio twin of ``SchemaRegistryClient``: same methods, awaited.

    Task-safe; like any ``httpx.AsyncClient`` it belongs to the event loop that first uses it.
    """

    def __init__(
        self,
        config: RegistryConfig | str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None,
    ) -> None:
        super().__init__(config)
        self._flights = _AsyncFlights()
        self._http = httpx.AsyncClient(
            transport=transport, event_hooks=event_hooks, **self._client_options()
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    close = aclose  # the sync client's name, awaited

    # -- I/O

    async def _run(self, plan: _Plan[_T]) -> _T:
        reply: _Reply | None = None
        error: RegistryError | None = None
        while True:
            try:
                call = plan.throw(error) if error is not None else plan.send(cast("_Reply", reply))
            except StopIteration as stop:
                return cast("_T", stop.value)
            try:
                reply, error = await self._send(call), None
            except RegistryError as exc:
                reply, error = None, exc
            except BaseException:
                plan.close()  # runs the plan's cleanup (cache invalidation) right away
                raise

    async def _send(self, call: _Call) -> _Reply:
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(call)
            if isinstance(outcome, _Reply):
                return outcome
            if outcome.no_retry is not None or attempt > self._config.retries:
                raise self._give_up(call, outcome, attempt)
            delay = self._backoff(attempt, outcome.retry_after)
            log.warning(
                "schema registry: %s while trying to %s; retry %d of %d in %.2fs",
                outcome.reason,
                call.action,
                attempt,
                self._config.retries,
                delay,
            )
            await asyncio.sleep(delay)

    async def _attempt(self, call: _Call) -> _Reply | _Failure:
        headers = {"Content-Type": CONTENT_TYPE} if call.body is not None else None
        failure: _Failure | None = None
        for base in self._rotation():
            url = base + call.path
            try:
                response = await self._http.request(
                    call.method, url, params=call.params, content=call.body, headers=headers
                )
            except httpx.TransportError as exc:
                failure, fail_over = self._on_transport_error(call, base, url, exc)
                if fail_over:
                    continue
                return failure
            return self._on_response(call, base, response)
        assert failure is not None
        return failure

    # -- API (documented on SchemaRegistryClient)

    async def register(
        self,
        subject: str,
        schema: str,
        references: Sequence[ReferenceLike] | None = None,
        *,
        normalize: bool = False,
        schema_type: str = "AVRO",
    ) -> int:
        """Register ``schema`` (JSON text) under ``subject``; return its id (cached)."""
        key = _schema_key(subject, schema, references, schema_type, normalize)
        cached = self._caches.ids.get(key)
        if cached is not None:
            return cached
        return await self._flights.run(
            ("register", key), lambda: self._run(self._register_plan(key))
        )

    async def lookup(
        self,
        subject: str,
        schema: str,
        references: Sequence[ReferenceLike] | None = None,
        *,
        normalize: bool = False,
        deleted: bool = False,
        schema_type: str = "AVRO",
    ) -> RegisteredSchema | None:
        """Find ``schema`` under ``subject``; None if the subject or the schema is not there."""
        key = _schema_key(subject, schema, references, schema_type, normalize)
        if deleted:
            return await self._run(self._lookup_plan(key, deleted=True))
        cached = self._caches.lookups.get(key)
        if cached is not None:
            return cached
        return await self._flights.run(
            ("lookup", key), lambda: self._run(self._lookup_plan(key, False))
        )

    async def get_schema(self, schema_id: int) -> str:
        """The text of the schema with this id (cached); raises ``SchemaNotFoundError``."""
        return (await self.get_schema_info(schema_id)).schema

    async def get_schema_info(self, schema_id: int) -> SchemaInfo:
        """The schema with this id with its type and references (cached)."""
        cached = self._caches.schemas.get(schema_id)
        if cached is not None:
            return cached
        return await self._flights.run(
            ("schema", schema_id), lambda: self._run(self._schema_info_plan(schema_id))
        )

    async def get_versions_by_id(self, schema_id: int) -> list[SubjectVersion]:
        """Every (subject, version) registered with this schema id."""
        return await self._run(self._versions_by_id_plan(schema_id))

    async def get_latest(self, subject: str) -> RegisteredSchema | None:
        """The subject's latest version, or None if it has none (cached for ``latest_ttl``)."""
        absent = frozenset({40401, 40402})
        if self._config.latest_ttl <= 0:
            return await self._run(self._version_plan(subject, "latest", absent))
        cached = self._caches.latest(subject)
        if cached is not None:
            return cached
        return await self._flights.run(
            ("latest", subject), lambda: self._run(self._version_plan(subject, "latest", absent))
        )

    async def get_version(self, subject: str, version: int | str) -> RegisteredSchema:
        """One version (a number or ``"latest"``); raises if the subject or version is missing."""
        found = await self._run(self._version_plan(subject, version))
        assert found is not None  # nothing is "absent" without an absent code
        return found

    async def get_versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        """The subject's version numbers; [] if the subject does not exist."""
        return await self._run(self._versions_plan(subject, deleted))

    async def get_subjects(self, prefix: str | None = None, *, deleted: bool = False) -> list[str]:
        """All subject names, optionally only those starting with ``prefix``."""
        return await self._run(self._subjects_plan(prefix, deleted))

    async def test_compatibility(
        self,
        subject: str,
        schema: str,
        version: int | str = "latest",
        *,
        references: Sequence[ReferenceLike] | None = None,
        verbose: bool = True,
        normalize: bool = False,
        schema_type: str = "AVRO",
    ) -> CompatibilityResult:
        """Would ``schema`` be accepted? A subject without versions counts as compatible."""
        key = _schema_key(subject, schema, references, schema_type, normalize)
        return await self._run(self._compatibility_plan(key, version, verbose))

    async def get_compatibility(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> str | None:
        """The registry's level, or the subject's own (None when it has none)."""
        return await self._run(self._get_config_plan(subject, default_to_global))

    async def set_compatibility(self, level: str, subject: str | None = None) -> str:
        """Set the registry's (or the subject's) compatibility level; returns the level set."""
        return await self._run(self._set_config_plan(level, subject))

    async def delete_compatibility(self, subject: str) -> str | None:
        """Drop the subject's own level (it falls back to the global); returns the old one."""
        return await self._run(self._delete_config_plan(subject))

    async def get_mode(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> str | None:
        """READWRITE, READONLY or IMPORT; None when the subject has no mode of its own."""
        return await self._run(self._get_mode_plan(subject, default_to_global))

    async def set_mode(self, mode: str, subject: str | None = None, *, force: bool = False) -> str:
        """Set the registry's (or the subject's) mode; returns the mode set."""
        return await self._run(self._set_mode_plan(mode, subject, force))

    async def delete_mode(self, subject: str) -> str | None:
        """Drop the subject's own mode; returns the old one (None if it had none)."""
        return await self._run(self._delete_mode_plan(subject))

    async def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        """Soft-delete the subject (then hard-delete if ``permanent``); returns the versions."""
        return await self._run(self._delete_subject_plan(subject, permanent))

    async def delete_version(
        self, subject: str, version: int | str, *, permanent: bool = False
    ) -> int:
        """Soft-delete one version (then hard-delete if ``permanent``); returns its number."""
        return await self._run(self._delete_version_plan(subject, version, permanent))
