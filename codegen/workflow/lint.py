"""`avrobind lint [--against REF]`: the configured rules over the schema directory.

The single-tree rules (`lint_rules`) run on the working tree; with `--against REF` the BREAKING
rules (`lint_evolution`) compare it with the schema directory at REF, through the same git
machinery as `avrobind check`. Findings in files that `avrobind pull` wrote (listed in
`avrobind.lock`) are left out: those schemas belong to another team. `ignore` globs then drop
what the configuration ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codegen.config import Config
from codegen.schema import model as m
from codegen.workflow.git import open_repository
from codegen.workflow.lint_config import LintConfig
from codegen.workflow.lint_evolution import check_changes
from codegen.workflow.lint_rules import BREAKING, RULES, check_tree
from codegen.workflow.lock import lock_path, read_lock
from codegen.workflow.report import Finding


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    ignored: int = 0  # findings dropped by `ignore` globs
    pulled_files: int = 0  # files left alone because `avrobind pull` wrote them
    against: str | None = None  # "HEAD (1a2b3c4)" when BREAKING rules ran
    notes: list[str] = field(default_factory=list)


def run_lint(
    config: Config, schemas: m.SchemaSet, lint: LintConfig, against: str | None = None
) -> LintResult:
    result = LintResult()
    findings = check_tree(schemas, lint.rules)
    breaking = frozenset(r for r in lint.rules if RULES[r].category == BREAKING)
    if against is not None:  # the ref is checked even when no BREAKING rule is in use
        findings += _against(config, schemas, breaking, against, result)
    pulled = read_lock(lock_path(config)).files()
    own = {sf.path.resolve() for sf in schemas.files} - pulled
    result.pulled_files = len({sf.path.resolve() for sf in schemas.files} & pulled)
    for f in findings:
        if f.file is not None and f.file.resolve() not in own:
            continue
        if lint.ignored(f):
            result.ignored += 1
        else:
            result.findings.append(f)
    return result


def _against(
    config: Config,
    schemas: m.SchemaSet,
    rules: frozenset[str],
    ref: str,
    result: LintResult,
) -> list[Finding]:
    repo = open_repository(config, "avrobind lint --against")
    commit = repo.resolve(ref)
    if commit is None:
        result.notes.append("the repository has no commit yet: nothing to compare with")
        return []
    label = f"{ref} ({commit[:7]})"
    if not rules:
        return []
    rev = repo.schemas_at(commit, label)
    result.notes += repo.notes
    if rev.schemas is None:
        return []
    result.against = label
    return check_changes(rev.schemas, schemas, label, rules)
