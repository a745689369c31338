"""Pure logic of the checks, the redaction and the reports (no I/O)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from apiweld.spec.ir import (
    Api,
    Header,
    MediaType,
    Operation,
    Property,
    Response,
    Schema,
    SecurityScheme,
)
from apiweld.testing._auth import REDACTED, Credentials, Redactor, authenticate
from apiweld.testing._cases import Case
from apiweld.testing._wire import WireResponse
from apiweld.testing.checks import (
    NOT_APPLICABLE,
    CheckContext,
    CheckFailure,
    ValidatorCache,
    content_type_conformance,
    documented_response,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from apiweld.testing.junit import junit_xml
from apiweld.testing.report import CheckTally, ContractReport, Exchange, Failure, OperationReport

OBJECT = Schema(
    types=("object",),
    properties=(Property("id", "id", Schema(types=("integer",)), required=True),),
)


def _operation(*responses: Response) -> Operation:
    return Operation(id="get_thing", method="get", path="/thing", responses=responses)


def _context(
    operation: Operation, status: int, body: bytes, *headers: tuple[str, str]
) -> CheckContext:
    api = Api(title="t", version="1", source_format="openapi 3.1.0", operations=(operation,))
    response = WireResponse(status=status, headers=headers, body=body, elapsed=0.01)
    return CheckContext(
        api, operation, Case(operation, "positive", "x"), response, ValidatorCache(api)
    )


def test_documented_response_prefers_exact_then_range_then_default() -> None:
    op = _operation(Response("200"), Response("4XX"), Response("default"))
    assert documented_response(op, 200).status == "200"  # type: ignore[union-attr]
    assert documented_response(op, 404).status == "4XX"  # type: ignore[union-attr]
    assert documented_response(op, 503).status == "default"  # type: ignore[union-attr]


def test_status_code_conformance_accepts_ranges_and_skips_with_default() -> None:
    ranged = _operation(Response("2XX"))
    assert status_code_conformance(_context(ranged, 204, b"")) is None
    failure = status_code_conformance(_context(ranged, 302, b""))
    assert isinstance(failure, CheckFailure) and "302" in failure.message
    with_default = _operation(Response("200"), Response("default"))
    assert status_code_conformance(_context(with_default, 418, b"")) is NOT_APPLICABLE


def test_status_code_conformance_does_not_judge_success_when_none_is_documented() -> None:
    failures_only = _operation(Response("400"), Response("404"))
    ctx = _context(failures_only, 200, b"")
    assert status_code_conformance(ctx) is NOT_APPLICABLE
    assert ctx.notes and "documents no success response" in ctx.notes[0]
    # Still judged: an undocumented failure, and a 2xx beside a documented success.
    assert isinstance(status_code_conformance(_context(failures_only, 409, b"")), CheckFailure)
    with_success = _operation(Response("201"), Response("400"))
    assert isinstance(status_code_conformance(_context(with_success, 200, b"")), CheckFailure)


def test_content_type_conformance_matches_wildcards_and_parameters() -> None:
    op = _operation(Response("200", content=(MediaType("application/*"),)))
    ok = _context(op, 200, b"{}", ("Content-Type", "application/json; charset=utf-8"))
    assert content_type_conformance(ok) is None
    wrong = content_type_conformance(_context(op, 200, b"x", ("Content-Type", "text/plain")))
    assert isinstance(wrong, CheckFailure) and wrong.title == "Undocumented Content-Type"
    missing = content_type_conformance(_context(op, 200, b"x"))
    assert isinstance(missing, CheckFailure) and missing.title == "Missing Content-Type header"


def test_response_schema_conformance_names_the_place() -> None:
    op = _operation(Response("200", content=(MediaType("application/json", OBJECT),)))
    good = _context(op, 200, b'{"id": 1}', ("Content-Type", "application/json"))
    assert response_schema_conformance(good) is None
    bad = response_schema_conformance(
        _context(op, 200, b'{"id": "one"}', ("Content-Type", "application/json"))
    )
    assert isinstance(bad, CheckFailure) and "at /id" in bad.message
    not_json = response_schema_conformance(
        _context(op, 200, b"<html>", ("Content-Type", "application/json"))
    )
    assert isinstance(not_json, CheckFailure) and not_json.title == "JSON deserialization error"


def test_a_pathological_pattern_does_not_hang_validation() -> None:
    evil = Schema(types=("string",), pattern="^(a+)+$")
    op = _operation(Response("200", content=(MediaType("application/json", evil),)))
    body = b'"' + b"a" * 5000 + b'!"'
    result = response_schema_conformance(
        _context(op, 200, body, ("Content-Type", "application/json"))
    )
    assert isinstance(result, CheckFailure)


def test_response_schemas_are_read_with_the_contract_policy() -> None:
    # Null passes a nullable enum; a pattern Python cannot compile is left out; a required
    # write-only property need not come back; the rest of the schema still binds.
    schema = Schema(
        types=("object",),
        properties=(
            Property("state", "state", Schema(types=("string", "null"), enum=("on",))),
            Property("name", "name", Schema(types=("string",), pattern=r"^\p{L}+$")),
            Property("secret", "secret", Schema(types=("string",), write_only=True), True),
            Property("id", "id", Schema(types=("integer",)), True),
        ),
    )
    op = _operation(Response("200", content=(MediaType("application/json", schema),)))
    ok = b'{"state": null, "name": "123", "id": 1}'
    assert (
        response_schema_conformance(_context(op, 200, ok, ("Content-Type", "application/json")))
        is None
    )
    bad = b'{"state": "off", "id": 1}'
    failure = response_schema_conformance(
        _context(op, 200, bad, ("Content-Type", "application/json"))
    )
    assert isinstance(failure, CheckFailure) and "at /state" in failure.message


def test_response_headers_are_coerced_to_their_schema() -> None:
    header = Header("X-Count", Schema(types=("integer",), minimum=0), required=True)
    op = _operation(Response("200", headers=(header,)))
    assert response_headers_conformance(_context(op, 200, b"", ("x-count", "3"))) is None
    negative = response_headers_conformance(_context(op, 200, b"", ("X-Count", "-1")))
    assert isinstance(negative, CheckFailure) and "X-Count" in negative.message
    missing = response_headers_conformance(_context(op, 200, b""))
    assert isinstance(missing, CheckFailure) and missing.title == "Missing required headers"


def test_credentials_are_placed_per_scheme_and_redacted_everywhere() -> None:
    query_key = SecurityScheme("key", "key", "apiKey", param_name="api_key", location="query")
    basic = SecurityScheme("basic", "basic", "http", scheme="basic")
    op = Operation(id="x", method="get", path="/x", security=((("key", ()),), (("basic", ()),)))
    api = Api(
        title="t",
        version="1",
        source_format="openapi 3.1.0",
        security_schemes={"key": query_key, "basic": basic},
        operations=(op,),
    )
    credentials = Credentials({"basic": "ada:s3cret-password"})
    assert "s3cret" not in repr(credentials)
    placement = authenticate(api, op, credentials)
    assert placement is not None and placement.headers["Authorization"].startswith("Basic ")
    redactor = Redactor.for_api(api, credentials)
    redacted_url = redactor.url("https://h/x?api_key=abc123&q=1")
    assert "abc123" not in redacted_url and "q=1" in redacted_url
    assert "s3cret-password" not in redactor.text("body echoing s3cret-password")
    assert dict(redactor.headers([("Authorization", "Basic xyz")]))["Authorization"] == REDACTED
    token = placement.headers["Authorization"].split()[1]
    assert token not in redactor.text(f"echo {token}")


def test_junit_xml_survives_control_characters_from_the_api() -> None:
    exchange = Exchange("GET", "http://h/x", (), "", 200, (), "bad \x00\x1b bytes", 0.01)
    failure = Failure(
        "not_a_server_error", "Server error", "boom \x07", "generated #1", "positive", exchange
    )
    op = OperationReport(
        "x", "GET", "/x", checks={"not_a_server_error": CheckTally(failed=1)}, failures=[failure]
    )
    report = ContractReport("t", "1", "http://h", 0, "2026-01-01T00:00:00+00:00", 0.1, [op])
    root = ET.fromstring(junit_xml(report).encode())
    node = root.find(".//failure")
    assert node is not None and node.get("type") == "not_a_server_error"
    assert "\x00" not in (node.text or "")
