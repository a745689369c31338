"""Which success responses carry a body the generated client returns.

One rule for the generated methods (`_operations`) and the generated suite (`testing.suite`,
through `_names`): a method typed `-> None` must never be called as `result = ...` in a test.
"""

from __future__ import annotations

from collections.abc import Mapping

from apiweld.spec.ir import MediaType, Operation, Response, Schema, resolve_ref

# Statuses HTTP defines as carrying no body (RFC 9110 15.3.5, 15.3.6, 15.4.5): whatever content a
# description gives them (AWS CodeGuru Profiler's DELETE, 42 SendGrid operations), a conforming
# server sends nothing, so the client must not expect (or ask for) a model.
BODILESS_STATUSES = frozenset({"204", "205", "304"})


def body_content(response: Response) -> tuple[MediaType, ...]:
    """The media types a response can actually carry: none for a bodiless status."""
    return () if response.status in BODILESS_STATUSES else response.content


def _null_only(media: MediaType, schemas: Mapping[str, Schema]) -> bool:
    return media.schema is not None and resolve_ref(media.schema, schemas).types == ("null",)


def returns_body(response: Response, schemas: Mapping[str, Schema]) -> bool:
    """Whether the client returns something for `response`: not for a bodiless status, and not
    for content whose only schema is `{type: "null"}` (SendGrid's 201s): both give None."""
    return any(not _null_only(media, schemas) for media in body_content(response))


def returns_nothing(operation: Operation, schemas: Mapping[str, Schema]) -> bool:
    """Whether the generated method for `operation` is typed `-> None`."""
    return not any(returns_body(r, schemas) for r in operation.success_responses)
