"""Schema references: a shared type under its own subject, used by another schema."""

from __future__ import annotations

import json

import fastavro

from tests.registry.registry_helpers import Client, error_of

ADDRESS = {
    "type": "record",
    "name": "Address",
    "namespace": "com.shared",
    "fields": [{"name": "street", "type": "string"}, {"name": "zip", "type": "string"}],
}
COUNTRY = {"type": "enum", "name": "Country", "namespace": "com.shared", "symbols": ["NL", "DE"]}
# Address v2 references Country (a reference chain: person -> address -> country).
ADDRESS_WITH_COUNTRY = {
    **ADDRESS,
    "fields": [*ADDRESS["fields"], {"name": "country", "type": "Country", "default": "NL"}],
}
PERSON = {
    "type": "record",
    "name": "Person",
    "namespace": "com.people",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "home", "type": "com.shared.Address"},
        {"name": "work", "type": ["null", "com.shared.Address"], "default": None},
    ],
}


def _ref(subject: str, version: int = 1, name: str = "com.shared.Address") -> dict[str, object]:
    return {"name": name, "subject": subject, "version": version}


def test_register_and_read_a_referencing_schema(sr: Client) -> None:
    address, person = sr.subject("address"), sr.subject("person")
    address_id = sr.register_id(address, ADDRESS)
    person_id = sr.register_id(person, PERSON, references=[_ref(address)])
    assert person_id != address_id

    got = sr.get(f"/subjects/{person}/versions/latest").json()
    assert got["references"] == [_ref(address)]
    assert json.loads(got["schema"])["fields"][1]["type"] == "com.shared.Address"
    by_id = sr.get(f"/schemas/ids/{person_id}").json()
    assert by_id["references"] == [_ref(address)] and by_id["schema"] == got["schema"]
    assert sr.get(f"/subjects/{address}/versions/1/referencedby").json() == [person_id]
    assert sr.get(f"/subjects/{person}/versions/1/referencedby").json() == []


def test_referencing_schema_is_idempotent_and_looked_up_with_its_references(sr: Client) -> None:
    address, person = sr.subject("address"), sr.subject("person")
    sr.register_id(address, ADDRESS)
    person_id = sr.register_id(person, PERSON, references=[_ref(address)])
    assert (
        sr.register_id(person, json.dumps(PERSON, indent=2), references=[_ref(address)])
        == person_id
    )
    # version -1 means the latest version of the referenced subject
    assert sr.register_id(person, PERSON, references=[_ref(address, -1)]) == person_id
    assert sr.get(f"/subjects/{person}/versions").json() == [1]
    found = sr.lookup(person, PERSON, references=[_ref(address)])
    assert found.status_code == 200 and found.json()["id"] == person_id
    # Without its references the schema does not even parse: Address is unknown.
    assert error_of(sr.lookup(person, PERSON)) == (422, 42201)
    assert error_of(sr.register(sr.subject("alone"), PERSON)) == (422, 42201)


def test_reference_chain_resolves_dependencies_first(sr: Client) -> None:
    country, address, person = sr.subject("country"), sr.subject("address"), sr.subject("person")
    sr.register_id(country, COUNTRY)
    sr.register_id(
        address, ADDRESS_WITH_COUNTRY, references=[_ref(country, name="com.shared.Country")]
    )
    person_id = sr.register_id(person, PERSON, references=[_ref(address)])
    # The stored schema plus its references decode real data written with the expanded schema.
    named: dict[str, dict[str, object]] = {}
    for subject in (country, address):
        text = sr.get(f"/subjects/{subject}/versions/1").json()["schema"]
        fastavro.parse_schema(json.loads(text), named_schemas=named)
    parsed = fastavro.parse_schema(
        json.loads(sr.get(f"/schemas/ids/{person_id}").json()["schema"]), named_schemas=named
    )
    datum = {
        "name": "Ada",
        "home": {"street": "Main", "zip": "1000", "country": "DE"},
        "work": None,
    }
    assert fastavro.validate(datum, parsed)


def test_same_reference_name_different_versions_are_different_schemas(sr: Client) -> None:
    address, person = sr.subject("address"), sr.subject("person")
    sr.register_id(address, ADDRESS)
    sr.register_id(address, {**ADDRESS, "doc": "v2"})
    first = sr.register_id(person, PERSON, references=[_ref(address, 1)])
    second = sr.register_id(person, PERSON, references=[_ref(address, 2)])
    assert first != second
    assert sr.get(f"/subjects/{person}/versions").json() == [1, 2]


def test_compatibility_sees_through_references(sr: Client) -> None:
    address, person = sr.subject("address"), sr.subject("person")
    sr.register_id(address, ADDRESS)
    # Address v2 drops "zip": old Person data (with a zip) is still readable by a reader without it.
    sr.register_id(address, {**ADDRESS, "fields": ADDRESS["fields"][:1]})
    sr.register_id(person, PERSON, references=[_ref(address, 2)])
    # A Person that uses Address v1 requires "zip", which v2 data lacks: not BACKWARD compatible.
    response = sr.register(person, PERSON, references=[_ref(address, 1)])
    assert error_of(response) == (409, 409)
    assert "zip" in response.json()["message"]


def test_referenced_subject_cannot_be_deleted_while_used(sr: Client) -> None:
    address, person = sr.subject("address"), sr.subject("person")
    sr.register_id(address, ADDRESS)
    sr.register_id(person, PERSON, references=[_ref(address)])
    assert error_of(sr.delete(f"/subjects/{address}")) == (422, 42206)
    assert error_of(sr.delete(f"/subjects/{address}/versions/1")) == (422, 42206)
    assert sr.get(f"/subjects/{address}/versions").json() == [1]
    # Once the referrer is deleted, the reference no longer holds the shared type.
    sr.delete(f"/subjects/{person}")
    assert sr.get(f"/subjects/{address}/versions/1/referencedby").json() == []
    assert sr.delete(f"/subjects/{address}").json() == [1]
    assert sr.delete(f"/subjects/{address}", params={"permanent": "true"}).json() == [1]


def test_referencing_schema_cannot_redefine_a_referenced_type(sr: Client) -> None:
    address = sr.subject("address")
    sr.register_id(address, ADDRESS)
    redefining = {**PERSON, "fields": [{"name": "home", "type": ADDRESS}]}
    assert error_of(sr.register(sr.subject("p"), redefining, references=[_ref(address)])) == (
        422,
        42201,
    )


def test_invalid_reference_bodies(sr: Client) -> None:
    address = sr.subject("address")
    sr.register_id(address, ADDRESS)
    for ref in (
        {"name": "com.shared.Address", "subject": address},  # no version
        {"name": "com.shared.Address", "subject": address, "version": 0},
        {"subject": address, "version": 1},  # no name
    ):
        assert error_of(sr.register(sr.subject("p"), PERSON, references=[ref])) == (422, 42201)
