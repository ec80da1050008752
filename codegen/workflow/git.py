"""The schema directory as git history has it: what `check --against` and `lint --against` compare.

`open_repository` finds the repository holding the schema directory (from any subdirectory,
with the schema directory anywhere inside it), `Repository.resolve` turns a ref into a commit,
and `Repository.schemas_at` loads the schema directory as it was at a commit (identical trees are
loaded once; a tree whose schemas do not load gives None and a note).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from codegen.config import Config
from codegen.errors import InputError, InputErrors
from codegen.schema import model as m
from codegen.schema.loader import load_sources


class GitError(InputError):
    """git is missing, the directory is not in a repository, or the ref is unknown: exit 2."""


class Git:
    """git commands run in one directory."""

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
            raise GitError("git is not installed (--against compares with git history)") from None

    def out(self, *args: str) -> str:
        done = self.run(*args)
        if done.returncode != 0:
            raise GitError(
                f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}"
            )
        return done.stdout.decode()


@dataclass
class Revision:
    """The schema directory at one commit."""

    commit: str
    label: str  # "HEAD (1a2b3c4)" or "commit 1a2b3c4"
    schemas: m.SchemaSet | None  # None: the schemas did not load (see the notes)


@dataclass
class Repository:
    """The git repository holding the schema directory; `rel` is that directory inside it."""

    git: Git
    root: Path
    rel: str
    notes: list[str] = field(default_factory=list)  # skipped commits and the like
    union_defaults: str = "first-branch"  # the working tree's rule, for every revision
    _by_tree: dict[tuple[tuple[str, str], ...], m.SchemaSet | None] = field(default_factory=dict)
    _blobs: dict[str, str] = field(default_factory=dict)

    def resolve(self, ref: str) -> str | None:
        """The commit `ref` names; None for HEAD in a repository without commits."""
        found = self.git.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if found.returncode == 0:
            return found.stdout.decode().strip()
        if ref == "HEAD" and self.git.run("symbolic-ref", "-q", "HEAD").returncode == 0:
            return None
        raise GitError(f"unknown git ref {ref!r} (not a commit in {self.root})")

    def history(self, commit: str) -> list[str]:
        """The commits up to `commit` that changed the schema directory, oldest first."""
        return list(reversed(self.git.out("log", "--format=%H", commit, "--", self.rel).split()))

    def schemas_at(self, commit: str, label: str) -> Revision:
        """The schema directory at `commit`, loaded (None with a note when it does not load)."""
        listing = self.git.out("ls-tree", "-r", "-z", commit, "--", self.rel)
        files: list[tuple[str, str]] = []
        for entry in filter(None, listing.split("\0")):
            meta, _, path = entry.partition("\t")
            _, kind, sha = meta.split()
            if kind == "blob" and path.endswith(".avsc"):
                files.append((path, sha))
        key = tuple(sorted(files))
        if key in self._by_tree:
            schemas = self._by_tree[key]
            if schemas is None:
                self.notes.append(f"{label}: the schemas did not load; skipped")
            return Revision(commit, label, schemas)
        self._read_blobs([sha for _, sha in files if sha not in self._blobs])
        schemas = None
        if files:
            try:
                schemas = load_sources(
                    ((Path(f"{label}:{path}"), self._blobs[sha]) for path, sha in files),
                    union_defaults=self.union_defaults,
                )
            except InputErrors as e:
                first = e.errors[0].describe() if e.errors else ""
                self.notes.append(f"{label}: the schemas did not load ({first}); skipped")
        else:
            self.notes.append(f"{label}: no .avsc files under {self.rel}; skipped")
        self._by_tree[key] = schemas
        return Revision(commit, label, schemas)

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
            self._blobs[sha] = body.decode("utf-8", errors="replace")


def open_repository(config: Config, command: str = "avrobind check") -> Repository:
    """The repository holding `config.schemas` (exit 2 when there is none)."""
    start = (
        config.schemas
        if config.schemas.is_dir()
        else (config.file.parent if config.file else Path.cwd())
    )
    done = Git(start).run("rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise GitError(
            f"{start} is not in a git repository: {command} compares the schemas with "
            f"their committed versions ({done.stderr.decode(errors='replace').strip()})"
        )
    root = Path(done.stdout.decode().strip())
    try:
        rel = config.schemas.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise GitError(
            f"the schema directory {config.schemas} is outside the git repository {root}"
        ) from None
    return Repository(Git(root), root, rel, union_defaults=config.union_defaults)
