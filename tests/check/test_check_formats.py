"""`avrobind check --format json|github`: the same findings as `lint --format json`."""

from __future__ import annotations

import json

from tests.check.test_check_git import REQUIRED_SEEING, check, field_index, generate
from tests.sync.sync_helpers import Project


def test_clean_tree_is_an_empty_list(repo: Project) -> None:
    run = check(repo, "--format", "json")
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout) == []
    run = check(repo, "--format", "github")
    assert run.exit_code == 0 and run.stdout == ""


def test_incompatible_change_is_located_in_the_file(repo: Project) -> None:
    repo.add_field("data/observation.avsc", REQUIRED_SEEING)
    generate(repo)
    index = field_index(repo, "data/observation.avsc", "seeing")

    run = check(repo, "--format", "json")

    assert run.exit_code == 1, run.output
    found = json.loads(run.stdout)
    assert [(f["rule"], f["subject"], f["path"]) for f in found] == [
        ("INCOMPATIBLE", "telescope.data-value", f"/fields/{index}")
    ]
    (finding,) = found
    assert finding["file"].endswith("avsc/data/observation.avsc")
    assert "reader field 'seeing' has no default" in finding["message"]
    text = (repo.root / "avsc" / "data" / "observation.avsc").read_text().splitlines()
    assert '"seeing"' in text[finding["line"]] or '"seeing"' in text[finding["line"] - 1]


def test_a_change_in_a_shared_type_points_at_its_own_file(repo: Project) -> None:
    def narrow(schema: dict[str, object]) -> None:
        schema["fields"][0]["type"] = "float"  # type: ignore[index]

    repo.edit("common/sky_position.avsc", narrow)
    generate(repo)

    run = check(repo, "--format", "github")

    assert run.exit_code == 1, run.output
    lines = run.stdout.splitlines()
    text = (repo.root / "avsc" / "common" / "sky_position.avsc").read_text().splitlines()
    ra_type = next(i for i, s in enumerate(text, 1) if '"type": "float"' in s)
    # Three subjects use SkyPosition (commands and status in a union, data as a field): every
    # message about ra_deg lands on it in common/sky_position.avsc, not in the using file.
    about_ra = [line for line in lines if ".ra_deg)" in line]
    assert len(about_ra) == 3, run.stdout
    for line in about_ra:
        assert line.startswith("::error file=")
        assert (
            f"avsc/common/sky_position.avsc,line={ra_type},title=INCOMPATIBLE::/fields/0/type: "
            in line
        )
    assert all("avsc/common/sky_position.avsc," in line for line in lines)


def test_stale_generated_files_are_findings(repo: Project) -> None:
    repo.add_field(
        "data/observation.avsc", {"name": "seeing", "type": ["null", "double"], "default": None}
    )

    run = check(repo, "--format", "json")

    assert run.exit_code == 1, run.output
    found = json.loads(run.stdout)
    assert {f["rule"] for f in found} == {"GENERATED_STALE"}
    assert any(f["file"].endswith("generated/telescope_schemas/telescope/data.py") for f in found)
    assert all(f["message"] == "changed: run `avrobind generate`" for f in found)
