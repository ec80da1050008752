"""Sending a plan's requests: URL fail-over, retries with backoff, and what HTTP answers mean.

``Transport.steps(plan)`` runs a plan (see ``plans``) without doing any I/O itself: it yields
the ``Request``s to send and the pauses (seconds) to wait before a retry, and is sent back each
request's ``httpx.Response`` or the ``httpx.TransportError`` it raised. Each client is a small
loop that does exactly that with its own httpx client and sleep, so retries, fail-over, error
mapping and redaction exist once for both.

Retry policy: a request that was not sent (connection refused, connect/pool timeout) is tried
on the next URL at once and retried; after a timeout or HTTP 408/429/500/502/503/504 only calls
marked ``retry`` are resent. TLS failures are not retried. Registry error codes become the
typed ``RegistryError``s of ``..errors``; 404s with a code the call expects are a "nothing
there" ``Reply``.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import random
import re
import ssl
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias, TypeVar, cast

import httpx

from ..errors import (
    IncompatibleSchemaError,
    InvalidCompatibilityLevelError,
    InvalidSchemaError,
    OperationNotPermittedError,
    ReferenceExistsError,
    RegistryAuthError,
    RegistryError,
    RegistryResponseError,
    RegistryUnavailableError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)
from .config import ENV_HINT, RegistryConfig, without_userinfo
from .models import COMPATIBILITY_LEVELS, CONTENT_TYPE
from .plans import Call, Plan, Reply, excerpt

log = logging.getLogger(__name__)

_T = TypeVar("_T")

_RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_NOT_IDEMPOTENT: Final = (
    "not retried: resending it could repeat an operation that took effect"
)
# The value of an Authorization header, whoever's credentials it carries (see `_masked`).
_AUTH_VALUE: Final = re.compile(
    r"\b(Basic|Bearer)(\s+)([A-Za-z0-9+/=._~-]{4,})", re.IGNORECASE
)


def _masked(match: re.Match[str]) -> str:
    """``Basic <base64 of user:password>`` or ``Bearer <token>`` masked; words such as
    "Basic authentication" left alone."""
    scheme, space, value = match.groups()
    if scheme.lower() == "basic":
        try:
            secret = b":" in base64.b64decode(
                value + "=" * (-len(value) % 4), validate=True
            )
        except ValueError:
            secret = False
    else:
        secret = len(value) >= 16 or any(c.isdigit() or c in "+/=._~-" for c in value)
    return f"{scheme}{space}***" if secret else match.group(0)


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request for the client to send."""

    method: str
    url: str
    params: Mapping[str, str] | None
    content: bytes | None
    headers: Mapping[str, str] | None


# What ``Transport.steps`` yields (a request, or seconds to wait) and is sent back.
Step: TypeAlias = Request | float
Answer: TypeAlias = httpx.Response | httpx.TransportError | None


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed attempt that a retry might fix."""

    reason: str
    base: str
    url: str
    no_retry: str | None = None  # why this must not be retried, if so
    status: int | None = None
    error_code: int | None = None
    message: str | None = None
    retry_after: float | None = None


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


class Transport:
    """The I/O-free part of sending requests; one per client (it remembers the working URL)."""

    def __init__(self, config: RegistryConfig) -> None:
        self._config = config
        self._current = 0  # index of the URL to try first; moves on after a failure
        self._secrets = config.secrets()

    def steps(self, plan: Plan[_T]) -> Generator[Step, Answer, _T]:
        """Run ``plan``: the I/O it needs as steps (see the module docstring), then its result."""
        reply: Reply | None = None
        error: RegistryError | None = None
        while True:
            try:
                call = (
                    plan.throw(error)
                    if error is not None
                    else plan.send(cast("Reply", reply))
                )
            except StopIteration as stop:
                return cast("_T", stop.value)
            try:
                reply, error = (yield from self._send(call)), None
            except RegistryError as exc:
                reply, error = None, exc
            except BaseException:
                plan.close()  # runs the plan's cleanup (cache invalidation) right away
                raise

    def _send(self, call: Call) -> Generator[Step, Answer, Reply]:
        attempt = 0
        while True:
            attempt += 1
            outcome = yield from self._attempt(call)
            if isinstance(outcome, Reply):
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
            yield delay

    def _attempt(self, call: Call) -> Generator[Step, Answer, Reply | Failure]:
        headers = {"Content-Type": CONTENT_TYPE} if call.body is not None else None
        failure: Failure | None = None
        for base in self._rotation():
            url = base + call.path
            answer = yield Request(call.method, url, call.params, call.body, headers)
            if isinstance(answer, httpx.TransportError):
                failure, fail_over = self._on_transport_error(call, base, url, answer)
                if fail_over:
                    continue
                return failure
            assert answer is not None
            return self._on_response(call, base, answer)
        assert failure is not None
        return failure

    def redact(self, text: str) -> str:
        """``text`` with every configured secret, and any ``Basic``/``Bearer`` credential
        (as an echoed ``Authorization`` header shows it), replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _AUTH_VALUE.sub(_masked, text)

    # -- attempt bookkeeping

    def _rotation(self) -> list[str]:
        urls = self._config.urls
        start = self._current % len(urls)
        return [*urls[start:], *urls[:start]]

    def _move_past(self, base: str) -> None:
        urls = self._config.urls
        if len(urls) > 1 and urls[self._current % len(urls)] == base:
            self._current = (urls.index(base) + 1) % len(urls)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        config = self._config
        if retry_after is not None:
            return min(retry_after, config.backoff_max)
        ceiling = min(config.backoff_max, config.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _on_transport_error(
        self, call: Call, base: str, url: str, exc: httpx.TransportError
    ) -> tuple[Failure, bool]:
        """Classify a transport error; the flag says whether to fail over right away."""
        if isinstance(exc, httpx.DecodingError):
            raise RegistryResponseError(
                f"schema registry at {base} sent a response to {call.method} {url} that "
                f"could not be decoded ({self.redact(str(exc))})",
                url=url,
                method=call.method,
                subject=call.subject,
            ) from None
        tls_error = _ssl_cause(exc)
        if tls_error is not None:
            detail = self.redact(str(tls_error)) or type(tls_error).__name__
            failure = Failure(
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
        detail = self.redact(str(exc)) or "no details"
        failure = Failure(
            reason=f"{what} ({type(exc).__name__}: {detail})",
            base=base,
            url=url,
            no_retry=None if not_sent or call.retry else _NOT_IDEMPOTENT,
        )
        self._move_past(base)
        return failure, not_sent and len(self._config.urls) > 1

    def _give_up(
        self, call: Call, failure: Failure, attempts: int
    ) -> RegistryUnavailableError:
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

    def _on_response(
        self, call: Call, base: str, response: httpx.Response
    ) -> Reply | Failure:
        status = response.status_code
        url = str(response.request.url)
        content_type = response.headers.get("Content-Type")
        log.debug("schema registry %s %s -> HTTP %d", call.method, url, status)
        if 200 <= status < 300:
            try:
                return Reply(response.json(), url, content_type)
            except ValueError:
                raise self._bad_body(
                    call, base, url, response, "expected JSON"
                ) from None
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            if location:
                location = f" to {self.redact(without_userinfo(location))}"
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
            reason = f"HTTP {status} {self.redact(response.reason_phrase)}".rstrip()
            if code is not None:
                reason += f", error {code}"
            if message:
                reason += f": {message}"
            self._move_past(base)
            return Failure(
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
            raise self._bad_body(
                call, base, url, response, "expected a JSON error body"
            )
        if status == 404 and code in call.absent:
            return Reply(None, url, content_type, absent=True)
        raise self._status_error(call, base, url, status, code, message)

    def _error_body(
        self, response: httpx.Response
    ) -> tuple[int | None, str | None, bool]:
        try:
            data = response.json()
        except ValueError:
            return None, None, False
        if not isinstance(data, dict):
            return (
                None,
                excerpt(self.redact(json.dumps(data, ensure_ascii=False))),
                True,
            )
        raw_code = data.get("error_code")
        code = (
            raw_code
            if isinstance(raw_code, int) and not isinstance(raw_code, bool)
            else None
        )
        raw_message = data.get("message")
        if raw_message is None:
            raw_message = data.get("detail")
        message = self.redact(str(raw_message)) if raw_message is not None else None
        return code, message, True

    def _bad_body(
        self, call: Call, base: str, url: str, response: httpx.Response, expected: str
    ) -> RegistryResponseError:
        content_type = response.headers.get("Content-Type")
        body = excerpt(self.redact(response.text)[:2000])  # redacted before it is cut
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
        self,
        call: Call,
        base: str,
        url: str,
        status: int,
        code: int | None,
        message: str | None,
    ) -> RegistryAuthError:
        kind = self._config.auth_kind
        detail = f"HTTP {status}" + (f", error {code}" if code is not None else "")
        said = f": {message}" if message else ""
        if status == 401:
            what = "authentication failed"
            if kind is None:
                hint = f"no credentials are configured; {ENV_HINT}"
            else:
                creds = "basic-auth credentials" if kind == "basic" else "bearer token"
                hint = (
                    f"the configured {creds} were rejected; check them (not shown here)"
                )
        else:
            what = "permission denied"
            hint = (
                "the credentials were accepted but may not do this"
                if kind is not None
                else f"no credentials are configured; {ENV_HINT}"
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
        self,
        call: Call,
        base: str,
        url: str,
        status: int,
        code: int | None,
        message: str | None,
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
        return RegistryError(
            f"{where} failed to {call.action} ({detail}){said}{hint}", **context
        )
