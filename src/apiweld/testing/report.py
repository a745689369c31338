"""What a contract-check run found: per operation, check tallies, failures with their exchange,
errors, latencies. Everything in here is already redacted; renderers only format it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

OperationStatus = Literal["passed", "failed", "errored", "skipped"]


@dataclass(slots=True)
class CheckTally:
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0

    @property
    def ran(self) -> int:
        return self.passed + self.failed


@dataclass(frozen=True, slots=True)
class Exchange:
    """A request and its response (or transport error) as shown in reports, secrets redacted."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: str
    status: int | None
    response_headers: tuple[tuple[str, str], ...]
    response_body: str
    elapsed: float | None
    error: str | None = None

    def as_curl(self) -> str:
        parts = ["curl", "-X", self.method]
        for name, value in self.request_headers:
            parts += ["-H", f"{name}: {value}"]
        if self.request_body:
            parts += ["--data-binary", self.request_body]
        parts.append(self.url)
        return " ".join(_shell_quote(p) for p in parts)


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


@dataclass(slots=True)
class Failure:
    check: str
    title: str
    message: str
    case_label: str
    case_kind: str
    exchange: Exchange
    occurrences: int = 1
    """How many responses failed this way; the first one is the exchange shown."""


@dataclass(slots=True)
class OperationReport:
    operation_id: str
    method: str
    path: str
    summary: str | None = None
    checks: dict[str, CheckTally] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_exchanges: list[Exchange] = field(default_factory=list)
    skipped_reason: str | None = None
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> OperationStatus:
        if self.skipped_reason is not None:
            return "skipped"
        if self.failures:
            return "failed"
        if self.errors:
            return "errored"
        return "passed"

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def latency_percentile(self, fraction: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
        return ordered[index]


@dataclass(slots=True)
class ContractReport:
    api_title: str
    api_version: str
    base_url: str
    seed: int
    started_at: str
    duration: float
    operations: list[OperationReport]

    def count(self, status: OperationStatus) -> int:
        return sum(1 for op in self.operations if op.status == status)

    @property
    def ok(self) -> bool:
        return not any(op.status in ("failed", "errored") for op in self.operations)

    @property
    def requests(self) -> int:
        return sum(op.requests for op in self.operations)

    def failed_checks(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for op in self.operations:
            for name, tally in op.checks.items():
                if tally.failed:
                    totals[name] = totals.get(name, 0) + tally.failed
        return totals

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for op, raw in zip(self.operations, data["operations"], strict=True):
            raw["status"] = op.status
        return data
