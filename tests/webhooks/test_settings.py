"""Receiver settings: clear validation errors that never echo secrets; backoff policy."""

from __future__ import annotations

import random
import sys

import pytest
from pydantic import ValidationError

from apiweld.webhooks.backoff import Backoff
from apiweld.webhooks.settings import HmacOptions, WebhookReceiverSettings


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"secret_env": "whsec_pasted/secret+value"}, "NAME of an environment variable"),
        ({"secret_env": "S", "path": "hooks"}, "path must start with '/'"),
        ({"secret_env": "S", "event_id": "cookie:x"}, "is not a field source"),
        ({"secret_env": "S", "event_id": "header:bad header"}, "not a valid HTTP header name"),
        ({"secret_env": "S", "scheme": "hmac"}, "needs an [hmac] table"),
        ({"secret_env": "S", "scheme": "meta"}, "needs verify_token_env"),
        ({"secret_env": "S", "inbox": "mysql://x"}, "inbox must be"),
        ({"secret_env": "S", "table_prefix": "x; DROP"}, "SQL identifier"),
        ({"secret_env": "S", "handlers": {"a": "not a path"}}, "package.module:function"),
        ({"secret_env": "S", "tolerance_seconds": 0}, "greater than or equal to 1"),
        ({"secret_env": "S", "backoff": {"initial_seconds": 10, "max_seconds": 1}}, "max_seconds"),
        ({"secret_env": "S", "unknown": 1}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_settings_say_what_is_wrong(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookReceiverSettings.model_validate(fields)
    assert message in str(caught.value)
    assert "pasted" not in str(caught.value)  # inputs are hidden from errors


def test_hmac_template_is_checked() -> None:
    with pytest.raises(ValidationError, match="must include"):
        HmacOptions(signed_content="{timestamp}")
    with pytest.raises(ValidationError, match="unknown field"):
        HmacOptions(signed_content="{body}{cookie:x}")
    assert HmacOptions(signed_content="{header:X-Id}.{body}").signed_content


def test_defaults_and_implied_handshakes() -> None:
    settings = WebhookReceiverSettings(secret_env="S")
    assert settings.tolerance_seconds == 300 and settings.dedup_retention_seconds == 7 * 86400
    assert settings.effective_handshakes == ()
    slack = WebhookReceiverSettings(secret_env="S", scheme="slack")
    assert slack.effective_handshakes == ("slack",)


def test_importing_settings_stays_light() -> None:
    import subprocess

    code = (
        "import sys, apiweld.webhooks.settings, apiweld.webhooks;"
        "heavy = ('starlette', 'psycopg', 'cryptography', 'uvicorn');"
        "heavy = [m for m in heavy if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_full_jitter_backoff_is_bounded_and_grows() -> None:
    policy = Backoff(initial_seconds=1, multiplier=2, max_seconds=30)
    assert [policy.ceiling(n) for n in (1, 2, 3, 5, 6, 10_000)] == [1, 2, 4, 16, 30, 30]
    rng = random.Random(3)
    delays = [policy.delay(4, rng) for _ in range(2000)]
    assert 0 <= min(delays) < 0.1 and 7.9 < max(delays) <= 8  # uniform over [0, 8]
    assert 3.5 < sum(delays) / len(delays) < 4.5
