"""`apiweld webhooks verify|send|inbox ...` through the real command line."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from apiweld.cli import app
from apiweld.webhooks.project import load_receivers
from apiweld.webhooks.receiver import WebhookReceiver

STD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DESCRIPTION = """
openapi: 3.1.0
info: {title: Billing, version: "1"}
paths: {}
webhooks:
  invoicePaid:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [type, data]
              properties:
                type: {type: string, const: invoice.paid}
                data:
                  type: object
                  required: [amount, currency]
                  properties:
                    amount: {type: integer, minimum: 1}
                    currency: {type: string, enum: [eur, usd]}
      responses: {"200": {description: ok}}
"""


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HOOK_SECRET", STD_SECRET)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: no truncated cells
    return CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "billing.yaml").write_text(DESCRIPTION)
    config = tmp_path / "apiweld.toml"
    config.write_text(
        """
[api]
description = "billing.yaml"

[webhooks.billing]
path = "/hooks/billing"
secret_env = "HOOK_SECRET"
inbox = "state/inbox.sqlite3"
max_attempts = 1
"""
    )
    return config


def test_verify_prints_valid_or_the_exact_reason(runner: CliRunner) -> None:
    args = [
        "webhooks", "verify", "--scheme", "standard", "--secret-env", "HOOK_SECRET",
        "-H", "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek",
        "-H", "webhook-timestamp: 1614265330",
        "-H", "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "--tolerance", str(int(time.time()) - 1614265330 + 60),
    ]  # fmt: skip
    ok = runner.invoke(app, args, input=b'{"test": 2432232314}')
    assert ok.exit_code == 0 and ok.output.strip() == "valid"
    bad = runner.invoke(app, args, input=b'{"test": 2432232315}')
    assert bad.exit_code == 1
    assert (
        bad.output.strip()
        == "invalid: bad_signature: no signature matches (header webhook-signature)"
    )
    stale = runner.invoke(app, args[:-2], input=b'{"test": 2432232314}')
    assert stale.exit_code == 1 and "timestamp_too_old" in stale.output
    missing = runner.invoke(
        app,
        ["webhooks", "verify", "--scheme", "standard", "--secret-env", "NOPE_NOT_SET"],
        input=b"",
    )
    assert missing.exit_code == 2 and "NOPE_NOT_SET" in missing.output
    garbage = runner.invoke(app, [*args[:6], "-H", "no colon here"], input=b"")
    assert garbage.exit_code == 2 and "Name: value" in garbage.output


def test_send_builds_the_event_from_the_description_and_inbox_commands_operate_it(
    runner: CliRunner, project: Path, serve_app: Any
) -> None:
    [settings] = load_receivers(project)
    assert settings.name == "billing" and settings.inbox == str(
        project.parent / "state/inbox.sqlite3"
    )
    receiver = WebhookReceiver(settings)
    failures: list[str] = []

    @receiver.on("invoice.paid")
    def fail(event: Any) -> None:
        failures.append(event.event_id)
        raise ValueError("ledger offline")

    with serve_app(receiver) as server:
        sent = runner.invoke(
            app,
            ["webhooks", "send", "invoicePaid", "--to", f"{server.url}/hooks/billing",
             "--config", str(project), "--event-id", "evt_cli_1"],
        )  # fmt: skip
        assert sent.exit_code == 0, sent.output
        assert "delivered evt_cli_1: HTTP 200 after 1 attempt(s)" in sent.output
        from_file = project.parent / "event.json"
        from_file.write_text(json.dumps({"type": "invoice.paid", "data": {"amount": 5}}))
        sent = runner.invoke(
            app,
            ["webhooks", "send", "x", "--to", f"{server.url}/hooks/billing", "--file",
             str(from_file), "--config", str(project), "--event-id", "evt_cli_2"],
        )  # fmt: skip
        assert sent.exit_code == 0, sent.output
    stored = receiver.inbox.find("billing", "evt_cli_1")
    assert stored is not None
    assert json.loads(stored.body) == {
        "type": "invoice.paid",
        "data": {"amount": 1, "currency": "eur"},
    }
    receiver.dispatcher().drain()
    assert sorted(failures) == ["evt_cli_1", "evt_cli_2"]  # max_attempts = 1: dead at once

    config = ["--config", str(project)]
    listed = runner.invoke(app, ["webhooks", "inbox", "list", *config])
    assert listed.exit_code == 0 and "dead=2" in listed.output and "evt_cli_1" in listed.output
    dead = runner.invoke(app, ["webhooks", "inbox", "dead", *config])
    assert dead.exit_code == 0 and "ledger offline" in dead.output
    shown = runner.invoke(app, ["webhooks", "inbox", "show", str(stored.id), "--body", *config])
    assert shown.exit_code == 0, shown.output
    assert "ValueError: ledger offline" in shown.output and '"currency": "eur"' in shown.output
    replayed = runner.invoke(app, ["webhooks", "inbox", "replay", str(stored.id), *config])
    assert replayed.exit_code == 0 and "queued 1 event(s)" in replayed.output
    all_dead = runner.invoke(app, ["webhooks", "inbox", "replay", "--dead", *config])
    assert "queued 1 event(s)" in all_dead.output
    assert receiver.inbox.counts()["pending"] == 2
    nothing = runner.invoke(app, ["webhooks", "inbox", "replay", *config])
    assert nothing.exit_code == 2 and "replay needs" in nothing.output
    bad_time = runner.invoke(app, ["webhooks", "inbox", "list", "--since", "yesterday", *config])
    assert bad_time.exit_code == 2 and "--since" in bad_time.output
    receiver.close()


def test_configuration_errors_are_reported_not_raised(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "apiweld.toml"
    config.write_text('[webhooks.x]\nsecret_env = "whsec_pasted+secret/value"\n')
    result = runner.invoke(app, ["webhooks", "inbox", "list", "--config", str(config)])
    assert result.exit_code == 2
    assert "webhooks.x.secret_env" in result.output and "pasted" not in result.output
    none = runner.invoke(
        app, ["webhooks", "inbox", "list", "--config", str(tmp_path / "nope.toml")]
    )
    assert none.exit_code == 2 and "not found" in none.output


def test_serve_reports_an_unreachable_inbox_before_listening(
    runner: CliRunner, tmp_path: Path, port_tools: Any
) -> None:
    free_port, _ = port_tools
    config = tmp_path / "apiweld.toml"
    dead_db = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    config.write_text(f'[webhooks.a]\nsecret_env = "HOOK_SECRET"\ninbox = "{dead_db}"\n')
    result = runner.invoke(app, ["webhooks", "serve", "--config", str(config), "--port", "0"])
    assert result.exit_code == 2 and "cannot connect to the PostgreSQL inbox" in result.output
