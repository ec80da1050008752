"""Typed errors raised by the runtime (registry client, wire format, serdes, Kafka clients)."""

from __future__ import annotations

from typing import Any


class AvrobindError(Exception):
    """Base class of every error the avrobind runtime raises."""


class RegistryConfigError(AvrobindError, ValueError):
    """The schema registry configuration is invalid (missing URL, conflicting credentials...)."""


def _restore_error(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class RegistryError(AvrobindError):
    """The schema registry answered with an error, or could not be reached.

    ``str(error)`` is a complete, readable sentence. The attributes keep the raw parts:
    ``status`` (HTTP status, None when no response arrived), ``error_code`` (the registry's
    ``error_code``), ``message`` (the registry's own message), ``url`` (the request URL, never
    with credentials), ``method`` and ``subject`` (when the call was about one).
    """

    def __init__(
        self,
        text: str,
        *,
        status: int | None = None,
        error_code: int | None = None,
        message: str | None = None,
        url: str | None = None,
        method: str | None = None,
        subject: str | None = None,
    ) -> None:
        super().__init__(text)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.url = url
        self.method = method
        self.subject = subject

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses have keyword-only or reordered constructors: rebuild without calling them.
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


class RegistryUnavailableError(RegistryError):
    """No usable answer: connection refused, timeouts, or 408/429/5xx after the retries.

    ``attempts`` counts the rounds of requests made before giving up.
    """

    def __init__(self, text: str, *, attempts: int = 1, **context: Any) -> None:
        super().__init__(text, **context)
        self.attempts = attempts


class RegistryAuthError(RegistryError):
    """The registry refused the credentials (401) or the operation for them (403)."""


class RegistryResponseError(RegistryError):
    """The registry's answer was not the JSON expected (HTML page, invalid JSON, wrong shape).

    ``content_type`` is the response's content type and ``body`` a truncated excerpt.
    """

    def __init__(
        self, text: str, *, content_type: str | None = None, body: str = "", **context: Any
    ) -> None:
        super().__init__(text, **context)
        self.content_type = content_type
        self.body = body


class SubjectNotFoundError(RegistryError):
    """The subject does not exist (error 40401)."""


class VersionNotFoundError(RegistryError):
    """The subject has no such version (error 40402)."""

    def __init__(self, text: str, *, version: int | str | None = None, **context: Any) -> None:
        super().__init__(text, **context)
        self.version = version


class SchemaNotFoundError(RegistryError):
    """No schema with this id (error 40403), or the schema is not registered under the subject.

    ``schema_id`` is set when the missing schema was asked for by id.
    """

    def __init__(
        self, schema_id: int | None = None, text: str | None = None, **context: Any
    ) -> None:
        if text is None:
            text = (
                f"the schema registry has no schema with id {schema_id}"
                if schema_id is not None
                else "the schema registry has no such schema"
            )
        context.setdefault("status", 404)
        context.setdefault("error_code", 40403)
        super().__init__(text, **context)
        self.schema_id = schema_id


class IncompatibleSchemaError(RegistryError):
    """The registry rejected a schema as incompatible with the subject's versions (HTTP 409).

    ``messages`` lists the registry's explanations.
    """

    def __init__(self, text: str, *, messages: list[str] | None = None, **context: Any) -> None:
        super().__init__(text, **context)
        self.messages = list(messages or [])


class InvalidSchemaError(RegistryError):
    """The registry could not parse or accept the schema (error 42201)."""


class InvalidCompatibilityLevelError(RegistryError):
    """The compatibility level is not one the registry knows (error 42203)."""

    def __init__(self, text: str, *, level: str | None = None, **context: Any) -> None:
        super().__init__(text, **context)
        self.level = level


class OperationNotPermittedError(RegistryError):
    """The subject or registry is not in READWRITE mode (error 42205)."""


class ReferenceExistsError(RegistryError):
    """The schema or subject is still referenced by another schema (error 42206)."""
