"""Transports: the small interface between the runtime's behaviour and HTTP libraries."""

from ._base import (
    AsyncByteStream,
    AsyncTransport,
    SyncByteStream,
    Transport,
    TransportRequest,
    TransportResponse,
)

__all__ = [
    "AsyncByteStream",
    "AsyncTransport",
    "SyncByteStream",
    "Transport",
    "TransportRequest",
    "TransportResponse",
]
