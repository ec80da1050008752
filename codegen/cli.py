"""The `avrobind` command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from codegen import __version__
from codegen.errors import InputError, InputErrors

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_STALE, EXIT_INPUT, EXIT_REGISTRY = 0, 1, 2, 3


def _report_input_errors(errors: list[InputError]) -> None:
    for e in errors:
        click.echo(f"error: {e.describe()}", err=True)


def handles_input_errors(fn: F, *, outcome: str = "nothing was written") -> F:
    """Bad input (schemas, config) → one line per problem on stderr and exit code 2.

    The last line says what the command did not do (`outcome`).
    """

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (InputErrors, InputError) as e:
            errors = e.errors if isinstance(e, InputErrors) else [e]
            _report_input_errors(errors)
            click.echo(f"avrobind: {len(errors)} error(s); {outcome}", err=True)
            sys.exit(EXIT_INPUT)

    return wrapper  # type: ignore[return-value]


def registers(fn: F) -> F:
    """`handles_input_errors` for `sync`, which registers rather than writes."""
    return handles_input_errors(fn, outcome="nothing was registered")


def schemas_config_options(fn: F) -> F:
    """--schemas and --config: what every command reading the schemas takes."""
    fn = click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path),
        help="Config file (default: the nearest pyproject.toml with [tool.avrobind]).",
    )(fn)
    return click.option(
        "--schemas",
        type=click.Path(path_type=Path),
        help="Directory of .avsc files (searched recursively).",
    )(fn)


def config_options(fn: F) -> F:
    """--schemas, --out, --package and --config: for the commands that render the package."""
    fn = click.option("--package", help="Import name of the generated package.")(fn)
    fn = click.option(
        "--out", type=click.Path(path_type=Path), help="Directory the package is written into."
    )(fn)
    return schemas_config_options(fn)


def deadline_option(fn: F) -> F:
    return click.option(
        "--deadline",
        type=float,
        default=None,
        metavar="SECONDS",
        help="Give up on the registry after this long in all (default: registry-deadline in "
        "[tool.avrobind], AVROBIND_REGISTRY_DEADLINE, else 15).",
    )(fn)


def _load(
    config_file: Path | None,
    schemas: Path | None,
    out: Path | None,
    package: str | None,
    **extra: Any,
) -> Any:
    from codegen.config import load_config

    return load_config(
        config_file, overrides={"schemas": schemas, "out": out, "package": package, **extra}
    )


@click.group(invoke_without_command=True)
@click.version_option(__version__, prog_name="avrobind")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Schema-first Avro toolchain: generate bindings, sync a registry, guard changes."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())  # bare `avrobind`: the usage, and success


@cli.command()
@config_options
@click.option("--check", is_flag=True, help="Write nothing; list stale files and exit 1 if any.")
@handles_input_errors
def generate(
    config_file: Path | None,
    schemas: Path | None,
    out: Path | None,
    package: str | None,
    check: bool,
) -> None:
    """Render the .avsc schemas into a typed Python package."""
    from codegen.generator.generate import generate as run

    config = _load(config_file, schemas, out, package)
    result = run(config, check=check)
    where = _show_path(result.package_dir)
    if check:
        if result.diff.stale:
            click.echo(f"{where} is stale; run `avrobind generate`:")
            for line in result.diff.lines():
                click.echo(f"  {line}")
            sys.exit(EXIT_STALE)
        click.echo(f"{where} is up to date ({result.files} files)")
        return
    if result.written:
        d = result.diff
        click.echo(
            f"wrote {where}: {len(d.added)} added, {len(d.changed)} changed, {len(d.removed)} removed ({result.files} files)"
        )
    else:
        click.echo(f"{where} is up to date ({result.files} files); nothing changed")


def _show_path(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


@cli.group()
def registry() -> None:
    """The local Confluent-compatible Schema Registry."""


@registry.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind. Any non-loopback address (e.g. 0.0.0.0) exposes the registry to "
    "the network: without --auth-file anyone who reaches it may change or delete schemas.",
)
@click.option("--port", default="8081", show_default=True, help="TCP port (0: a free one).")
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file to persist to (in memory when omitted); one server per file.",
)
@click.option(
    "--auth-file",
    default=None,
    help="Require HTTP basic auth: a file of user:password lines "
    "(or set AVROBIND_REGISTRY_SERVER_AUTH=user:password).",
)
@click.option(
    "--max-body-size",
    default="16M",
    show_default=True,
    help="Largest request body in bytes (K/M/G suffixes); larger ones get 413.",
)
def registry_serve(
    host: str, port: str, data: str | None, auth_file: str | None, max_body_size: str
) -> None:
    """Serve the Confluent Schema Registry REST API, for development and tests.

    No authentication and no TLS unless asked: by default it binds 127.0.0.1 only. Binding
    another address logs a WARNING; for a shared development registry use --auth-file (or
    AVROBIND_REGISTRY_SERVER_AUTH) and a trusted network. Start-up problems (busy or invalid
    port, a --data file another server uses) print one line and exit 2.
    """
    from codegen.registry_server.server import StartupError, parse_port, parse_size, serve

    try:
        serve(
            host=host,
            port=parse_port(port),
            data=data,
            auth_file=auth_file,
            max_body=parse_size(max_body_size),
        )
    except StartupError as exc:
        click.echo(f"avrobind registry: {exc}", err=True)
        sys.exit(EXIT_INPUT)


# --- sync and check ------------------------------------------------------------------------


def _registry_client(config: Any, event_hooks: Any = None) -> Any:
    """The async registry client for `config.registry` with auth/TLS from AVROBIND_REGISTRY_*."""
    from codegen.errors import ConfigError
    from codegen.runtime.errors import RegistryConfigError
    from codegen.runtime.registry import AsyncSchemaRegistryClient, RegistryConfig

    if config.registry is None:
        raise InputErrors(
            [
                ConfigError(
                    "no registry URL: pass --registry URL, set AVROBIND_REGISTRY_URL, "
                    "or set registry in [tool.avrobind]"
                )
            ]
        )
    try:
        registry_config = RegistryConfig.from_env(
            url=config.registry, url_label=config.registry_source
        )
    except RegistryConfigError as e:
        raise InputErrors([ConfigError(str(e))]) from None
    return AsyncSchemaRegistryClient(registry_config, event_hooks=event_hooks)


@cli.command()
@click.option(
    "--registry",
    "registry_url",
    help="Registry URL (default: AVROBIND_REGISTRY_URL, then [tool.avrobind].registry).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the plan and the compatibility verdicts; change nothing."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="json: one document; github: GitHub Actions annotations.",
)
@deadline_option
@schemas_config_options
@registers
def sync(
    registry_url: str | None,
    dry_run: bool,
    fmt: str,
    deadline: float | None,
    schemas: Path | None,
    config_file: Path | None,
) -> None:
    """Register every subject's schema and set its level (compatibility checked first)."""
    from codegen.config import check_topics
    from codegen.schema.loader import load_directory
    from codegen.subjects import subject_schemas
    from codegen.workflow.sync import SyncResult, dumps, run_sync

    config = _load(
        config_file, schemas, None, None, registry=registry_url, **{"registry-deadline": deadline}
    )
    schema_set = load_directory(config.schemas, union_defaults=config.union_defaults)
    check_topics(config, schema_set)
    specs = subject_schemas(config, schema_set)
    if not specs:
        where = (
            f"[tool.avrobind.topics] in {_show_path(config.file)}" if config.file else "--config"
        )
        warning = f"no topics are configured ({where}): nothing to sync"
        click.echo(f"warning: {warning}", err=True)
        if fmt == "json":
            result = SyncResult(config.registry or "", dry_run, [], notes=[warning])
            click.echo(dumps(result))
        return
    watch = _deadline(config)
    client = _registry_client(config, event_hooks=watch.hooks())
    watch.registry = client.config.urls[0]
    result = run_sync(
        specs, client, dry_run=dry_run, union_defaults=config.union_defaults, deadline=watch
    )
    if fmt == "json":
        click.echo(dumps(result))
    elif fmt == "github":
        _print_findings(result.findings(schema_set), fmt)
    else:
        _print_sync(result)
    if result.error and fmt != "text":
        click.echo(f"avrobind sync: {result.error}", err=True)
    sys.exit(result.exit_code)


def _deadline(config: Any) -> Any:
    from codegen.workflow.deadline import Deadline

    return Deadline(config.registry_deadline, config.registry_deadline_source, config.registry)


def _print_sync(result: Any) -> None:
    head = f"registry {result.registry}" + (
        " (dry run: nothing is changed)" if result.dry_run else ""
    )
    click.echo(head)
    rows = [("SUBJECT", "ACTION", "LEVEL", "VERSION", "ID", "COMPATIBILITY")]
    for p in result.subjects:
        if not p.known:
            continue  # the run failed before the registry's state for it was read
        level = p.spec.level
        if "set-level" in p.actions:
            level += f" (was {p.registry_level or 'unset'})"
        if p.version is not None:
            version = str(p.version)
        elif p.latest_version is not None:
            version = f"{p.latest_version} -> new"
        else:
            version = "new" if p.registers else "-"
        verdict = {
            None: "-" if not p.registers else "new subject",
            True: "compatible",
            False: "INCOMPATIBLE",
        }[p.compatible]
        if p.checked:
            verdict += f" ({', '.join(p.checked)})"
        rows.append(
            (
                p.spec.subject,
                ", ".join(p.actions) or "unchanged",
                level,
                version,
                "-" if p.schema_id is None else str(p.schema_id),
                verdict,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows if len(rows) > 1 else []:
        click.echo("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    for p in result.incompatible:
        click.echo(f"incompatible: {p.spec.subject} (level {p.spec.level}):")
        for m in p.messages:
            click.echo(f"  {m}")
    for note in result.notes:
        click.echo(f"note: {note}")
    s = result.summary()
    if result.exit_code == 0:
        if result.dry_run:
            click.echo(
                f"plan: {s['new_versions']} to register, {s['level_changes']} level(s) to set, "
                f"{s['unchanged']} unchanged; nothing applied (dry run)"
            )
        else:
            click.echo(
                f"done: {s['registered']} registered, {s['levels_set']} level(s) set, {s['unchanged']} unchanged"
            )
        return
    click.echo(f"error: {result.error}", err=True)
    if not result.dry_run and (s["registered"] or s["levels_set"]):
        click.echo(
            f"applied before the failure: {s['registered']} registered, {s['levels_set']} level(s) set; "
            "re-run `avrobind sync` to finish",
            err=True,
        )


@cli.command()
@config_options
@click.option(
    "--against",
    "ref",
    default="HEAD",
    show_default=True,
    help="Git ref whose schemas the working tree must stay compatible with.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Also say which commits were compared or skipped."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="json: a list of findings (as `lint`); github: GitHub Actions annotations.",
)
@handles_input_errors
def check(
    config_file: Path | None,
    schemas: Path | None,
    out: Path | None,
    package: str | None,
    ref: str,
    verbose: bool,
    fmt: str,
) -> None:
    """Fail when generated code is stale or a schema change breaks compatibility with REF."""
    from codegen.generator.generate import build
    from codegen.generator.render import diff
    from codegen.workflow.check import check_against

    config = _load(config_file, schemas, out, package)
    schema_set, rendered = build(config)
    stale = diff(config.package_dir, rendered)
    if fmt != "text":
        _check_findings(config, schema_set, stale, ref, fmt, verbose)
        return
    where = _show_path(config.package_dir)
    if stale.stale:
        click.echo(f"{where} is stale; run `avrobind generate`:")
        for line in stale.lines():
            click.echo(f"  {line}")
    else:
        click.echo(f"{where} is up to date ({len(rendered.files)} files)")
    report = check_against(config, schema_set, ref)
    label = ref if report.commit is None else f"{ref} ({report.commit[:7]})"
    click.echo(f"compatibility against {label}:")
    width = max((len(c.subject) for c in report.subjects), default=0)
    for c in report.subjects:
        status = c.status.upper() if c.status == "incompatible" else c.status
        line = f"  {status:<12}  {c.subject:<{width}}  {c.level}"
        if c.status == "new":
            line += f"  (not at {ref}: nothing to check)"
        elif verbose and c.compared:
            line += f"  (against {', '.join(c.compared)})"
        click.echo(line)
        for m in c.messages:
            click.echo(f"      {m}")
    if verbose or report.commit is None:
        for note in report.notes:
            click.echo(f"  note: {note}")
    problems = []
    if stale.stale:
        problems.append("generated code is stale")
    if report.incompatible:
        problems.append(f"{len(report.incompatible)} incompatible subject(s)")
    if problems:
        click.echo(f"avrobind check: {'; '.join(problems)}", err=True)
        sys.exit(EXIT_STALE)


def _check_findings(
    config: Any, schema_set: Any, stale: Any, ref: str, fmt: str, verbose: bool
) -> None:
    """`check --format json|github`: the findings of `check`, as `lint` prints its own."""
    from codegen.workflow.check import check_against
    from codegen.workflow.report import stale_files

    findings = stale_files(
        config.package_dir,
        stale.added,
        stale.changed,
        stale.removed,
        rule="GENERATED_STALE",
        fix="run `avrobind generate`",
    )
    report = check_against(config, schema_set, ref)
    findings += report.findings(schema_set)
    _print_findings(findings, fmt)
    if verbose or report.commit is None:
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
    if findings:
        sys.exit(EXIT_STALE)


# --- lint, pull, docs ---------------------------------------------------------------------


def _print_table(rows: list[tuple[str, ...]], indent: str = "  ") -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo(indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _print_findings(findings: Any, fmt: str) -> None:
    from codegen.workflow.report import render

    for line in render(findings, fmt):
        click.echo(line)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: file:path: RULE: message; json: a list of findings; github: annotations.",
)
@click.option(
    "--against",
    "ref",
    default=None,
    help="Also run the BREAKING rules: compare with the schemas at this git ref.",
)
@click.option("--list-rules", is_flag=True, help="List every rule and category, and exit.")
@schemas_config_options
@handles_input_errors
def lint(
    fmt: str,
    ref: str | None,
    list_rules: bool,
    schemas: Path | None,
    config_file: Path | None,
) -> None:
    """Check the schemas against style and evolution rules ([tool.avrobind.lint])."""
    from codegen.schema.loader import load_directory
    from codegen.workflow.lint import run_lint
    from codegen.workflow.lint_config import load_lint_config

    config = _load(config_file, schemas, None, None)
    lint_config = load_lint_config(config)
    if list_rules:
        _print_rules(lint_config)
        return
    schema_set = load_directory(config.schemas, union_defaults=config.union_defaults)
    result = run_lint(config, schema_set, lint_config, ref)
    _print_findings(result.findings, fmt)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    extra = []
    if result.ignored:
        extra.append(f"{result.ignored} ignored by [tool.avrobind.lint] ignore")
    if result.pulled_files:
        extra.append(f"{result.pulled_files} pulled file(s) not linted (avrobind.lock)")
    if result.against:
        extra.append(f"BREAKING rules against {result.against}")
    tail = f" ({'; '.join(extra)})" if extra else ""
    if result.findings:
        click.echo(f"avrobind lint: {len(result.findings)} violation(s){tail}", err=True)
        sys.exit(EXIT_STALE)
    if fmt == "text":
        click.echo(f"no violations{tail}")


def _print_rules(lint_config: Any) -> None:
    from codegen.workflow.lint_rules import CATEGORIES, RULES

    rows: list[tuple[str, ...]] = [("RULE", "CATEGORY", "IN USE", "CHECKS THAT")]
    rows += [
        (r.id, r.category, "yes" if r.id in lint_config.rules else "-", r.summary)
        for r in RULES.values()
    ]
    _print_table(rows, indent="")
    click.echo("categories: DEFAULT (all but DOCS), ALL, " + ", ".join(CATEGORIES))


@cli.command()
@click.option(
    "--subject",
    "patterns",
    multiple=True,
    help="A subject name, or a regular expression matched against whole names (repeatable). "
    "Without it: every subject of avrobind.lock again.",
)
@click.option(
    "--version",
    "version",
    default="latest",
    show_default=True,
    help="The version to pull: a number or latest.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Directory the .avsc files are written to (default: the schemas directory).",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the files or lock drifted.")
@click.option(
    "--registry",
    "registry_url",
    help="Registry URL (default: AVROBIND_REGISTRY_URL, then [tool.avrobind].registry).",
)
@deadline_option
@schemas_config_options
@handles_input_errors
def pull(
    patterns: tuple[str, ...],
    version: str,
    out_dir: Path | None,
    check: bool,
    registry_url: str | None,
    deadline: float | None,
    schemas: Path | None,
    config_file: Path | None,
) -> None:
    """Fetch registry subjects (and the schemas they reference) into .avsc files + avrobind.lock."""
    from codegen.errors import ConfigError
    from codegen.runtime.errors import RegistryError
    from codegen.workflow.lock import lock_path, read_lock
    from codegen.workflow.pull import apply, plan_pull

    if version != "latest" and not (version.isdigit() and int(version) > 0):
        raise InputErrors(
            [ConfigError(f"--version must be a positive number or latest, got {version!r}")]
        )
    config = _load(
        config_file, schemas, None, None, registry=registry_url, **{"registry-deadline": deadline}
    )
    lock = read_lock(lock_path(config))
    if check and not patterns and all(e.requested == "reference" for e in lock.subjects.values()):
        click.echo(f"nothing is pulled ({_show_path(lock.path)} lists no subject)")
        return
    watch = _deadline(config)
    client = _registry_client(config, event_hooks=watch.hooks())
    registry_shown = watch.registry = client.config.urls[0]
    target = out_dir if out_dir is not None else config.schemas
    try:
        plan = plan_pull(
            client,
            lock,
            target,
            config.schemas,
            patterns,
            version,
            union_defaults=config.union_defaults,
            deadline=watch,
        )
    except RegistryError as e:
        click.echo(f"error: registry {registry_shown}: {e}", err=True)
        sys.exit(EXIT_REGISTRY)
    if check:
        drift = plan.drift()
        if drift:
            click.echo(f"pulled schemas differ from the registry ({registry_shown}) or the lock:")
            for line in drift:
                click.echo(f"  {line}")
            click.echo("avrobind pull --check: run `avrobind pull` to update", err=True)
            sys.exit(EXIT_STALE)
        click.echo(f"{len(plan.pulled)} pulled subject(s) up to date with {registry_shown}")
        return
    apply(plan)
    click.echo(f"registry {registry_shown}:")
    rows: list[tuple[str, ...]] = [("SUBJECT", "VERSION", "ID", "ASKED", "FILE", "")]
    for p in plan.pulled:
        state = "written" if p.file in plan.write else "unchanged"
        if p.file in plan.edited:
            state = "replaced (it had been edited)"
        rows.append(
            (
                p.subject,
                str(p.registered.version),
                str(p.registered.schema_id),
                p.requested,
                _show_path(p.file),
                state,
            )
        )
    _print_table(rows)
    for path in plan.remove:
        click.echo(f"  removed {_show_path(path)} (no longer pulled)")
    if not plan.inside_schemas:
        click.echo(
            f"note: {_show_path(target)} is outside the schemas directory "
            f"{_show_path(config.schemas)}: generate does not see these files"
        )
    if plan.changes:
        click.echo(
            f"wrote {len(plan.write)} file(s), removed {len(plan.remove)}"
            + (f"; {_show_path(plan.new_lock.path)} updated" if plan.lock_changes else "")
        )
    else:
        click.echo("nothing changed")


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Directory of asyncapi.json and topics.md (default: docs/ beside the config file).",
)
@click.option("--check", is_flag=True, help="Write nothing; list stale files and exit 1 if any.")
@schemas_config_options
@handles_input_errors
def docs(out_dir: Path | None, check: bool, schemas: Path | None, config_file: Path | None) -> None:
    """Write the topics' AsyncAPI 3.0 document and a Markdown catalog with Mermaid diagrams."""
    from codegen.config import check_topics
    from codegen.generator.naming import topic_prefix
    from codegen.schema.loader import load_directory
    from codegen.workflow.docs import default_dir, run_docs

    config = _load(config_file, schemas, None, None)
    schema_set = load_directory(config.schemas, union_defaults=config.union_defaults)
    check_topics(config, schema_set)
    target = out_dir if out_dir is not None else default_dir(config)
    result = run_docs(config, schema_set, topic_prefix, target, check=check)
    where = _show_path(target)
    if check:
        if result.stale:
            click.echo(f"{where} is stale; run `avrobind docs`:")
            for name in result.missing:
                click.echo(f"  missing: {name}")
            for name in result.changed:
                click.echo(f"  changed: {name}")
            sys.exit(EXIT_STALE)
        click.echo(f"{where} is up to date ({len(result.files)} files)")
    elif result.stale:
        names = ", ".join([*result.missing, *result.changed])
        click.echo(f"wrote {where}: {names}")
    else:
        click.echo(f"{where} is up to date ({len(result.files)} files); nothing changed")


def main() -> None:
    cli(prog_name="avrobind")


if __name__ == "__main__":
    main()
