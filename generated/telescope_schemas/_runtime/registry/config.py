"""``RegistryConfig``: where the registry is and how to reach it (URLs, auth, TLS, timeouts,
retries), from arguments or ``AVROBIND_REGISTRY_*`` variables, and the httpx client options and
authentication it implies. Every error names the argument or variable; none shows a secret.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
from collections.abc import Generator, Mapping, Sequence
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import httpx

from ..errors import RegistryConfigError
from .models import ACCEPT

# How to give credentials, for messages about missing or refused ones.
ENV_HINT: Final = (
    "set basic auth (basic_auth='user:password', AVROBIND_REGISTRY_BASIC_AUTH, "
    "AVROBIND_REGISTRY_USERNAME and AVROBIND_REGISTRY_PASSWORD, or user:password@ in the URL) "
    "or a bearer token (token=... or AVROBIND_REGISTRY_TOKEN)"
)

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


def without_userinfo(text: str) -> str:
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
    shown = without_userinfo(text)
    try:
        parts.port  # noqa: B018 -- validates the port
    except ValueError:
        raise RegistryConfigError(f"{label}: {shown!r} has an invalid port") from None
    if parts.scheme.lower() == "mock":  # the registry in this process (see ``mock``)
        if userinfo or parts.path.strip("/") or parts.query or parts.fragment:
            raise RegistryConfigError(
                f"{label}: {shown!r}: a mock:// URL is mock://NAME alone"
            )
        return f"mock://{hostport or 'default'}", None, None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistryConfigError(
            f"{label}: {shown!r} is not an http:// or https:// URL with a host"
        )
    if parts.query or parts.fragment:
        raise RegistryConfigError(
            f"{label}: {shown!r} must not have a query or fragment"
        )
    clean = f"{parts.scheme}://{hostport}{parts.path.rstrip('/')}"
    if not userinfo:
        return clean, None, None
    user, colon, password = userinfo.partition(":")
    if not colon:
        raise RegistryConfigError(
            f"{label}: credentials in {shown!r} must be 'user:password@host'"
        )
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
        if len(urls) > 1 and any(u.startswith("mock://") for u in urls):
            raise RegistryConfigError(
                f"{labels['url']}: a mock:// URL cannot be one of several"
            )
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
            raise RegistryConfigError(
                f"{labels['timeout']} must be a positive number of seconds"
            )
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise RegistryConfigError(
                f"{labels['retries']} must be a whole number >= 0"
            )
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
            raise RegistryConfigError(
                f"{labels['key']} is set without {labels['cert']}"
            )
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
        url_label: str | None = None,
    ) -> RegistryConfig:
        """Read the configuration from ``{prefix}URL``, ``{prefix}USERNAME``... (see module doc).

        ``url`` (an explicit choice) wins over ``{prefix}URL``; ``default_url`` is used when
        neither is set. Empty variables count as unset. Errors about a ``url`` or
        ``default_url`` name it ``url_label`` (say ``--registry``), else ``url``.
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
        if url is not None or get("url") is None:
            labels["url"] = url_label or "url"  # the URL did not come from {prefix}URL
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
        """Credential strings that must never be shown (used to scrub messages).

        Besides the credentials themselves: the base64 text of an ``Authorization: Basic``
        header (and of each credential), and the extra headers' values, in the forms a
        registry or proxy that echoes the request's headers would show them in.
        """
        plain = [s for s in (self.password, self.token, self.key_password) if s]
        if self.username and self.password:
            plain.append(f"{self.username}:{self.password}")
        plain += [value for value in self.headers.values() if value]
        found = set(plain)
        for secret in plain:
            raw = secret.encode("utf-8")
            for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
                text = encoded.decode("ascii")
                found.update((text, text.rstrip("=")))
            found.add(json.dumps(secret)[1:-1])  # as a JSON string shows it
        # A very short secret would blank out ordinary words; those are too weak to matter.
        # Longest first, so "user:password" is masked whole rather than as "user:***".
        return tuple(sorted((s for s in found if len(s) >= 3), key=len, reverse=True))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RegistryConfig is immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        parts = [f"urls={list(self.urls)!r}", f"auth={self.auth_kind!r}"]
        parts += [
            f"timeout={self.timeout}",
            f"retries={self.retries}",
            f"verify={self.verify}",
        ]
        parts += [
            f"{name}={value!r}"
            for name, value in (("ca_bundle", self.ca_bundle), ("cert", self.cert))
            if value is not None
        ]
        if self.headers:
            parts.append(
                f"headers={sorted(self.headers)!r}"
            )  # names only: values may be keys
        if self.latest_ttl:
            parts.append(f"latest_ttl={self.latest_ttl}")
        return f"RegistryConfig({', '.join(parts)})"

    __str__ = __repr__


# --- httpx -----------------------------------------------------------------------------------


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


def http_options(config: RegistryConfig) -> dict[str, Any]:
    """The ``httpx.Client``/``AsyncClient`` options of a configuration (auth, headers, TLS...)."""
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
