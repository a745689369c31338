"""`apiweld init DESCRIPTION`: write a commented apiweld.toml from what the description holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    description: Annotated[str, typer.Argument(help="OpenAPI/Swagger description: a path or URL.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the config.")
    ] = Path("apiweld.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    package: Annotated[
        str | None,
        typer.Option("--package", help="Python package name of the client (default: the title)."),
    ] = None,
    allow_network: Annotated[
        bool, typer.Option("--allow-network", help="Allow loading a URL and remote $refs.")
    ] = False,
) -> None:
    """Write apiweld.toml: servers as environments, auth as env var names, limits, webhooks."""
    from rich.console import Console
    from rich.text import Text

    from apiweld.spec._starter import InitError, write_starter_config

    console = Console(highlight=False, soft_wrap=True, stderr=True)
    try:
        result = write_starter_config(
            description,
            output,
            force=force,
            package=package,
            allow_network=allow_network,
        )
    except InitError as exc:
        for line in exc.lines:
            console.print(Text(line))
        raise typer.Exit(1) from None
    console.print(Text(f"Wrote {result.path}: {result.summary}", style="green"))
    console.print(Text(f"Next: apiweld check {result.path}"))
