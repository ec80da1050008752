"""`avrobind docs`: the AsyncAPI 3.0 document and the Markdown catalog.

The AsyncAPI document is validated with the official `@asyncapi/parser` (3.6.6) and its
`@asyncapi/avro-schema-parser` (3.1.0), whose `validate` runs avsc on every Avro schema; the
Mermaid diagrams with Mermaid's own parser (`mermaid.parse`, 11.17.2, in jsdom). They run in
node (`tests/docs/node/validate.mjs`); `make test` installs them with `npm ci` from the
committed package-lock.json. A missing install fails these tests rather than skipping them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.sync.sync_helpers import Project, Run, avrobind, make_project

NODE_DIR = Path(__file__).parent / "node"
TOPICS = ["telescope.commands", "telescope.acknowledgments", "telescope.data", "telescope.status"]


def validate(asyncapi: Path, catalog: Path | None = None) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / ".avrobind-installed").is_file():
        pytest.fail(
            "the docs validators are not installed: run `make "
            "tests/docs/node/node_modules/.avrobind-installed` (needs node and npm)"
        )
    args = [node, str(NODE_DIR / "validate.mjs"), str(asyncapi)]
    if catalog is not None:
        args.append(str(catalog))
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def docs(project: Project, *args: str) -> Run:
    return avrobind("docs", "--config", str(project.config), *args)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.iterdir())
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = make_project(tmp_path)
    # One more topic: the record strategy, a value type another topic uses too, a raw key
    # (Kafka's UUIDSerializer, no subject) and tombstones.
    p.config.write_text(
        p.config.read_text() + '\n[tool.avrobind.topics."telescope.positions"]\n'
        'value = "telescope.common.SkyPosition"\nsubject-strategy = "record"\n'
        'key = "uuid"\nkey-format = "raw"\ntombstones = true\n'
    )
    return p


@pytest.fixture
def written(project: Project) -> Path:
    run = docs(project)
    assert run.exit_code == 0, run.output
    return project.root / "docs"


def test_the_asyncapi_document_is_valid_and_complete(project: Project, written: Path) -> None:
    report = validate(written / "asyncapi.json", written / "topics.md")

    assert report["valid"], report["diagnostics"]
    # Only the parser's hint that AsyncAPI 3.1 exists (severity 2 = information).
    assert [d for d in report["diagnostics"] if d["severity"] < 2] == []
    assert [c["address"] for c in report["channels"]] == [*TOPICS, "telescope.positions"]
    assert all(c["kafkaTopic"] == c["address"] for c in report["channels"])
    ops = {(o["action"], o["channels"][0]) for o in report["operations"]}
    assert ops == {(a, t) for a in ("send", "receive") for t in [*TOPICS, "telescope.positions"]}

    messages = {m["id"]: m for m in report["messages"]}
    data = messages["TelescopeData"]
    assert data["schemaFormat"] == "application/vnd.apache.avro+json;version=1.9.0"
    assert data["contentType"] == "avro/binary"
    # The Avro parser turned the payload into a JSON schema with the record's fields.
    observation = project.schema("data/observation.avsc")
    assert data["payloadType"] == "object"
    assert data["payloadProperties"] == [f["name"] for f in observation["fields"]]
    assert data["key"]["schema"] == {"type": "string"}  # the key, resolved and parsed as Avro
    assert data["extensions"]["x-value-subject"] == "telescope.data-value"
    assert data["extensions"]["x-key-subject"] == "telescope.data-key"
    assert messages["TelescopeStatus"]["extensions"]["x-compatibility"] == "BACKWARD_TRANSITIVE"
    positions = messages["TelescopePositions"]
    assert positions["extensions"]["x-value-subject"] == "telescope.common.SkyPosition"
    assert "x-key-subject" not in positions["extensions"]
    assert positions["extensions"]["x-key-format"] == "raw"
    assert positions["extensions"]["x-tombstones"] is True
    assert (positions["key"]["type"], positions["key"]["format"]) == ("string", "uuid")
    assert "UUIDSerializer" in positions["key"]["description"]

    assert report["avro"] and all(a["errors"] == [] for a in report["avro"])
    assert len(report["avro"]) == 5 + 4  # five payloads, four Avro keys (one key is raw)
    assert [m["ok"] for m in report["mermaid"]] == [True] * 5, report["mermaid"]

    raw = json.loads((written / "asyncapi.json").read_text())
    payload = raw["components"]["messages"]["TelescopeData"]["payload"]["schema"]
    target = next(f for f in payload["fields"] if f["name"] == "target")
    assert target["type"]["name"] == "SkyPosition"  # the full, self-contained schema
    bindings = raw["components"]["messages"]["TelescopePositions"]["bindings"]["kafka"]
    assert bindings["schemaLookupStrategy"] == "RecordNameStrategy"


def test_the_validators_reject_broken_documents(written: Path, tmp_path: Path) -> None:
    """The checks above can fail: each corruption is caught by the tool meant to catch it."""
    raw = json.loads((written / "asyncapi.json").read_text())
    raw["operations"]["sendTelescopeData"]["action"] = "publish"  # AsyncAPI 2 wording
    raw["components"]["messages"]["TelescopeData"]["payload"]["schema"]["fields"][0]["type"] = (
        "uuidd"
    )
    broken = tmp_path / "asyncapi.json"
    broken.write_text(json.dumps(raw))
    catalog = tmp_path / "topics.md"
    catalog.write_text((written / "topics.md").read_text().replace(" --> ", " -->> ", 1))

    report = validate(broken, catalog)

    assert not report["valid"]
    assert any(
        d["severity"] == 0 and "operations/sendTelescopeData/action" in d["path"]
        for d in report["diagnostics"]
    ), report["diagnostics"]
    assert any("uuidd" in e for a in report["avro"] for e in a["errors"]), report["avro"]
    assert [m["ok"] for m in report["mermaid"]] == [False, True, True, True, True]


def test_the_catalog_describes_topics_and_types(written: Path) -> None:
    md = (written / "topics.md").read_text()
    assert (
        "| [`telescope.data`](#topic-telescopedata) | `string` | "
        "[`telescope.data.Observation`](#record-telescopedataobservation) | `BACKWARD` | "
        "`telescope.data-key`, `telescope.data-value` |"
    ) in md
    assert "## Topic `telescope.data`" in md and "### Record `telescope.data.Observation`" in md
    assert "- Python: `TelescopeDataProducer`, `TelescopeDataConsumer`, `TelescopeDataSerde`" in md
    # Relations carry the field name and a cardinality: optional, one, many.
    assert '    TelescopeCommand --> "0..1" SkyPosition : target' in md
    assert '    Observation --> "1" SkyPosition : target' in md
    assert '    Observation --> "*" Frame : frames' in md
    assert (
        "| `exposure_seconds` | `decimal(9,3)` (`bytes`) | - | Total exposure, exact to the "
        "millisecond. |"
    ) in md
    assert "Defined in `avsc/data/observation.avsc#/fields/8/type/items`." in md  # Frame
    assert md.count("### Record `telescope.common.SkyPosition`") == 1  # once, however often used
    assert "- Key: `uuid` (raw: Kafka's UUIDSerializer: the UUID's text)" in md
    assert "- Tombstones: a null value deletes its key (a compacted topic)" in md


def test_reruns_change_nothing_and_output_is_the_same_anywhere(
    project: Project, written: Path, tmp_path: Path
) -> None:
    before = snapshot(written)
    again = docs(project)
    assert again.exit_code == 0 and "nothing changed" in again.stdout
    assert snapshot(written) == before

    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(project.root, elsewhere, ignore=shutil.ignore_patterns("docs"))
    moved = avrobind("docs", "--config", str(elsewhere / "pyproject.toml"))
    assert moved.exit_code == 0, moved.output
    assert {n: b for n, (b, _) in snapshot(elsewhere / "docs").items()} == {
        n: b for n, (b, _) in before.items()
    }


def test_check_lists_stale_files_and_writes_nothing(project: Project, written: Path) -> None:
    assert docs(project, "--check").exit_code == 0
    project.edit("common/sky_position.avsc", lambda s: s.update(doc="Where to point."))
    (written / "topics.md").unlink()
    before = snapshot(written)

    run = docs(project, "--check")

    assert run.exit_code == 1, run.output
    assert "missing: topics.md" in run.stdout and "changed: asyncapi.json" in run.stdout
    assert snapshot(written) == before
    assert docs(project).exit_code == 0
    assert docs(project, "--check").exit_code == 0


def test_out_directory(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "site" / "kafka"
    run = docs(project, "--out", str(out))
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in out.iterdir()) == ["asyncapi.json", "topics.md"]


def test_bad_input_exits_2_and_writes_nothing(project: Project) -> None:
    project.config.write_text(
        project.config.read_text()
        + '\n[tool.avrobind.topics."telescope.alerts"]\nvalue = "telescope.alerts.Alert"\n'
    )
    run = docs(project)
    assert run.exit_code == 2, run.output
    assert "type 'telescope.alerts.Alert' is not defined" in run.stderr
    assert not (project.root / "docs").exists()

    (project.root / "avsc" / "broken.avsc").write_text('{"type": "record", "name": "B"}')
    run = docs(project)
    assert run.exit_code == 2, run.output
    assert "broken.avsc" in run.stderr
    assert not (project.root / "docs").exists()
