"""Schema identity, ids and versions (registration and look-up) against a real server."""

from __future__ import annotations

import json

from tests.registry.registry_helpers import Client, error_of, record

USER = record(fields=[{"name": "id", "type": "long"}, {"name": "name", "type": "string"}])


def test_reformatted_schema_keeps_its_id_and_creates_no_version(sr: Client) -> None:
    subject = sr.subject("identity")
    first = sr.register_id(subject, USER)
    pretty = json.dumps(USER, indent=4)
    reordered = json.dumps(
        {
            "fields": [
                {"type": "long", "name": "id"},
                {"type": {"type": "string"}, "name": "name"},  # {"type": X} spells X
            ],
            "name": "User",
            "type": "record",
            "namespace": "com.example",
        }
    )
    dotted = json.dumps({**USER, "name": "com.example.User", "namespace": "ignored.when.dotted"})
    for variant in (pretty, reordered, dotted):
        assert sr.register_id(subject, variant) == first
    assert sr.get(f"/subjects/{subject}/versions").json() == [1]


def test_any_existing_version_is_found_not_only_the_latest(sr: Client) -> None:
    subject = sr.subject("older")
    v1 = sr.register_id(subject, USER)
    evolved = record(fields=[*USER["fields"], {"name": "age", "type": "int", "default": 0}])
    v2 = sr.register_id(subject, evolved)
    assert v2 != v1
    assert sr.register_id(subject, USER) == v1
    assert sr.get(f"/subjects/{subject}/versions").json() == [1, 2]


def test_same_schema_under_two_subjects_shares_the_id(sr: Client) -> None:
    a, b = sr.subject("a"), sr.subject("b")
    id_a = sr.register_id(a, USER)
    id_b = sr.register_id(b, json.dumps(USER, indent=2))
    assert id_a == id_b
    got = sr.get(f"/subjects/{b}/versions/1").json()
    assert (got["subject"], got["version"], got["id"]) == (b, 1, id_a)
    pairs = sr.get(f"/schemas/ids/{id_a}/versions").json()
    assert {"subject": a, "version": 1} in pairs and {"subject": b, "version": 1} in pairs
    assert set(sr.get(f"/schemas/ids/{id_a}/subjects").json()) >= {a, b}


def test_doc_default_and_custom_property_change_identity(sr: Client) -> None:
    subject = sr.subject("docs")
    base = sr.register_id(subject, USER)
    documented = sr.register_id(subject, {**USER, "doc": "A user."})
    with_prop = sr.register_id(subject, {**USER, "owner": "team-a"})
    with_default = sr.register_id(
        subject,
        record(fields=[{"name": "id", "type": "long", "default": 0}, USER["fields"][1]]),
    )
    assert len({base, documented, with_prop, with_default}) == 4
    assert sr.get(f"/subjects/{subject}/versions").json() == [1, 2, 3, 4]


def test_ids_grow_and_versions_count_per_subject(fresh: Client) -> None:
    ids = [
        fresh.register_id("s", record(fields=[{"name": f"f{i}", "type": "int", "default": i}]))
        for i in range(3)
    ]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert fresh.get("/subjects/s/versions").json() == [1, 2, 3]
    other = fresh.register_id("t", record("Other"))
    assert other > max(ids)
    assert fresh.get("/subjects/t/versions").json() == [1]


def test_registered_schema_reads_back_by_version_and_id(sr: Client) -> None:
    subject = sr.subject("readback")
    schema_id = sr.register_id(subject, json.dumps(USER, indent=2))
    by_version = sr.get(f"/subjects/{subject}/versions/1").json()
    assert by_version["id"] == schema_id and by_version["version"] == 1
    assert json.loads(by_version["schema"]) == USER  # stored in canonical (compact) form
    assert "\n" not in by_version["schema"]
    assert sr.get(f"/subjects/{subject}/versions/latest").json() == by_version
    assert sr.get(f"/subjects/{subject}/versions/-1").json() == by_version
    raw = sr.get(f"/subjects/{subject}/versions/1/schema")
    assert raw.status_code == 200 and raw.json() == USER
    assert sr.get(f"/schemas/ids/{schema_id}").json() == {"schema": by_version["schema"]}


def test_canonical_form_drops_redundant_spelling(sr: Client) -> None:
    subject = sr.subject("canonical")
    sr.register_id(
        subject,
        {
            "type": "record",
            "name": "com.example.Box",
            "fields": [{"name": "n", "type": {"type": "int"}}, {"name": "s", "type": "string"}],
        },
    )
    stored = json.loads(sr.get(f"/subjects/{subject}/versions/1").json()["schema"])
    assert stored == {
        "type": "record",
        "name": "Box",
        "namespace": "com.example",
        "fields": [{"name": "n", "type": "int"}, {"name": "s", "type": "string"}],
    }


def test_lookup_finds_subject_version_and_id(sr: Client) -> None:
    subject = sr.subject("lookup")
    schema_id = sr.register_id(subject, USER)
    response = sr.lookup(subject, json.dumps(USER, indent=1))
    assert response.status_code == 200
    body = response.json()
    assert (body["subject"], body["version"], body["id"]) == (subject, 1, schema_id)
    assert json.loads(body["schema"]) == USER
    assert error_of(sr.lookup(subject, record("Unknown"))) == (404, 40403)
    assert error_of(sr.lookup(sr.subject("nobody"), USER)) == (404, 40401)


def test_normalize_registers_full_names_and_matches_on_lookup(sr: Client) -> None:
    subject = sr.subject("normalize")
    schema = {
        "type": "record",
        "name": "Order",
        "namespace": "com.shop",
        "aliases": ["Zeta", "Alpha"],
        "fields": [{"name": "line", "type": {"type": "record", "name": "Line", "fields": []}}],
    }
    response = sr.register(subject, schema, params={"normalize": "true"})
    assert response.status_code == 200
    schema_id = response.json()["id"]
    stored = json.loads(sr.get(f"/subjects/{subject}/versions/1").json()["schema"])
    assert stored["name"] == "com.shop.Order"
    assert stored["aliases"] == ["com.shop.Alpha", "com.shop.Zeta"]
    assert stored["fields"][0]["type"]["name"] == "com.shop.Line"
    # Aliases in another order are the same schema once normalised.
    swapped = {**schema, "aliases": ["Alpha", "Zeta"]}
    found = sr.lookup(subject, swapped, params={"normalize": "true"})
    assert found.status_code == 200 and found.json()["id"] == schema_id
    again = sr.register(subject, swapped, params={"normalize": "true"})
    assert again.json() == {"id": schema_id}
    assert sr.get(f"/subjects/{subject}/versions").json() == [1]


def test_schema_type_avro_is_the_default_and_others_are_refused(sr: Client) -> None:
    subject = sr.subject("types")
    assert sr.get("/schemas/types").json() == ["AVRO"]
    explicit = sr.register(subject, USER, schemaType="AVRO")
    assert explicit.status_code == 200
    assert sr.register_id(subject, USER) == explicit.json()["id"]
    assert error_of(sr.register(subject, '{"type":"object"}', schemaType="JSON")) == (422, 42201)
    assert error_of(sr.register(subject, 'syntax = "proto3";', schemaType="PROTOBUF")) == (
        422,
        42201,
    )


def test_root_answers_empty_object(sr: Client) -> None:
    response = sr.get("/")
    assert response.status_code == 200 and response.json() == {}
    assert response.headers["content-type"].startswith("application/vnd.schemaregistry.v1+json")
