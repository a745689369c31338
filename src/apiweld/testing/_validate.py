"""One JSON Schema validator for the checks and the data generators.

jsonschema-rs first: it is much faster, and its regex engine bounds backtracking, so a pattern
from a description (`^(a+)+$` and worse are common) cannot hang a run on an unlucky value, as
Python's `re` does inside the pure-Python `jsonschema`. When jsonschema-rs refuses a schema (or a
value it cannot represent, such as an integer beyond 64 bits), the pure-Python validator takes
over for that schema with its `pattern` keywords removed, for the same reason.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from apiweld.mock.jsonschema import ExportPolicy, JsonSchemaExporter
from apiweld.spec.ir import Api

CONTRACT_POLICY = ExportPolicy(
    # The mock's OpenAPI readings (discriminator tags, untyped objects, closed compositions) are
    # not applied to the checks: adopting them changes what the checks accept, a decision of its
    # own (tests/testing/test_mock_agreement.py measures where mock and checks disagree).
    discriminator_picks_branch=False,
    typed_by_shape=False,
    closed_composition=False,
    # Responses are read leniently: a nullable enum admits null even when `enum` does not list
    # it. OpenAPI 3.0.3 says it does not, but many authors (Plaid, PagerDuty) clearly mean null
    # as allowed, and a server that sends it breaks no generated client (the field is typed
    # `| None`). Requests take the strict reading (REQUEST_POLICY below): a server may reject
    # null there, as the mock does, so the checks never send it.
    null_extends_enum=True,
    # An ECMA-262-only pattern is dropped rather than making every validation an error about it.
    python_patterns_only=True,
)
"""How the contract checks export IR schemas to judge responses."""

REQUEST_POLICY = replace(CONTRACT_POLICY, null_extends_enum=False)
"""How the request data generators export them: null only where an enum lists it (OAS 3.0.3)."""


def contract_exporter(api: Api, direction: Literal["request", "response"]) -> JsonSchemaExporter:
    """The exporter for the checks (`"response"`) or the request data (`"request"`) of one API."""
    policy = REQUEST_POLICY if direction == "request" else CONTRACT_POLICY
    return JsonSchemaExporter(api, mode=direction, policy=policy)


_BACKTRACK_LIMIT = 100_000
_PATTERN_KEYWORDS = ("pattern", "patternProperties")


def _without_patterns(document: Any) -> Any:
    if isinstance(document, dict):
        return {
            key: _without_patterns(value)
            for key, value in document.items()
            if key not in _PATTERN_KEYWORDS
        }
    if isinstance(document, list):
        return [_without_patterns(item) for item in document]
    return document


def _pointer(path: Any) -> str:
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
    return "/" + "/".join(parts) if parts else ""


class SchemaValidator:
    """A compiled validator for one exported schema document."""

    def __init__(self, document: Any, *, check_formats: bool = False) -> None:
        self.document = document
        self._python: Any = None
        self._rust: Any = None
        try:
            import jsonschema_rs

            self._rust = jsonschema_rs.validator_for(
                document,
                validate_formats=check_formats,
                pattern_options=jsonschema_rs.FancyRegexOptions(backtrack_limit=_BACKTRACK_LIMIT),
            )
        except Exception:  # a schema jsonschema-rs refuses: fall back below
            self._rust = None

    @property
    def degraded(self) -> bool:
        """True when patterns are not checked (jsonschema-rs refused this schema)."""
        return self._rust is None

    def _fallback(self) -> Any:
        if self._python is None:
            from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

            self._python = Draft202012Validator(_without_patterns(self.document))
        return self._python

    def is_valid(self, instance: Any) -> bool:
        if self._rust is not None:
            try:
                return bool(self._rust.is_valid(instance))
            except (ValueError, TypeError, OverflowError):
                pass  # an instance jsonschema-rs cannot take: the Python validator judges it
        return bool(self._fallback().is_valid(instance))

    def errors(self, instance: Any) -> list[tuple[str, str]]:
        """(JSON pointer into the instance, message) for each violation, in a stable order."""
        if self._rust is not None:
            try:
                found = [
                    (_pointer(e.instance_path), e.message) for e in self._rust.iter_errors(instance)
                ]
            except (TypeError, OverflowError):
                found = None
            except ValueError as exc:
                # jsonschema-rs raises ValidationError (a ValueError) only from validate();
                # anything else here is an instance it cannot represent.
                found = None if not hasattr(exc, "instance_path") else []
            if found is not None:
                return sorted(found, key=lambda pair: (pair[0].count("/"), pair[0], pair[1]))
        errors = self._fallback().iter_errors(instance)
        return sorted(
            ((_pointer(e.absolute_path), e.message) for e in errors),
            key=lambda pair: (pair[0].count("/"), pair[0], pair[1]),
        )
