"""Credentials never leak, even when a registry or a proxy echoes the request's headers.

A test double, for a fault the project's registry cannot produce: `EchoServer` is a real HTTP
server on 127.0.0.1 that answers every request with an error whose body repeats the headers it
received (as some proxies and gateways do), in the shapes such bodies take: a JSON message, a
JSON object of headers, an HTML page, a 200 answer's messages.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from codegen.runtime.errors import RegistryError
from codegen.runtime.registry import RegistryConfig, SchemaRegistryClient

USER, PASSWORD = "alice", "s3cr3t-Pa55"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig"
API_KEY = "key-7f3a9b2c4d"


class EchoServer:
    """Answers every request with `status` and a body echoing its headers (see `shape`)."""

    def __init__(self) -> None:
        self.status = 401
        self.shape = "message"  # "message" | "object" | "html" | "compat"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                # The last headers sent (the credentials) first: messages are cut at 200
                # characters, and the echo must reach the client for the test to mean anything.
                headers = dict(reversed(self.headers.items()))
                raw = "\n".join(f"{k}: {v}" for k, v in headers.items())
                status, ctype = outer.status, "application/json"
                if outer.shape == "message":
                    body = json.dumps({"error_code": status * 100, "message": f"denied; saw {raw}"})
                elif outer.shape == "object":
                    body = json.dumps({"error_code": status * 100, "message": headers})
                elif outer.shape == "list":
                    body = json.dumps([f"{k}={v}" for k, v in headers.items()])
                elif outer.shape == "compat":
                    status, body = 200, json.dumps({"is_compatible": False, "messages": [raw]})
                else:
                    ctype = "text/html"
                    body = f"<html><body><h1>Bad gateway</h1><pre>{raw}</pre></body></html>"
                data = body.encode()
                self.send_response(status, f"Echo {headers.get('Authorization', '')}")
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = answer

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (a retry, the deadline) closed the connection

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


def forms(*secrets: str) -> list[str]:
    """What must never be shown: each secret, and its base64 forms (padded or not)."""
    out = []
    for secret in secrets:
        out.append(secret)
        for encoded in (
            base64.b64encode(secret.encode()),
            base64.urlsafe_b64encode(secret.encode()),
        ):
            out += [encoded.decode(), encoded.decode().rstrip("=")]
    return out


BASIC = forms(f"{USER}:{PASSWORD}", PASSWORD)
BEARER = forms(TOKEN)
HEADER = forms(API_KEY)


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text]


def shown(error: RegistryError) -> str:
    """Everything an error exposes: its text, repr and raw attributes."""
    parts = [str(error), repr(error)]
    parts += [str(v) for v in vars(error).values()]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("status", "shape"),
    [
        (401, "message"),
        (403, "object"),
        (503, "message"),
        (404, "html"),
        (404, "object"),
        (400, "list"),
        (200, "compat"),
    ],
)
@pytest.mark.parametrize(
    ("options", "secrets"),
    [
        ({"basic_auth": f"{USER}:{PASSWORD}"}, BASIC),
        ({"token": TOKEN}, BEARER),
        ({"headers": {"X-Api-Key": API_KEY}}, HEADER),
    ],
    ids=["basic", "bearer", "header"],
)
def test_echoed_headers_never_show_credentials(
    echo: EchoServer,
    caplog: pytest.LogCaptureFixture,
    status: int,
    shape: str,
    options: dict[str, Any],
    secrets: list[str],
) -> None:
    # Every WARNING, and everything avrobind's client logs (httpx's own INFO/DEBUG lines show
    # the status line as received, which is not avrobind's to change).
    caplog.set_level(logging.WARNING)
    caplog.set_level(logging.DEBUG, logger="codegen.runtime.registry")
    echo.status, echo.shape = status, shape
    config = RegistryConfig(echo.url, retries=1, backoff_base=0.001, backoff_max=0.002, **options)
    texts: list[str] = []
    with SchemaRegistryClient(config) as client:
        if shape == "compat":
            verdict = client.test_compatibility("orders-value", '"string"', verbose=True)
            texts += list(verdict.messages)
            assert verdict.messages and "***" in verdict.messages[0]
        else:
            with pytest.raises(RegistryError) as caught:
                client.get_subjects()
            texts.append(shown(caught.value))
    texts += [r.getMessage() for r in caplog.records]
    everything = "\n".join(texts)
    assert not leaks(everything, secrets), everything
    # The echo did reach the client (the test would pass vacuously otherwise).
    assert "***" in everything, everything


def test_redaction_keeps_ordinary_words(echo: EchoServer) -> None:
    config = RegistryConfig(echo.url, retries=0, basic_auth=f"{USER}:{PASSWORD}")
    with SchemaRegistryClient(config) as client:
        # Words after "Basic"/"Bearer" that are not credentials stay readable.
        redact = client._transport.redact
        assert redact("Basic authentication required") == "Basic authentication required"
        assert redact("bearer token expired") == "bearer token expired"
        other = base64.b64encode(b"bob:hunter2").decode()
        assert redact(f"Authorization: Basic {other}") == "Authorization: Basic ***"
        assert redact(f"Proxy-Authorization: Bearer {TOKEN[::-1]}") == (
            "Proxy-Authorization: Bearer ***"
        )
