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


def handles_input_errors(fn: F) -> F:
    """Bad input (schemas, config) → one line per problem on stderr and exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputErrors as e:
            _report_input_errors(e.errors)
            click.echo(f"avrobind: {len(e.errors)} error(s); nothing was written", err=True)
            sys.exit(EXIT_INPUT)
        except InputError as e:
            _report_input_errors([e])
            click.echo("avrobind: 1 error(s); nothing was written", err=True)
            sys.exit(EXIT_INPUT)

    return wrapper  # type: ignore[return-value]


def config_options(fn: F) -> F:
    fn = click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path),
        help="Config file (default: the nearest pyproject.toml with [tool.avrobind]).",
    )(fn)
    fn = click.option("--package", help="Import name of the generated package.")(fn)
    fn = click.option(
        "--out", type=click.Path(path_type=Path), help="Directory the package is written into."
    )(fn)
    fn = click.option(
        "--schemas",
        type=click.Path(path_type=Path),
        help="Directory of .avsc files (searched recursively).",
    )(fn)
    return fn


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


@click.group()
@click.version_option(__version__, prog_name="avrobind")
def cli() -> None:
    """Schema-first Avro toolchain: generate bindings, sync a registry, guard changes."""


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


def _registry_client(config: Any) -> Any:
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
        return AsyncSchemaRegistryClient(RegistryConfig.from_env(url=config.registry))
    except RegistryConfigError as e:
        raise InputErrors([ConfigError(str(e))]) from None


@cli.command()
@config_options
@click.option(
    "--registry",
    "registry_url",
    help="Registry URL (default: AVROBIND_REGISTRY_URL, then [tool.avrobind].registry).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the plan and the compatibility verdicts; change nothing."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@handles_input_errors
def sync(
    config_file: Path | None,
    schemas: Path | None,
    out: Path | None,
    package: str | None,
    registry_url: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Register every subject's schema and set its level (compatibility checked first)."""
    from codegen.config import check_topics
    from codegen.schema.loader import load_directory
    from codegen.subjects import subject_schemas
    from codegen.workflow.sync import dumps, run_sync

    config = _load(config_file, schemas, out, package, registry=registry_url)
    schema_set = load_directory(config.schemas)
    check_topics(config, schema_set)
    specs = subject_schemas(config, schema_set)
    client = _registry_client(config)
    result = run_sync(specs, client, dry_run=dry_run)
    if fmt == "json":
        click.echo(dumps(result))
    else:
        _print_sync(result)
    if result.error and fmt == "json":
        click.echo(f"avrobind sync: {result.error}", err=True)
    sys.exit(result.exit_code)


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
@handles_input_errors
def check(
    config_file: Path | None,
    schemas: Path | None,
    out: Path | None,
    package: str | None,
    ref: str,
    verbose: bool,
) -> None:
    """Fail when generated code is stale or a schema change breaks compatibility with REF."""
    from codegen.generator.generate import build
    from codegen.generator.render import diff
    from codegen.workflow.check import check_against

    config = _load(config_file, schemas, out, package)
    schema_set, rendered = build(config)
    stale = diff(config.package_dir, rendered)
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


def main() -> None:
    cli(prog_name="avrobind")


if __name__ == "__main__":
    main()
