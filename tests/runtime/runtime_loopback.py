"""A scriptable HTTP/1.1 server on loopback, and clients over every transport (test helpers).

The server is raw asyncio in a background thread (not an ASGI app): tests need to drop connections
mid-exchange, stall, and count exactly what arrived, which a framework would hide.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from apiweld.runtime import AsyncClient, Client


@dataclass
class Reply:
    status: int = 200
    body: Any = b""
    headers: Sequence[tuple[str, str]] = ()
    delay: float = 0.0
    """Seconds to wait before answering (after the request was read)."""
    drop: bool = False
    """Close the connection after reading the request, without answering."""
    chunks: Sequence[bytes] | None = None
    chunk_delay: float = 0.0


@dataclass
class Recorded:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.target).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Recorded], Reply]


@dataclass
class _Route:
    replies: list[Reply] | None = None
    handler: Handler | None = None
    served: int = 0


@dataclass
class LoopbackServer:
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    _routes: dict[str, _Route] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def script(self, path: str, *replies: Reply) -> None:
        """Answer `path` with these replies in order; the last one repeats."""
        self._routes[path] = _Route(replies=list(replies))

    def route(self, path: str, handler: Handler) -> None:
        self._routes[path] = _Route(handler=handler)

    def hits(self, path: str) -> int:
        return sum(1 for request in self.requests if request.path == path)

    def of(self, path: str) -> list[Recorded]:
        return [request for request in self.requests if request.path == path]

    def reset(self) -> None:
        self._routes.clear()
        self.requests.clear()

    def _reply_for(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self._routes.get(request.path)
            if route is None:
                return Reply(404, {"error": "no route", "path": request.path})
            if route.handler is not None:
                return route.handler(request)
            assert route.replies
            reply = route.replies[min(route.served, len(route.replies) - 1)]
            route.served += 1
            return reply

    # -- the protocol ----------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        key = name.strip().lower()
                        headers[key] = (
                            f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
                        )
                body = b""
                if "content-length" in headers:
                    body = await reader.readexactly(int(headers["content-length"]))
                elif headers.get("transfer-encoding", "").lower() == "chunked":
                    body = await _read_chunked(reader)
                reply = self._reply_for(Recorded(method, target, headers, body))
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                if reply.drop:
                    writer.close()
                    return
                await _write(writer, reply)
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            server = loop.run_until_complete(asyncio.start_server(self._serve, self.host, 0))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()

        threading.Thread(target=run, name="loopback-server", daemon=True).start()
        ready.wait(5)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _write(writer: asyncio.StreamWriter, reply: Reply) -> None:
    body = reply.body
    content_type = None
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        content_type = "application/json"
    elif isinstance(body, str):
        body = body.encode()
        content_type = "text/plain; charset=utf-8"
    header_names = {name.lower() for name, _ in reply.headers}
    lines = [f"HTTP/1.1 {reply.status} X"]
    lines += [f"{name}: {value}" for name, value in reply.headers]
    if content_type and "content-type" not in header_names:
        lines.append(f"Content-Type: {content_type}")
    if reply.chunks is not None:
        lines.append("Transfer-Encoding: chunked")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for chunk in reply.chunks:
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()
            if reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
        writer.write(b"0\r\n\r\n")
    else:
        lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


SYNC_TRANSPORTS = ("httpcore", "urllib3", "httpx")
ASYNC_TRANSPORTS = ("aiohttp", "httpx")
ALL_MODES = [("sync", name) for name in SYNC_TRANSPORTS] + [
    ("async", name) for name in ASYNC_TRANSPORTS
]


def make_sync_client(transport: str, **options: Any) -> Client:
    if transport == "httpx":
        import httpx

        return Client(transport=httpx.Client(), **options)
    if transport == "urllib3":
        from apiweld.runtime import Urllib3Transport

        return Client(transport=Urllib3Transport(), **options)
    from apiweld.runtime import HttpcoreTransport

    return Client(transport=HttpcoreTransport(), **options)


def make_async_client(transport: str, **options: Any) -> AsyncClient:
    if transport == "httpx":
        import httpx

        return AsyncClient(transport=httpx.AsyncClient(), **options)
    from apiweld.runtime import AiohttpTransport

    return AsyncClient(transport=AiohttpTransport(), **options)


class Api:
    """One face over sync and async clients so each behaviour test runs on every transport.

    Sync calls block the test's event loop, which is harmless: the server has its own thread.
    """

    def __init__(self, mode: str, transport: str, base_url: str) -> None:
        self.mode = mode
        self.transport = transport
        self.base_url = base_url
        self._clients: list[Client | AsyncClient] = []

    @property
    def is_async(self) -> bool:
        return self.mode == "async"

    def client(self, **options: Any) -> Client | AsyncClient:
        options.setdefault("base_url", self.base_url)
        client: Client | AsyncClient
        if self.is_async:
            client = make_async_client(self.transport, **options)
        else:
            client = make_sync_client(self.transport, **options)
        self._clients.append(client)
        return client

    async def call(
        self, client: Client | AsyncClient, method: str, *args: Any, **kwargs: Any
    ) -> Any:
        result = getattr(client, method)(*args, **kwargs)
        if self.is_async:
            result = await result
        return result

    async def request(self, client: Client | AsyncClient, *args: Any, **kwargs: Any) -> Any:
        return await self.call(client, "request", *args, **kwargs)

    async def request_raw(self, client: Client | AsyncClient, *args: Any, **kwargs: Any) -> Any:
        return await self.call(client, "request_raw", *args, **kwargs)

    async def close(self) -> None:
        for client in self._clients:
            if isinstance(client, AsyncClient):
                await client.aclose()
            else:
                client.close()
