"""An operation's own server (`OperationSpec.base_url`), on every transport over loopback."""

from __future__ import annotations

import pytest
from runtime_loopback import Api, LoopbackServer, Reply

from apiweld.runtime import OperationSpec

OWN = OperationSpec(id="upload", method="POST", path="/files", base_url="http://127.0.0.1:1/x/")
PLAIN = OperationSpec(id="list", method="GET", path="/files")


def _own(server: LoopbackServer) -> OperationSpec:
    return OperationSpec(
        id="upload", method="GET", path="/files", base_url=server.url + "/uploads/"
    )


async def test_operation_server_replaces_base_url(api: Api, server: LoopbackServer) -> None:
    server.script("/uploads/files", Reply(200, {"ok": True}))
    server.script("/main/files", Reply(200, {"ok": True}))
    client = api.client(base_url=server.url + "/main")
    assert await api.request(client, _own(server), cast_to=dict) == {"ok": True}
    assert await api.request(client, PLAIN, cast_to=dict) == {"ok": True}
    assert [r.path for r in server.requests] == ["/uploads/files", "/main/files"]


async def test_client_pointed_elsewhere_serves_every_operation(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/mock/files", Reply(200, {"ok": True}))
    client = api.client(base_url=server.url + "/mock")
    client.operation_servers = False
    assert await api.request(client, _own(server), cast_to=dict) == {"ok": True}
    assert [r.path for r in server.requests] == ["/mock/files"]


@pytest.mark.parametrize(
    "url", ["/relative", "ftp://example.com", "https://", "https://a b.example", "http://[::1"]
)
def test_operation_base_url_must_be_absolute_http(url: str) -> None:
    with pytest.raises(ValueError, match=r"operation 'upload': base_url must be an absolute"):
        OperationSpec(id="upload", method="GET", path="/f", base_url=url)


def test_operation_base_url_loses_its_trailing_slash() -> None:
    assert OWN.base_url == "http://127.0.0.1:1/x"
