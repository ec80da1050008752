"""Every Confluent error code the registry answers, with its HTTP status."""

from __future__ import annotations

import httpx
import pytest

from tests.registry.registry_helpers import MEDIA_TYPE, Client, error_of, record

USER = record()


def test_40401_subject_not_found(sr: Client) -> None:
    missing = sr.subject("missing")
    assert error_of(sr.get(f"/subjects/{missing}/versions")) == (404, 40401)
    assert error_of(sr.get(f"/subjects/{missing}/versions/latest")) == (404, 40401)
    assert error_of(sr.get(f"/subjects/{missing}/versions/1")) == (404, 40401)
    assert error_of(sr.delete(f"/subjects/{missing}")) == (404, 40401)
    assert error_of(sr.delete(f"/subjects/{missing}/versions/1")) == (404, 40401)
    assert error_of(sr.lookup(missing, USER)) == (404, 40401)
    assert error_of(sr.compat(missing, 1, USER)) == (404, 40401)


def test_40402_version_not_found(sr: Client) -> None:
    subject = sr.subject("versions")
    sr.register_id(subject, USER)
    assert error_of(sr.get(f"/subjects/{subject}/versions/2")) == (404, 40402)
    assert error_of(sr.delete(f"/subjects/{subject}/versions/9")) == (404, 40402)
    assert error_of(sr.compat(subject, 2, USER)) == (404, 40402)
    assert error_of(sr.get(f"/subjects/{subject}/versions/2/referencedby")) == (404, 40402)


def test_40403_schema_not_found(sr: Client) -> None:
    subject = sr.subject("schemas")
    sr.register_id(subject, USER)
    assert error_of(sr.get("/schemas/ids/987654")) == (404, 40403)
    assert error_of(sr.get("/schemas/ids/987654/versions")) == (404, 40403)
    assert error_of(sr.get("/schemas/ids/987654/subjects")) == (404, 40403)
    assert error_of(sr.lookup(subject, record("Other"))) == (404, 40403)


def test_40404_subject_already_soft_deleted(sr: Client) -> None:
    subject = sr.subject("soft")
    sr.register_id(subject, USER)
    assert sr.delete(f"/subjects/{subject}").json() == [1]
    assert error_of(sr.delete(f"/subjects/{subject}")) == (404, 40404)


def test_40405_permanent_delete_needs_a_soft_delete_first(sr: Client) -> None:
    subject = sr.subject("hard")
    sr.register_id(subject, USER)
    assert error_of(sr.delete(f"/subjects/{subject}", params={"permanent": "true"})) == (404, 40405)
    assert sr.get(f"/subjects/{subject}/versions").json() == [1]


def test_40406_and_40407_version_deletes(sr: Client) -> None:
    subject = sr.subject("vdel")
    sr.register_id(subject, USER)
    sr.register_id(
        subject,
        record(fields=[{"name": "id", "type": "long"}, {"name": "x", "type": "int", "default": 1}]),
    )
    assert error_of(sr.delete(f"/subjects/{subject}/versions/1", params={"permanent": "true"})) == (
        404,
        40407,
    )
    assert sr.delete(f"/subjects/{subject}/versions/1").json() == 1
    assert error_of(sr.delete(f"/subjects/{subject}/versions/1")) == (404, 40406)


def test_40408_subject_without_own_compatibility(sr: Client) -> None:
    subject = sr.subject("noconfig")
    assert error_of(sr.get(f"/config/{subject}")) == (404, 40408)


def test_409_incompatible_schema(sr: Client) -> None:
    subject = sr.subject("incompatible")
    sr.register_id(subject, USER)
    # BACKWARD (the default): a new required field without a default cannot read old data.
    breaking = record(fields=[{"name": "id", "type": "long"}, {"name": "email", "type": "string"}])
    response = sr.register(subject, breaking)
    assert error_of(response) == (409, 409)
    assert "email" in response.json()["message"]
    assert sr.get(f"/subjects/{subject}/versions").json() == [1]


@pytest.mark.parametrize(
    "schema",
    [
        "{not json",
        '{"type": "record", "name": "X"}',  # no fields
        '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "int", "default": "x"}]}',
        '{"type": "enum", "name": "E", "symbols": ["A", "A"]}',
        '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "Nowhere"}]}',
        '{"type": "fixed", "name": "F"}',
        '["int", "int"]',
        '{"type": "record", "name": "1X", "fields": []}',
        "",
    ],
)
def test_42201_invalid_schema(sr: Client, schema: str) -> None:
    subject = sr.subject("invalid")
    response = sr.register(subject, schema)
    assert error_of(response) == (422, 42201)
    assert error_of(sr.get(f"/subjects/{subject}/versions")) == (404, 40401)


def test_42201_message_names_the_problem(sr: Client) -> None:
    response = sr.register(
        sr.subject("msg"),
        '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "int", "default": "x"}]}',
    )
    assert "default" in response.json()["message"].lower()


def test_42201_unknown_reference(sr: Client) -> None:
    refs = [{"name": "com.example.Missing", "subject": sr.subject("nothing"), "version": 1}]
    response = sr.register(
        sr.subject("refs"),
        record(fields=[{"name": "m", "type": "com.example.Missing"}]),
        references=refs,
    )
    assert error_of(response) == (422, 42201)


@pytest.mark.parametrize("version", ["0", "-2", "abc", "2147483648", "1.5"])
def test_42202_invalid_version(sr: Client, version: str) -> None:
    subject = sr.subject("badversion")
    sr.register_id(subject, USER)
    assert error_of(sr.get(f"/subjects/{subject}/versions/{version}")) == (422, 42202)
    assert error_of(sr.delete(f"/subjects/{subject}/versions/{version}")) == (422, 42202)
    assert error_of(sr.compat(subject, version, USER)) == (422, 42202)


def test_42203_invalid_compatibility_level(sr: Client) -> None:
    subject = sr.subject("level")
    assert error_of(sr.put(f"/config/{subject}", {"compatibility": "SIDEWAYS"})) == (422, 42203)
    assert error_of(sr.put("/config", {"compatibility": 7})) == (422, 42203)
    assert error_of(sr.get(f"/config/{subject}")) == (404, 40408)


def test_42204_invalid_mode(sr: Client) -> None:
    assert error_of(sr.put(f"/mode/{sr.subject('mode')}", {"mode": "WRITEONLY"})) == (422, 42204)
    assert error_of(sr.put("/mode", {"mode": None})) == (422, 42204)


def test_42205_register_outside_readwrite(sr: Client) -> None:
    subject = sr.subject("readonly")
    sr.register_id(subject, USER)
    assert sr.put(f"/mode/{subject}", {"mode": "READONLY"}).json() == {"mode": "READONLY"}
    evolved = record(
        fields=[{"name": "id", "type": "long"}, {"name": "x", "type": "int", "default": 0}]
    )
    assert error_of(sr.register(subject, evolved)) == (422, 42205)
    assert error_of(sr.delete(f"/subjects/{subject}")) == (422, 42205)
    assert sr.put(f"/mode/{subject}", {"mode": "READWRITE"}).status_code == 200
    assert sr.register(subject, evolved).status_code == 200


def test_42206_reference_exists(sr: Client) -> None:
    shared, user = sr.subject("shared"), sr.subject("user")
    sr.register_id(shared, record("Address", [{"name": "street", "type": "string"}]))
    sr.register_id(
        user,
        record(fields=[{"name": "home", "type": "com.example.Address"}]),
        references=[{"name": "com.example.Address", "subject": shared, "version": 1}],
    )
    assert error_of(sr.delete(f"/subjects/{shared}")) == (422, 42206)
    assert error_of(sr.delete(f"/subjects/{shared}/versions/1")) == (422, 42206)


def test_400_invalid_json_body(sr: Client) -> None:
    subject = sr.subject("body")
    response = sr.http.post(f"/subjects/{subject}/versions", content=b"{not json")
    assert error_of(response) == (400, 400)
    response = sr.http.post(f"/subjects/{subject}/versions", content=b'["a list"]')
    assert error_of(response) == (400, 400)
    response = sr.http.put("/config", content=b"{")
    assert error_of(response) == (400, 400)


def test_415_unsupported_content_type(sr: Client) -> None:
    response = httpx.post(
        f"{sr.url}/subjects/{sr.subject('ctype')}/versions",
        content=b'{"schema": "\\"int\\""}',
        headers={"Content-Type": "text/plain"},
        verify=False,
    )
    assert error_of(response) == (415, 415)


@pytest.mark.parametrize(
    "content_type",
    [
        MEDIA_TYPE,
        "application/vnd.schemaregistry+json",
        "application/json",
        "application/json; charset=utf-8",
        None,
    ],
)
def test_accepted_content_types(sr: Client, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(
        f"{sr.url}/subjects/{sr.subject('accepted')}/versions",
        content=b'{"schema": "\\"string\\""}',
        headers=headers,
        verify=False,
    )
    assert response.status_code == 200 and isinstance(response.json()["id"], int)


def test_404_unknown_route_and_405_wrong_method(sr: Client) -> None:
    assert error_of(sr.get("/no/such/route")) == (404, 404)
    assert error_of(sr.get("/schemas/ids/not-a-number")) == (404, 404)
    assert error_of(sr.http.patch("/subjects")) == (405, 405)
