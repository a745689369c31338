"""The `apiweld` command: parses arguments and calls the packages; no logic of its own.

Each command group lives in `apiweld.commands.<name>` and registers itself on `app` there;
this module only assembles them, so that `import apiweld.cli` stays cheap.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from apiweld import __version__, commands

app = typer.Typer(
    name="apiweld",
    help="Turn an API description into a robust, typed, tested Python integration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Every module under apiweld.commands defines `register(app)` and adds its own commands; the
# modules import their heavy dependencies inside the command functions, so startup stays cheap.
COMMAND_MODULES: tuple[str, ...] = tuple(
    sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"apiweld {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """apiweld: describe the API once; get a client, a mock, webhooks and tests."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"apiweld.commands.{_name}").register(app)


def main() -> None:
    app()
