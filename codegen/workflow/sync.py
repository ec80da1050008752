"""`avrobind sync`: read the registry's state, plan, check compatibility, then apply.

1. State, per subject (dependencies first when schema references are used): one look-up of
   the exact schema (any version counts) and the subject's own compatibility level. An
   already-registered subject costs these two requests and nothing more.
2. Verdicts, for every subject that needs a new version, before anything is written:
   - offline: `codegen.compat.check_level` under the *configured* level against the versions
     the registry holds (the latest one, or all of them for `*_TRANSITIVE`), schema references
     resolved. This is the check that counts for the configured level whatever level the
     registry has now, and it names the offending field paths;
   - the registry's own verdict (`POST /compatibility/...?verbose=true`), which counts too.
     The registry judges under *its* level for the subject, so it is asked at once only when
     that level is the configured one; otherwise it is asked after the levels are set and
     still before any registration. A subject referencing a shared type that gets a new
     version in the same run can only be judged by the registry when it registers.
   - the subject's mode: a subject that is not READWRITE cannot take a new version.
   Any incompatibility: nothing is registered for any subject (exit 1).
3. Apply: set levels (`PUT /config/{subject}`), the deferred registry checks, then register,
   dependencies first. Registration is idempotent, so re-running after a failure completes
   the job.

Concurrency across subjects is bounded by a semaphore.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from codegen.runtime.errors import (
    IncompatibleSchemaError,
    RegistryError,
    RegistryResponseError,
    RegistryUnavailableError,
)
from codegen.runtime.registry import AsyncSchemaRegistryClient, SchemaReference
from codegen.schema import model as m
from codegen.schema.compat import check_level
from codegen.subjects import SubjectSchema, explain, without_field_names
from codegen.workflow.deadline import Deadline
from codegen.workflow.locate import locate, message_finding
from codegen.workflow.registry_schemas import RegistrySchemas
from codegen.workflow.report import Finding

EXIT_OK, EXIT_INCOMPATIBLE, EXIT_REGISTRY = 0, 1, 3
CONCURRENCY = 8

NEW_SUBJECT, NEW_VERSION, SET_LEVEL = "new-subject", "new-version", "set-level"


@dataclass
class SubjectPlan:
    """One subject: its state on the registry, the planned actions, the verdict, the outcome."""

    spec: SubjectSchema
    known: bool = False  # the registry's state was read
    actions: list[str] = field(default_factory=list)
    registry_level: str | None = None  # the subject's own level (None: unset)
    latest_version: int | None = None
    version: int | None = None  # the version holding this schema (found, or registered)
    schema_id: int | None = None
    references: list[SchemaReference] = field(default_factory=list)
    compatible: bool | None = None  # None: nothing to check
    checked: list[str] = field(default_factory=list)  # "offline", "registry"
    messages: list[str] = field(default_factory=list)
    mode: str | None = None
    applied: list[str] = field(default_factory=list)

    @property
    def registers(self) -> bool:
        return NEW_SUBJECT in self.actions or NEW_VERSION in self.actions

    def to_json(self) -> dict[str, Any]:
        s = self.spec
        return {
            "subject": s.subject,
            "topic": s.topic,
            "role": s.role,
            "type": s.type_name,
            "known": self.known,
            "actions": self.actions or (["unchanged"] if self.known else []),
            "level": s.level,
            "registry_level": self.registry_level,
            "latest_version": self.latest_version,
            "version": self.version,
            "id": self.schema_id,
            "references": [r.to_json() for r in self.references],
            "compatible": self.compatible,
            "checked": self.checked,
            "messages": self.messages,
            "applied": self.applied,
        }


@dataclass
class SyncResult:
    """The plan and what came of it; `exit_code` follows the CLI's contract."""

    registry: str
    dry_run: bool
    subjects: list[SubjectPlan]
    exit_code: int = EXIT_OK
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def incompatible(self) -> list[SubjectPlan]:
        return [p for p in self.subjects if p.compatible is False]

    def summary(self) -> dict[str, int]:
        return {
            "subjects": len(self.subjects),
            "unchanged": sum(1 for p in self.subjects if p.known and not p.actions),
            "new_versions": sum(1 for p in self.subjects if p.registers),
            "level_changes": sum(1 for p in self.subjects if SET_LEVEL in p.actions),
            "registered": sum(1 for p in self.subjects if "registered" in p.applied),
            "levels_set": sum(1 for p in self.subjects if "set-level" in p.applied),
            "incompatible": len(self.incompatible),
        }

    def findings(self, schemas: m.SchemaSet) -> list[Finding]:
        """`--format github`: incompatibilities and registry errors, and a notice per change."""
        out = [
            message_finding("INCOMPATIBLE", msg, schemas, p.spec.type_name, p.spec.subject)
            for p in self.incompatible
            for msg in p.messages
        ]
        if self.error and (self.exit_code == EXIT_REGISTRY or not out):
            kind = "REGISTRY_ERROR" if self.exit_code == EXIT_REGISTRY else "INCOMPATIBLE"
            out.append(Finding(kind, self.error))
        for p in self.subjects:
            file, path = locate(schemas, p.spec.type_name, "")
            for action in p.actions:
                message = _change(p, action, self.dry_run)
                if message is not None:
                    kind = action.upper().replace("-", "_")
                    out.append(Finding(kind, message, file, path, "notice", p.spec.subject))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "registry": self.registry,
            "dry_run": self.dry_run,
            "ok": self.exit_code == EXIT_OK,
            "exit_code": self.exit_code,
            "error": self.error,
            "notes": self.notes,
            "summary": self.summary(),
            "subjects": [p.to_json() for p in self.subjects],
        }


def run_sync(
    specs: Sequence[SubjectSchema],
    client: AsyncSchemaRegistryClient,
    *,
    dry_run: bool = False,
    concurrency: int = CONCURRENCY,
    union_defaults: str = "first-branch",
    deadline: Deadline | None = None,
) -> SyncResult:
    """Run `sync` to completion on a fresh event loop (the client is closed afterwards).

    `deadline` bounds the whole run (its hooks should be the client's event hooks).
    """

    async def main() -> SyncResult:
        async with client:
            sync = Sync(client, concurrency, union_defaults=union_defaults)
            return await sync.run(specs, dry_run=dry_run, deadline=deadline)

    return asyncio.run(main())


class Sync:
    """The sync of one run; the registry client must belong to the running event loop."""

    def __init__(
        self,
        client: AsyncSchemaRegistryClient,
        concurrency: int = CONCURRENCY,
        *,
        union_defaults: str = "first-branch",
    ) -> None:
        self.client = client
        self.union_defaults = union_defaults  # the rule the offline check validates with
        self._gate = asyncio.Semaphore(concurrency)
        self._plans: dict[str, SubjectPlan] = {}
        self._schemas = RegistrySchemas(client)
        self._global_level: str | None = None

    async def run(
        self, specs: Sequence[SubjectSchema], *, dry_run: bool, deadline: Deadline | None = None
    ) -> SyncResult:
        """Plan, judge and (unless `dry_run`) apply; registry failures end in `exit_code` 3."""
        self._plans = {s.subject: SubjectPlan(s) for s in specs}
        plans = list(self._plans.values())
        result = SyncResult(self.client.config.urls[0], dry_run, plans)
        try:
            work = self._sync(result, dry_run)
            await (deadline.run(work) if deadline is not None else work)
        except IncompatibleSchemaError as e:
            # The registry disagreed when registering (see the module docstring).
            plan = self._plans.get(e.subject or "")
            if plan is not None:
                plan.compatible = False
                plan.checked.append("registry")
                plan.messages += e.messages or [str(e)]
            result.exit_code, result.error = EXIT_INCOMPATIBLE, str(e)
        except RegistryError as e:
            result.exit_code, result.error = EXIT_REGISTRY, str(e)
        return result

    async def _sync(self, result: SyncResult, dry_run: bool) -> None:
        layers = _layers(result.subjects)
        for i, layer in enumerate(layers):
            if i == 0 and layer:
                # One subject first: an unreachable or refusing registry then fails once,
                # not once per concurrent request.
                await self._state(layer[0])
                layer = layer[1:]
            await self._each(layer, self._state, reads=True)
        changing = [p for p in result.subjects if p.registers]
        await self._each(changing, self._verdict, reads=True)
        blocked = [p for p in changing if p.mode not in (None, "READWRITE")]
        if result.incompatible:
            result.exit_code = EXIT_INCOMPATIBLE
            result.error = _incompatible_text(result.incompatible)
            return
        if blocked:
            result.exit_code = EXIT_REGISTRY
            result.error = "; ".join(
                f"subject {p.spec.subject!r} is in {p.mode} mode on the registry and accepts no "
                "new version (switch it to READWRITE with PUT /mode/{subject} "
                '{"mode": "READWRITE"} if writes are intended)'
                for p in blocked
            )
            return
        if dry_run:
            return
        await self._each([p for p in result.subjects if SET_LEVEL in p.actions], self._set_level)
        deferred = [
            p
            for p in changing
            if NEW_VERSION in p.actions and "registry" not in p.checked and self._resolvable(p)
        ]
        await self._each(deferred, self._registry_verdict)
        if result.incompatible:
            result.exit_code = EXIT_INCOMPATIBLE
            result.error = _incompatible_text(result.incompatible)
            result.notes.append("the compatibility levels were set; nothing was registered")
            return
        for layer in layers:
            await self._each([p for p in layer if p.registers], self._register)

    async def _each(
        self,
        plans: Iterable[SubjectPlan],
        step: Callable[[SubjectPlan], Awaitable[None]],
        *,
        reads: bool = False,
    ) -> None:
        """Run `step` for every plan, at most `concurrency` at a time, and raise the first failure.

        Steps that only read are cancelled at the first failure; steps that write all finish,
        so that what was applied is known.
        """

        async def gated(plan: SubjectPlan) -> None:
            async with self._gate:
                await step(plan)

        tasks = [asyncio.ensure_future(gated(p)) for p in plans]
        if not tasks:
            return
        if reads:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in tasks:
                task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        failures = [
            o
            for o in outcomes
            if isinstance(o, BaseException) and not isinstance(o, asyncio.CancelledError)
        ]
        # An incompatibility is the most useful thing to report, then any other failure.
        failures.sort(key=lambda e: not isinstance(e, IncompatibleSchemaError))
        if failures:
            raise failures[0]

    # -- 1. state

    def _references(self, plan: SubjectPlan) -> list[SchemaReference] | None:
        """The plan's references with the versions the providers hold now; None if unknown."""
        refs = []
        for name in plan.spec.references:
            provider = self._plans.get(name)
            if provider is None or provider.version is None:
                return None
            refs.append(SchemaReference(name, name, provider.version))
        return refs

    def _resolvable(self, plan: SubjectPlan) -> bool:
        return self._references(plan) is not None

    async def _state(self, plan: SubjectPlan) -> None:
        spec = plan.spec
        refs = self._references(plan)
        if refs is not None:
            plan.references = refs
            found, level = await asyncio.gather(
                self.client.lookup(spec.subject, spec.text, refs),
                self.client.get_compatibility(spec.subject),
            )
        else:  # a shared type it uses changes: so does this schema
            found, level = None, await self.client.get_compatibility(spec.subject)
        plan.registry_level = level.upper() if level else None
        if found is not None:
            plan.version, plan.schema_id = found.version, found.schema_id
        else:
            latest = await self.client.get_latest(spec.subject)
            if latest is None:
                plan.actions.append(NEW_SUBJECT)
            else:
                plan.actions.append(NEW_VERSION)
                plan.latest_version = latest.version
                self._schemas.remember(latest)
        if plan.registry_level != spec.level:
            plan.actions.append(SET_LEVEL)
        plan.known = True

    # -- 2. verdicts

    async def _verdict(self, plan: SubjectPlan) -> None:
        plan.mode = await self._mode(plan.spec.subject)
        if NEW_SUBJECT in plan.actions:
            return  # nothing to be compatible with
        await self._offline_verdict(plan)
        effective = plan.registry_level or await self._registry_global_level()
        if effective == plan.spec.level and self._resolvable(plan):
            await self._registry_verdict(plan)

    async def _mode(self, subject: str) -> str | None:
        try:
            mode = await self.client.get_mode(subject, default_to_global=True)
        except (RegistryUnavailableError, RegistryResponseError):
            raise
        except RegistryError:
            return None  # a registry without modes (older Karapace): it has no READONLY either
        return mode.upper() if mode else None

    async def _registry_global_level(self) -> str:
        if self._global_level is None:
            level = await self.client.get_compatibility()
            self._global_level = (level or "BACKWARD").upper()
        return self._global_level

    async def _offline_verdict(self, plan: SubjectPlan) -> None:
        spec = plan.spec
        assert plan.latest_version is not None
        if spec.level.endswith("_TRANSITIVE"):
            numbers = await self.client.get_versions(spec.subject)
        else:
            numbers = [plan.latest_version]
        previous: list[tuple[str, Any]] = []
        for number in sorted(numbers):
            registered = await self._schemas.version(spec.subject, number)
            previous.append((f"version {number}", await self._schemas.expanded(registered)))
        result = check_level(
            spec.schema,
            [schema for _, schema in previous],
            spec.level,
            union_defaults=self.union_defaults,
        )
        plan.checked.append("offline")
        if not result.compatible:
            plan.compatible = False
            plan.messages += explain(result.messages, spec.schema, previous)
        elif plan.compatible is None:
            plan.compatible = True

    async def _registry_verdict(self, plan: SubjectPlan) -> None:
        spec = plan.spec
        refs = self._references(plan)
        assert refs is not None
        verdict = await self.client.test_compatibility(
            spec.subject, spec.text, "latest", references=refs, verbose=True
        )
        plan.checked.append("registry")
        if not verdict.is_compatible:
            plan.compatible = False
            known = {without_field_names(m) for m in plan.messages}
            news = [m for m in verdict.messages if m not in known]
            if any(not m.startswith("{compatibility:") for m in news):
                plan.messages += [f"registry: {m}" for m in news]
            elif not verdict.messages:
                plan.messages.append("registry: incompatible (it gave no reason)")
        elif plan.compatible is None:
            plan.compatible = True

    # -- 3. apply

    async def _set_level(self, plan: SubjectPlan) -> None:
        await self.client.set_compatibility(plan.spec.level, plan.spec.subject)
        plan.applied.append("set-level")

    async def _register(self, plan: SubjectPlan) -> None:
        spec = plan.spec
        refs = self._references(plan)
        assert refs is not None  # providers are registered in an earlier layer
        plan.references = refs
        schema_id = await self.client.register(spec.subject, spec.text, refs)
        found = await self.client.lookup(spec.subject, spec.text, refs)
        plan.schema_id = schema_id
        plan.version = found.version if found is not None else None
        plan.applied.append("registered")


def _layers(plans: Sequence[SubjectPlan]) -> list[list[SubjectPlan]]:
    """Plans grouped so that every subject comes after the subjects it references."""
    depth: dict[str, int] = {}
    by_name = {p.spec.subject: p for p in plans}

    def level(p: SubjectPlan) -> int:
        name = p.spec.subject
        if name not in depth:
            depth[name] = 0  # plans arrive dependencies first, so this never recurses forever
            deps = [by_name[r] for r in p.spec.references if r in by_name]
            depth[name] = 1 + max((level(d) for d in deps), default=-1)
        return depth[name]

    out: dict[int, list[SubjectPlan]] = {}
    for p in plans:
        out.setdefault(level(p), []).append(p)
    return [out[k] for k in sorted(out)]


def _change(plan: SubjectPlan, action: str, dry_run: bool) -> str | None:
    """What became of a planned action, for a notice (None: not applied, the run failed)."""
    subject = plan.spec.subject
    if action == SET_LEVEL:
        change = f"{plan.registry_level or 'unset'} -> {plan.spec.level}"
        if dry_run:
            return f"{subject}: would set the compatibility level ({change}; dry run)"
        return (
            f"{subject}: compatibility level set ({change})" if SET_LEVEL in plan.applied else None
        )
    if dry_run:
        return f"{subject}: would register a new version (dry run)"
    if "registered" not in plan.applied:
        return None
    return f"{subject}: registered as version {plan.version} (id {plan.schema_id})"


def _incompatible_text(plans: Sequence[SubjectPlan]) -> str:
    names = ", ".join(f"{p.spec.subject} ({p.spec.level})" for p in plans)
    return f"incompatible: {names}; nothing was registered"


def dumps(result: SyncResult) -> str:
    """The `--format json` document."""
    return json.dumps(result.to_json(), indent=2)
