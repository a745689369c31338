"""The HTML report, opened in headless Chromium (Debian's `chromium`, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apiweld.spec import load
from apiweld.testing import ContractConfig, Credentials, run_contract_checks
from apiweld.testing.html import write_html
from apiweld.testing.report import (
    CheckTally,
    ContractReport,
    Exchange,
    Failure,
    OperationReport,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def _open(browser: Any, path: Path) -> tuple[Any, list[str]]:
    """The page, and every request it tried to make beyond its own file."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(path.as_uri())
    return page, outside


def test_the_report_renders_every_failure(
    browser: Any, tmp_path: Path, bugshop_description: Path, buggy_bugshop: str, bugshop_key: str
) -> None:
    api = load(bugshop_description)
    report = run_contract_checks(
        api, buggy_bugshop, ContractConfig(max_examples=3), Credentials({"apiKey": bugshop_key})
    )
    html_path = tmp_path / "report.html"
    write_html(report, html_path)
    page, outside = _open(browser, html_path)

    assert outside == []
    assert page.title().startswith("apiweld test: Bugshop")
    titles = [f.title for op in report.operations for f in op.failures]
    assert len(titles) >= 7
    for title in titles:
        assert page.get_by_text(title, exact=True).first.is_visible(), title
    for check in ("response_headers_conformance", "ignored_auth", "not_a_server_error"):
        assert page.locator(".failure .check", has_text=check).first.is_visible(), check
    # Failed operations are open, with the request and response that failed.
    failed_sections = page.locator("details.op[open]")
    assert failed_sections.count() == report.count("failed")
    assert page.get_by_text("missing required header 'X-Total-Count'.").is_visible()
    assert page.locator("pre", has_text="GET " + buggy_bugshop + "/items/7").first.is_visible()
    # Passing operations are folded; the secret is nowhere in the page.
    assert page.locator("details.op:not([open])", has_text="/health").count() == 1
    assert bugshop_key not in page.content()
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    page.close()


def _hostile_report() -> ContractReport:
    hostile = (
        '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
    )
    exchange = Exchange(
        method="GET",
        url="http://127.0.0.1:1/x?q=</pre><b>bold</b>",
        request_headers=(("Accept", "*/*"),),
        request_body="",
        status=200,
        response_headers=(("Content-Type", "text/html"),),
        response_body=hostile,
        elapsed=0.01,
    )
    failure = Failure(
        check="response_schema_conformance",
        title="Response violates schema",
        message=f"at /name: {hostile}",
        case_label="generated #1",
        case_kind="positive",
        exchange=exchange,
    )
    operation = OperationReport(
        operation_id="hostile",
        method="GET",
        path="/x/{<script>}",
        summary=hostile,
        checks={"response_schema_conformance": CheckTally(failed=1)},
        failures=[failure],
        latencies=[0.01],
        requests=1,
    )
    return ContractReport(
        api_title=hostile,
        api_version="1",
        base_url="http://127.0.0.1:1",
        seed=0,
        started_at="2026-01-01T00:00:00+00:00",
        duration=0.1,
        operations=[operation],
    )


def test_strings_from_the_api_are_shown_not_run(browser: Any, tmp_path: Path) -> None:
    html_path = tmp_path / "hostile.html"
    write_html(_hostile_report(), html_path)
    page, outside = _open(browser, html_path)
    assert outside == []  # the <img src=x> never loaded
    assert page.title() != "pwned"
    assert page.title().startswith("apiweld test: <img")
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 0
    assert page.locator("b", has_text="bold").count() == 0
    assert page.get_by_text('<script>document.title="pwned"</script>').first.is_visible()
    page.close()
