"""`apiweld check [DESCRIPTION|apiweld.toml]`: what the API contains, and every problem in it."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from apiweld.spec._check import CheckReport

_LISTED = 6
"""How many names a text summary line shows before `+N more`."""


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("check")(check)


def check(
    target: Annotated[
        str | None,
        typer.Argument(
            help="An OpenAPI/Swagger description (path or URL), an apiweld.toml, or a folder "
            "holding one. Default: ./apiweld.toml.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="text for people, json for machines."),
    ] = OutputFormat.text,
    allow_network: Annotated[
        bool, typer.Option("--allow-network", help="Allow loading a URL and remote $refs.")
    ] = False,
) -> None:
    """Load and validate; summarise the API and list every problem with its JSON pointer.

    Exits 0 when the API is usable (warnings allowed), 1 when there are errors.
    """
    from apiweld.spec._check import run_check

    report = run_check(target, allow_network=allow_network)
    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        _print_text(report)
    raise typer.Exit(0 if report.usable else 1)


def _print_text(report: CheckReport) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    summary = report.summary
    if summary is not None:
        _print_summary(console, summary)
    _print_problems(console, report)


def _names(values: list[str]) -> str:
    shown = ", ".join(values[:_LISTED])
    return shown + (f" (+{len(values) - _LISTED} more)" if len(values) > _LISTED else "")


def _print_summary(console: Console, summary: dict[str, Any]) -> None:
    from rich.text import Text

    heading = Text()
    heading.append(f"{summary['title']} {summary['version']}", style="bold")
    heading.append(f"  {summary['format']}", style="cyan")
    if summary.get("source"):
        heading.append(f"  {_shown_path(summary['source'])}", style="dim")
    console.print(heading)

    schemes = [f"{s['name']} ({s['type']} {s['detail']})" for s in summary["security_schemes"]]
    pagination = summary["pagination"]
    styles = ", ".join(f"{style} {count}" for style, count in pagination["styles"].items())
    deprecated = summary["deprecated_operations"]
    rows = [
        (
            "operations",
            summary["operations"],
            f"on {summary['paths']} paths" + (f", {deprecated} deprecated" if deprecated else ""),
        ),
        ("schemas", summary["schemas"], ""),
        ("tags", summary["tags"], ""),
        ("auth schemes", len(schemes), _names(schemes)),
        ("servers", len(summary["servers"]), _names(summary["servers"])),
        ("webhooks", len(summary["webhooks"]), _names(summary["webhooks"])),
        ("pagination", pagination["operations"], styles),
    ]
    project = summary.get("project")
    if project is not None:
        rows += [
            ("environments", len(project["environments"]), _names(project["environments"])),
            ("excluded", project["excluded_operations"], "operations left out by the config"),
        ]
    # Plain aligned lines rather than a rich Table: no wrapping or padding to the terminal's
    # width, so the output reads the same in a pipe, a CI log and a README.
    for label, count, detail in rows:
        line = Text(f"  {label:<13}", style="dim")
        line.append(f"{count:>5}")
        if detail:
            line.append(f"  {detail}")
        console.print(line)


def _print_problems(console: Console, report: CheckReport) -> None:
    from rich.text import Text

    if not report.problems:
        console.print("No problems found.")
    else:
        console.print(
            f"{len(report.problems)} problem(s): {report.errors} error(s), "
            f"{report.warnings} warning(s)",
            style="bold",
        )
    for problem in report.problems:
        line = Text()
        style = "red" if problem.severity == "error" else "yellow"
        line.append(f"{problem.severity:<8}", style=style)
        where = _where(problem.file, problem.pointer)
        line.append(where, style="cyan")
        line.append(f"  {problem.message}")
        console.print(line)
    if report.usable:
        console.print(Text("OK: usable", style="green bold"))
    else:
        console.print(Text(f"FAILED: {report.target} is not usable", style="red bold"))


def _where(file: str | None, pointer: str) -> str:
    """`file#/json/pointer`; in apiweld.toml, the TOML key path reads better: `file: a.b[0]`."""
    if file is not None and file.endswith(".toml"):
        from apiweld.config import format_key_path

        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        key_path = tuple(int(t) if t.isdigit() else t for t in tokens)
        return f"{file}: {format_key_path(key_path)}" if key_path else file
    return f"{file}#{pointer}" if file else f"#{pointer}"


def _shown_path(source: str) -> str:
    """A path under the working folder is shown relative to it: shorter, and the same on
    every machine (the README shows this output)."""
    from pathlib import Path

    if "://" in source:
        return source
    try:
        return str(Path(source).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return source
