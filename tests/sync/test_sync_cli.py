"""`avrobind sync` against the local registry, started as a real server and spoken to over HTTP.

The CLI runs in-process (click's runner) so that the `recorder` fixture can see every request
the registry client sends.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import httpx
from fastavro.schema import parse_schema

from tests.fixtures_registry import RegistryServers
from tests.sync.sync_helpers import (
    LEVELS,
    Canned,
    Project,
    Recorder,
    avrobind,
    registry_get,
)

SUBJECTS = sorted(LEVELS)
OPTIONAL_SEEING = {"name": "seeing", "type": ["null", "double"], "default": None}
REQUIRED_DOME = {"name": "dome", "type": "string"}  # no default: BACKWARD-incompatible


def sync(project: Project, url: str, *args: str, env: dict[str, str] | None = None) -> Any:
    return avrobind("sync", "--config", str(project.config), "--registry", url, *args, env=env)


def versions(url: str, subject: str) -> Any:
    return registry_get(url, f"/subjects/{subject}/versions")


def all_versions(url: str) -> dict[str, Any]:
    return {s: versions(url, s) for s in SUBJECTS}


def test_first_sync_registers_every_subject_and_level(project: Project, registry_url: str) -> None:
    run = sync(project, registry_url)
    assert run.exit_code == 0, run.output
    assert sorted(registry_get(registry_url, "/subjects")) == SUBJECTS
    for subject, level in LEVELS.items():
        assert versions(registry_url, subject) == [1]
        own = registry_get(registry_url, f"/config/{subject}")
        assert own == {"compatibilityLevel": level}, subject
    # Every key is the primitive "string": one schema, hence one id shared by the four subjects.
    latest = {s: registry_get(registry_url, f"/subjects/{s}/versions/latest") for s in SUBJECTS}
    key_ids = {latest[s]["id"] for s in SUBJECTS if s.endswith("-key")}
    assert len(key_ids) == 1
    assert json.loads(latest["telescope.data-key"]["schema"]) == "string"
    value_ids = [latest[s]["id"] for s in SUBJECTS if s.endswith("-value")]
    assert len(set(value_ids)) == 4 and not key_ids & set(value_ids)
    # Values are registered self-contained: the schema parses alone (no references) and has the
    # fields of the .avsc file, the shared SkyPosition inlined.
    data = latest["telescope.data-value"]
    assert "references" not in data or not data["references"]
    parsed: Any = parse_schema(json.loads(data["schema"]), named_schemas={})
    source = project.schema("data/observation.avsc")
    assert [f["name"] for f in parsed["fields"]] == [f["name"] for f in source["fields"]]
    target = next(f for f in parsed["fields"] if f["name"] == "target")
    assert target["type"]["name"] == "telescope.common.SkyPosition"
    # The ids the command printed are the registry's.
    for subject in SUBJECTS:
        assert any(
            line.split()[0] == subject and str(latest[subject]["id"]) in line.split()
            for line in run.stdout.splitlines()
            if line.strip()
        ), (subject, run.stdout)


def test_second_sync_is_a_no_op_without_registration_calls(
    project: Project, registry_url: str, recorder: Recorder
) -> None:
    assert sync(project, registry_url).exit_code == 0
    assert recorder.count("POST", suffix="/versions") == 8  # the first run did register
    recorder.clear()

    run = sync(project, registry_url)

    assert run.exit_code == 0, run.output
    assert recorder.count("POST", suffix="/versions") == 0
    assert recorder.count("PUT") == 0
    # The cheap path: one look-up and one level read per subject, nothing else.
    for subject in SUBJECTS:
        assert recorder.count("POST", f"/subjects/{subject}") == 1
        assert recorder.count("GET", f"/config/{subject}") == 1
    assert len(recorder.requests) == 2 * len(SUBJECTS)
    assert run.stdout.count("unchanged") >= len(SUBJECTS)
    assert all_versions(registry_url) == {s: [1] for s in SUBJECTS}


def test_compatible_change_registers_exactly_one_new_version(
    project: Project, registry_url: str
) -> None:
    assert sync(project, registry_url).exit_code == 0
    project.add_field("data/observation.avsc", OPTIONAL_SEEING)

    run = sync(project, registry_url)

    assert run.exit_code == 0, run.output
    expected = {s: [1] for s in SUBJECTS} | {"telescope.data-value": [1, 2]}
    assert all_versions(registry_url) == expected
    latest = registry_get(registry_url, "/subjects/telescope.data-value/versions/latest")
    assert json.loads(latest["schema"])["fields"][-1]["name"] == "seeing"


def test_incompatible_change_registers_nothing_anywhere(
    project: Project, registry_url: str, recorder: Recorder
) -> None:
    assert sync(project, registry_url).exit_code == 0
    # One compatible change and one incompatible one in the same run.
    project.add_field("data/observation.avsc", OPTIONAL_SEEING)
    project.add_field("status/telescope_status.avsc", REQUIRED_DOME)
    dome_index = len(project.schema("status/telescope_status.avsc")["fields"]) - 1
    recorder.clear()

    run = sync(project, registry_url)

    assert run.exit_code == 1, run.output
    assert recorder.count("POST", suffix="/versions") == 0
    assert recorder.count("PUT") == 0
    assert all_versions(registry_url) == {s: [1] for s in SUBJECTS}
    assert "incompatible: telescope.status-value" in run.stdout
    assert f"/fields/{dome_index} (field dome)" in run.stdout
    assert "telescope.data-value" not in run.stderr  # only the offending subject is named there
    assert "nothing was registered" in run.stderr


def test_dry_run_registers_nothing_and_reports_verdicts(
    project: Project, registry_url: str, recorder: Recorder
) -> None:
    run = sync(project, registry_url, "--dry-run", "--format", "json")
    assert run.exit_code == 0, run.output
    doc = run.json()
    assert doc["dry_run"] is True and doc["ok"] is True
    assert {s["subject"]: s["actions"] for s in doc["subjects"]} == {
        s: ["new-subject", "set-level"] for s in SUBJECTS
    }
    assert recorder.count("POST", suffix="/versions") == 0
    assert recorder.count("PUT") == 0
    assert registry_get(registry_url, "/subjects") == []

    # With versions present, a dry run still judges compatibility, and fails like a real run.
    assert sync(project, registry_url).exit_code == 0
    project.add_field("status/telescope_status.avsc", REQUIRED_DOME)
    run = sync(project, registry_url, "--dry-run")
    assert run.exit_code == 1
    assert "incompatible: telescope.status-value" in run.stdout
    assert all_versions(registry_url) == {s: [1] for s in SUBJECTS}


def test_json_format_holds_the_plan_and_the_outcome(project: Project, registry_url: str) -> None:
    assert sync(project, registry_url).exit_code == 0
    project.add_field("data/observation.avsc", OPTIONAL_SEEING)

    doc = sync(project, registry_url, "--format", "json").json()

    assert doc["exit_code"] == 0 and doc["error"] is None
    by_subject = {s["subject"]: s for s in doc["subjects"]}
    assert set(by_subject) == set(SUBJECTS)
    data = by_subject["telescope.data-value"]
    assert data["actions"] == ["new-version"]
    assert data["compatible"] is True and "offline" in data["checked"]
    assert data["applied"] == ["registered"]
    assert data["version"] == 2 and data["latest_version"] == 1
    assert (
        data["id"] == registry_get(registry_url, "/subjects/telescope.data-value/versions/2")["id"]
    )
    assert by_subject["telescope.status-value"]["actions"] == ["unchanged"]
    assert by_subject["telescope.status-value"]["level"] == "BACKWARD_TRANSITIVE"
    assert doc["summary"]["registered"] == 1


def test_killed_registry_exits_3_and_a_later_run_finishes(
    project: Project, registry_servers: RegistryServers, tmp_path: Path
) -> None:
    server = registry_servers.start(data=tmp_path / "registry.db")
    assert sync(project, server.url).exit_code == 0
    project.add_field("data/observation.avsc", OPTIONAL_SEEING)
    server.kill()

    run = sync(project, server.url, env={"AVROBIND_REGISTRY_RETRIES": "1"})

    assert run.exit_code == 3, run.output
    assert "unavailable" in run.stderr and "could not connect" in run.stderr
    server.restart()
    run = sync(project, server.url)
    assert run.exit_code == 0, run.output
    assert versions(server.url, "telescope.data-value") == [1, 2]
    assert versions(server.url, "telescope.status-value") == [1]
    server.terminate()


def test_rerun_after_a_failure_mid_apply_completes_the_job(
    project: Project, registry_url: str, recorder: Recorder
) -> None:
    # A double: the registry dropping one connection mid-run cannot be provoked on a real server.
    request = httpx.Request("POST", registry_url)
    recorder.faults[("POST", "/subjects/telescope.status-value/versions")] = [
        httpx.ReadError("connection reset by peer", request=request)
    ]

    run = sync(project, registry_url, env={"AVROBIND_REGISTRY_RETRIES": "0"})

    assert run.exit_code == 3, run.output
    assert "re-run `avrobind sync` to finish" in run.stderr
    registered = registry_get(registry_url, "/subjects")
    assert "telescope.status-value" not in registered
    assert registered  # others made it before the failure

    run = sync(project, registry_url)
    assert run.exit_code == 0, run.output
    assert all_versions(registry_url) == {s: [1] for s in SUBJECTS}


def test_a_500_answered_once_is_retried(
    project: Project, registry_url: str, recorder: Recorder
) -> None:
    # A double: the real registry has no way to fail one request with a 500 on demand.
    path = "/subjects/telescope.data-value/versions"
    error = json.dumps({"error_code": 50001, "message": "Error in the backend data store"}).encode()
    recorder.faults[("POST", path)] = [
        httpx.Response(500, content=error, headers={"Content-Type": "application/json"})
    ]

    run = sync(project, registry_url)

    assert run.exit_code == 0, run.output
    assert recorder.count("POST", path) == 2
    assert all_versions(registry_url) == {s: [1] for s in SUBJECTS}


def test_registry_refusing_at_registration_exits_1(
    project: Project, registry_url: str, recorder: Recorder
) -> None:
    # A double: the local registry judges with the same checker as the offline check, so it
    # cannot be made to disagree with it; a foreign registry (Confluent's Java checker) can.
    assert sync(project, registry_url).exit_code == 0
    project.add_field("data/observation.avsc", OPTIONAL_SEEING)
    path = "/subjects/telescope.data-value/versions"
    body = json.dumps({"error_code": 409, "message": "Schema being registered is incompatible"})
    recorder.faults[("POST", path)] = [
        httpx.Response(409, content=body.encode(), headers={"Content-Type": "application/json"})
    ]

    run = sync(project, registry_url)

    assert run.exit_code == 1, run.output
    assert "incompatible: telescope.data-value" in run.stdout
    assert "Schema being registered is incompatible" in run.stdout
    assert versions(registry_url, "telescope.data-value") == [1]


def test_references_register_shared_types_as_their_own_subjects(
    project: Project, registry_url: str
) -> None:
    project.write_config("references = true\n")

    run = sync(project, registry_url)

    assert run.exit_code == 0, run.output
    shared = ["telescope.common.Instrument", "telescope.common.SkyPosition"]
    assert sorted(registry_get(registry_url, "/subjects")) == sorted(SUBJECTS + shared)
    for subject in shared:
        assert versions(registry_url, subject) == [1]
        assert registry_get(registry_url, f"/config/{subject}") == {
            "compatibilityLevel": "BACKWARD"
        }
    data = registry_get(registry_url, "/subjects/telescope.data-value/versions/latest")
    refs = {r["name"]: r for r in data["references"]}
    assert refs == {name: {"name": name, "subject": name, "version": 1} for name in shared}
    # The dependent names SkyPosition instead of inlining it.
    schema = json.loads(data["schema"])
    target = next(f for f in schema["fields"] if f["name"] == "target")
    assert target["type"] == "telescope.common.SkyPosition"
    assert "ra_deg" not in data["schema"]
    # The registry resolves the references: with them the schema parses (and is compatible
    # with itself), without them the name SkyPosition is unknown.
    check_url = registry_url + "/compatibility/subjects/telescope.data-value/versions/latest"
    with_refs = httpx.post(
        check_url, json={"schema": data["schema"], "references": data["references"]}
    )
    assert with_refs.json()["is_compatible"] is True
    without = httpx.post(check_url, json={"schema": data["schema"]})
    assert without.status_code == 422 and without.json()["error_code"] == 42201
    assert sync(project, registry_url, "--format", "json").json()["summary"]["unchanged"] == 10

    # A compatible change of a shared type: a new version of it, and new versions of the
    # schemas that reference it, pointing at that version.
    project.add_field(
        "common/sky_position.avsc", {"name": "note", "type": ["null", "string"], "default": None}
    )
    run = sync(project, registry_url)
    assert run.exit_code == 0, run.output
    assert versions(registry_url, "telescope.common.SkyPosition") == [1, 2]
    for dependent in ("telescope.commands-value", "telescope.data-value", "telescope.status-value"):
        latest = registry_get(registry_url, f"/subjects/{dependent}/versions/latest")
        assert latest["version"] == 2
        sky = next(r for r in latest["references"] if r["name"] == "telescope.common.SkyPosition")
        assert sky["version"] == 2
    assert versions(registry_url, "telescope.acknowledgments-value") == [1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_registry_exits_3(project: Project) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    run = sync(project, url, env={"AVROBIND_REGISTRY_RETRIES": "0"})
    assert run.exit_code == 3, run.output
    assert url in run.stderr and "could not connect" in run.stderr


def test_registry_answering_html_exits_3(project: Project, double: Any) -> None:
    server = double(Canned(200, b"<html><body>Welcome to nginx!</body></html>", "text/html"))
    run = sync(project, server.url)
    assert run.exit_code == 3, run.output
    assert "not JSON" in run.stderr and "check that" in run.stderr
    assert server.hits > 0


def test_registry_answering_invalid_json_exits_3(project: Project, double: Any) -> None:
    server = double(Canned(200, b'{"id": 1,', "application/vnd.schemaregistry.v1+json"))
    run = sync(project, server.url)
    assert run.exit_code == 3, run.output
    assert "not JSON" in run.stderr


def test_401_exits_3_with_a_credentials_message_without_the_secret(
    project: Project, double: Any
) -> None:
    body = json.dumps({"error_code": 401, "message": "Unauthorized"}).encode()
    server = double(Canned(401, body, "application/json"))
    secret = "s3cr3t-passw0rd"
    env = {"AVROBIND_REGISTRY_USERNAME": "ci-bot", "AVROBIND_REGISTRY_PASSWORD": secret}
    for fmt in ("text", "json"):
        run = sync(project, server.url, "--format", fmt, env=env)
        assert run.exit_code == 3, run.output
        assert "authentication failed" in run.stderr
        assert "credentials" in run.stderr
        assert secret not in run.output


def test_403_exits_3_with_a_permission_message(project: Project, double: Any) -> None:
    body = json.dumps({"error_code": 40301, "message": "User is denied operation"}).encode()
    server = double(Canned(403, body, "application/json"))
    run = sync(project, server.url)
    assert run.exit_code == 3, run.output
    assert "permission denied" in run.stderr and "credentials" in run.stderr


def test_invalid_level_in_config_exits_2_naming_the_key(project: Project) -> None:
    text = project.config.read_text().replace('compatibility = "FULL"', 'compatibility = "STRICT"')
    project.config.write_text(text)
    run = sync(project, "http://127.0.0.1:9")
    assert run.exit_code == 2, run.output
    assert 'tool.avrobind.topics."telescope.commands".compatibility' in run.stderr
    assert "STRICT" in run.stderr


def test_no_registry_url_exits_2(project: Project) -> None:
    run = avrobind("sync", "--config", str(project.config))
    assert run.exit_code == 2, run.output
    assert "no registry URL" in run.stderr and "AVROBIND_REGISTRY_URL" in run.stderr


def test_registry_url_from_the_environment(project: Project, registry_url: str) -> None:
    run = avrobind(
        "sync", "--config", str(project.config), env={"AVROBIND_REGISTRY_URL": registry_url}
    )
    assert run.exit_code == 0, run.output
    assert sorted(registry_get(registry_url, "/subjects")) == SUBJECTS


def test_readonly_subject_exits_3_and_registers_nothing(
    project: Project, registry_url: str
) -> None:
    assert sync(project, registry_url).exit_code == 0
    put = httpx.put(
        registry_url + "/mode/telescope.data-value",
        json={"mode": "READONLY"},
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
    )
    assert put.status_code == 200
    project.add_field("data/observation.avsc", OPTIONAL_SEEING)
    project.add_field("acknowledgments/command_acknowledgment.avsc", OPTIONAL_SEEING)

    run = sync(project, registry_url)

    assert run.exit_code == 3, run.output
    assert "telescope.data-value" in run.stderr and "READONLY" in run.stderr
    assert all_versions(registry_url) == {s: [1] for s in SUBJECTS}


def test_level_change_is_checked_under_the_configured_level(
    project: Project, registry_url: str
) -> None:
    """The registry holds NONE for the subject; the configured BACKWARD still blocks a change."""
    assert sync(project, registry_url).exit_code == 0
    put = httpx.put(
        registry_url + "/config/telescope.data-value",
        json={"compatibility": "NONE"},
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
    )
    assert put.status_code == 200
    project.add_field("data/observation.avsc", REQUIRED_DOME)

    run = sync(project, registry_url, "--format", "json")

    assert run.exit_code == 1, run.output
    data = next(s for s in run.json()["subjects"] if s["subject"] == "telescope.data-value")
    assert data["actions"] == ["new-version", "set-level"]
    assert data["registry_level"] == "NONE" and data["compatible"] is False
    assert any("field dome" in m for m in data["messages"])
    assert versions(registry_url, "telescope.data-value") == [1]
    assert registry_get(registry_url, "/config/telescope.data-value") == {
        "compatibilityLevel": "NONE"
    }

    # Relaxing a level in the same run as a change only the new level allows works.
    project.write_config()
    text = project.config.read_text().replace(
        'value = "telescope.data.Observation"\nkey = "string"\n',
        'value = "telescope.data.Observation"\nkey = "string"\ncompatibility = "NONE"\n',
    )
    project.config.write_text(text)
    put = httpx.put(
        registry_url + "/config/telescope.data-value",
        json={"compatibility": "FULL"},
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
    )
    assert put.status_code == 200
    run = sync(project, registry_url)
    assert run.exit_code == 0, run.output
    assert versions(registry_url, "telescope.data-value") == [1, 2]
    assert registry_get(registry_url, "/config/telescope.data-value") == {
        "compatibilityLevel": "NONE"
    }
