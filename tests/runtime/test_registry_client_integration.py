"""The registry client against a real server: ``avrobind registry serve`` subprocesses; and the
same tests against ``mock://`` URLs (the same server's application in process, no socket), which
must answer exactly as the server does.

Requests are counted with an httpx event hook on the client, so "no HTTP call" is observed,
not assumed. Tests that change global config or mode use a fresh server (``registry_url``);
the others share one server and use unique subject names.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests.fixtures_registry are parameters here)
from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from codegen.runtime.errors import (
    IncompatibleSchemaError,
    InvalidCompatibilityLevelError,
    InvalidSchemaError,
    OperationNotPermittedError,
    ReferenceExistsError,
    RegistryUnavailableError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)
from codegen.runtime.registry import (
    AsyncSchemaRegistryClient,
    RegisteredSchema,
    RegistryConfig,
    SchemaInfo,
    SchemaReference,
    SchemaRegistryClient,
    SubjectVersion,
)
from codegen.runtime.registry.mock import forget
from tests.fixtures_registry import (  # noqa: F401  (fixtures are found by name)
    RegistryServer,
    RegistryServers,
    registry_server,
    registry_servers,
    registry_url,
    unique_subject,
)

V1 = '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"}]}'
# The same schema written differently: identity ignores whitespace, key order and "int" vs
# {"type": "int"}-style wrapping, so the registry must hand back the same id.
V1_RESPACED = json.dumps(json.loads(V1), indent=2)
# Adds a field with a default: BACKWARD compatible.
V2 = (
    '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},'
    '{"name":"qty","type":"int","default":1}]}'
)
# Adds a field without a default: not BACKWARD compatible with V1.
V2_BREAKING = (
    '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},'
    '{"name":"qty","type":"int"}]}'
)


class Counted:
    """A sync client whose HTTP requests are counted by an httpx event hook."""

    def __init__(self, url: str, **options: Any) -> None:
        self.requests: list[str] = []
        hooks = {"request": [self._seen]}
        self.client = SchemaRegistryClient(
            RegistryConfig(url, backoff_base=0.001, backoff_max=0.002, **options),
            event_hooks=hooks,
        )

    def _seen(self, request: httpx.Request) -> None:
        self.requests.append(f"{request.method} {request.url.raw_path.decode()}")


@pytest.fixture(params=["server", "mock"])
def where(request: pytest.FixtureRequest) -> str:
    """A real server, or `mock://` (the server's application in process)."""
    return str(request.param)


def _mock_url() -> Iterator[str]:
    url = f"mock://t{uuid.uuid4().hex}"
    yield url
    forget(url)


@pytest.fixture
def shared(where: str, request: pytest.FixtureRequest) -> Iterator[Counted]:
    if where == "mock":
        yield from _counted(_mock_url())
    else:
        yield from _counted(iter([request.getfixturevalue("registry_server").url]))


@pytest.fixture
def fresh(where: str, request: pytest.FixtureRequest) -> Iterator[Counted]:
    if where == "mock":
        yield from _counted(_mock_url())
    else:
        yield from _counted(iter([request.getfixturevalue("registry_url")]))


def _counted(urls: Iterator[str]) -> Iterator[Counted]:
    counted = Counted(next(urls))
    yield counted
    counted.client.close()
    next(urls, None)


def test_register_is_cached_and_idempotent(shared: Counted, unique_subject: str) -> None:
    client = shared.client
    schema_id = client.register(unique_subject, V1)
    assert shared.requests == [f"POST /subjects/{unique_subject}/versions"]
    assert client.register(unique_subject, V1) == schema_id
    assert len(shared.requests) == 1  # the repeat made no HTTP call

    # Another spelling of the same schema is another cache key, but the registry knows it.
    assert client.register(unique_subject, V1_RESPACED) == schema_id
    assert len(shared.requests) == 2
    assert client.get_versions(unique_subject) == [1]  # and it created no new version

    other = SchemaRegistryClient(RegistryConfig(shared.client.config.urls[0]))
    with other:
        assert other.register(unique_subject, V1) == schema_id  # not just this client's cache


def test_lookup_finds_registered_schemas_and_feeds_the_cache(
    shared: Counted, unique_subject: str
) -> None:
    client = shared.client
    assert client.lookup(unique_subject, V1) is None  # no such subject
    schema_id = client.register(unique_subject, V1)
    assert client.lookup(unique_subject, V2) is None  # subject exists, schema does not

    found = client.lookup(unique_subject, V1_RESPACED)
    assert found == RegisteredSchema(unique_subject, 1, schema_id, V1)
    before = len(shared.requests)
    assert client.lookup(unique_subject, V1_RESPACED) is found
    assert client.register(unique_subject, V1_RESPACED) == schema_id
    assert len(shared.requests) == before  # both answered from the cache


def test_schemas_by_id_are_cached(shared: Counted, unique_subject: str) -> None:
    client = shared.client
    schema_id = client.register(unique_subject, V1_RESPACED)
    assert client.get_schema(schema_id) == V1  # the registry's canonical text
    assert client.get_schema_info(schema_id) == SchemaInfo(schema_id, V1)
    assert shared.requests.count(f"GET /schemas/ids/{schema_id}") == 1
    assert SubjectVersion(unique_subject, 1) in client.get_versions_by_id(schema_id)

    with pytest.raises(SchemaNotFoundError) as caught:
        client.get_schema(2_000_000_000)
    assert caught.value.schema_id == 2_000_000_000
    assert (caught.value.status, caught.value.error_code) == (404, 40403)


def test_versions_latest_and_subject_listing(shared: Counted, unique_subject: str) -> None:
    client = shared.client
    assert client.get_latest(unique_subject) is None
    assert client.get_versions(unique_subject) == []
    first = client.register(unique_subject, V1)
    second = client.register(unique_subject, V2)
    assert second != first
    assert client.get_versions(unique_subject) == [1, 2]
    latest = client.get_latest(unique_subject)
    assert latest is not None and (latest.version, latest.schema_id) == (2, second)
    assert client.get_version(unique_subject, 1).schema_id == first
    assert client.get_version(unique_subject, "latest") == latest
    assert unique_subject in client.get_subjects()
    assert client.get_subjects(prefix=unique_subject[:-6]) == [unique_subject]

    with pytest.raises(VersionNotFoundError) as missing_version:
        client.get_version(unique_subject, 7)
    assert (missing_version.value.error_code, missing_version.value.version) == (40402, 7)
    with pytest.raises(SubjectNotFoundError) as missing_subject:
        client.get_version(unique_subject + "-nope", 1)
    assert missing_subject.value.error_code == 40401


def test_subject_names_are_url_quoted(shared: Counted, unique_subject: str) -> None:
    subject = f"team a:{unique_subject}"
    client = shared.client
    schema_id = client.register(subject, V1)
    assert client.get_versions(subject) == [1]
    assert client.get_latest(subject) == RegisteredSchema(subject, 1, schema_id, V1)
    assert f"POST /subjects/team%20a%3A{unique_subject}/versions" in shared.requests


def test_compatibility_checks(shared: Counted, unique_subject: str) -> None:
    client = shared.client
    assert client.test_compatibility(unique_subject, V2_BREAKING) == (True, ())  # nothing yet
    client.register(unique_subject, V1)
    assert client.test_compatibility(unique_subject, V2)
    verdict = client.test_compatibility(unique_subject, V2_BREAKING)
    assert not verdict
    assert any("qty" in message for message in verdict.messages)
    assert client.test_compatibility(unique_subject, V2, version=1)

    with pytest.raises(IncompatibleSchemaError) as caught:
        client.register(unique_subject, V2_BREAKING)
    err = caught.value
    assert err.status == 409 and err.subject == unique_subject
    assert err.messages and "qty" in err.messages[0]
    assert f"rejected the schema for subject '{unique_subject}' as incompatible" in str(err)

    with pytest.raises(InvalidSchemaError) as invalid:
        client.register(unique_subject, '{"type":"record","name":"NoFields"}')
    assert invalid.value.error_code == 42201


def test_config_levels(fresh: Counted) -> None:
    client = fresh.client
    subject = "orders-value"
    assert client.get_compatibility() == "BACKWARD"
    assert client.get_compatibility(subject) is None
    assert client.get_compatibility(subject, default_to_global=True) == "BACKWARD"
    assert client.set_compatibility("FULL", subject) == "FULL"
    assert client.get_compatibility(subject) == "FULL"
    assert client.delete_compatibility(subject) == "FULL"
    assert client.delete_compatibility(subject) is None
    assert client.set_compatibility("NONE") == "NONE"
    assert client.get_compatibility() == "NONE"
    with pytest.raises(InvalidCompatibilityLevelError) as caught:
        client.set_compatibility("SIDEWAYS", subject)
    assert caught.value.level == "SIDEWAYS" and caught.value.error_code == 42203


def test_modes(fresh: Counted) -> None:
    client = fresh.client
    client.register("orders-value", V1)
    assert client.get_mode() == "READWRITE"
    assert client.get_mode("orders-value") is None
    assert client.set_mode("READONLY", "orders-value") == "READONLY"
    assert client.get_mode("orders-value") == "READONLY"
    with pytest.raises(OperationNotPermittedError) as caught:
        client.register("orders-value", V2)
    assert caught.value.error_code == 42205
    assert "set_mode('READWRITE', 'orders-value')" in str(caught.value)
    assert client.delete_mode("orders-value") == "READONLY"
    assert client.register("orders-value", V2) > 0

    with pytest.raises(OperationNotPermittedError, match="needs force=True"):
        client.set_mode("IMPORT")
    assert client.set_mode("IMPORT", force=True) == "IMPORT"
    assert client.set_mode("READWRITE") == "READWRITE"


def test_deletes_and_cache_invalidation(shared: Counted, unique_subject: str) -> None:
    client = shared.client
    schema_id = client.register(unique_subject, V1)
    assert client.delete_subject(unique_subject) == [1]
    assert client.get_versions(unique_subject) == []
    assert client.get_versions(unique_subject, deleted=True) == [1]
    assert client.lookup(unique_subject, V1) is None
    soft = client.lookup(unique_subject, V1, deleted=True)
    assert soft is not None and soft.schema_id == schema_id

    before = len(shared.requests)
    assert client.register(unique_subject, V1) == schema_id  # registered again, not cached
    assert len(shared.requests) == before + 1
    assert client.get_versions(unique_subject) == [2]

    assert client.delete_subject(unique_subject, permanent=True) == [2]
    assert client.get_versions(unique_subject, deleted=True) == []

    client.register(unique_subject, V1)
    client.register(unique_subject, V2)
    assert client.delete_version(unique_subject, 2, permanent=True) == 2
    assert client.get_versions(unique_subject, deleted=True) == [1]


def test_referenced_subjects_cannot_be_deleted(shared: Counted, unique_subject: str) -> None:
    client = shared.client
    money_subject = f"money-{unique_subject}"
    client.register(money_subject, '{"type":"fixed","name":"Money","namespace":"m","size":8}')
    ref = SchemaReference("m.Money", money_subject, 1)
    user = '{"type":"record","name":"Price","fields":[{"name":"amount","type":"m.Money"}]}'
    schema_id = client.register(unique_subject, user, [ref])
    info = client.get_schema_info(schema_id)
    assert info.references == (ref,)
    found = client.lookup(unique_subject, user, [ref])
    assert found is not None and found.references == (ref,)
    with pytest.raises(ReferenceExistsError) as caught:
        client.delete_subject(money_subject)
    assert caught.value.error_code == 42206


def test_threads_share_the_client(shared: Counted, unique_subject: str) -> None:
    subjects = [f"{unique_subject}-{n}" for n in range(8)]
    ids: dict[str, int] = {}

    def work(subject: str) -> None:
        for _ in range(5):
            ids[subject] = shared.client.register(subject, V1)

    threads = [threading.Thread(target=work, args=(s,)) for s in subjects]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert set(ids) == set(subjects)
    assert len(set(ids.values())) == 1  # same schema, same id under every subject
    assert len(shared.requests) == len(subjects)  # one registration per subject, then cache


def test_failover_and_a_server_that_goes_away(registry_servers: RegistryServers) -> None:
    server = registry_servers.start()
    dead = registry_servers.start()
    dead_url = dead.url
    dead.kill()  # nothing listens there any more: connections are refused for real
    config = RegistryConfig(f"{dead_url},{server.url}", backoff_base=0.001, backoff_max=0.002)
    with SchemaRegistryClient(config) as client:
        assert client.register("orders-value", V1) == 1
    server.kill()
    config = RegistryConfig(server.url, retries=1, backoff_base=0.001)
    with SchemaRegistryClient(config) as client, pytest.raises(RegistryUnavailableError) as caught:
        client.get_subjects()
    assert caught.value.attempts == 2
    assert f"schema registry at {server.url} is unavailable: could not connect" in str(caught.value)


async def test_async_client_against_the_server(where: str, request: pytest.FixtureRequest) -> None:
    urls = (
        _mock_url() if where == "mock" else iter([request.getfixturevalue("registry_server").url])
    )
    url = next(urls)
    requests: list[str] = []

    async def seen(request: httpx.Request) -> None:
        requests.append(f"{request.method} {request.url.raw_path.decode()}")

    subjects = [f"async-{n}-{id(requests)}-value" for n in range(10)]
    config = RegistryConfig(url)
    async with AsyncSchemaRegistryClient(config, event_hooks={"request": [seen]}) as client:
        ids = await asyncio.gather(*[client.register(s, V1) for s in subjects for _ in range(3)])
        assert len(set(ids)) == 1
        assert len(requests) == len(subjects)  # concurrent repeats shared one request each
        found = await client.lookup(subjects[0], V1)
        assert found == RegisteredSchema(subjects[0], 1, ids[0], V1)
        assert await client.get_schema(ids[0]) == V1
        assert await client.test_compatibility(subjects[0], V2)
        assert not await client.test_compatibility(subjects[0], V2_BREAKING)
        with pytest.raises(IncompatibleSchemaError):
            await client.register(subjects[0], V2_BREAKING)
        with pytest.raises(SubjectNotFoundError):
            await client.get_version("async-missing-value", 1)
        assert await client.get_latest("async-missing-value") is None
        assert await client.delete_subject(subjects[1]) == [1]
        assert await client.get_versions(subjects[1]) == []
