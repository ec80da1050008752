"""Hostile input gets a 4xx with Confluent's codes, never a 500, on a connection kept open
(issue 15, items 3 and 6).

Every test talks through one httpx client and checks that each answer came back on the same
TCP connection (same local port): a 500 from an unhandled exception used to reset it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures_registry import RegistryServer
from tests.registry.registry_helpers import MEDIA_TYPE, error_of, record


class OneConnection:
    """An httpx client that asserts every answer arrives on its first connection."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(
            base_url=url, headers={"Content-Type": MEDIA_TYPE}, timeout=60, verify=False
        )
        self.local: Any = None

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        local = response.extensions["network_stream"].get_extra_info("client_addr")
        if self.local is None:
            self.local = local
        assert local == self.local, f"{method} {path[:60]}: the connection was not kept"
        assert response.status_code < 500, response.text[:300]
        return response

    def register(self, subject: str, schema_text: str) -> httpx.Response:
        body = json.dumps({"schema": schema_text})
        return self.send("POST", f"/subjects/{subject}/versions", content=body)


@pytest.fixture
def conn(registry_server: RegistryServer) -> Iterator[OneConnection]:
    client = OneConnection(registry_server.url)
    client.send("GET", "/")
    yield client
    client.http.close()


# Built as text: json.dumps itself would hit the recursion limit at these depths.
def _nested_records(depth: int) -> str:
    text = '{"type": "record", "name": "R0", "fields": [{"name": "x", "type": "int"}]}'
    for i in range(1, depth):
        text = f'{{"type": "record", "name": "R{i}", "fields": [{{"name": "x", "type": {text}}}]}}'
    return text


def _nested_arrays(depth: int, extra_field: str = "") -> str:
    items = '{"type": "array", "items": ' * depth + '"int"' + "}" * depth
    fields = f'{{"name": "a", "type": {items}}}' + extra_field
    return f'{{"type": "record", "name": "Deep", "fields": [{fields}]}}'


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json_bodies_are_400(conn: OneConnection, depth: int) -> None:
    subject = f"deep-body-{depth}"
    closed = "[" * depth + "]" * depth
    for body in (closed, "[" * depth, '{"schema": ' + closed + "}"):
        status, code = error_of(conn.send("POST", f"/subjects/{subject}/versions", content=body))
        assert (status, code) == (400, 400)


@pytest.mark.parametrize("depth", [400, 700, 1000])
def test_deeply_nested_schemas_are_42201(conn: OneConnection, depth: int) -> None:
    records = _nested_records(depth)
    arrays = _nested_arrays(depth)
    raw = "[" * depth + "]" * depth  # JSON, but no schema at all
    for text in (records, arrays, raw):
        response = conn.register(f"deep-schema-{depth}", text)
        assert error_of(response) == (422, 42201)
        assert "nested" in response.json()["message"] or "expected" in response.json()["message"]
        compat = conn.send(
            "POST",
            f"/compatibility/subjects/deep-schema-{depth}/versions/latest",
            params={"verbose": "true"},
            content=json.dumps({"schema": text}),
        )
        assert compat.status_code in (404, 200)  # no such subject yet, or an explained "no"


def test_deep_but_reasonable_schemas_register_and_evolve(conn: OneConnection) -> None:
    """100 levels (what the generator must support) pass every stage, compatibility included."""
    conn.send("PUT", "/config/deep-ok", json={"compatibility": "FULL_TRANSITIVE"})
    first = conn.register("deep-ok", _nested_arrays(100)).json()["id"]
    evolved = _nested_arrays(100, ', {"name": "n", "type": "int", "default": 0}')
    assert conn.register("deep-ok", evolved).json()["id"] != first
    assert conn.register("deep-ok", _nested_arrays(100)).json()["id"] == first  # found again
    records = _nested_records(100)
    assert conn.register("deep-records", records).status_code == 200
    with_doc = records.replace('"name": "R99"', '"name": "R99", "doc": "v2"')
    assert conn.register("deep-records", with_doc).status_code == 200
    assert conn.send("GET", "/subjects/deep-records/versions").json() == [1, 2]


def test_lone_surrogates_are_refused(conn: OneConnection) -> None:
    with_doc = json.dumps(record(doc="\ud800"))  # json.dumps escapes it: "\\ud800"
    assert "\\ud800" in with_doc
    response = conn.register("surrogate", with_doc)
    assert error_of(response) == (422, 42201)
    assert "surrogate" in response.json()["message"]
    # The same surrogate as a raw escape in the body itself (the schema text holds the code point).
    raw_body = (
        '{"schema": "{\\"type\\": \\"enum\\", \\"name\\": \\"E\\", '
        '\\"symbols\\": [\\"A\\"], \\"doc\\": \\"\\ud800\\"}"}'
    )
    response = conn.send("POST", "/subjects/surrogate/versions", content=raw_body)
    assert error_of(response) == (422, 42201)
    # Echoed back in an error message, it is escaped rather than breaking the answer.
    response = conn.send("PUT", "/mode", content='{"mode": "\\udfff"}')
    assert error_of(response) == (422, 42204)
    assert "\\udfff" in response.text
    reference = (
        '{"schema": "\\"int\\"", "references": [{"name": "a", "subject": "\\ud800", "version": 1}]}'
    )
    response = conn.send("POST", "/subjects/surrogate/versions", content=reference)
    assert error_of(response) == (422, 42201)
    # A valid surrogate pair is just a character.
    assert conn.register("surrogate-pair", json.dumps(record(doc="\U0001f600"))).status_code == 200


def test_huge_numbers_are_4xx(conn: OneConnection) -> None:
    digits = "9" * 5000
    for path in (f"/schemas/ids/{digits}", f"/schemas/ids/{digits}/versions"):
        assert error_of(conn.send("GET", path)) == (404, 40403)
    assert error_of(conn.send("GET", "/schemas/ids/2147483648/schema")) == (404, 40403)
    assert error_of(conn.send("GET", f"/subjects/x/versions/{digits}")) == (422, 42202)
    assert (
        conn.send("GET", "/subjects", params={"offset": digits, "limit": digits}).status_code == 200
    )
    conn.send("PUT", "/mode/import-huge", json={"mode": "IMPORT"})
    for value in (2**31, 10**40):
        body = {"schema": json.dumps(record()), "id": value}
        response = conn.send("POST", "/subjects/import-huge/versions", json=body)
        assert error_of(response) == (400, 400)
    conn.send("DELETE", "/mode/import-huge")


@pytest.mark.parametrize("escape", ["%FF", "%FE", "%C3", "%ED%A0%80", "%80"])
def test_percent_escapes_that_are_not_utf8_are_400(conn: OneConnection, escape: str) -> None:
    for method, path in (
        ("GET", f"/subjects/a{escape}b/versions"),
        ("POST", f"/subjects/a{escape}b/versions"),
        ("DELETE", f"/subjects/a{escape}b"),
        ("GET", f"/subjects?subjectPrefix=a{escape}"),
    ):
        kwargs = {"content": json.dumps({"schema": '"int"'})} if method == "POST" else {}
        response = conn.send(method, path, **kwargs)
        assert error_of(response) == (400, 400), path
        assert escape in response.json()["message"]
    assert "a\ufffdb" not in conn.send("GET", "/subjects").json()


def test_utf8_percent_escapes_still_name_subjects(conn: OneConnection) -> None:
    assert conn.register("caf%C3%A9-value", json.dumps(record())).status_code == 200
    assert "café-value" in conn.send("GET", "/subjects").json()
    assert conn.send("GET", "/subjects/caf%C3%A9-value/versions").json() == [1]
