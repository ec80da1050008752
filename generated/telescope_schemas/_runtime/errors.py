"""Typed errors raised by the runtime (registry client, wire format, serdes, Kafka clients)."""

from __future__ import annotations

from typing import Any


class AvrobindError(Exception):
    """Base class of every error the avrobind runtime raises."""


class RegistryConfigError(AvrobindError, ValueError):
    """The schema registry configuration is invalid (missing URL, conflicting credentials...)."""


def _restore_error(
    cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]
) -> Any:
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
        self,
        text: str,
        *,
        content_type: str | None = None,
        body: str = "",
        **context: Any,
    ) -> None:
        super().__init__(text, **context)
        self.content_type = content_type
        self.body = body


class SubjectNotFoundError(RegistryError):
    """The subject does not exist (error 40401)."""


class VersionNotFoundError(RegistryError):
    """The subject has no such version (error 40402)."""

    def __init__(
        self, text: str, *, version: int | str | None = None, **context: Any
    ) -> None:
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

    def __init__(
        self, text: str, *, messages: list[str] | None = None, **context: Any
    ) -> None:
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


# --- wire format, serdes and Kafka clients --------------------------------------------------


class SerializationError(AvrobindError, ValueError):
    """A value could not be encoded for its schema (wrong type, out of range...).

    ``subject`` names the registry subject the value was encoded for.
    """

    def __init__(self, text: str, *, subject: str | None = None) -> None:
        super().__init__(text)
        self.subject = subject


class DeserializationError(AvrobindError):
    """A message could not be decoded; the base of every decoding error.

    ``topic``, ``partition`` and ``offset`` locate the message and ``schema_id`` is the id
    in its header; each is None when unknown (a serde does not know where its bytes came
    from). ``field`` is ``"key"`` or ``"value"`` when known.
    """

    def __init__(
        self,
        text: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
        schema_id: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(text)
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.schema_id = schema_id
        self.field = field

    def locate(
        self, topic: str, partition: int, offset: int, field: str | None = None
    ) -> None:
        """Record where the message came from (its text then names the place)."""
        self.topic, self.partition, self.offset = topic, partition, offset
        if field is not None and self.field is None:
            self.field = field

    def __str__(self) -> str:
        text = super().__str__()
        if self.topic is None:
            return text
        where = f"{self.field} of " if self.field else ""
        return f"{text} ({where}{self.topic}[{self.partition}]@{self.offset})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


class InvalidMagicByteError(DeserializationError):
    """The first byte is not the Confluent wire format's magic byte 0 (``magic`` holds it)."""

    def __init__(self, magic: int, **context: Any) -> None:
        super().__init__(
            f"not in the Confluent wire format: the first byte is {magic:#04x}, expected 0x00 "
            "(was it written without a schema registry serializer?)",
            **context,
        )
        self.magic = magic


class TombstoneError(DeserializationError):
    """The message has no value (a tombstone: a key deleted from a compacted topic), and its
    topic is not configured for them (``tombstones = true``)."""


class TruncatedMessageError(DeserializationError):
    """The bytes end before the 5-byte header or the Avro body does (``size`` is their length)."""

    def __init__(self, text: str, *, size: int, **context: Any) -> None:
        super().__init__(text, **context)
        self.size = size


class UnknownSchemaIdError(SchemaNotFoundError, DeserializationError):
    """A message names a schema id the registry does not have.

    A ``SchemaNotFoundError`` (``schema_id`` is the id) and a ``DeserializationError``, so
    either ``except`` catches it.
    """

    def __init__(self, schema_id: int, **context: Any) -> None:
        location = {
            k: context.pop(k)
            for k in ("topic", "partition", "offset", "field")
            if k in context
        }
        SchemaNotFoundError.__init__(
            self,
            schema_id,
            f"the message was written with schema id {schema_id}, which the schema registry "
            "does not have (deleted, or another registry)",
            **context,
        )
        self.topic = location.get("topic")
        self.partition = location.get("partition")
        self.offset = location.get("offset")
        self.field = location.get("field")

    def __str__(self) -> str:
        return DeserializationError.__str__(self)


# --- Kafka brokers --------------------------------------------------------------------------


class KafkaClientError(AvrobindError):
    """The Kafka client failed for a reason that is not in a message's bytes (the client's own
    exception or error is chained as ``__cause__``).

    ``client`` names the client (``"aiokafka"``, ``"confluent"``...), ``topic`` the topic when
    the failure is about one, ``code`` the client's error name when it has one (confluent-kafka's
    ``KafkaError.name()``, aiokafka's exception class).
    """

    def __init__(
        self,
        text: str,
        *,
        client: str | None = None,
        topic: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(text)
        self.client = client
        self.topic = topic
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


class BrokerUnavailableError(KafkaClientError):
    """No Kafka broker could be reached: at start-up, or for longer than ``broker_timeout``
    seconds (a send not acknowledged in that time, a consumer cut off from every broker).
    A send that fails so may still have reached the broker: sending again can duplicate it.
    """


class DeliveryError(KafkaClientError):
    """The broker refused a message (too large, unknown topic, not authorised...)."""


class WriterSchemaNeeded(Exception):
    """Raised by ``deserialize_cached``: the writer schema ``schema_id`` must be loaded first
    (``serde.load(schema_id)``); a sans-IO caller does that I/O itself. (Defined here so that
    the package root can export it without importing the registry client and httpx.)"""

    def __init__(self, serde: Any, schema_id: int) -> None:
        super().__init__(
            f"writer schema {schema_id} of subject {serde.subject!r} is not loaded"
        )
        self.serde = serde
        self.schema_id = schema_id
