"""`avrobind check --against REF`: the working tree's subjects against their versions in git.

Each configured subject's self-contained schema (working tree) is checked with
`codegen.compat.check_level` under its configured level: non-transitive levels against the
schema at REF, `*_TRANSITIVE` levels against every distinct version in the history of REF
(oldest first; commits where the schemas did not load or the subject did not exist are
skipped). A subject that did not exist at REF has nothing to be compatible with. The config
(topics, levels) is always the working tree's.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.config import Config
from codegen.errors import InputError, InputErrors
from codegen.schema import model as m
from codegen.schema.compat import check_level
from codegen.schema.loader import load_sources
from codegen.subjects import SubjectSchema, explain, subject_schemas


class GitError(InputError):
    """git is missing, the directory is not in a repository, or the ref is unknown: exit 2."""


@dataclass
class SubjectCheck:
    """The verdict for one subject."""

    subject: str
    level: str
    status: str  # "compatible" | "unchanged" | "new" | "incompatible"
    compared: list[str] = field(default_factory=list)  # labels of the versions compared
    messages: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    ref: str
    commit: str | None  # None: the repository has no commit yet
    subjects: list[SubjectCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # skipped commits and the like (verbose)

    @property
    def incompatible(self) -> list[SubjectCheck]:
        return [s for s in self.subjects if s.status == "incompatible"]


@dataclass
class _Revision:
    commit: str
    label: str  # "HEAD (1a2b3c4)" or "commit 1a2b3c4"
    specs: dict[str, SubjectSchema] | None  # None: the schemas did not load


class _Git:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def run(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", "--literal-pathspecs", *args],
                cwd=self.cwd,
                input=stdin,
                capture_output=True,
                check=False,
            )
        except FileNotFoundError:
            raise GitError(
                "git is not installed (avrobind check compares with git history)"
            ) from None

    def out(self, *args: str) -> str:
        done = self.run(*args)
        if done.returncode != 0:
            raise GitError(
                f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}"
            )
        return done.stdout.decode()


def check_against(config: Config, schemas: m.SchemaSet, ref: str = "HEAD") -> CheckReport:
    """Check every subject of the working tree (`schemas`) against its version(s) at `ref`."""
    start = (
        config.schemas
        if config.schemas.is_dir()
        else (config.file.parent if config.file else Path.cwd())
    )
    git = _Git(start)
    done = git.run("rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise GitError(
            f"{start} is not in a git repository: avrobind check compares the schemas with "
            f"their committed versions ({done.stderr.decode(errors='replace').strip()})"
        )
    root = Path(done.stdout.decode().strip())
    git = _Git(root)
    try:
        rel = config.schemas.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise GitError(
            f"the schema directory {config.schemas} is outside the git repository {root}"
        ) from None
    found = git.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        if ref == "HEAD" and git.run("symbolic-ref", "-q", "HEAD").returncode == 0:
            report = CheckReport(ref, None)
            report.notes.append("the repository has no commit yet: nothing to compare with")
            return report
        raise GitError(f"unknown git ref {ref!r} (not a commit in {root})")
    commit = found.stdout.decode().strip()
    report = CheckReport(ref, commit)
    current = subject_schemas(config, schemas)
    loader = _RevisionLoader(git, rel, config, report)
    at_ref = loader.load(commit, f"{ref} ({commit[:7]})")
    history: list[_Revision] | None = None
    for spec in current:
        if spec.level.endswith("_TRANSITIVE"):
            if history is None:
                commits = git.out("log", "--format=%H", commit, "--", rel).split()
                history = [loader.load(c, f"commit {c[:7]}") for c in reversed(commits)]
                if not commits or commits[0] != commit:
                    history.append(at_ref)
            revisions = history
        else:
            revisions = [at_ref]
        report.subjects.append(_check_subject(spec, revisions, report))
    return report


def _check_subject(
    spec: SubjectSchema, revisions: list[_Revision], report: CheckReport
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
    check = SubjectCheck(spec.subject, spec.level, "new", [label for label, _ in previous])
    if not previous:
        return check
    if previous[-1][1] == spec.schema and not spec.level.endswith("_TRANSITIVE"):
        check.status = "unchanged"
        return check
    result = check_level(spec.schema, [schema for _, schema in previous], spec.level)
    if result.compatible:
        check.status = "unchanged" if previous[-1][1] == spec.schema else "compatible"
    else:
        check.status = "incompatible"
        check.messages = explain(result.messages, spec.schema, previous)
    return check


class _RevisionLoader:
    """Loads the schema directory at a commit; identical trees are loaded once."""

    def __init__(self, git: _Git, rel: str, config: Config, report: CheckReport) -> None:
        self.git = git
        self.rel = rel
        self.config = config
        self.report = report
        self.by_tree: dict[tuple[tuple[str, str], ...], dict[str, SubjectSchema] | None] = {}
        self.blobs: dict[str, str] = {}

    def load(self, commit: str, label: str) -> _Revision:
        listing = self.git.out("ls-tree", "-r", "-z", commit, "--", self.rel)
        files: list[tuple[str, str]] = []
        for entry in filter(None, listing.split("\0")):
            meta, _, path = entry.partition("\t")
            _, kind, sha = meta.split()
            if kind == "blob" and path.endswith(".avsc"):
                files.append((path, sha))
        key = tuple(sorted(files))
        if key in self.by_tree:
            specs = self.by_tree[key]
            if specs is None:
                self.report.notes.append(f"{label}: the schemas did not load; skipped")
            return _Revision(commit, label, specs)
        self._read_blobs([sha for _, sha in files if sha not in self.blobs])
        specs = None
        if files:
            try:
                schemas = load_sources(
                    (Path(f"{label}:{path}"), self.blobs[sha]) for path, sha in files
                )
                specs = {s.subject: s for s in subject_schemas(self.config, schemas)}
            except InputErrors as e:
                first = e.errors[0].describe() if e.errors else ""
                self.report.notes.append(f"{label}: the schemas did not load ({first}); skipped")
        else:
            self.report.notes.append(f"{label}: no .avsc files under {self.rel}; skipped")
        self.by_tree[key] = specs
        return _Revision(commit, label, specs)

    def _read_blobs(self, shas: list[str]) -> None:
        if not shas:
            return
        done = self.git.run("cat-file", "--batch", stdin="".join(f"{s}\n" for s in shas).encode())
        if done.returncode != 0:
            raise GitError(f"git cat-file failed: {done.stderr.decode(errors='replace').strip()}")
        data, pos = done.stdout, 0
        for sha in shas:
            end = data.index(b"\n", pos)
            header = data[pos:end].split()
            size = int(header[2])
            body = data[end + 1 : end + 1 + size]
            pos = end + 1 + size + 1
            self.blobs[sha] = body.decode("utf-8", errors="replace")
