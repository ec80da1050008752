"""`avrobind pull` against the local registry, filled by confluent-kafka's SchemaRegistryClient."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro.schema import to_parsing_canonical_form

from tests.pull.conftest import MONEY, MONEY_REF, PAYMENT, PAYMENT_V2, Partner
from tests.sync.sync_helpers import Project, Run, avrobind, unreachable_url

PAYMENT_FILE = Path("avsc/partner.payments.Payment.avsc")
MONEY_FILE = Path("avsc/partner.common.Money.avsc")


def pull(url: str, *args: str) -> Run:
    return avrobind("pull", "--registry", url, *args)


def lock(project: Project) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((project.root / "avrobind.lock").read_text())
    return {s["subject"]: s for s in doc["subjects"]}


def fingerprint(schema: Any) -> str:
    return "sha256:" + hashlib.sha256(to_parsing_canonical_form(schema).encode()).hexdigest()


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_pull_writes_the_schema_its_references_and_the_lock(
    project: Project, partner: Partner
) -> None:
    run = pull(partner.url, "--subject", "payments-value")

    assert run.exit_code == 0, run.output
    assert json.loads((project.root / PAYMENT_FILE).read_text()) == PAYMENT
    assert json.loads((project.root / MONEY_FILE).read_text()) == MONEY  # its own file
    latest = {
        s: partner.client.get_latest_version(s) for s in ("payments-value", "partner.common.Money")
    }
    inlined = copy.deepcopy(PAYMENT)
    inlined["fields"][1]["type"] = MONEY
    assert lock(project) == {
        "payments-value": {
            "subject": "payments-value",
            "requested": "latest",
            "version": 1,
            "id": latest["payments-value"].schema_id,
            "fingerprint": fingerprint(inlined),
            "file": PAYMENT_FILE.as_posix(),
            "sha256": hashlib.sha256((project.root / PAYMENT_FILE).read_bytes()).hexdigest(),
            "references": [
                {"name": "partner.common.Money", "subject": "partner.common.Money", "version": 1}
            ],
        },
        "partner.common.Money": {
            "subject": "partner.common.Money",
            "requested": "reference",
            "version": 1,
            "id": latest["partner.common.Money"].schema_id,
            "fingerprint": fingerprint(MONEY),
            "file": MONEY_FILE.as_posix(),
            "sha256": hashlib.sha256((project.root / MONEY_FILE).read_bytes()).hexdigest(),
            "references": [],
        },
    }
    assert "payments-value" in run.stdout and "written" in run.stdout


def test_rerun_changes_nothing(project: Project, partner: Partner) -> None:
    assert pull(partner.url, "--subject", "payments-value").exit_code == 0
    before = snapshot(project.root)

    again = pull(partner.url)  # no --subject: the lock's subjects
    same = pull(partner.url, "--subject", "payments-value")

    assert again.exit_code == same.exit_code == 0, again.output + same.output
    assert "nothing changed" in again.stdout and "nothing changed" in same.stdout
    assert snapshot(project.root) == before  # not even rewritten
    assert pull(partner.url, "--check").exit_code == 0


def test_check_finds_registry_moves_and_edited_files(project: Project, partner: Partner) -> None:
    assert pull(partner.url, "--subject", "payments-value").exit_code == 0
    partner.register("payments-value", PAYMENT_V2, [MONEY_REF])

    moved = pull(partner.url, "--check")
    assert moved.exit_code == 1, moved.output
    assert "payments-value: the registry has version 2, avrobind.lock has 1" in moved.stdout
    assert not any("Money" in line for line in moved.stdout.splitlines())  # unchanged

    assert pull(partner.url).exit_code == 0  # `latest` moves on
    assert lock(project)["payments-value"]["version"] == 2
    assert pull(partner.url, "--check").exit_code == 0

    edited = project.root / MONEY_FILE
    edited.write_text(edited.read_text().replace('"currency"', '"currency_code"'))
    drift = pull(partner.url, "--check")
    assert drift.exit_code == 1, drift.output
    assert f"{MONEY_FILE}: edited since it was pulled" in drift.stdout
    assert "currency_code" in edited.read_text()  # --check wrote nothing

    restored = pull(partner.url)
    assert restored.exit_code == 0
    assert "replaced (it had been edited)" in restored.stdout
    assert json.loads(edited.read_text()) == MONEY


def test_version_pins_and_regex_patterns(project: Project, partner: Partner) -> None:
    partner.register("payments-value", PAYMENT_V2, [MONEY_REF])

    run = pull(partner.url, "--subject", "pay.*", "--version", "1")

    assert run.exit_code == 0, run.output
    locked = lock(project)
    assert sorted(locked) == ["partner.common.Money", "payments-key", "payments-value"]
    assert (locked["payments-value"]["version"], locked["payments-value"]["requested"]) == (1, "1")
    assert json.loads((project.root / "avsc/payments-key.avsc").read_text()) == "string"
    assert json.loads((project.root / PAYMENT_FILE).read_text()) == PAYMENT

    assert pull(partner.url).exit_code == 0  # a pinned version stays
    assert lock(project)["payments-value"]["version"] == 1
    # Another subject pulled later keeps the pinned ones where they are.
    assert pull(partner.url, "--subject", "refunds-value").exit_code == 0
    assert lock(project)["payments-value"]["version"] == 1
    assert (project.root / "avsc/partner.payments.Refund.avsc").is_file()


def test_a_topic_can_use_a_pulled_type(project: Project, partner: Partner) -> None:
    """Generated code for a pulled type reads what the owning team's confluent-kafka producer
    writes (the registered schema with its reference), in another process."""
    assert pull(partner.url, "--subject", "payments-value").exit_code == 0
    project.config.write_text(
        project.config.read_text()
        + '\n[tool.avrobind.topics."payments"]\nvalue = "partner.payments.Payment"\n'
    )
    assert avrobind("generate").exit_code == 0
    payment = {
        "payment_id": "p-1",
        "amount": {"amountCents": 1250, "currency": "EUR"},
        "note": None,
    }
    serializer = AvroSerializer(
        partner.client,
        Schema(json.dumps(PAYMENT), "AVRO", [MONEY_REF]),
        conf={"auto.register.schemas": False, "use.latest.version": True},
    )
    framed = serializer(payment, SerializationContext("payments", MessageField.VALUE))
    assert framed is not None

    script = (
        "import base64, json, sys\n"
        "from telescope_schemas import PaymentsSerde\n"
        "value = PaymentsSerde(schema_registry_url=sys.argv[1]).deserialize(base64.b64decode(sys.argv[2]))\n"
        "print(json.dumps({'type': type(value).__name__, 'value': value.to_dict()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, partner.url, base64.b64encode(framed).decode()],
        cwd=project.root / "generated",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"type": "Payment", "value": payment}


def test_lint_leaves_pulled_files_alone(project: Project, partner: Partner) -> None:
    assert pull(partner.url, "--subject", "payments-value").exit_code == 0
    run = avrobind("lint", "--format", "json")
    # Money's `amountCents` breaks FIELD_NAME_SNAKE_CASE, but it is the partner's schema; only
    # the example project's own AckStatus (no enum default) is reported.
    assert [(f["rule"], f["file"]) for f in json.loads(run.stdout)] == [
        ("ENUM_DEFAULT_REQUIRED", "avsc/acknowledgments/command_acknowledgment.avsc")
    ]
    assert "2 pulled file(s) not linted (avrobind.lock)" in run.stderr


def test_bad_input_exits_2_and_writes_nothing(project: Project, partner: Partner) -> None:
    before = snapshot(project.root)
    # (A project that pulls nothing passes --check: CI can run it everywhere.)
    nothing = pull(partner.url, "--check")
    assert nothing.exit_code == 0 and "nothing is pulled" in nothing.stdout
    cases = {
        ("--subject", "nope-value"): "--subject 'nope-value' matches no subject on the registry",
        ("--subject", "payment-value"): "did you mean 'payments-value'",
        ("--subject", "orders\\..*"): "matches no subject",
        (
            "--subject",
            "pay(",
        ): "is neither a subject on the registry nor a valid regular expression",
        (
            "--subject",
            "payments-value",
            "--version",
            "7",
        ): "subject 'payments-value' has no version 7 (it has 1)",
        (
            "--subject",
            "payments-value",
            "--version",
            "first",
        ): "--version must be a positive number or latest",
        (): "nothing to pull",
    }
    for args, message in cases.items():
        run = pull(partner.url, *args)
        assert run.exit_code == 2, (args, run.output)
        assert message in run.stderr, (args, run.stderr)
    assert snapshot(project.root) == before


def test_a_type_the_project_defines_already_is_refused(project: Project, partner: Partner) -> None:
    partner.register(
        "positions-value", {**MONEY, "name": "SkyPosition", "namespace": "telescope.common"}
    )
    before = snapshot(project.root)

    run = pull(partner.url, "--subject", "positions-value")

    assert run.exit_code == 2, run.output
    assert "duplicate definition of 'telescope.common.SkyPosition'" in run.stderr
    assert "the pulled schemas would not load; nothing was written" in run.stderr
    assert snapshot(project.root) == before


def test_a_subject_deleted_since_the_lock_is_bad_input(project: Project, partner: Partner) -> None:
    assert pull(partner.url, "--subject", "refunds-value").exit_code == 0
    partner.client.delete_subject("refunds-value")

    run = pull(partner.url)

    assert run.exit_code == 2, run.output
    assert "subject 'refunds-value' does not exist on the registry" in run.stderr


def test_unreachable_registry_exits_3(project: Project) -> None:
    url = unreachable_url()

    run = avrobind(
        "pull",
        "--registry",
        url,
        "--subject",
        "payments-value",
        env={"AVROBIND_REGISTRY_RETRIES": "0"},
    )

    assert run.exit_code == 3, run.output
    assert f"registry {url}" in run.stderr and "could not connect" in run.stderr
    assert not (project.root / "avrobind.lock").exists()
