"""Compatibility checks, compatibility levels (config) and modes."""

from __future__ import annotations

from tests.registry.registry_helpers import Client, error_of, record

V1 = record(fields=[{"name": "id", "type": "long"}])
# Adds an optional field: BACKWARD compatible with V1, and FORWARD compatible too.
V2 = record(
    fields=[{"name": "id", "type": "long"}, {"name": "note", "type": "string", "default": ""}]
)
# Adds a required field: not BACKWARD compatible (cannot read V1 data), but FORWARD compatible.
REQUIRED = record(fields=[{"name": "id", "type": "long"}, {"name": "email", "type": "string"}])
# Changes a type incompatibly in both directions.
RETYPED = record(fields=[{"name": "id", "type": "boolean"}])


def test_compatibility_against_latest_and_numbered_versions(sr: Client) -> None:
    subject = sr.subject("compat")
    sr.register_id(subject, V1)
    sr.register_id(subject, V2)
    assert sr.compat(subject, "latest", V2).json() == {"is_compatible": True}
    assert sr.compat(subject, "latest", REQUIRED).json() == {"is_compatible": False}
    assert sr.compat(subject, 1, RETYPED).json() == {"is_compatible": False}
    # V2 without its "note" field reads version 2 data fine (BACKWARD ignores extra writer fields).
    assert sr.compat(subject, 2, V1).json() == {"is_compatible": True}
    # Without a version: against the versions the level looks at.
    assert sr.compat(subject, None, V2).json() == {"is_compatible": True}


def test_verbose_compatibility_explains(sr: Client) -> None:
    subject = sr.subject("verbose")
    sr.register_id(subject, V1)
    bad = sr.compat(subject, "latest", REQUIRED, params={"verbose": "true"}).json()
    assert bad["is_compatible"] is False
    assert any("email" in m for m in bad["messages"])
    good = sr.compat(subject, "latest", V2, params={"verbose": "true"}).json()
    assert good == {"is_compatible": True, "messages": []}
    # With verbose, an invalid schema is reported in the messages instead of as 42201.
    invalid = sr.http.post(
        f"/compatibility/subjects/{subject}/versions/latest",
        params={"verbose": "true"},
        json={"schema": "{nope"},
    )
    assert invalid.status_code == 200
    assert invalid.json()["is_compatible"] is False and invalid.json()["messages"]
    not_verbose = sr.http.post(
        f"/compatibility/subjects/{subject}/versions/latest", json={"schema": "{nope"}
    )
    assert error_of(not_verbose) == (422, 42201)


def test_compatibility_against_a_subject_without_versions_is_true(sr: Client) -> None:
    assert sr.compat(sr.subject("empty"), "latest", V1).json() == {"is_compatible": True}
    subject = sr.subject("emptied")
    sr.register_id(subject, V1)
    sr.delete(f"/subjects/{subject}")
    assert sr.compat(subject, "latest", RETYPED).json() == {"is_compatible": True}


def test_subject_level_decides_registration(sr: Client) -> None:
    subject = sr.subject("levels")
    sr.register_id(subject, V1)
    assert error_of(sr.register(subject, REQUIRED)) == (409, 409)
    assert sr.put(f"/config/{subject}", {"compatibility": "FORWARD"}).json() == {
        "compatibility": "FORWARD"
    }
    assert sr.compat(subject, "latest", REQUIRED).json() == {"is_compatible": True}
    assert sr.register(subject, REQUIRED).status_code == 200
    sr.put(f"/config/{subject}", {"compatibility": "NONE"})
    assert sr.register(subject, RETYPED).status_code == 200
    assert sr.get(f"/subjects/{subject}/versions").json() == [1, 2, 3]


def test_transitive_level_checks_every_version(sr: Client) -> None:
    subject = sr.subject("transitive")
    sr.put(f"/config/{subject}", {"compatibility": "NONE"})
    sr.register_id(subject, V1)
    sr.register_id(subject, RETYPED)
    back_to_v1 = record(
        fields=[{"name": "id", "type": "long"}, {"name": "x", "type": "int", "default": 0}]
    )
    sr.put(f"/config/{subject}", {"compatibility": "BACKWARD"})
    # Same shape as the latest (id: boolean): fine against it alone, not against V1 (id: long).
    assert sr.compat(subject, "latest", {**RETYPED, "doc": "same shape"}).json()["is_compatible"]
    sr.put(f"/config/{subject}", {"compatibility": "BACKWARD_TRANSITIVE"})
    assert not sr.compat(subject, "latest", {**RETYPED, "doc": "same shape"}).json()[
        "is_compatible"
    ]
    assert not sr.compat(subject, "latest", back_to_v1).json()["is_compatible"]


def test_global_config_get_put_delete(fresh: Client) -> None:
    assert fresh.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    assert fresh.put("/config", {"compatibility": "full_transitive"}).json() == {
        "compatibility": "FULL_TRANSITIVE"
    }
    assert fresh.get("/config").json() == {"compatibilityLevel": "FULL_TRANSITIVE"}
    assert fresh.delete("/config").json() == {"compatibilityLevel": "FULL_TRANSITIVE"}
    assert fresh.get("/config").json() == {"compatibilityLevel": "BACKWARD"}


def test_subject_config_and_default_to_global(fresh: Client) -> None:
    assert error_of(fresh.get("/config/s")) == (404, 40408)
    assert fresh.get("/config/s", params={"defaultToGlobal": "true"}).json() == {
        "compatibilityLevel": "BACKWARD"
    }
    fresh.put("/config", {"compatibility": "FORWARD"})
    assert fresh.get("/config/s", params={"defaultToGlobal": "true"}).json() == {
        "compatibilityLevel": "FORWARD"
    }
    assert fresh.put("/config/s", {"compatibility": "NONE"}).json() == {"compatibility": "NONE"}
    assert fresh.get("/config/s").json() == {"compatibilityLevel": "NONE"}
    assert fresh.get("/config").json() == {"compatibilityLevel": "FORWARD"}
    assert fresh.delete("/config/s").json() == {"compatibilityLevel": "NONE"}
    assert error_of(fresh.get("/config/s")) == (404, 40408)
    assert error_of(fresh.delete("/config/s")) == (404, 40401)


def test_global_level_applies_to_subjects_without_their_own(fresh: Client) -> None:
    fresh.register_id("s", V1)
    fresh.put("/config", {"compatibility": "NONE"})
    assert fresh.register("s", RETYPED).status_code == 200


def test_modes(fresh: Client) -> None:
    assert fresh.get("/mode").json() == {"mode": "READWRITE"}
    assert error_of(fresh.get("/mode/s")) == (404, 40409)
    assert fresh.get("/mode/s", params={"defaultToGlobal": "true"}).json() == {"mode": "READWRITE"}
    assert fresh.put("/mode", {"mode": "READONLY"}).json() == {"mode": "READONLY"}
    assert error_of(fresh.register("s", V1)) == (422, 42205)
    # A subject-level mode wins over the global one ...
    assert fresh.put("/mode/s", {"mode": "READWRITE"}).json() == {"mode": "READWRITE"}
    assert fresh.register("s", V1).status_code == 200
    assert error_of(fresh.register("t", V1)) == (422, 42205)
    # ... except a global READONLY_OVERRIDE.
    fresh.put("/mode", {"mode": "READONLY_OVERRIDE"})
    assert fresh.get("/mode/s", params={"defaultToGlobal": "true"}).json() == {
        "mode": "READONLY_OVERRIDE"
    }
    assert error_of(fresh.register("s", V2)) == (422, 42205)
    fresh.put("/mode", {"mode": "READWRITE"})
    assert fresh.delete("/mode/s").json() == {"mode": "READWRITE"}
    assert error_of(fresh.get("/mode/s")) == (404, 40409)
    # Reads keep working in every mode; look-ups too.
    assert fresh.lookup("s", V1).status_code == 200


def test_import_mode(fresh: Client) -> None:
    fresh.register_id("existing", V1)
    # Switching to IMPORT needs an empty registry unless forced.
    assert error_of(fresh.put("/mode", {"mode": "IMPORT"})) == (422, 42205)
    assert fresh.put("/mode/fresh-subject", {"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    # In IMPORT mode a registration must carry its id (and may carry its version).
    assert error_of(fresh.register("fresh-subject", V2)) == (422, 42205)
    imported = fresh.register("fresh-subject", V2, id=100, version=5)
    assert imported.json() == {"id": 100}
    got = fresh.get("/subjects/fresh-subject/versions/5").json()
    assert (got["id"], got["version"]) == (100, 5)
    # Outside IMPORT mode, an explicit id is refused.
    assert error_of(fresh.register("existing", V2, id=101)) == (422, 42205)
    # New ids continue after the imported one.
    fresh.put("/mode/fresh-subject", {"mode": "READWRITE"})
    assert fresh.register_id("other", RETYPED) > 100
