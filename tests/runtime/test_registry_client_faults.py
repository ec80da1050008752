"""Registry client behaviour under faults, auth, TLS and concurrency.

A real registry cannot be made to answer 500 once, 503 with Retry-After, an HTML page, a
Karapace-style 40402, a Confluent 8.2 40901 or a 401 on demand, so these tests use
``ScriptedRegistry``: a real HTTP server on a free 127.0.0.1 port that answers a script and
records what it received (so headers and paths are checked on the server side). Connection
refusal is real (a bound port that does not listen). Behaviour a real server can show is
tested against ``avrobind registry serve`` in test_registry_client_integration.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
import ssl
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from codegen.runtime.errors import (
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
from codegen.runtime.registry import (
    AsyncSchemaRegistryClient,
    RegisteredSchema,
    RegistryConfig,
    SchemaReference,
    SchemaRegistryClient,
)

JSON = "application/vnd.schemaregistry.v1+json"
SCHEMA = '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}'
SECRET = "pw-0f-alice"
TOKEN = "tok-zz9-plural-z-alpha"


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON value, or str/bytes sent as they are
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str  # raw, as sent (percent-encoding kept)
    headers: dict[str, str]  # lower-case names
    body: bytes
    peer_cn: str | None


class ScriptedRegistry:
    """A registry stand-in that answers a script of replies, one per request."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[Seen] = []
        self.replies: deque[Reply] = deque()
        self.gate: threading.Event | None = None
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                peer_cn = None
                if isinstance(self.connection, ssl.SSLSocket):
                    cert = self.connection.getpeercert()
                    if cert:
                        peer_cn = dict(item[0] for item in cert["subject"])["commonName"]  # type: ignore[misc]
                headers = {k.lower(): v for k, v in self.headers.items()}
                double.seen.append(Seen(self.command, self.path, headers, body, peer_cn))
                if double.gate is not None:
                    double.gate.wait(10)
                reply = (
                    double.replies.popleft()
                    if double.replies
                    else Reply(599, {"error_code": 59900, "message": "not scripted"})
                )
                raw = reply.body
                payload = (
                    raw
                    if isinstance(raw, bytes)
                    else raw.encode()
                    if isinstance(raw, str)
                    else json.dumps(raw).encode()
                )
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def close(self) -> None:
        if self.gate is not None:
            self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def double() -> Iterator[ScriptedRegistry]:
    server = ScriptedRegistry()
    yield server
    server.close()


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A port that is bound but not listening: connections are refused, for real."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the client's back-off waits instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


def fast(url: str, **options: Any) -> RegistryConfig:
    return RegistryConfig(url, backoff_base=0.001, backoff_max=0.002, **options)


def error(status: int, code: int | None, message: str = "boom") -> Reply:
    body: dict[str, Any] = {"message": message}
    if code is not None:
        body["error_code"] = code
    return Reply(status, body)


# --- retries ----------------------------------------------------------------------------------


def test_a_500_is_retried_then_succeeds(double: ScriptedRegistry) -> None:
    double.script(error(500, 50001, "store hiccup"), Reply(200, {"schema": SCHEMA}))
    with SchemaRegistryClient(fast(double.url)) as client:
        assert client.get_schema(7) == SCHEMA
    assert [s.path for s in double.seen] == ["/schemas/ids/7", "/schemas/ids/7"]


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_and_bounded(
    double: ScriptedRegistry, sleeps: list[float], status: int
) -> None:
    double.script(
        Reply(status, {"error_code": status, "message": "slow down"}, headers={"Retry-After": "2"}),
        Reply(200, ["a-value"]),
        Reply(status, {"message": "later"}, headers={"Retry-After": "3600"}),
        Reply(200, ["a-value"]),
    )
    config = RegistryConfig(double.url, backoff_base=0.001, backoff_max=5.0)
    with SchemaRegistryClient(config) as client:
        assert client.get_subjects() == ["a-value"]
        assert client.get_subjects() == ["a-value"]
    assert sleeps == [2.0, 5.0]  # as asked, then capped at backoff_max


def test_backoff_is_exponential_with_jitter_and_retries_run_out(
    double: ScriptedRegistry, sleeps: list[float]
) -> None:
    double.script(*[error(500, 50001, "store down")] * 4)
    config = RegistryConfig(double.url, retries=3, backoff_base=0.1, backoff_max=0.3)
    with SchemaRegistryClient(config) as client, pytest.raises(RegistryUnavailableError) as caught:
        client.register("orders-value", SCHEMA)
    assert len(double.seen) == 4
    assert len(sleeps) == 3
    for wait, (low, high) in zip(sleeps, [(0.05, 0.1), (0.1, 0.2), (0.15, 0.3)], strict=True):
        assert low <= wait <= high
    err = caught.value
    assert (err.status, err.error_code, err.attempts, err.method) == (500, 50001, 4, "POST")
    assert err.url == f"{double.url}/subjects/orders-value/versions"
    assert str(err) == (
        f"schema registry at {double.url} is unavailable: HTTP 500 Internal Server Error, "
        "error 50001: store down while trying to register a schema under subject "
        "'orders-value'; gave up after 4 attempts"
    )


def test_html_from_a_proxy_on_502_is_retried(double: ScriptedRegistry) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    double.script(*[Reply(502, page, "text/html")] * 2)
    with (
        SchemaRegistryClient(fast(double.url, retries=1)) as client,
        pytest.raises(RegistryUnavailableError, match="HTTP 502 Bad Gateway") as caught,
    ):
        client.get_versions("orders-value")
    assert caught.value.status == 502 and len(double.seen) == 2


def test_deletes_are_not_resent_after_a_503(double: ScriptedRegistry) -> None:
    double.script(error(503, 50003, "forwarding failed"), Reply(200, [1]))
    with (
        SchemaRegistryClient(fast(double.url)) as client,
        pytest.raises(RegistryUnavailableError, match="not retried: resending") as caught,
    ):
        client.delete_subject("orders-value")
    assert caught.value.attempts == 1 and len(double.seen) == 1


def test_connection_refused_is_retried_then_unavailable(refused_url: str) -> None:
    with (
        SchemaRegistryClient(fast(refused_url, retries=2)) as client,
        pytest.raises(RegistryUnavailableError) as caught,
    ):
        client.get_subjects()
    err = caught.value
    assert err.status is None and err.attempts == 3
    assert str(err).startswith(
        f"schema registry at {refused_url} is unavailable: could not connect"
    )
    assert "gave up after 3 attempts" in str(err)


def test_failover_to_the_next_url_sticks(refused_url: str, double: ScriptedRegistry) -> None:
    double.script(Reply(200, ["x-value"]), Reply(200, [1, 2]))
    tried: list[str] = []
    hooks = {"request": [lambda request: tried.append(f"{request.url.host}:{request.url.port}")]}
    config = fast(f"{refused_url},{double.url}", retries=0)
    with SchemaRegistryClient(config, event_hooks=hooks) as client:
        assert client.get_subjects() == ["x-value"]
        assert client.get_versions("x-value") == [1, 2]
    dead, live = (u.removeprefix("http://") for u in (refused_url, double.url))
    assert tried == [dead, live, live]  # the dead URL is not tried first again


def test_a_retryable_status_moves_on_to_the_next_url(double: ScriptedRegistry) -> None:
    other = ScriptedRegistry()
    try:
        double.script(error(503, 50004, "no leader"))
        other.script(Reply(200, {"id": 5}))
        with SchemaRegistryClient(fast(f"{double.url},{other.url}")) as client:
            assert client.register("orders-value", SCHEMA) == 5
        assert (len(double.seen), len(other.seen)) == (1, 1)
    finally:
        other.close()


def test_every_url_refused_names_them_all(refused_url: str) -> None:
    second = socket.socket()
    second.bind(("127.0.0.1", 0))
    other = f"http://127.0.0.1:{second.getsockname()[1]}"
    try:
        with (
            SchemaRegistryClient(fast(f"{refused_url},{other}", retries=1)) as client,
            pytest.raises(RegistryUnavailableError) as caught,
        ):
            client.get_schema(1)
    finally:
        second.close()
    assert f"tried {refused_url}, {other}" in str(caught.value)
    assert caught.value.attempts == 2


# --- error mapping ----------------------------------------------------------------------------


def _register(client: SchemaRegistryClient) -> object:
    return client.register("orders-value", SCHEMA)


CASES: list[tuple[Reply, Any, type[RegistryError], str]] = [
    (error(404, 40403, "Schema 7 not found"), lambda c: c.get_schema(7), SchemaNotFoundError,
     "has no schema with id 7 (HTTP 404, error 40403)"),
    (error(404, 40401, "Subject not found"), lambda c: c.get_version("orders-value", 1),
     SubjectNotFoundError, "has no subject 'orders-value' (HTTP 404, error 40401)"),
    (error(404, 40402, "Version 3 not found"), lambda c: c.get_version("orders-value", 3),
     VersionNotFoundError, "has no version 3 of subject 'orders-value' (HTTP 404, error 40402)"),
    (error(422, 42201, "Invalid schema"), _register, InvalidSchemaError,
     "rejected the schema for subject 'orders-value' as invalid (HTTP 422, error 42201)"),
    (error(422, 42203, "Invalid compatibility level"),
     lambda c: c.set_compatibility("SIDEWAYS", "orders-value"), InvalidCompatibilityLevelError,
     "rejected the compatibility level 'SIDEWAYS' (HTTP 422, error 42203)"),
    (error(422, 42205, "Subject is in read-only mode"), _register, OperationNotPermittedError,
     "subject 'orders-value' is in READONLY or IMPORT mode; switch it with set_mode('READWRITE', 'orders-value')"),
    (error(422, 42206, "One or more references exist"),
     lambda c: c.delete_subject("orders-value"), ReferenceExistsError,
     "another schema still references it"),
    (error(409, 409, "Schema being registered is incompatible"), _register,
     IncompatibleSchemaError, ("rejected the schema for subject 'orders-value' as incompatible "
     "(HTTP 409, error 409): Schema being registered is incompatible")),
    (error(409, 40901, "Schema being registered is incompatible"), _register,
     IncompatibleSchemaError, "(HTTP 409, error 40901)"),
    (error(400, 40002, "Bad request"), lambda c: c.get_subjects(), RegistryError,
     "failed to list the subjects (HTTP 400, error 40002): Bad request"),
]  # fmt: skip


@pytest.mark.parametrize(("reply", "call", "kind", "text"), CASES)
def test_4xx_errors_are_typed_readable_and_not_retried(
    double: ScriptedRegistry, reply: Reply, call: Any, kind: type[RegistryError], text: str
) -> None:
    double.script(reply, Reply(200, {}))
    with SchemaRegistryClient(fast(double.url)) as client, pytest.raises(RegistryError) as caught:
        call(client)
    err = caught.value
    assert type(err) is kind
    assert str(err).startswith(f"schema registry at {double.url} ")
    assert text in str(err)
    assert (err.status, err.error_code) == (reply.status, reply.body["error_code"])
    assert err.message == reply.body["message"]
    assert len(double.seen) == 1


def test_error_details_carry_ids_versions_levels_and_messages(double: ScriptedRegistry) -> None:
    double.script(
        error(404, 40403, "Schema 9 not found"),
        error(404, 40402, "Version not found"),
        error(422, 42203, "Invalid compatibility level"),
        error(409, 40901, "reader field 'x' has no default"),
    )
    with SchemaRegistryClient(fast(double.url)) as client:
        with pytest.raises(SchemaNotFoundError) as missing:
            client.get_schema_info(9)
        with pytest.raises(VersionNotFoundError) as version:
            client.get_version("s", 4)
        with pytest.raises(InvalidCompatibilityLevelError) as level:
            client.set_compatibility("SIDEWAYS")
        with pytest.raises(IncompatibleSchemaError) as incompatible:
            client.register("s", SCHEMA)
    assert missing.value.schema_id == 9
    assert (version.value.version, version.value.subject) == (4, "s")
    assert level.value.level == "SIDEWAYS"
    assert incompatible.value.messages == ["reader field 'x' has no default"]
    assert incompatible.value.subject == "s"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(200, "<html><body>Welcome to nginx!</body></html>", "text/html"), "text/html"),
        (Reply(200, '{"id": 1', JSON), JSON),
        (Reply(404, "<html>" + "x" * 5000 + "</html>", "text/html; charset=utf-8"), "text/html"),
    ],
)
def test_non_json_bodies_raise_a_response_error(
    double: ScriptedRegistry, reply: Reply, expected: str
) -> None:
    double.script(reply)
    with (
        SchemaRegistryClient(fast(double.url)) as client,
        pytest.raises(RegistryResponseError) as caught,
    ):
        client.register("orders-value", SCHEMA)
    err = caught.value
    assert err.status == reply.status and err.content_type is not None
    assert err.content_type.startswith(expected)
    assert f"got {err.content_type}" in str(err)
    assert err.body[:10] == str(reply.body)[:10]
    assert len(err.body) <= 200  # truncated
    assert f"check that {double.url} is the URL of a schema registry" in str(err)
    assert len(double.seen) == 1


def test_json_of_the_wrong_shape_is_a_response_error(double: ScriptedRegistry) -> None:
    double.script(Reply(200, {"ident": 3}), Reply(200, {"subjects": []}))
    with SchemaRegistryClient(fast(double.url)) as client:
        with pytest.raises(RegistryResponseError, match="expected int 'id'"):
            client.register("orders-value", SCHEMA)
        with pytest.raises(RegistryResponseError, match="expected a list of str"):
            client.get_subjects()


def test_a_redirect_is_reported_not_followed(double: ScriptedRegistry) -> None:
    location = f"https://bob:{SECRET}@registry.example/subjects"
    double.script(Reply(301, "", "text/plain", headers={"Location": location}))
    with (
        SchemaRegistryClient(fast(double.url)) as client,
        pytest.raises(RegistryResponseError) as caught,
    ):
        client.get_subjects()
    assert "redirect (HTTP 301) to https://registry.example/subjects" in str(caught.value)
    assert SECRET not in str(caught.value)


# --- compatibility answers of different registries -------------------------------------------


def test_empty_or_missing_subject_is_compatible_for_latest(double: ScriptedRegistry) -> None:
    double.script(
        error(404, 40402, "Version latest not found."),  # Karapace, subject without versions
        error(404, 40401, "Subject 'orders-value' not found."),  # Confluent, no subject
        Reply(200, {"is_compatible": False, "messages": ["READER_FIELD_MISSING_DEFAULT_VALUE"]}),
        error(404, 40402, "Version 3 not found."),
    )
    with SchemaRegistryClient(fast(double.url)) as client:
        assert client.test_compatibility("orders-value", SCHEMA) == (True, ())
        assert client.test_compatibility("orders-value", SCHEMA)
        result = client.test_compatibility("orders-value", SCHEMA)
        assert not result
        assert result.messages == ("READER_FIELD_MISSING_DEFAULT_VALUE",)
        with pytest.raises(VersionNotFoundError):
            client.test_compatibility("orders-value", SCHEMA, version=3)
    assert (
        double.seen[0].path == "/compatibility/subjects/orders-value/versions/latest?verbose=true"
    )
    assert double.seen[3].path == "/compatibility/subjects/orders-value/versions/3?verbose=true"


# --- auth, headers, quoting, secrecy ----------------------------------------------------------


def test_headers_paths_and_bodies_on_the_wire(double: ScriptedRegistry) -> None:
    double.script(Reply(200, {"id": 3}), Reply(200, {"schema": SCHEMA}))
    config = fast(double.url, headers={"X-Tenant": "blue"})
    ref = SchemaReference("com.acme.Money", "money-value", 2)
    with SchemaRegistryClient(config) as client:
        assert client.register("team/a b:c", SCHEMA, [ref], normalize=True) == 3
        assert client.get_schema(3) == SCHEMA
    post, get = double.seen
    assert post.method == "POST"
    assert post.path == "/subjects/team%2Fa%20b%3Ac/versions?normalize=true"
    assert post.headers["content-type"] == JSON
    assert post.headers["accept"] == (
        "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, "
        "application/json"
    )
    assert post.headers["x-tenant"] == "blue"
    assert "authorization" not in post.headers
    assert json.loads(post.body) == {
        "schema": SCHEMA,
        "references": [{"name": "com.acme.Money", "subject": "money-value", "version": 2}],
    }
    assert (get.method, get.path, get.body) == ("GET", "/schemas/ids/3", b"")
    assert "content-type" not in get.headers


@pytest.mark.parametrize(
    ("options", "in_url", "expected"),
    [
        ({"basic_auth": f"alice:{SECRET}"}, False, f"alice:{SECRET}"),
        ({"username": "alice", "password": SECRET}, False, f"alice:{SECRET}"),
        ({}, True, f"alice:{SECRET}"),
        ({"token": TOKEN}, False, None),
    ],
)
def test_credentials_are_sent(
    double: ScriptedRegistry, options: dict[str, str], in_url: bool, expected: str | None
) -> None:
    double.script(Reply(200, []))
    url = double.url.replace("http://", f"http://alice:{SECRET}@") if in_url else double.url
    with SchemaRegistryClient(fast(url, **options)) as client:
        client.get_subjects()
    sent = double.seen[0].headers["authorization"]
    if expected is None:
        assert sent == f"Bearer {TOKEN}"
    else:
        assert sent == "Basic " + base64.b64encode(expected.encode()).decode()


def test_401_without_credentials_says_how_to_configure_them(double: ScriptedRegistry) -> None:
    double.script(error(401, 40101, "Unauthorized"), Reply(200, []))
    with (
        SchemaRegistryClient(fast(double.url)) as client,
        pytest.raises(RegistryAuthError) as caught,
    ):
        client.get_subjects()
    text = str(caught.value)
    assert "refused to list the subjects: authentication failed (HTTP 401, error 40101)" in text
    assert "no credentials are configured" in text
    assert "AVROBIND_REGISTRY_BASIC_AUTH" in text and "AVROBIND_REGISTRY_TOKEN" in text
    assert len(double.seen) == 1


def test_403_says_the_credentials_lack_permission(double: ScriptedRegistry) -> None:
    double.script(Reply(403, "<html>Forbidden</html>", "text/html"))
    with (
        SchemaRegistryClient(fast(double.url, token=TOKEN)) as client,
        pytest.raises(RegistryAuthError) as caught,
    ):
        client.set_mode("READONLY", "orders-value")
    text = str(caught.value)
    assert "refused to set the mode of subject 'orders-value' to 'READONLY'" in text
    assert "permission denied (HTTP 403)" in text
    assert "accepted but may not do this" in text


def test_credentials_never_leak_into_errors_reprs_or_logs(
    double: ScriptedRegistry, refused_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    double.script(
        error(401, 40101, f"bad credentials alice:{SECRET} for user alice"),
        error(503, 50003, f"upstream said {SECRET}"),
        error(503, 50003, f"upstream said {SECRET}"),
        Reply(200, []),
    )
    url_with_secret = double.url.replace("http://", f"http://alice:{SECRET}@")
    errors: list[RegistryError] = []
    with SchemaRegistryClient(fast(url_with_secret, retries=1)) as client:
        for call in (client.get_subjects, client.get_subjects):
            try:
                call()
            except RegistryError as exc:
                errors.append(exc)
        client.get_subjects()
        shown = [repr(client), str(client), repr(client.config), str(client.config)]
    refused = refused_url.replace("http://", f"http://alice:{SECRET}@")
    with SchemaRegistryClient(fast(refused, retries=1)) as client:
        try:
            client.get_schema(1)
        except RegistryError as exc:
            errors.append(exc)
    assert [type(e) for e in errors] == [
        RegistryAuthError,
        RegistryUnavailableError,
        RegistryUnavailableError,
    ]
    assert "bad credentials *** for user alice" in str(errors[0])  # echoed secret scrubbed
    for failure in errors:
        assert SECRET not in str(failure) and SECRET not in repr(failure)
        assert failure.url is not None and "@" not in failure.url
        assert SECRET not in (failure.message or "")
    for text in shown:
        assert SECRET not in text
    assert caplog.records  # requests and retries were logged...
    assert any("retry 1 of 1" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert SECRET not in record.getMessage()  # ...without the secret


# --- caching and concurrency ------------------------------------------------------------------


def test_concurrent_threads_share_one_request(double: ScriptedRegistry) -> None:
    double.script(Reply(200, {"schema": SCHEMA}))
    double.gate = threading.Event()
    results: list[str] = []
    with SchemaRegistryClient(fast(double.url)) as client:
        threads = [
            threading.Thread(target=lambda: results.append(client.get_schema(11))) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        # Hold the first request until the other threads are (very likely) waiting on it; a
        # thread that comes later finds the cache filled, so the count below holds either way.
        time.sleep(0.2)
        double.gate.set()
        for thread in threads:
            thread.join(10)
    assert results == [SCHEMA] * 8
    assert len(double.seen) == 1


def test_delete_subject_permanent_soft_deletes_first(double: ScriptedRegistry) -> None:
    double.script(
        Reply(200, {"id": 4}),
        error(404, 40404, "Subject 'orders-value' was soft deleted."),
        Reply(200, [1, 2]),
        Reply(200, {"id": 4}),
    )
    with SchemaRegistryClient(fast(double.url)) as client:
        client.register("orders-value", SCHEMA)
        assert client.delete_subject("orders-value", permanent=True) == [1, 2]
        client.register("orders-value", SCHEMA)  # cache forgotten: registers again
    assert [(s.method, s.path) for s in double.seen] == [
        ("POST", "/subjects/orders-value/versions"),
        ("DELETE", "/subjects/orders-value"),
        ("DELETE", "/subjects/orders-value?permanent=true"),
        ("POST", "/subjects/orders-value/versions"),
    ]


def test_get_subjects_filters_by_prefix_even_if_the_server_does_not(
    double: ScriptedRegistry,
) -> None:
    double.script(Reply(200, ["orders-value", "payments-value", "orders-key"]))
    with SchemaRegistryClient(fast(double.url)) as client:
        assert client.get_subjects("orders-") == ["orders-value", "orders-key"]
    assert double.seen[0].path == "/subjects?subjectPrefix=orders-"


def test_latest_ttl_cache(double: ScriptedRegistry) -> None:
    latest = {"subject": "s", "version": 2, "id": 8, "schema": SCHEMA}
    double.script(Reply(200, latest), Reply(200, latest), Reply(200, latest))
    with SchemaRegistryClient(fast(double.url)) as uncached:
        uncached.get_latest("s")
        uncached.get_latest("s")
    assert len(double.seen) == 2  # off by default
    with SchemaRegistryClient(fast(double.url, latest_ttl=300)) as cached:
        first = cached.get_latest("s")
        assert cached.get_latest("s") is first
    assert len(double.seen) == 3
    assert first == RegisteredSchema("s", 2, 8, SCHEMA)


# --- TLS (real handshakes with openssl-made certificates) -------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, via the openssl CLI."""
    d = tmp_path_factory.mktemp("pki")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=avrobind-test-ca",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    )
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, extra in (("server", ["-extfile", "san.ext"]), ("client", [])):
        openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN=avrobind-{name}",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
        )
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", *extra)  # fmt: skip
    return {n: d / n for n in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


@pytest.fixture
def tls_double(pki: dict[str, Path]) -> Iterator[ScriptedRegistry]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["server.pem"], pki["server.key"])
    context.load_verify_locations(pki["ca.pem"])
    context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: a client certificate is required
    server = ScriptedRegistry(tls=context)
    yield server
    server.close()


def test_mutual_tls_with_ca_bundle_and_client_certificate(
    tls_double: ScriptedRegistry, pki: dict[str, Path]
) -> None:
    tls_double.script(Reply(200, ["secure-value"]))
    config = fast(
        tls_double.url, ca_bundle=pki["ca.pem"], cert=pki["client.pem"], key=pki["client.key"]
    )
    with SchemaRegistryClient(config) as client:
        assert client.get_subjects() == ["secure-value"]
    assert tls_double.seen[0].peer_cn == "avrobind-client"


def test_verify_false_accepts_an_unknown_server_certificate(
    tls_double: ScriptedRegistry, pki: dict[str, Path]
) -> None:
    tls_double.script(Reply(200, []))
    config = fast(tls_double.url, verify=False, cert=pki["client.pem"], key=pki["client.key"])
    with SchemaRegistryClient(config) as client:
        assert client.get_subjects() == []


def test_an_untrusted_server_certificate_fails_fast_with_a_tls_hint(
    tls_double: ScriptedRegistry, pki: dict[str, Path]
) -> None:
    config = fast(tls_double.url, cert=pki["client.pem"], key=pki["client.key"])
    with SchemaRegistryClient(config) as client, pytest.raises(RegistryUnavailableError) as caught:
        client.get_subjects()
    text = str(caught.value)
    assert "the TLS handshake failed (SSLCertVerificationError" in text
    assert "check verify, ca_bundle" in text
    assert caught.value.attempts == 1


# --- the async client -------------------------------------------------------------------------


async def test_async_register_lookup_and_caches(double: ScriptedRegistry) -> None:
    found = {"subject": "orders-value", "version": 1, "id": 21, "schema": SCHEMA}
    double.script(
        error(404, 40401, "Subject not found"),
        Reply(200, {"id": 21}),
        Reply(200, found),
        Reply(200, {"schema": SCHEMA, "references": []}),
    )
    async with AsyncSchemaRegistryClient(fast(double.url)) as client:
        assert await client.lookup("orders-value", SCHEMA) is None
        assert await client.register("orders-value", SCHEMA) == 21
        assert await client.register("orders-value", SCHEMA) == 21  # cached
        assert await client.lookup("orders-value", SCHEMA) == RegisteredSchema(
            "orders-value", 1, 21, SCHEMA
        )
        assert await client.lookup("orders-value", SCHEMA) is not None  # cached
        texts = await asyncio.gather(*[client.get_schema(21) for _ in range(10)])
        assert texts == [SCHEMA] * 10
    assert [s.method for s in double.seen] == ["POST", "POST", "POST", "GET"]


async def test_async_retries_then_gives_up(double: ScriptedRegistry) -> None:
    double.script(error(500, 50001, "x"), Reply(200, {"id": 1}), *[error(504, None)] * 3)
    async with AsyncSchemaRegistryClient(fast(double.url, retries=2)) as client:
        assert await client.register("a-value", SCHEMA) == 1
        with pytest.raises(RegistryUnavailableError) as caught:
            await client.register("b-value", SCHEMA)
    assert caught.value.attempts == 3 and caught.value.status == 504
    assert len(double.seen) == 5


async def test_async_errors_failover_and_refusal(
    double: ScriptedRegistry, refused_url: str
) -> None:
    double.script(
        error(409, 40901, "incompatible"),
        Reply(200, "<html>oops</html>", "text/html"),
        error(401, 40101, "Unauthorized"),
    )
    async with AsyncSchemaRegistryClient(fast(f"{refused_url},{double.url}")) as client:
        with pytest.raises(IncompatibleSchemaError):
            await client.register("a-value", SCHEMA)
        with pytest.raises(RegistryResponseError):
            await client.get_subjects()
        with pytest.raises(RegistryAuthError):
            await client.get_mode()
    async with AsyncSchemaRegistryClient(fast(refused_url, retries=1)) as client:
        with pytest.raises(RegistryUnavailableError, match="could not connect"):
            await client.get_schema(3)


async def test_async_cancelled_caller_does_not_cancel_the_shared_request(
    double: ScriptedRegistry,
) -> None:
    double.script(Reply(200, {"schema": SCHEMA}))
    double.gate = threading.Event()
    async with AsyncSchemaRegistryClient(fast(double.url)) as client:
        first = asyncio.ensure_future(client.get_schema(5))
        second = asyncio.ensure_future(client.get_schema(5))
        while not double.seen:  # the shared request has reached the server
            await asyncio.sleep(0.01)
        first.cancel()
        double.gate.set()
        assert await second == SCHEMA
        with pytest.raises(asyncio.CancelledError):
            await first
    assert len(double.seen) == 1
