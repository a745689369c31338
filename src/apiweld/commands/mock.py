"""`apiweld mock [apiweld.toml|DESCRIPTION]`: serve the API locally, misbehaving on request."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from apiweld.mock import RateLimit, RequestRecord

_LOG_LIMIT = 10_000
"""Records the long-running server keeps in memory (the console shows them all)."""


def register(app: typer.Typer) -> None:
    app.command("mock")(mock)


def mock(
    source: Annotated[
        str | None,
        typer.Argument(
            help="An apiweld.toml (or a folder holding one) or an OpenAPI/Swagger description. "
            "Default: ./apiweld.toml.",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", "-p", help="Port (default: [mock] port, else 4010).")
    ] = None,
    host: Annotated[str | None, typer.Option("--host", help="Interface to listen on.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for data and faults.")] = None,
    faults: Annotated[
        str | None,
        typer.Option(
            "--faults",
            help="Fault profile: flaky, slow, hostile, ratelimited, or a TOML profile file.",
        ),
    ] = None,
    rate_limit: Annotated[
        str | None,
        typer.Option("--rate-limit", help="Requests per window per client, e.g. 100/60s."),
    ] = None,
    collection_size: Annotated[
        int, typer.Option("--collection-size", min=0, help="Items each collection starts with.")
    ] = 20,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print requests.")] = False,
    allow_network: Annotated[
        bool, typer.Option("--allow-network", help="Allow loading a URL and remote $refs.")
    ] = False,
) -> None:
    """Serve the API's mock: examples or generated data, validation, auth, limits, faults."""
    from rich.console import Console

    from apiweld.mock import FaultConfigError, MockServer, MockServerError
    from apiweld.mock._project import MockSetupError, resolve_target

    console = Console(stderr=False, highlight=False)
    errors = Console(stderr=True, highlight=False)
    try:
        target = resolve_target(source, allow_network=allow_network)
        limit = _parse_rate_limit(rate_limit) if rate_limit else None
        server = MockServer(
            target.api,
            seed=target.seed if seed is None else seed,
            faults=faults if faults is not None else target.faults,
            credentials=target.credentials or None,
            rate_limit=limit,
            collection_size=collection_size,
            host=host or target.host,
            port=target.port if port is None else port,
            on_request=None if quiet else _printer(console),
            log_limit=_LOG_LIMIT,
        )
        base_url = server.start()
    except (MockSetupError, FaultConfigError, MockServerError, ValueError) as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    api = target.api
    console.print(
        f"[bold]{api.title}[/bold] {api.version}: {len(api.operations)} operations mocked at "
        f"[cyan]{base_url}[/cyan]"
        + (f" (faults: {server.faults_name})" if faults else "")
        + "  Ctrl-C to stop"
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _parse_rate_limit(text: str) -> RateLimit:
    from apiweld.mock import RateLimit
    from apiweld.mock.faults import FaultConfigError, parse_duration_ms

    count, _, window = text.partition("/")
    if not count.strip().isdigit():
        raise ValueError(f"--rate-limit {text!r}: expected COUNT/WINDOW, e.g. 100/60s")
    try:
        seconds = parse_duration_ms(window or "60s", "--rate-limit") / 1000
    except FaultConfigError as exc:
        raise ValueError(str(exc)) from None
    return RateLimit(limit=int(count), window=seconds)


def _printer(console: Console) -> Callable[[RequestRecord], None]:
    from rich.markup import escape

    def show(record: RequestRecord) -> None:
        status = record.status
        colour = (
            "red" if status is None or status >= 500 else "yellow" if status >= 400 else "green"
        )
        shown = "---" if status is None else str(status)
        target = record.path + (f"?{record.query}" if record.query else "")
        line = (
            f"[{colour}]{shown}[/{colour}] {record.method:<6} {escape(target)}"
            f" [dim]{record.operation_id or '-'} {record.duration_ms:.1f}ms[/dim]"
        )
        if record.faults:
            line += f" [magenta]faults: {escape(', '.join(record.faults))}[/magenta]"
        if record.problems:
            line += f"\n    [yellow]{escape('; '.join(record.problems))}[/yellow]"
        console.print(line, highlight=False)

    return show
