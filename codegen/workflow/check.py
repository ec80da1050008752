"""`avrobind check --against REF`: the working tree's subjects against their versions in git.

Each configured subject's self-contained schema (working tree) is checked with
`codegen.compat.check_level` under its configured level: non-transitive levels against the
schema at REF, `*_TRANSITIVE` levels against every distinct version in the history of REF
(oldest first; commits where the schemas did not load or the subject did not exist are
skipped). A subject that did not exist at REF has nothing to be compatible with. The config
(topics, levels) is always the working tree's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codegen.config import Config
from codegen.errors import InputErrors
from codegen.schema import model as m
from codegen.schema.compat import check_level
from codegen.subjects import SubjectSchema, explain, subject_schemas
from codegen.workflow.git import GitError, Repository, open_repository
from codegen.workflow.locate import message_finding
from codegen.workflow.report import Finding

__all__ = ["CheckReport", "GitError", "SubjectCheck", "check_against"]


@dataclass
class SubjectCheck:
    """The verdict for one subject."""

    subject: str
    level: str
    status: str  # "compatible" | "unchanged" | "new" | "incompatible"
    compared: list[str] = field(default_factory=list)  # labels of the versions compared
    messages: list[str] = field(default_factory=list)
    type_name: str = ""  # the type the subject holds (a full name or a primitive)


@dataclass
class CheckReport:
    ref: str
    commit: str | None  # None: the repository has no commit yet
    subjects: list[SubjectCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # skipped commits and the like (verbose)

    @property
    def incompatible(self) -> list[SubjectCheck]:
        return [s for s in self.subjects if s.status == "incompatible"]

    def findings(self, schemas: m.SchemaSet) -> list[Finding]:
        """One `INCOMPATIBLE` finding per message, located in the working tree's files."""
        return [
            message_finding("INCOMPATIBLE", msg, schemas, c.type_name, c.subject)
            for c in self.incompatible
            for msg in c.messages
        ]


def check_against(config: Config, schemas: m.SchemaSet, ref: str = "HEAD") -> CheckReport:
    """Check every subject of the working tree (`schemas`) against its version(s) at `ref`."""
    repo = open_repository(config)
    commit = repo.resolve(ref)
    if commit is None:
        report = CheckReport(ref, None)
        report.notes.append("the repository has no commit yet: nothing to compare with")
        return report
    report = CheckReport(ref, commit, notes=repo.notes)
    current = subject_schemas(config, schemas)
    specs = _SpecsAt(repo, config)
    at_ref = specs.load(commit, f"{ref} ({commit[:7]})")
    history: list[_Specs] | None = None
    for spec in current:
        if spec.level.endswith("_TRANSITIVE"):
            if history is None:
                commits = repo.history(commit)
                history = [specs.load(c, f"commit {c[:7]}") for c in commits]
                if not commits or commits[-1] != commit:
                    history.append(at_ref)
            revisions = history
        else:
            revisions = [at_ref]
        report.subjects.append(_check_subject(spec, revisions, report, config.union_defaults))
    return report


def _check_subject(
    spec: SubjectSchema, revisions: list[_Specs], report: CheckReport, union_defaults: str
) -> SubjectCheck:
    previous: list[tuple[str, Any]] = []
    for rev in revisions:
        if rev.specs is None:
            continue
        old = rev.specs.get(spec.subject)
        if old is None:
            report.notes.append(f"{spec.subject}: not in {rev.label}; skipped")
            continue
        if previous and previous[-1][1] == old.schema:
            continue  # the same version as the commit before
        previous.append((rev.label, old.schema))
    check = SubjectCheck(
        spec.subject, spec.level, "new", [label for label, _ in previous], type_name=spec.type_name
    )
    if not previous:
        return check
    if previous[-1][1] == spec.schema and not spec.level.endswith("_TRANSITIVE"):
        check.status = "unchanged"
        return check
    result = check_level(
        spec.schema, [schema for _, schema in previous], spec.level, union_defaults=union_defaults
    )
    if result.compatible:
        check.status = "unchanged" if previous[-1][1] == spec.schema else "compatible"
    else:
        check.status = "incompatible"
        check.messages = explain(result.messages, spec.schema, previous)
    return check


@dataclass
class _Specs:
    label: str
    specs: dict[str, SubjectSchema] | None  # None: the schemas did not load


class _SpecsAt:
    """Each revision's subjects (computed once per distinct schema tree)."""

    def __init__(self, repo: Repository, config: Config) -> None:
        self.repo = repo
        self.config = config
        self._cache: dict[int, dict[str, SubjectSchema] | None] = {}

    def load(self, commit: str, label: str) -> _Specs:
        rev = self.repo.schemas_at(commit, label)
        if rev.schemas is None:
            return _Specs(label, None)
        key = id(rev.schemas)  # the repository hands out one SchemaSet per tree
        if key not in self._cache:
            try:
                self._cache[key] = {s.subject: s for s in subject_schemas(self.config, rev.schemas)}
            except InputErrors as e:
                first = e.errors[0].describe() if e.errors else ""
                self.repo.notes.append(f"{label}: the schemas did not load ({first}); skipped")
                self._cache[key] = None
        elif self._cache[key] is None:
            self.repo.notes.append(f"{label}: the schemas did not load; skipped")
        return _Specs(label, self._cache[key])
