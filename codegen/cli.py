"""The `avrobind` command line."""

from __future__ import annotations

import sys

import click

from codegen import __version__


@click.group()
@click.version_option(__version__, prog_name="avrobind")
def cli() -> None:
    """Schema-first Avro toolchain: generate bindings, sync a registry, guard changes."""


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
    sys.exit(main())
