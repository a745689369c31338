"""Security requirements that no request can satisfy: an AND-set needing two credentials in one
slot (PagerDuty's SCIM API: an API key named `Authorization` and a bearer token, together)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from spec_test_docs import CORPUS, get_op, openapi

from apiweld.spec import load
from apiweld.spec._check import run_check

SCHEMES: dict[str, Any] = {
    "keyInAuthorization": {"type": "apiKey", "in": "header", "name": "Authorization"},
    "keyInLowercase": {"type": "apiKey", "in": "header", "name": "authorization"},
    "otherKey": {"type": "apiKey", "in": "header", "name": "X-Key"},
    "sameOtherKey": {"type": "apiKey", "in": "header", "name": "x-key"},
    "queryKey": {"type": "apiKey", "in": "query", "name": "key"},
    "queryKeyUpper": {"type": "apiKey", "in": "query", "name": "KEY"},
    "bearer": {"type": "http", "scheme": "bearer"},
    "basic": {"type": "http", "scheme": "basic"},
    "oauth": {
        "type": "oauth2",
        "flows": {"clientCredentials": {"tokenUrl": "https://t.example/token", "scopes": {}}},
    },
    "oauthCode": {
        "type": "oauth2",
        "flows": {
            "authorizationCode": {
                "authorizationUrl": "https://t.example/auth",
                "tokenUrl": "https://t.example/token",
                "scopes": {},
            }
        },
    },
    "mtls": {"type": "mutualTLS"},
}


def slot_warnings(requirement: dict[str, list[str]], *, on_operation: bool = False) -> list[Any]:
    op = get_op({"type": "string"}, **({"security": [requirement]} if on_operation else {}))
    doc = openapi(
        {"/x": {"get": op}},
        version="3.1.0",
        components={"securitySchemes": SCHEMES},
        **({} if on_operation else {"security": [{}, requirement]}),
    )
    return [p for p in load(doc).problems if "required together" in p.message]


@pytest.mark.parametrize(
    ("requirement", "where"),
    [
        (["keyInAuthorization", "bearer"], "the Authorization header"),
        (["bearer", "keyInLowercase"], "the Authorization header"),
        (["basic", "oauth"], "the Authorization header"),
        (["basic", "bearer"], "the Authorization header"),
        (["keyInAuthorization", "oauth", "otherKey"], "the Authorization header"),
    ],
)
def test_two_credentials_in_one_slot_are_a_warning_at_the_requirement(
    requirement: list[str], where: str
) -> None:
    (warning,) = slot_warnings({name: [] for name in requirement})
    assert warning.severity == "warning" and warning.pointer == "/security/1"
    assert f"use {where}" in warning.message and "cannot both be sent" in warning.message
    sharing = [name for name in requirement if name != "otherKey"]
    assert " and ".join(repr(name) for name in sharing) in warning.message


def test_the_pointer_is_the_operations_own_requirement() -> None:
    (warning,) = slot_warnings({"keyInAuthorization": [], "bearer": []}, on_operation=True)
    assert warning.pointer == "/paths/~1x/get/security/0"


@pytest.mark.parametrize(
    "requirement",
    [
        ["otherKey", "bearer"],  # different headers: both are sent
        ["queryKey", "bearer"],
        ["queryKey", "queryKeyUpper"],  # query names are case-sensitive: two parameters
        ["oauth", "oauthCode"],  # one token serves both flows (Google's descriptions)
        ["bearer", "oauth"],
        ["otherKey", "sameOtherKey"],  # one key in one header can be both
        ["mtls", "bearer"],
        ["keyInAuthorization", "undefinedScheme"],  # reported as undefined, not as a clash
    ],
)
def test_requirements_a_request_can_carry_are_not_warned_about(requirement: list[str]) -> None:
    assert slot_warnings({name: [] for name in requirement}) == []


def test_apiweld_check_shows_it_with_the_pointer(tmp_path: Path) -> None:
    doc = openapi(
        {"/things": {"get": get_op({"type": "array"})}},
        security=[{"apiKey": [], "bearerToken": []}],
        components={
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "Authorization"},
                "bearerToken": {"type": "http", "scheme": "bearer"},
            }
        },
    )
    path = tmp_path / "and_same_header.yaml"
    path.write_text(yaml.safe_dump(doc))
    report = run_check(str(path))
    assert report.usable and report.warnings == 1
    (problem,) = report.problems
    assert (problem.pointer, problem.file) == ("/security/0", str(path))
    assert "'apiKey' and 'bearerToken'" in problem.message


def test_the_corpus_example_of_and_requirements() -> None:
    api = load(CORPUS / "readme-oas-examples" / "3.0" / "security-multiple.json")
    clashes = sorted(p.pointer for p in api.problems if "required together" in p.message)
    assert clashes == [
        "/paths/~1anything~1and/post/security/0",
        "/paths/~1anything~1many-and-or/post/security/0",
        "/paths/~1anything~1many-and-or/post/security/4",
    ]
