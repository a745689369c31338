"""Real descriptions' `webhooks` sections: GitHub's 261 events, and the small 3.1 examples.

For every webhook, the example `apiweld webhooks send` would build must validate against the
typed model the receiver would use for it, and each event type must name one webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiweld.spec import load
from apiweld.webhooks.examples import webhook_example
from apiweld.webhooks.handlers import WebhookEvent
from apiweld.webhooks.models import github_event_key, merge_all_of, models_from_api
from apiweld.webhooks.receiver import WebhookReceiver
from apiweld.webhooks.settings import WebhookReceiverSettings

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
GITHUB_WEBHOOKS = CORPUS / "github" / "webhooks.api.github.com.json"


@pytest.fixture(scope="module")
def github_api() -> Any:
    if not GITHUB_WEBHOOKS.is_file():
        pytest.fail(f"corpus file missing: {GITHUB_WEBHOOKS}")
    return load(str(GITHUB_WEBHOOKS))


def test_every_github_webhook_example_validates_against_its_model(github_api: Any) -> None:
    models = models_from_api(github_api, key=github_event_key)
    assert len(github_api.webhooks) == 261
    assert len(models) == 261  # one event type per webhook: `issues.opened`, `push`, ...
    failures = []
    for webhook in github_api.webhooks:
        operation = webhook.operations[0]
        assert operation.request_body is not None
        schema = merge_all_of(
            github_api, github_api.resolve(operation.request_body.content[0].schema)
        )
        event_type = github_event_key(github_api, webhook, operation, schema)
        example = webhook_example(github_api, webhook.name)
        json.dumps(example)
        try:
            models[event_type].model_validate(example)  # type: ignore[index]
        except Exception as exc:
            failures.append(f"{webhook.name} ({event_type}): {str(exc)[:200]}")
    assert not failures, failures[:5]


def test_github_delivery_reaches_a_typed_handler(
    github_api: Any, tmp_path: Path, serve_app: Any
) -> None:
    settings = WebhookReceiverSettings(
        scheme="github", secret_env="GH", inbox=str(tmp_path / "gh.db")
    )
    models = models_from_api(github_api, key=github_event_key)
    receiver = WebhookReceiver(settings, environ={"GH": "gh-secret"}, models=models)
    seen: list[tuple[str, str]] = []

    @receiver.on("issues.opened")
    def opened(event: WebhookEvent) -> None:
        seen.append((event.type, event.data.issue.title))

    body = json.dumps(webhook_example(github_api, "issues-opened")).encode()
    signature = "sha256=" + hmac.new(b"gh-secret", body, hashlib.sha256).hexdigest()
    headers = {
        "X-Hub-Signature-256": signature,
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "content-type": "application/json",
    }
    with serve_app(receiver) as server:
        assert httpx.post(server.url, content=body, headers=headers).status_code == 200
    receiver.dispatcher().drain()
    assert seen == [("issues.opened", "string")]
    receiver.close()


def _with_webhooks(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.glob("*.json")) if json.loads(p.read_text()).get("webhooks")]


@pytest.mark.parametrize(
    "path", _with_webhooks(CORPUS / "readme-oas-examples" / "3.1"), ids=lambda p: p.stem
)
def test_small_31_descriptions_examples_validate(path: Path) -> None:
    api = load(str(path))
    models = models_from_api(api)
    assert len(models) > 0
    for event_type, model in models.items():
        example = webhook_example(api, models.webhooks[event_type])
        json.dumps(example)
        model.model_validate(example)
