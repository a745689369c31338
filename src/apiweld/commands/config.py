"""`apiweld config schema`: the JSON Schema of apiweld.toml, for editors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

config_app = typer.Typer(help="Inspect apiweld.toml settings.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


@config_app.command("schema")
def schema(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (e.g. apiweld.schema.json) instead of standard output.",
        ),
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of apiweld.toml.

    Point your editor at it: with Taplo / Even Better TOML, add
    `#:schema ./apiweld.schema.json` as the first line of apiweld.toml.
    """
    from apiweld.config import config_json_schema

    text = json.dumps(config_json_schema(), indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Wrote {output}", err=True)
