"""`apiweld webhooks ...`: serve, work, inbox list|show|replay|dead, verify, send.

Thin: parses arguments, calls `apiweld.webhooks`, prints with rich. Heavy imports stay inside
the command functions so `apiweld --help` stays fast.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from apiweld.webhooks.inbox import Inbox, StoredEvent
    from apiweld.webhooks.receiver import WebhookReceiver
    from apiweld.webhooks.settings import WebhookReceiverSettings

webhooks_app = typer.Typer(
    name="webhooks",
    help="Receive, verify, store, dispatch and replay webhooks.",
    no_args_is_help=True,
)
inbox_app = typer.Typer(name="inbox", help="Operate the inbox.", no_args_is_help=True)
webhooks_app.add_typer(inbox_app)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="apiweld.toml (default: ./apiweld.toml).")
]
AppDirOption = Annotated[
    Path | None,
    typer.Option(
        "--app-dir", help="Import handler modules from here (default: apiweld.toml's folder)."
    ),
]
ReceiverOption = Annotated[
    list[str] | None,
    typer.Option(
        "--receiver", "-r", help="A receiver: the <name> of a webhooks.<name> table (repeatable)."
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app)


def _fail(message: str) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    return typer.Exit(2)


def _receivers(config: Path | None, names: list[str] | None) -> list[WebhookReceiverSettings]:
    from apiweld.config import ConfigError
    from apiweld.webhooks._errors import WebhookConfigError
    from apiweld.webhooks.project import load_receivers

    try:
        return load_receivers(config, tuple(names or ()))
    except (ConfigError, WebhookConfigError) as exc:
        raise _fail(str(exc)) from None


def _build(
    settings_list: list[WebhookReceiverSettings], workers: int, app_dir: Path
) -> list[WebhookReceiver]:
    from apiweld.webhooks._errors import WebhookError
    from apiweld.webhooks.receiver import WebhookReceiver

    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))  # where `handlers = {...}` modules are imported from

    try:
        return [WebhookReceiver(s, workers=workers) for s in settings_list]
    except WebhookError as exc:
        raise _fail(str(exc)) from None


@webhooks_app.command("serve")
def serve(
    config: ConfigOption = None,
    receiver: ReceiverOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Dispatcher threads per receiver in this process (0: none).")
    ] = 2,
    app_dir: AppDirOption = None,
) -> None:
    """Serve the configured receivers: verify, store durably, answer; dispatch to handlers."""
    import uvicorn

    from apiweld.webhooks._errors import WebhookError
    from apiweld.webhooks.project import handler_root
    from apiweld.webhooks.receiver import WebhookApp

    receivers = _build(_receivers(config, receiver), workers, app_dir or handler_root(config))
    app = WebhookApp(receivers)
    try:  # opens each inbox: an unreachable database is reported before listening
        _describe_receivers(receivers, f"http://{host}:{port}", workers)
    except WebhookError as exc:
        raise _fail(str(exc)) from None
    uvicorn.run(app, host=host, port=port, lifespan="on", log_level="warning", access_log=False)


def _describe_receivers(receivers: list[WebhookReceiver], base: str, workers: int) -> None:
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    for r in receivers:
        s = r.settings
        console.print(
            f"{s.name}: {base}{s.path}  scheme={s.scheme}  inbox={r.inbox!r}  "
            f"handlers={len(r.registry)}  workers={workers}",
            markup=False,
        )


@webhooks_app.command("work")
def work(
    config: ConfigOption = None,
    receiver: ReceiverOption = None,
    workers: Annotated[int, typer.Option(help="Dispatcher threads per receiver.")] = 2,
    app_dir: AppDirOption = None,
) -> None:
    """Run dispatcher workers only (beside receivers elsewhere sharing the inbox)."""
    import signal
    import threading

    from apiweld.webhooks.project import handler_root

    receivers = _build(_receivers(config, receiver), workers, app_dir or handler_root(config))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    for r in receivers:
        r.start_workers()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    for r in receivers:
        r.close()


# -- inbox --------------------------------------------------------------------------------------


def _open_inbox(
    config: Path | None, receiver: list[str] | None, inbox_url: str | None, prefix: str | None
) -> tuple[Inbox, str | None]:
    from apiweld.webhooks._errors import WebhookError
    from apiweld.webhooks.inbox import open_inbox

    try:
        if inbox_url:
            table_prefix = prefix or "apiweld_webhook_"
            return open_inbox(inbox_url, table_prefix=table_prefix, create=False), None
        settings = _receivers(config, receiver)[0]
        name = settings.name if receiver else None
        table_prefix = prefix or settings.table_prefix
        return open_inbox(settings.inbox, table_prefix=table_prefix, create=False), name
    except WebhookError as exc:
        raise _fail(str(exc)) from None


InboxUrlOption = Annotated[
    str | None, typer.Option("--inbox", help="Inbox URL instead of the configured one.")
]
PrefixOption = Annotated[str | None, typer.Option("--table-prefix", help="Inbox table prefix.")]


def _when(value: float | None) -> str:
    if value is None:
        return "-"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _parse_time(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option}: {value!r} is not an ISO 8601 time (2024-05-01T12:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _print_events(events: list[StoredEvent], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("id", "receiver", "event id", "type", "status", "attempts", "received", "error"):
        table.add_column(column)
    for e in events:
        error = (e.last_error or "")[:60]
        table.add_row(
            str(e.id), e.receiver, e.event_id, e.event_type, e.status,
            str(e.attempts), _when(e.received_at), error,
        )  # fmt: skip
    Console().print(table)


@inbox_app.command("list")
def inbox_list(
    config: ConfigOption = None,
    receiver: ReceiverOption = None,
    inbox: InboxUrlOption = None,
    table_prefix: PrefixOption = None,
    status: Annotated[str | None, typer.Option(help="pending, processing, done or dead.")] = None,
    since: Annotated[str | None, typer.Option(help="Received at or after (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Received before (ISO 8601).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """List stored events, newest first, with counts per status."""
    from apiweld.webhooks.inbox._base import STATUSES

    if status is not None and status not in STATUSES:
        raise _fail(f"--status must be one of {', '.join(STATUSES)}")
    store, name = _open_inbox(config, receiver, inbox, table_prefix)
    events = store.events(
        status=status,
        receiver=name,
        since=_parse_time(since, "--since"),
        until=_parse_time(until, "--until"),
        limit=limit,
    )
    counts = store.counts(name)
    _print_events(events, "  ".join(f"{k}={v}" for k, v in counts.items()))


@inbox_app.command("dead")
def inbox_dead(
    config: ConfigOption = None,
    receiver: ReceiverOption = None,
    inbox: InboxUrlOption = None,
    table_prefix: PrefixOption = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
) -> None:
    """List the dead letters (events whose last attempt failed)."""
    store, name = _open_inbox(config, receiver, inbox, table_prefix)
    _print_events(store.events(status="dead", receiver=name, limit=limit), "dead letters")


@inbox_app.command("show")
def inbox_show(
    event: Annotated[int, typer.Argument(help="Inbox id (first column of `inbox list`).")],
    config: ConfigOption = None,
    receiver: ReceiverOption = None,
    inbox: InboxUrlOption = None,
    table_prefix: PrefixOption = None,
    body: Annotated[bool, typer.Option("--body", help="Print the raw body too.")] = False,
) -> None:
    """One event: its state, headers, and the history of its attempts."""
    from rich.console import Console
    from rich.table import Table

    store, _ = _open_inbox(config, receiver, inbox, table_prefix)
    stored = store.get(event)
    if stored is None:
        raise _fail(f"no event with inbox id {event}")
    console = Console(highlight=False)
    console.print(
        f"[bold]{stored.event_type}[/bold] {stored.event_id} (receiver {stored.receiver})\n"
        f"status {stored.status}, attempts {stored.attempts}, deliveries {stored.deliveries}, "
        f"received {_when(stored.received_at)}, next attempt {_when(stored.next_attempt_at)}"
    )
    if stored.last_error:
        console.print(f"last error: {stored.last_error}", markup=False)
    for name, value in stored.headers:
        console.print(f"  {name}: {value}", markup=False)
    history = Table(title="attempts")
    for column in ("#", "worker", "started", "finished", "outcome", "error"):
        history.add_column(column)
    for a in store.history(stored.id):
        history.add_row(
            str(a.attempt), a.worker or "-", _when(a.started_at), _when(a.finished_at),
            a.outcome or "running", (a.error or "")[:80],
        )  # fmt: skip
    console.print(history)
    if body:
        sys.stdout.write(stored.body.decode("utf-8", errors="replace") + "\n")


@inbox_app.command("replay")
def inbox_replay(
    events: Annotated[list[int] | None, typer.Argument(help="Inbox ids to replay.")] = None,
    config: ConfigOption = None,
    receiver: ReceiverOption = None,
    inbox: InboxUrlOption = None,
    table_prefix: PrefixOption = None,
    since: Annotated[str | None, typer.Option(help="Received at or after (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Received before (ISO 8601).")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Replay every dead letter.")] = False,
) -> None:
    """Queue events again (one, a time range, or the dead letters) with a fresh attempt budget."""
    store, name = _open_inbox(config, receiver, inbox, table_prefix)
    try:
        count = store.replay(
            ids=events or (),
            since=_parse_time(since, "--since"),
            until=_parse_time(until, "--until"),
            dead=dead,
            receiver=name,
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"queued {count} event(s) for replay")


# -- verify and send ----------------------------------------------------------------------------


def _parse_headers(values: list[str] | None) -> list[tuple[str, str]]:
    pairs = []
    for value in values or ():
        name, sep, rest = value.partition(":")
        if not sep or not name.strip():
            raise _fail(f"--header {value!r}: expected 'Name: value'")
        pairs.append((name.strip(), rest.strip()))
    return pairs


@webhooks_app.command("verify")
def verify(
    scheme: Annotated[
        str | None, typer.Option(help="standard, stripe, github, slack, shopify, twilio, ...")
    ] = None,
    secret_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the secret.")
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="'Name: value' (repeatable).")
    ] = None,
    url: Annotated[str | None, typer.Option(help="The URL the provider called.")] = None,
    tolerance: Annotated[int, typer.Option(help="Timestamp tolerance, seconds.")] = 300,
    config: ConfigOption = None,
    receiver: ReceiverOption = None,
) -> None:
    """Check one delivery (body on stdin): prints `valid` or the exact reason; exit 0 or 1."""
    from apiweld.webhooks._errors import WebhookError, WebhookVerificationError
    from apiweld.webhooks._request import WebhookRequest
    from apiweld.webhooks.factory import build_scheme, read_secret, scheme_from_name

    try:
        if scheme is None:
            verifier = build_scheme(_receivers(config, receiver)[0])
        else:
            if secret_env is None:
                raise _fail("--scheme needs --secret-env VAR")
            verifier = scheme_from_name(
                scheme, [read_secret(secret_env)], tolerance_seconds=tolerance
            )
    except WebhookError as exc:
        raise _fail(str(exc)) from None
    body = sys.stdin.buffer.read()
    try:
        verifier.verify(WebhookRequest.build(body, _parse_headers(header), url=url))
    except WebhookVerificationError as exc:
        typer.echo(f"invalid: {exc}")
        raise typer.Exit(1) from None
    typer.echo("valid")


@webhooks_app.command("send")
def send(
    event: Annotated[str, typer.Argument(help="Webhook name in the description (or any type).")],
    to: Annotated[str, typer.Option("--to", help="Receiver URL.")],
    file: Annotated[
        Path | None, typer.Option("--file", help="JSON body instead of the description's.")
    ] = None,
    spec: Annotated[
        str | None, typer.Option("--spec", help="Description to build the event from.")
    ] = None,
    scheme: Annotated[str | None, typer.Option(help="Scheme (default: the receiver's).")] = None,
    secret_env: Annotated[str | None, typer.Option(help="Secret variable.")] = None,
    event_id: Annotated[str | None, typer.Option(help="Event id (default: random).")] = None,
    attempts: Annotated[int, typer.Option(help="Delivery attempts.")] = 5,
    config: ConfigOption = None,
    receiver: ReceiverOption = None,
) -> None:
    """Build an example event, sign it, deliver it with retries (local development, tests)."""
    from apiweld.webhooks._errors import WebhookError
    from apiweld.webhooks.factory import build_scheme, read_secret, scheme_from_name
    from apiweld.webhooks.sender import WebhookSender

    body = _event_body(event, file, spec, config)
    try:
        if scheme is not None:
            if secret_env is None:
                raise _fail("--scheme needs --secret-env VAR")
            signer = scheme_from_name(scheme, [read_secret(secret_env)])
        else:
            signer = build_scheme(_receivers(config, receiver)[0])
        sender = WebhookSender(signer, max_attempts=attempts)
        delivery = sender.send(to, body, event_id=event_id)
    except WebhookError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"delivered {delivery.event_id}: HTTP {delivery.status} after {delivery.attempts} "
        f"attempt(s)"
    )


def _event_body(event: str, file: Path | None, spec: str | None, config: Path | None) -> bytes:
    import json

    if file is not None:
        try:
            raw = file.read_bytes()
            json.loads(raw)
        except OSError as exc:
            raise _fail(f"{file}: {exc.strerror}") from None
        except ValueError as exc:
            raise _fail(f"{file}: not JSON: {exc}") from None
        return raw
    from apiweld.webhooks._errors import WebhookError
    from apiweld.webhooks.examples import webhook_example

    source = spec
    if source is None:
        from apiweld.config import ConfigError, find_config, load_config

        path = config or find_config()
        try:
            cfg = load_config(path) if path else None
        except ConfigError as exc:
            raise _fail(str(exc)) from None
        described = cfg.api.description if cfg else None
        if cfg and described and "://" not in described:
            described = str(cfg.root_dir / described)
        source = described
    if not source:
        raise _fail("no description to build the event from: pass --spec PATH or --file JSON")
    from apiweld.spec import SpecError, load

    try:
        api = load(str(source))
        return json.dumps(webhook_example(api, event)).encode()
    except (WebhookError, SpecError) as exc:
        raise _fail(str(exc)) from None
