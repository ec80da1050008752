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

Errors (the runtime's ``errors`` module; all are ``RegistryError``): ``RegistryUnavailableError``
(no usable answer, also TLS handshake failures, which are not retried),
``RegistryAuthError`` (401/403), ``RegistryResponseError`` (not the JSON expected),
``SubjectNotFoundError`` (40401), ``VersionNotFoundError`` (40402), ``SchemaNotFoundError``
(40403), ``IncompatibleSchemaError`` (HTTP 409, error 409 or 40901), ``InvalidSchemaError``
(42201), ``InvalidCompatibilityLevelError`` (42203), ``OperationNotPermittedError`` (42205),
``ReferenceExistsError`` (42206). Lookups that find nothing return None or [] instead.

Credentials never appear in ``repr``/``str`` of the config or clients, in logs or in errors.

The package, one concern per module (the clients are thin drivers of one plan):

- ``models``: value types and protocol constants;
- ``config``: ``RegistryConfig`` (URLs, credentials, TLS, timeouts) and the httpx options;
- ``plans``: every operation as a sans-IO plan of requests and what their answers mean;
- ``transport``: fail-over, retries, backoff and error mapping, as I/O-free steps;
- ``cache``: the id/schema/latest caches and the sharing of concurrent equal requests;
- ``base``, ``client``, ``async_client``: the two clients, which only do the I/O;
- ``mock``: ``mock://[NAME]`` URLs, served in process by avrobind's registry server (imported
  by name when first used: avrobind, not the runtime, provides it).

May import: the standard library, httpx and the runtime's ``errors`` module.
"""

from .async_client import AsyncSchemaRegistryClient
from .client import SchemaRegistryClient
from .config import RegistryConfig
from .models import (
    ACCEPT,
    COMPATIBILITY_LEVELS,
    CONTENT_TYPE,
    MODES,
    CompatibilityResult,
    ReferenceLike,
    RegisteredSchema,
    SchemaInfo,
    SchemaReference,
    SubjectVersion,
)

__all__ = [
    "ACCEPT",
    "COMPATIBILITY_LEVELS",
    "CONTENT_TYPE",
    "MODES",
    "AsyncSchemaRegistryClient",
    "CompatibilityResult",
    "ReferenceLike",
    "RegisteredSchema",
    "RegistryConfig",
    "SchemaInfo",
    "SchemaReference",
    "SchemaRegistryClient",
    "SubjectVersion",
]
