"""`apiweld test [apiweld.toml|DESCRIPTION]`: contract checks against the mock, or `--live`
against a running API, with a console summary, JUnit XML and an HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("test")(test)


def _parse_pairs(values: list[str], separator: str, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, found, rest = value.partition(separator)
        if not found or not key.strip() or not rest.strip():
            raise typer.BadParameter(f"{value!r}: expected {what}")
        pairs[key.strip()] = rest.strip()
    return pairs


def test(
    target: Annotated[
        str | None,
        typer.Argument(
            help="An OpenAPI/Swagger description (path or URL), an apiweld.toml, or a folder "
            "holding one. Default: ./apiweld.toml.",
            show_default=False,
        ),
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="Check a running API (else the mock is checked).")
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="The live API's base URL (default: from apiweld.toml)."),
    ] = None,
    environment: Annotated[
        str | None, typer.Option("--env", help="The \\[environments.<name>] to use for --live.")
    ] = None,
    max_examples: Annotated[
        int, typer.Option("--max-examples", min=1, help="Valid requests per operation.")
    ] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Seed for generated data.")] = 0,
    tags: Annotated[
        list[str] | None, typer.Option("--tag", help="Only operations with this tag (repeat).")
    ] = None,
    operations: Annotated[
        list[str] | None,
        typer.Option("--operation", "-O", help="Only this operation id (repeat)."),
    ] = None,
    allow_writes: Annotated[
        bool,
        typer.Option("--allow-writes", help="Also call POST/PUT/PATCH/DELETE operations."),
    ] = False,
    checks: Annotated[
        list[str] | None, typer.Option("--check", help="Run only this check (repeat).")
    ] = None,
    exclude_checks: Annotated[
        list[str] | None, typer.Option("--exclude-check", help="Skip this check (repeat).")
    ] = None,
    auth: Annotated[
        list[str] | None,
        typer.Option(
            "--auth",
            help="SCHEME=ENV_VAR: read the credential of a security scheme from ENV_VAR "
            "(also read: \\[auth.<scheme>] in apiweld.toml, APIWELD_AUTH_<SCHEME>).",
        ),
    ] = None,
    headers: Annotated[
        list[str] | None,
        typer.Option("--header", "-H", help="'Name: value' sent with every request (redacted)."),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 10.0,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify TLS certificates.")
    ] = False,
    junit_xml: Annotated[
        Path | None, typer.Option("--junit-xml", help="Write a JUnit XML report here.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    json_report: Annotated[
        Path | None, typer.Option("--json", help="Write the full report as JSON here.")
    ] = None,
    allow_network: Annotated[
        bool, typer.Option("--allow-network", help="Allow loading a URL and remote $refs.")
    ] = False,
) -> None:
    """Check that the API answers as its description says: statuses, content types, headers,
    bodies, rejection of bad requests, and authentication.

    Exits 0 when every check passed, 1 when a check failed or a request errored, 2 when the
    input could not be used.
    """
    import json

    from rich.console import Console

    from apiweld.testing._auth import CredentialError
    from apiweld.testing.checks import ALL_CHECKS
    from apiweld.testing.console import operation_line, print_summary
    from apiweld.testing.html import write_html
    from apiweld.testing.junit import write_junit
    from apiweld.testing.project import (
        TargetError,
        check_against_mock,
        credentials_for,
        load_target,
    )
    from apiweld.testing.runner import ContractConfig, run_contract_checks

    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    try:
        loaded = load_target(target, allow_network=allow_network)
        chosen = [c for c in (checks or list(ALL_CHECKS)) if c not in set(exclude_checks or [])]
        config = ContractConfig(
            max_examples=max_examples,
            seed=seed,
            tags=tuple(tags or ()),
            operation_ids=tuple(operations or ()),
            allow_writes=allow_writes,
            checks=tuple(chosen),
            timeout=timeout,
            headers=_parse_pairs(headers or [], ":", "'Name: value'"),
            verify_tls=not insecure,
        )
        url = base_url or _configured_url(loaded.config, environment)
        if live and not url:
            raise typer.BadParameter("--live needs --base-url (or [environments] in apiweld.toml)")
        where = _escape(str(url)) if live else "the mock"
        title = _escape(f"{loaded.api.title} {loaded.api.version}")
        console.print(f"[bold]apiweld test[/] {title} against {where}")
        if live:
            assert url is not None
            credentials = credentials_for(
                loaded.api, loaded.config, _parse_pairs(auth or [], "=", "SCHEME=ENV_VAR")
            )
            report = run_contract_checks(
                loaded.api,
                str(url),
                config,
                credentials,
                on_operation=lambda op: console.print(operation_line(op)),
            )
        else:
            report = check_against_mock(
                loaded.api,
                config,
                seed=seed,
                on_operation=lambda op: console.print(operation_line(op)),
            )
    except (TargetError, CredentialError, ValueError) as exc:
        errors.print(f"[red]error:[/] {_escape(str(exc))}")
        raise typer.Exit(2) from None
    print_summary(console, report)
    if junit_xml is not None:
        write_junit(report, junit_xml)
        console.print(f"JUnit XML: {junit_xml}")
    if html is not None:
        write_html(report, html)
        console.print(f"HTML report: {html}")
    if json_report is not None:
        json_report.parent.mkdir(parents=True, exist_ok=True)
        json_report.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
        console.print(f"JSON report: {json_report}")
    raise typer.Exit(0 if report.ok else 1)


def _configured_url(config: object, environment: str | None) -> str | None:
    from apiweld.config import ApiweldConfig

    if not isinstance(config, ApiweldConfig):
        if environment is not None:
            raise typer.BadParameter("--env needs an apiweld.toml with [environments]")
        return None
    if environment is not None and environment not in config.environments:
        known = ", ".join(sorted(config.environments)) or "none"
        raise typer.BadParameter(f"no [environments.{environment}] in apiweld.toml ({known})")
    url = config.base_url(environment)
    return str(url) if url is not None else None


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
