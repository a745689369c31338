"""The console summary of a contract-check run, printed with rich."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apiweld.testing.report import ContractReport, OperationReport

if TYPE_CHECKING:
    from rich.console import Console

_STYLE = {"passed": "green", "failed": "bold red", "errored": "yellow", "skipped": "dim"}
_MAX_FAILURES_SHOWN = 30


def operation_line(op: OperationReport) -> str:
    """One progress line per operation, as it finishes."""
    from rich.markup import escape

    style = _STYLE[op.status]
    detail = ""
    if op.skipped_reason:
        detail = f" [dim]({escape(op.skipped_reason)})[/]"
    elif op.failures:
        detail = " " + ", ".join(sorted({escape(f.check) for f in op.failures}))
    elif op.errors:
        detail = f" [yellow]{escape(op.errors[0])}[/]"
    return f"[{style}]{op.status.upper():>7}[/] {escape(op.label)}{detail}"


def print_summary(console: Console, report: ContractReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    failures = [(op, f) for op in report.operations for f in op.failures]
    for op, failure in failures[:_MAX_FAILURES_SHOWN]:
        exchange = failure.exchange
        console.print()
        console.print(f"[bold red]✗ {escape(op.label)}[/] [dim]{escape(failure.check)}[/]")
        console.print(f"  [bold]{escape(failure.title)}[/]: {escape(failure.message)}")
        console.print(
            f"  [dim]case {escape(failure.case_label)} · {exchange.method} "
            f"{escape(exchange.url)} -> {exchange.status}[/]"
        )
        console.print(f"  [dim]reproduce:[/] {escape(exchange.as_curl())}", soft_wrap=True)
    if len(failures) > _MAX_FAILURES_SHOWN:
        console.print(f"\n… and {len(failures) - _MAX_FAILURES_SHOWN} more (see the reports)")

    table = Table(title="Checks", title_justify="left", show_edge=False)
    table.add_column("check")
    table.add_column("passed", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("n/a", justify="right")
    totals: dict[str, list[int]] = {}
    for op in report.operations:
        for name, tally in op.checks.items():
            row = totals.setdefault(name, [0, 0, 0])
            row[0] += tally.passed
            row[1] += tally.failed
            row[2] += tally.not_applicable
    for name, (passed, failed, not_applicable) in totals.items():
        table.add_row(
            name, str(passed), f"[red]{failed}[/]" if failed else "0", str(not_applicable)
        )
    console.print()
    console.print(table)
    counts = ", ".join(
        f"[{_STYLE[s]}]{report.count(s)} {s}[/]" for s in ("passed", "failed", "errored", "skipped")
    )
    verdict = "[bold green]OK[/]" if report.ok else "[bold red]FAILED[/]"
    console.print(
        f"\n{verdict} {len(report.operations)} operations: {counts} · {report.requests} requests "
        f"in {report.duration:.2f} s (seed {report.seed})"
    )
