"""The self-contained HTML report: one file, inline CSS, no scripts, no external assets.

Every string in the report comes from the API or its description, so the template is rendered
with autoescaping on, and the page's Content-Security-Policy forbids scripts and remote loads as a
second line of defence.
"""

from __future__ import annotations

from pathlib import Path

from apiweld.testing.report import CheckTally, ContractReport, OperationReport

_STATUS_ORDER = {"failed": 0, "errored": 1, "passed": 2, "skipped": 3}


def _milliseconds(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def _check_totals(report: ContractReport) -> dict[str, CheckTally]:
    totals: dict[str, CheckTally] = {}
    for op in report.operations:
        for name, tally in op.checks.items():
            total = totals.setdefault(name, CheckTally())
            total.passed += tally.passed
            total.failed += tally.failed
            total.not_applicable += tally.not_applicable
    return totals


def _ordered(report: ContractReport) -> list[OperationReport]:
    return sorted(report.operations, key=lambda op: _STATUS_ORDER[op.status])


def render_html(report: ContractReport) -> str:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("apiweld.testing", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    template = environment.get_template("report.html.j2")
    return template.render(
        report=report,
        operations=_ordered(report),
        check_totals=_check_totals(report),
        ms=_milliseconds,
    )


def write_html(report: ContractReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
