"""`apiweld generate [apiweld.toml|DESCRIPTION] -o DIR`: write the typed client package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from apiweld.codegen import GenerationReport

_SHOWN = 10
"""How many skipped operations and warnings the summary lists before `+N more`."""


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


def generate(
    target: Annotated[
        str | None,
        typer.Argument(
            help="An OpenAPI/Swagger description (path or URL), an apiweld.toml, or a folder "
            "holding one. Default: ./apiweld.toml.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Output folder (default: apiweld.toml's, else ./clients)."
        ),
    ] = None,
    package: Annotated[
        str | None, typer.Option("--package", help="Python package name (default: from the title).")
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if the output on disk is stale."),
    ] = False,
    report_file: Annotated[
        Path | None, typer.Option("--report", help="Also write the summary as JSON to this file.")
    ] = None,
    allow_network: Annotated[
        bool, typer.Option("--allow-network", help="Allow loading a URL and remote $refs.")
    ] = False,
    tests: Annotated[
        bool, typer.Option("--tests/--no-tests", help="Also write the package's test suite.")
    ] = True,
) -> None:
    """Generate a typed sync and async client package; deterministic, formatted with ruff."""
    from rich.console import Console

    from apiweld.codegen import GenerationError, check_output, load_target
    from apiweld.codegen._generate import paused_gc
    from apiweld.config import ConfigError
    from apiweld.spec import SpecError

    console = Console(stderr=True)
    try:
        with paused_gc():
            loaded = load_target(target, allow_network=allow_network)
    except (SpecError, ConfigError) as error:
        _print_error(console, str(error))
        raise typer.Exit(1) from None
    destination = output or loaded.output or Path("clients")
    chosen_package = package or loaded.package
    try:
        if check:
            stale = check_output(
                loaded.api, destination, package=chosen_package, include_tests=tests
            )
            for name in stale:
                console.print(f"differs: {destination / name}", highlight=False, markup=False)
            if stale:
                console.print(f"{len(stale)} file(s) out of date; run `apiweld generate`.")
                raise typer.Exit(1)
            console.print(f"{destination}: up to date")
            return
        report = _generate_with_progress(console, loaded.api, destination, chosen_package, tests)
    except (GenerationError, OSError) as error:
        _print_error(console, str(error))
        raise typer.Exit(1) from None
    _print_summary(console, report)
    problems = len(loaded.api.problems)
    if problems:
        console.print(f"{problems} problem(s) in the description: `apiweld check` lists them.")
    if report_file is not None:
        report_file.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")


def _generate_with_progress(
    console: Console, api: object, destination: Path, package: str | None, tests: bool
) -> GenerationReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from apiweld.codegen import generate_package
    from apiweld.spec.ir import Api

    assert isinstance(api, Api)
    # Only large APIs take long enough for a bar to help; small ones just print the summary.
    show = len(api.operations) + len(api.schemas) > 300 and console.is_terminal
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        disable=not show,
        transient=True,
    ) as progress:
        task = progress.add_task("generating", total=None)

        def advance(stage: str, done: int, total: int) -> None:
            progress.update(task, description=f"writing {stage}", completed=done, total=total)

        return generate_package(
            api, destination, package=package, include_tests=tests, progress=advance
        )


def _print_error(console: Console, message: str) -> None:
    text = message.removeprefix("error:").strip()
    console.print("[red]error:[/red] ", end="", markup=True)
    console.print(text, markup=False, highlight=False)


def _print_summary(console: Console, report: GenerationReport) -> None:
    console.print(
        f"[green]generated[/green] {report.package} in {report.output}: "
        f"{report.operations_generated}/{report.operations_total} operations, "
        f"{report.models} models, {report.resources} resources, {report.files} files "
        f"in {report.seconds:.2f}s",
        highlight=False,
    )
    if report.skipped:
        console.print(f"[yellow]skipped {len(report.skipped)} operation(s):[/yellow]")
        for item in report.skipped[:_SHOWN]:
            console.print(
                f"  {item.operation} (#{item.pointer}): {item.reason}",
                markup=False,
                highlight=False,
            )
        if len(report.skipped) > _SHOWN:
            console.print(f"  +{len(report.skipped) - _SHOWN} more (see --report)")
    if report.excluded:
        console.print(f"excluded by apiweld.toml: {len(report.excluded)} operation(s)")
    if report.warnings:
        console.print(f"[yellow]{len(report.warnings)} warning(s)[/yellow] (loosened types):")
        for warning in report.warnings[:_SHOWN]:
            console.print(f"  #{warning.pointer}: {warning.message}", markup=False, highlight=False)
        if len(report.warnings) > _SHOWN:
            console.print(f"  +{len(report.warnings) - _SHOWN} more (see --report)")
    for line in report.lint[:_SHOWN]:
        console.print(f"  ruff: {line}", markup=False, highlight=False)
