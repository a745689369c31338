"""Sending a reply through ASGI, misbehaving on purpose where the fault plan says so.

Connection-level faults need the socket, which ASGI does not expose. uvicorn's `send` is a
bound method of its per-request cycle object, which holds the asyncio transport (both its
httptools and h11 implementations); from it we set `SO_LINGER` to zero and abort, which makes
the kernel send a TCP RST, the "connection reset by peer" clients must survive. On a server
without that attribute the fallback is to raise inside the app, which every ASGI server turns
into a dropped connection once headers are out (and a 500 before).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field
from typing import Any

from apiweld.mock.faults import FaultPlan

Send = Any
Receive = Any


@dataclass(slots=True)
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    content_type: str | None = None


class ConnectionDropped(Exception):
    """Raised when no transport is reachable, so the server drops the connection itself."""


def _transport_of(send: Send) -> Any:
    """The connection's transport (asyncio's or uvloop's, which share the interface), or None."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if callable(getattr(transport, "abort", None)) and callable(
        getattr(transport, "get_extra_info", None)
    ):
        return transport
    return None


async def reset_connection(send: Send) -> None:
    transport = _transport_of(send)
    if transport is None:
        raise ConnectionDropped("connection reset requested")
    if transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0 turns the close into an RST; a socket already gone needs nothing.
        with contextlib.suppress(OSError, ValueError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let the server's connection_lost run first, so it knows not to answer with a 500.
    for _ in range(3):
        await asyncio.sleep(0)


async def hang(receive: Receive, released: asyncio.Event) -> None:
    """Never answer: wait until the client gives up or the server shuts down."""
    disconnect = asyncio.ensure_future(_wait_disconnect(receive))
    release = asyncio.ensure_future(released.wait())
    try:
        await asyncio.wait({disconnect, release}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        disconnect.cancel()
        release.cancel()


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def _raw_headers(
    reply: Reply, content_type: str | None, length: int | None
) -> list[tuple[bytes, bytes]]:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    if content_type is not None:
        headers.append((b"content-type", content_type.encode("latin-1")))
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return headers


def malform(body: bytes) -> bytes:
    """Valid-looking JSON that does not parse: the body cut short with a dangling member."""
    cut = body[: max(1, len(body) * 2 // 3)]
    return cut + b',"' if cut.lstrip()[:1] in (b"{", b"[") else b'{"' + cut


async def deliver(reply: Reply, plan: FaultPlan, send: Send) -> None:
    body = reply.body
    content_type = reply.content_type
    if plan.body == "malformed-json":
        body = malform(body)
        content_type = content_type or "application/json"
    elif plan.body == "empty":
        body = b""
    elif plan.body == "wrong-content-type":
        content_type = plan.content_type or "text/html; charset=utf-8"
    if plan.reset == "after-headers" or plan.body == "truncate":
        await _send_partial(reply, plan, body, content_type, send)
        return
    start = {
        "type": "http.response.start",
        "status": reply.status,
        "headers": _raw_headers(reply, content_type, len(body)),
    }
    await send(start)
    if plan.body == "drip" and body:
        chunk = max(1, len(body) // 8)
        for index in range(0, len(body), chunk):
            await send(
                {
                    "type": "http.response.body",
                    "body": body[index : index + chunk],
                    "more_body": True,
                }
            )
            await asyncio.sleep(plan.drip_interval_ms / 1000)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _send_partial(
    reply: Reply, plan: FaultPlan, body: bytes, content_type: str | None, send: Send
) -> None:
    """Headers promising the whole body, then part of it (or none), then a reset."""
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": _raw_headers(reply, content_type, max(len(body), 1)),
        }
    )
    if plan.body == "truncate":
        keep = plan.truncate_at if plan.truncate_at is not None else len(body) // 2
        partial = body[: min(keep, max(len(body) - 1, 0))]
    else:
        partial = b""
    if partial:
        await send({"type": "http.response.body", "body": partial, "more_body": True})
    transport = _transport_of(send)
    if transport is None:
        raise ConnectionDropped("connection dropped mid-body")
    if plan.reset == "after-headers":
        # Give the partial write a moment to leave before the reset discards the buffer.
        await asyncio.sleep(0.01)
        await reset_connection(send)
        return
    # A truncated body ends with an orderly close: the client sees fewer bytes than promised.
    transport.close()
    for _ in range(3):
        await asyncio.sleep(0)
