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
    fn = click.option("--config", "config_file", type=click.Path(path_type=Path), help="Config file (default: the nearest pyproject.toml with [tool.avrobind]).")(fn)
    fn = click.option("--package", help="Import name of the generated package.")(fn)
    fn = click.option("--out", type=click.Path(path_type=Path), help="Directory the package is written into.")(fn)
    fn = click.option("--schemas", type=click.Path(path_type=Path), help="Directory of .avsc files (searched recursively).")(fn)
    return fn


def _load(config_file: Path | None, schemas: Path | None, out: Path | None, package: str | None, **extra: Any) -> Any:
    from codegen.config import load_config

    return load_config(config_file, overrides={"schemas": schemas, "out": out, "package": package, **extra})


@click.group()
@click.version_option(__version__, prog_name="avrobind")
def cli() -> None:
    """Schema-first Avro toolchain: generate bindings, sync a registry, guard changes."""


@cli.command()
@config_options
@click.option("--check", is_flag=True, help="Write nothing; list stale files and exit 1 if any.")
@handles_input_errors
def generate(config_file: Path | None, schemas: Path | None, out: Path | None, package: str | None, check: bool) -> None:
    """Render the .avsc schemas into a typed Python package."""
    from codegen.generate import generate as run

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
        click.echo(f"wrote {where}: {len(d.added)} added, {len(d.changed)} changed, {len(d.removed)} removed ({result.files} files)")
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
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8081, show_default=True, type=int, help="TCP port.")
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file to persist to (in memory when omitted).",
)
def registry_serve(host: str, port: int, data: str | None) -> None:
    """Serve the Confluent Schema Registry REST API."""
    from codegen.registry.server import serve

    serve(host=host, port=port, data=data)


def main() -> None:
    cli(prog_name="avrobind")


if __name__ == "__main__":
    main()
