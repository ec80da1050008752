"""Soft and permanent deletes, and what the listings show afterwards."""

from __future__ import annotations

from tests.registry.registry_helpers import Client, error_of, record

V1 = record(fields=[{"name": "id", "type": "long"}])
V2 = record(fields=[{"name": "id", "type": "long"}, {"name": "a", "type": "int", "default": 0}])
V3 = record(fields=[{"name": "id", "type": "long"}, {"name": "b", "type": "int", "default": 0}])


def test_soft_then_permanent_subject_delete(fresh: Client) -> None:
    id1 = fresh.register_id("s", V1)
    fresh.register_id("s", V2)
    fresh.register_id("keep", V1)
    assert fresh.get("/subjects").json() == ["keep", "s"]

    assert fresh.delete("/subjects/s").json() == [1, 2]
    assert fresh.get("/subjects").json() == ["keep"]
    assert fresh.get("/subjects", params={"deleted": "true"}).json() == ["keep", "s"]
    assert fresh.get("/subjects", params={"deletedOnly": "true"}).json() == ["s"]
    assert error_of(fresh.get("/subjects/s/versions")) == (404, 40401)
    assert fresh.get("/subjects/s/versions", params={"deleted": "true"}).json() == [1, 2]
    assert error_of(fresh.get("/subjects/s/versions/1")) == (404, 40401)
    soft = fresh.get("/subjects/s/versions/1", params={"deleted": "true"}).json()
    assert (soft["id"], soft["version"]) == (id1, 1)
    # A soft-deleted schema still resolves by id (consumers can still decode old data).
    assert fresh.get(f"/schemas/ids/{id1}").status_code == 200
    assert fresh.get(f"/schemas/ids/{id1}/versions").json() == [{"subject": "keep", "version": 1}]
    assert fresh.get(f"/schemas/ids/{id1}/versions", params={"deleted": "true"}).json() == [
        {"subject": "keep", "version": 1},
        {"subject": "s", "version": 1},
    ]
    # Look-up sees deleted versions only when asked to.
    assert error_of(fresh.lookup("s", V1)) == (404, 40401)
    assert fresh.lookup("s", V1, params={"deleted": "true"}).json()["version"] == 1

    assert fresh.delete("/subjects/s", params={"permanent": "true"}).json() == [1, 2]
    assert fresh.get("/subjects", params={"deleted": "true"}).json() == ["keep"]
    assert error_of(fresh.get("/subjects/s/versions", params={"deleted": "true"})) == (404, 40401)
    assert error_of(fresh.delete("/subjects/s", params={"permanent": "true"})) == (404, 40401)


def test_soft_deleted_version_numbers_are_not_reused(fresh: Client) -> None:
    fresh.register_id("s", V1)
    fresh.register_id("s", V2)
    assert fresh.delete("/subjects/s/versions/2").json() == 2
    assert fresh.get("/subjects/s/versions").json() == [1]
    assert fresh.get("/subjects/s/versions", params={"deleted": "true"}).json() == [1, 2]
    fresh.register_id("s", V3)
    assert fresh.get("/subjects/s/versions").json() == [1, 3]
    # After a soft delete of the whole subject, numbering still continues.
    fresh.delete("/subjects/s")
    fresh.register_id("s", V1)
    assert fresh.get("/subjects/s/versions").json() == [4]


def test_permanently_deleted_subject_starts_again_at_version_1(fresh: Client) -> None:
    old_id = fresh.register_id("s", V1)
    fresh.delete("/subjects/s")
    fresh.delete("/subjects/s", params={"permanent": "true"})
    assert error_of(fresh.get(f"/schemas/ids/{old_id}")) == (404, 40403)
    new_id = fresh.register_id("s", V1)
    assert fresh.get("/subjects/s/versions").json() == [1]
    # Ids are never reused: the schema comes back under a new one.
    assert new_id > old_id


def test_reregistering_a_soft_deleted_schema_keeps_its_id(fresh: Client) -> None:
    schema_id = fresh.register_id("s", V1)
    fresh.register_id("s", V2)
    fresh.delete("/subjects/s/versions/1")
    assert fresh.register_id("s", V1) == schema_id
    # It comes back as a new version; the soft-deleted copy is dropped.
    assert fresh.get("/subjects/s/versions").json() == [2, 3]
    assert fresh.get("/subjects/s/versions", params={"deleted": "true"}).json() == [2, 3]


def test_version_delete_latest_and_permanent(fresh: Client) -> None:
    fresh.register_id("s", V1)
    fresh.register_id("s", V2)
    assert fresh.delete("/subjects/s/versions/latest").json() == 2
    assert fresh.get("/subjects/s/versions/latest").json()["version"] == 1
    assert fresh.delete("/subjects/s/versions/2", params={"permanent": "true"}).json() == 2
    assert fresh.get("/subjects/s/versions", params={"deleted": "true"}).json() == [1]
    assert error_of(fresh.get("/subjects/s/versions/2", params={"deleted": "true"})) == (404, 40402)


def test_deleting_the_last_version_drops_subject_config(fresh: Client) -> None:
    fresh.register_id("s", V1)
    fresh.put("/config/s", {"compatibility": "NONE"})
    fresh.delete("/subjects/s/versions/1")
    assert error_of(fresh.get("/config/s")) == (404, 40408)
    fresh.register_id("t", V1)
    fresh.put("/config/t", {"compatibility": "FULL"})
    fresh.delete("/subjects/t")
    assert error_of(fresh.get("/config/t")) == (404, 40408)


def test_deleted_versions_are_left_out_of_compatibility(fresh: Client) -> None:
    fresh.register_id("s", V1)
    fresh.put("/config/s", {"compatibility": "BACKWARD_TRANSITIVE"})
    retyped = record(fields=[{"name": "id", "type": "string"}])
    assert error_of(fresh.register("s", retyped)) == (409, 409)
    fresh.delete("/subjects/s/versions/1")
    fresh.put("/config/s", {"compatibility": "BACKWARD_TRANSITIVE"})
    assert fresh.register("s", retyped).status_code == 200


def test_subject_listing_prefix(fresh: Client) -> None:
    for subject in ("orders-value", "orders-key", "payments-value"):
        fresh.register_id(subject, V1)
    assert fresh.get("/subjects", params={"subjectPrefix": "orders"}).json() == [
        "orders-key",
        "orders-value",
    ]
    assert fresh.get("/subjects", params={"subjectPrefix": "nothing"}).json() == []
