"""The Accept header a generated operation sends follows what its success responses document."""

from __future__ import annotations

import pytest

from apiweld.codegen._operations import _accept_header
from apiweld.spec.ir import MediaType, Operation, Response


def _op(*kinds: str, status: str = "200") -> Operation:
    content = tuple(MediaType(kind) for kind in kinds)
    return Operation(
        id="op", method="get", path="/", responses=(Response(status, content=content),)
    )


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ((), None),  # no body: the runtime's default
        (("application/json",), None),
        (("application/json; charset=utf-8",), None),
        (("application/pdf",), "application/pdf"),
        (("application/hal+json",), "application/hal+json"),
        (("application/json", "application/yaml"), "application/json, application/yaml;q=0.9"),
        (("text/csv", "application/vnd.api+json"), "application/vnd.api+json, text/csv;q=0.9"),
        (("application/json", "*/*"), "application/json, */*;q=0.1"),
        (("text/plain", "_embedded", "current_page"), "text/plain"),  # not media types: dropped
    ],
)
def test_accept_lists_documented_media_types_json_first(
    kinds: tuple[str, ...], expected: str | None
) -> None:
    assert _accept_header(_op(*kinds)) == expected


def test_error_responses_do_not_widen_accept() -> None:
    op = Operation(
        id="op",
        method="get",
        path="/",
        responses=(
            Response("200", content=(MediaType("application/json"),)),
            Response("400", content=(MediaType("application/problem+json"),)),
        ),
    )
    assert _accept_header(op) is None
