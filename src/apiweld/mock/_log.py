"""The request log: what came in, what the mock made of it, and what went out."""

from __future__ import annotations

from dataclasses import dataclass

REDACTED = "***"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request and its outcome. Credentials are redacted before they get here."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    operation_id: str | None
    """The matched `Operation.id`, or None when no operation matched (404/405)."""
    status: int | None
    """The status sent, or None when no response was sent (reset before headers, timeout)."""
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes
    problems: tuple[str, ...]
    """Request validation problems (`pointer: message`) and auth or limit refusals."""
    faults: tuple[str, ...]
    """Injected faults, e.g. `("latency=200ms", "status=503")`."""
    duration_ms: float

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def response_header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.response_headers if k.lower() == lowered), None)
