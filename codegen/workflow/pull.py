"""`avrobind pull`: schemas of subjects other teams own, from the registry into .avsc files.

1. Select: `--subject` patterns (an exact subject name, else a regular expression matched
   against the whole name) over the registry's subjects, at `--version` (a number or latest).
   Subjects already in the lock stay at their locked version unless selected again; without
   `--subject`, every subject of the lock is pulled again as it was asked for (`latest` moves,
   a number stays).
2. Fetch each version and, recursively, the versions its schema references name.
3. Plan one file per schema, named by the full name of its top-level type (a referenced schema
   gets its own file, which the referencing one names), pretty-printed as registered; check
   that the files load (with the rest of the schema directory when they are inside it); plan
   `avrobind.lock`.
4. Apply: write what changed (each file replaced in one step), remove files of schemas no
   longer pulled, then the lock. Nothing is written when anything above failed.

`--check` does 1-3 and reports every difference with the files and the lock instead.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastavro.schema import to_parsing_canonical_form

from codegen.errors import InputError, InputErrors
from codegen.runtime.errors import SubjectNotFoundError, VersionNotFoundError
from codegen.runtime.registry import AsyncSchemaRegistryClient, RegisteredSchema
from codegen.schema import forms
from codegen.schema.loader import discover, load_sources
from codegen.workflow.deadline import Deadline
from codegen.workflow.files import write_atomic
from codegen.workflow.lock import (
    REFERENCE,
    Lock,
    LockedReference,
    LockedSubject,
    digest,
)
from codegen.workflow.registry_schemas import RegistrySchemas

LATEST = "latest"
_FILE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class PullError(InputError):
    """Bad input for `pull`: a pattern matching nothing, a missing version, conflicting schemas."""


@dataclass
class Planned:
    """One subject version to pull and the file that holds its schema."""

    subject: str
    requested: str
    registered: RegisteredSchema
    fingerprint: str
    file: Path
    text: str


@dataclass
class PullPlan:
    lock: Lock  # as it is
    new_lock: Lock  # as pull leaves it
    pulled: list[Planned] = field(default_factory=list)
    write: dict[Path, str] = field(default_factory=dict)  # files whose content changes
    edited: list[Path] = field(default_factory=list)  # changed by hand since the last pull
    remove: list[Path] = field(default_factory=list)  # files of schemas no longer pulled
    unchanged: int = 0
    inside_schemas: bool = True  # the files are under the schema directory (generate sees them)

    @property
    def lock_changes(self) -> bool:
        return not self.lock.exists or self.lock.text() != self.new_lock.text()

    @property
    def changes(self) -> bool:
        return bool(self.write or self.remove or self.lock_changes)

    def drift(self) -> list[str]:
        """What `--check` reports: one line per difference."""
        out = []
        for p in self.pulled:
            old = self.lock.subjects.get(p.subject)
            if old is None:
                out.append(f"{p.subject}: not in {self.lock.path.name}")
            elif old.version != p.registered.version:
                out.append(
                    f"{p.subject}: the registry has version {p.registered.version}, "
                    f"{self.lock.path.name} has {old.version}"
                )
            elif old.id != p.registered.schema_id:
                out.append(
                    f"{p.subject}: version {old.version} has id {p.registered.schema_id} on the "
                    f"registry, {old.id} in {self.lock.path.name}"
                )
        for path in sorted(self.write):
            what = "edited since it was pulled" if path in self.edited else "missing or out of date"
            out.append(f"{path}: {what}")
        out += [f"{path}: no longer pulled" for path in self.remove]
        if self.lock_changes and not out:
            out.append(f"{self.lock.path}: out of date")
        return out


def plan_pull(
    client: AsyncSchemaRegistryClient,
    lock: Lock,
    out_dir: Path,
    schemas_dir: Path,
    patterns: Sequence[str],
    version: str = LATEST,
    *,
    union_defaults: str = "first-branch",
    deadline: Deadline | None = None,
) -> PullPlan:
    """Steps 1-3 (see the module docstring) on a fresh event loop; the client is closed after.

    `deadline` bounds the registry part (its hooks should be the client's event hooks).
    """

    async def main() -> PullPlan:
        async with client:
            planner = _Planner(client, lock, out_dir, schemas_dir, union_defaults)
            work = planner.plan(patterns, version)
            return await (deadline.run(work) if deadline is not None else work)

    return asyncio.run(main())


def apply(plan: PullPlan) -> None:
    """Step 4: write the changed files, remove the dropped ones, then the lock."""
    for path, text in sorted(plan.write.items()):
        write_atomic(path, text)
    for path in plan.remove:
        path.unlink(missing_ok=True)
    if plan.lock_changes:
        write_atomic(plan.new_lock.path, plan.new_lock.text())


class _Planner:
    def __init__(
        self,
        client: AsyncSchemaRegistryClient,
        lock: Lock,
        out_dir: Path,
        schemas_dir: Path,
        union_defaults: str = "first-branch",
    ) -> None:
        self.union_defaults = union_defaults
        self.client = client
        self.schemas = RegistrySchemas(client)
        self.lock = lock
        self.out_dir = out_dir
        self.schemas_dir = schemas_dir

    async def plan(self, patterns: Sequence[str], version: str) -> PullPlan:
        targets = await self._targets(patterns, version)
        fetched: dict[str, tuple[str, RegisteredSchema]] = {}  # subject -> (requested, version)
        for subject, (requested, wanted) in targets.items():
            registered = await self._fetch(subject, wanted)
            fetched[subject] = (requested, registered)
        await self._references(fetched)
        plan = PullPlan(self.lock, Lock(self.lock.path, exists=True))
        for subject in sorted(fetched):
            requested, registered = fetched[subject]
            plan.pulled.append(await self._planned(subject, requested, registered))
        self._files(plan)
        self._validate(plan)
        return plan

    async def _targets(self, patterns: Sequence[str], version: str) -> dict[str, tuple[str, str]]:
        """subject -> (what the lock records as asked for, the version to fetch now)."""
        direct = {s: e for s, e in self.lock.subjects.items() if e.requested != REFERENCE}
        if not patterns:
            if not direct:
                raise PullError(
                    f"nothing to pull: {self.lock.path.name} lists no subject; "
                    "pass --subject NAME_OR_REGEX"
                )
            return {s: (e.requested, e.requested) for s, e in direct.items()}
        targets = {s: (e.requested, str(e.version)) for s, e in direct.items()}
        available = await self.client.get_subjects()
        for pattern in patterns:
            for subject in _select(pattern, available):
                targets[subject] = (version, version)
        return targets

    async def _fetch(self, subject: str, version: str) -> RegisteredSchema:
        wanted: int | str = LATEST if version == LATEST else int(version)
        try:
            registered = await self.client.get_version(subject, wanted)
        except SubjectNotFoundError:
            raise PullError(f"subject {subject!r} does not exist on the registry") from None
        except VersionNotFoundError:
            numbers = await self.client.get_versions(subject)
            raise PullError(
                f"subject {subject!r} has no version {version} "
                f"(it has {', '.join(map(str, numbers)) or 'none'})"
            ) from None
        if registered.schema_type.upper() != "AVRO":
            raise PullError(
                f"subject {subject!r} holds a {registered.schema_type} schema; "
                "avrobind pulls Avro schemas only"
            )
        self.schemas.remember(registered)
        return registered

    async def _references(self, fetched: dict[str, tuple[str, RegisteredSchema]]) -> None:
        todo = [r for _, r in fetched.values()]
        while todo:
            registered = todo.pop()
            for ref in registered.references:
                dependency = await self.schemas.version(ref.subject, ref.version)
                have = fetched.get(ref.subject)
                if have is None:
                    fetched[ref.subject] = (REFERENCE, dependency)
                    todo.append(dependency)
                elif have[1].version != dependency.version:
                    raise PullError(
                        f"subject {ref.subject!r} is wanted at version {have[1].version} and, "
                        f"as a reference of {registered.subject!r}, at version "
                        f"{dependency.version}; pull one of them at a version that agrees"
                    )

    async def _planned(self, subject: str, requested: str, registered: RegisteredSchema) -> Planned:
        parsed = await self.schemas.parsed(registered)
        canonical = to_parsing_canonical_form(parsed.expanded())
        fingerprint = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
        root = parsed.root
        name = root.fullname if isinstance(root, forms.Named) else _FILE_NAME.sub("_", subject)
        text = json.dumps(json.loads(registered.schema), indent=2, ensure_ascii=False) + "\n"
        return Planned(
            subject, requested, registered, fingerprint, self.out_dir / f"{name}.avsc", text
        )

    def _files(self, plan: PullPlan) -> None:
        owner: dict[Path, Planned] = {}
        for p in plan.pulled:
            other = owner.setdefault(p.file, p)
            if other.text != p.text:
                raise PullError(
                    f"{other.subject!r} (version {other.registered.version}) and {p.subject!r} "
                    f"(version {p.registered.version}) hold different schemas of the same type "
                    f"({p.file.name}); pull only one of them"
                )
        lock_dir = self.lock.path.parent
        for p in plan.pulled:
            rel = Path(os.path.relpath(p.file.resolve(), lock_dir.resolve())).as_posix()
            plan.new_lock.subjects[p.subject] = LockedSubject(
                subject=p.subject,
                requested=p.requested,
                version=p.registered.version,
                id=p.registered.schema_id,
                fingerprint=p.fingerprint,
                file=rel,
                sha256=digest(p.text.encode()),
                references=tuple(
                    LockedReference(r.name, r.subject, r.version) for r in p.registered.references
                ),
            )
        recorded = {self.lock.file_path(e).resolve(): e for e in self.lock.subjects.values()}
        for path, p in sorted(owner.items()):
            try:
                have = path.read_bytes()
            except FileNotFoundError:
                have = None
            if have == p.text.encode():
                plan.unchanged += 1
                continue
            plan.write[path] = p.text
            old = recorded.get(path.resolve())
            if have is not None and (old is None or old.sha256 != digest(have)):
                plan.edited.append(path)
        wanted = {path.resolve() for path in owner}
        plan.remove = sorted(path for path in recorded if path not in wanted and path.exists())

    def _validate(self, plan: PullPlan) -> None:
        """The pulled files load, together with the schema directory when they are inside it."""
        pulled = {p.file.resolve(): p.text for p in plan.pulled}
        sources: dict[Path, str | None] = dict(pulled)
        plan.inside_schemas = _inside(self.out_dir, self.schemas_dir)
        if plan.inside_schemas and self.schemas_dir.is_dir():
            dropped = {p.resolve() for p in plan.remove}
            for path in discover(self.schemas_dir):
                resolved = path.resolve()
                if resolved not in pulled and resolved not in dropped:
                    sources[resolved] = None
        try:
            load_sources(sorted(sources.items()), union_defaults=self.union_defaults)
        except InputErrors as e:
            raise InputErrors(
                [*e.errors, PullError("the pulled schemas would not load; nothing was written")]
            ) from None


def _select(pattern: str, available: Sequence[str]) -> list[str]:
    """The subjects `pattern` names: itself when it is one, else those its regex fully matches."""
    if pattern in available:
        return [pattern]
    try:
        regex = re.compile(pattern)
    except re.error as e:
        raise PullError(
            f"--subject {pattern!r} is neither a subject on the registry nor a valid regular "
            f"expression ({e})"
        ) from None
    found = sorted(s for s in available if regex.fullmatch(s))
    if not found:
        near = difflib.get_close_matches(pattern, available, n=3)
        hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
        raise PullError(
            f"--subject {pattern!r} matches no subject on the registry "
            f"({len(available)} subject(s) there){hint}"
        )
    return found


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True
