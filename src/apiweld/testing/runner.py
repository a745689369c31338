"""Runs the contract checks against a base URL (a live API or a mock) and gathers a report."""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apiweld.mock.jsonschema import is_json_media_type
from apiweld.runtime._bodies import FORM as FORM_MEDIA_TYPE
from apiweld.runtime._bodies import MULTIPART as MULTIPART_MEDIA_TYPE
from apiweld.runtime._bodies import encode_body
from apiweld.runtime._models import path_without_fragment
from apiweld.spec.ir import IDEMPOTENT_METHODS, Api, Operation, Parameter
from apiweld.testing._auth import (
    AuthPlacement,
    Credentials,
    Redactor,
    authenticate,
    bogus_authentication,
    requires_auth,
)
from apiweld.testing._cases import (
    Case,
    CaseGenerationError,
    negative_cases,
    positive_cases,
    unauthenticated_case,
)
from apiweld.testing._wire import (
    NOT_SET,
    HttpSender,
    Interaction,
    WireRequest,
    body_preview,
    expand_path,
    join_url,
    serialize_query,
    serialize_simple,
)
from apiweld.testing.checks import (
    ALL_CHECKS,
    IGNORED_AUTH,
    NEGATIVE_DATA_REJECTION,
    NOT_A_SERVER_ERROR,
    NOT_APPLICABLE,
    CheckContext,
    CheckFailure,
    ValidatorCache,
    checks_for,
    run_checks,
)
from apiweld.testing.report import (
    CheckTally,
    ContractReport,
    Exchange,
    Failure,
    OperationReport,
)

READ_ONLY_METHODS = frozenset({"get", "head"})


@dataclass(frozen=True, slots=True)
class ContractConfig:
    max_examples: int = 10
    """Schema-valid requests per operation (the first from the description's examples)."""
    seed: int = 0
    tags: tuple[str, ...] = ()
    operation_ids: tuple[str, ...] = ()
    """Matched against both the IR id (`list_pets`) and the description's operationId."""
    allow_writes: bool = False
    checks: tuple[str, ...] = tuple(ALL_CHECKS)
    check_rejections: bool = True
    """Hold the answers to schema-violating requests to the documented content type, headers
    and schema too (their status is judged by `negative_data_rejection` alone)."""
    timeout: float = 10.0
    headers: Mapping[str, str] = field(default_factory=dict)
    verify_tls: bool = True

    def __post_init__(self) -> None:
        unknown = sorted(set(self.checks) - set(ALL_CHECKS))
        if unknown:
            raise ValueError(
                f"unknown check(s): {', '.join(unknown)} (known: {', '.join(ALL_CHECKS)})"
            )
        if self.max_examples < 1:
            raise ValueError("max_examples must be at least 1")


def select_operations(api: Api, config: ContractConfig) -> list[Operation]:
    """Operations chosen by tag and id (all when neither is given), in description order."""
    tags = set(config.tags)
    ids = set(config.operation_ids)
    chosen = []
    for operation in api.operations:
        if tags and not tags.intersection(operation.tags):
            continue
        if ids and operation.id not in ids and operation.operation_id not in ids:
            continue
        chosen.append(operation)
    return chosen


def build_request(
    base_url: str,
    case: Case,
    auth: AuthPlacement | None,
    extra_headers: Mapping[str, str],
) -> WireRequest:
    operation = case.operation
    by_key: dict[tuple[str, str], Parameter] = {
        (p.location, p.name): p for p in operation.parameters
    }
    path_values: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = dict(extra_headers)
    cookies: dict[str, str] = {}
    for key, value in case.params.items():
        param = by_key.get(key)
        if param is None or value is None:
            continue
        if param.location == "path":
            path_values[param.name] = serialize_simple(param, value)
        elif param.location == "query":
            query.extend(serialize_query(param, value))
        elif param.location == "header":
            headers[param.name] = serialize_simple(param, value)
        else:
            cookies[param.name] = serialize_simple(param, value)
    if auth is not None:
        headers.update(auth.headers)
        query.extend(auth.query.items())
        cookies.update(auth.cookies)
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = _encode_body(case, headers)
    headers.setdefault("Accept", _accept(operation))
    url = join_url(base_url, expand_path(sent_path(operation), path_values), query)
    return WireRequest(operation.method.upper(), url, tuple(headers.items()), body)


def sent_path(operation: Operation) -> str:
    """The operation's path key as a request carries it: a `#key` suffix (AWS, Box) becomes
    its declared parameter or literal query, by the runtime's own rule, so the checks call the
    operation a generated client calls and the mock routes to (`?k=v` in a key stays)."""
    declared = (p.name for p in operation.parameters if p.location in ("query", "header"))
    return path_without_fragment(operation.path, declared)


def _accept(operation: Operation) -> str:
    kinds = {m.media_type for r in operation.responses for m in r.content if "/" in m.media_type}
    return ", ".join(sorted(kinds)) if kinds else "*/*"


def _encode_body(case: Case, headers: dict[str, str]) -> bytes | None:
    if case.body is NOT_SET or case.media_type is None:
        return None
    media = case.media_type
    essence = media.split(";", 1)[0].strip().lower()
    value = case.body
    if is_json_media_type(media):
        headers["Content-Type"] = media
        return json.dumps(value, ensure_ascii=False).encode()
    if essence in (FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE) and isinstance(value, dict):
        # The runtime's encoder, so a generated client, the mock's decoder and these checks
        # share one reading: arrays as repeated fields, null left out, objects as JSON.
        data, content_type = encode_body(value, media, None)
        headers["Content-Type"] = content_type or media
        return data
    headers["Content-Type"] = media
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


class ContractRunner:
    """Sends each selected operation's cases and judges every response with the checks."""

    def __init__(
        self,
        api: Api,
        base_url: str,
        config: ContractConfig | None = None,
        credentials: Credentials | None = None,
        on_operation: Callable[[OperationReport], None] | None = None,
    ) -> None:
        self.api = api
        self.base_url = base_url
        self.config = config or ContractConfig()
        self.credentials = credentials or Credentials()
        self.on_operation = on_operation
        # Headers given by the user (`--header`) often carry tokens: hidden like credentials.
        self.redactor = Redactor.for_api(
            api,
            self.credentials,
            extra=self.config.headers.values(),
            extra_headers=self.config.headers.keys(),
        )
        self.validators = ValidatorCache(api)
        self._sender = HttpSender(timeout=self.config.timeout, verify_tls=self.config.verify_tls)

    def run(self) -> ContractReport:
        started = time.perf_counter()
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        reports = []
        try:
            for operation in select_operations(self.api, self.config):
                # Seeded per operation by its id, so selecting fewer operations does not change
                # the data any of them gets.
                seed = self.config.seed + zlib.crc32(operation.id.encode())
                report = self.run_operation(operation, seed=seed)
                reports.append(report)
                if self.on_operation is not None:
                    self.on_operation(report)
        finally:
            self._sender.close()
        return ContractReport(
            api_title=self.api.title,
            api_version=self.api.version,
            base_url=self.redactor.url(self.base_url),
            seed=self.config.seed,
            started_at=started_at,
            duration=time.perf_counter() - started,
            operations=reports,
        )

    def run_operation(self, operation: Operation, *, seed: int) -> OperationReport:
        report = OperationReport(
            operation_id=operation.id,
            method=operation.method.upper(),
            path=operation.path,
            summary=operation.summary,
            checks={name: CheckTally() for name in self.config.checks},
        )
        if operation.method not in READ_ONLY_METHODS and not self.config.allow_writes:
            kind = "idempotent write" if operation.method in IDEMPOTENT_METHODS else "write"
            report.skipped_reason = f"{kind} operation; pass --allow-writes to test it"
            return report
        try:
            cases, notes = positive_cases(
                self.api, operation, max_examples=self.config.max_examples, seed=seed
            )
        except CaseGenerationError as exc:
            report.skipped_reason = str(exc)
            return report
        report.notes.extend(notes)
        auth = authenticate(self.api, operation, self.credentials)
        needs_auth = requires_auth(self.api, operation)
        if needs_auth and auth is None:
            schemes = sorted({n for req in self.api.security_for(operation) for n, _ in req})
            report.notes.append(
                "no credentials for " + ", ".join(schemes) + ": requests were sent without them"
            )
        for case in cases:
            self._exchange(report, case, auth)
        base = cases[0]
        if NEGATIVE_DATA_REJECTION in self.config.checks:
            for case in negative_cases(self.api, operation, base):
                self._exchange(report, case, auth)
        if IGNORED_AUTH in self.config.checks and needs_auth:
            self._exchange(report, unauthenticated_case(base, bogus=False), None)
            bogus = bogus_authentication(self.api, operation)
            if bogus is not None:
                self._exchange(report, unauthenticated_case(base, bogus=True), bogus)
        return report

    def _exchange(self, report: OperationReport, case: Case, auth: AuthPlacement | None) -> None:
        request = build_request(self.base_url, case, auth, self.config.headers)
        interaction = self._sender.send(request)
        report.requests += 1
        if interaction.response is None:
            report.errors.append(
                f"{case.label}: {request.method} request failed: {interaction.error}"
            )
            report.error_exchanges.append(self._record(case, interaction))
            return
        report.latencies.append(interaction.response.elapsed)
        ctx = CheckContext(self.api, case.operation, case, interaction.response, self.validators)
        names = checks_for(case, self.config.checks)
        if case.kind == "negative" and not self.config.check_rejections:
            names = [n for n in names if n in (NOT_A_SERVER_ERROR, NEGATIVE_DATA_REJECTION)]
        for name, result in run_checks(ctx, names).items():
            tally = report.checks[name]
            if result is None:
                tally.passed += 1
            elif result is NOT_APPLICABLE:
                tally.not_applicable += 1
            elif isinstance(result, CheckFailure):
                tally.failed += 1
                self._add_failure(report, case, result, interaction)
        report.notes.extend(n for n in ctx.notes if n not in report.notes)

    def _add_failure(
        self, report: OperationReport, case: Case, result: CheckFailure, interaction: Interaction
    ) -> None:
        for existing in report.failures:
            if existing.check == result.check and existing.title == result.title:
                existing.occurrences += 1
                return
        report.failures.append(
            Failure(
                check=result.check,
                title=self.redactor.text(result.title),
                message=self.redactor.text(result.message),
                case_label=case.label,
                case_kind=case.kind,
                exchange=self._record(case, interaction),
            )
        )

    def _record(self, case: Case, interaction: Interaction) -> Exchange:
        redact = self.redactor
        request = interaction.request
        response = interaction.response
        return Exchange(
            method=request.method,
            url=redact.url(request.url),
            request_headers=redact.headers(request.headers),
            request_body=redact.text(body_preview(request.body)),
            status=response.status if response else None,
            response_headers=redact.headers(response.headers) if response else (),
            response_body=redact.text(body_preview(response.body)) if response else "",
            elapsed=response.elapsed if response else None,
            error=redact.text(interaction.error) if interaction.error else None,
        )


def run_contract_checks(
    api: Api,
    base_url: str,
    config: ContractConfig | None = None,
    credentials: Credentials | None = None,
    on_operation: Callable[[OperationReport], None] | None = None,
) -> ContractReport:
    """Check every selected operation of `api` against the server at `base_url`."""
    return ContractRunner(api, base_url, config, credentials, on_operation).run()
