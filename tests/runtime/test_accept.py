"""The Accept header an operation sends, and parsing of what comes back, over real loopback HTTP."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from runtime_loopback import Api, LoopbackServer, Reply

from apiweld.runtime import OperationSpec, ParamSpec, RequestOptions

JSON_ONLY = OperationSpec(id="reports.status", method="GET", path="/status")
PDF = OperationSpec(id="reports.pdf", method="GET", path="/report.pdf", accept="application/pdf")
CSV_OR_JSON = OperationSpec(
    id="reports.export", method="GET", path="/export", accept="application/json, text/csv"
)
VENDOR = OperationSpec(
    id="repos.get", method="GET", path="/repo", accept="application/vnd.github+json"
)
ACCEPT_PARAM = OperationSpec(
    id="reports.negotiated",
    method="GET",
    path="/negotiated",
    params={"accept": ParamSpec("Accept", "header")},
)

PDF_BYTES = b"%PDF-1.7\n\x00\xff\xfe binary \x80 body"


class Repo(BaseModel):
    id: int
    full_name: str


async def test_default_is_application_json_sent_once(api: Api, server: LoopbackServer) -> None:
    server.script("/status", Reply(200, {"ok": True}))
    assert await api.request(api.client(), JSON_ONLY, cast_to=dict) == {"ok": True}
    (seen,) = server.requests
    # The loopback server joins repeated fields with ", ": a second Accept would show here.
    assert seen.headers["accept"] == "application/json"


async def test_operation_accept_is_sent_and_binary_body_returned_as_is(
    api: Api, server: LoopbackServer
) -> None:
    server.script(
        "/report.pdf", Reply(200, PDF_BYTES, headers=[("Content-Type", "application/pdf")])
    )
    body = await api.request(api.client(), PDF, cast_to=bytes)
    assert body == PDF_BYTES
    assert server.requests[0].headers["accept"] == "application/pdf"


async def test_text_body_decoded_with_its_charset(api: Api, server: LoopbackServer) -> None:
    server.script(
        "/export",
        Reply(
            200,
            "id;name\n1;Zoë\n".encode("latin-1"),
            headers=[("Content-Type", "text/csv; charset=latin-1")],
        ),
    )
    text = await api.request(api.client(), CSV_OR_JSON, cast_to=str)
    assert text == "id;name\n1;Zoë\n"
    assert server.requests[0].headers["accept"] == "application/json, text/csv"


async def test_vendor_json_media_type_is_parsed_as_json(api: Api, server: LoopbackServer) -> None:
    server.script(
        "/repo",
        Reply(
            200,
            b'{"id": 3, "full_name": "a/b"}',
            headers=[("Content-Type", "application/vnd.github+json; charset=utf-8")],
        ),
    )
    repo = await api.request(api.client(), VENDOR, cast_to=Repo)
    assert repo == Repo(id=3, full_name="a/b")
    assert server.requests[0].headers["accept"] == "application/vnd.github+json"


async def test_extra_headers_accept_wins_in_any_spelling(api: Api, server: LoopbackServer) -> None:
    server.script("/report.pdf", Reply(200, "plain", headers=[("Content-Type", "text/plain")]))
    client = api.client()
    options = RequestOptions(extra_headers={"accept": "text/plain"})
    assert await api.request(client, PDF, cast_to=str, options=options) == "plain"
    assert server.requests[0].headers["accept"] == "text/plain"


async def test_operation_accept_beats_client_headers_which_beat_the_default(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/status", Reply(200, {"ok": True}))
    server.script(
        "/report.pdf", Reply(200, PDF_BYTES, headers=[("Content-Type", "application/pdf")])
    )
    client = api.client(headers={"accept": "application/xml"})
    await api.request(client, JSON_ONLY, cast_to=dict)
    await api.request(client, PDF, cast_to=bytes)
    tuned = client.with_options(headers={"ACCEPT": "application/hal+json"})
    await api.request(tuned, JSON_ONLY, cast_to=dict)
    sent = [request.headers["accept"] for request in server.requests]
    assert sent == ["application/xml", "application/pdf", "application/hal+json"]


async def test_accept_declared_as_header_parameter_replaces_the_default(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/negotiated", Reply(200, "x,y", headers=[("Content-Type", "text/csv")]))
    text = await api.request(
        api.client(), ACCEPT_PARAM, headers={"accept": "text/csv"}, cast_to=str
    )
    assert text == "x,y"
    assert server.requests[0].headers["accept"] == "text/csv"


def test_accept_is_checked_and_trimmed_when_the_operation_is_built() -> None:
    assert OperationSpec(id="a", method="GET", path="/", accept=" text/csv ").accept == "text/csv"
    with pytest.raises(ValueError, match=r"operation 'evil'.*accept"):
        OperationSpec(id="evil", method="GET", path="/", accept="text/csv\r\nX-Injected: 1")
    with pytest.raises(ValueError, match=r"operation 'blank'.*accept"):
        OperationSpec(id="blank", method="GET", path="/", accept="  ")
