"""Every fault kind, asked for per request and drawn from profiles, seen from real sockets."""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from mock_petstore_ir import AUTH, PETSTORE

from apiweld.mock import PROFILES, FaultConfigError, FaultProfile, MockServer, load_profile


@pytest.fixture
def server() -> Iterator[MockServer]:
    mock = MockServer(PETSTORE, seed=11)
    with mock:
        yield mock


def raw_get(base_url: str, path: str, fault: str, timeout: float = 5.0) -> bytes:
    """Send one request on a raw socket and read until the server closes or resets."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: k\r\n"
            f"X-Apiweld-Fault: {fault}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(request.encode())
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


def fault_get(server: MockServer, path: str, fault: str, **kwargs: object) -> httpx.Response:
    return httpx.get(
        f"{server.base_url}{path}", headers={**AUTH, "X-Apiweld-Fault": fault}, **kwargs
    )


def test_reset_before_headers_is_a_tcp_reset(server: MockServer) -> None:
    with pytest.raises(ConnectionResetError):
        raw_get(server.base_url, "/pets/1", "reset=before-headers")
    record = server.wait_for_requests(1)[-1]
    assert record.faults == ("reset=before-headers",)
    assert record.status is None


def test_reset_after_headers_sends_headers_then_resets(server: MockServer) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"GET /pets/1 HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n"
            b"X-Apiweld-Fault: reset=after-headers\r\n\r\n"
        )
        received = b""
        with pytest.raises(ConnectionResetError):
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                received += data
    assert received.startswith(b"HTTP/1.1 200")
    assert server.wait_for_requests(1)[-1].faults == ("reset=after-headers",)


def test_truncated_body_is_shorter_than_its_content_length(server: MockServer) -> None:
    raw = raw_get(server.base_url, "/pets/1", "truncate")
    head, _, body = raw.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    assert 0 < len(body) < length
    with pytest.raises(httpx.RemoteProtocolError):
        fault_get(server, "/pets/1", "truncate=5")


def test_malformed_json_does_not_parse(server: MockServer) -> None:
    response = fault_get(server, "/pets/1", "malformed-json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


def test_empty_body_and_wrong_content_type(server: MockServer) -> None:
    empty = fault_get(server, "/pets/1", "empty")
    assert empty.status_code == 200 and empty.content == b""
    wrong = fault_get(server, "/pets/1", "content-type=text/html")
    assert wrong.headers["content-type"] == "text/html"
    assert orjson.loads(wrong.content)["id"] == 1


def test_injected_status_uses_the_declared_error_schema(server: MockServer) -> None:
    response = fault_get(server, "/pets/1", "status=503")
    assert response.status_code == 503
    assert {"title", "status"} <= response.json().keys()
    assert server.requests[-1].faults == ("status=503",)
    assert server.requests[-1].operation_id == "get_pet"


def test_429_with_retry_after_in_seconds_and_as_http_date(server: MockServer) -> None:
    seconds = fault_get(server, "/pets/1", "status=429,retry-after=7")
    assert seconds.status_code == 429 and seconds.headers["retry-after"] == "7"
    dated = fault_get(server, "/pets/1", "status=429;retry-after=date:120")
    when = email.utils.parsedate_to_datetime(dated.headers["retry-after"])
    assert 60 < when.timestamp() - time.time() <= 121


def test_latency_fixed_and_random(server: MockServer) -> None:
    started = time.perf_counter()
    assert fault_get(server, "/pets/1", "latency=300ms").status_code == 200
    assert time.perf_counter() - started >= 0.3
    fault_get(server, "/pets/1", "latency=50ms-120ms")
    recorded = server.requests[-1].faults[0]
    assert recorded.startswith("latency=")
    assert 50 <= float(recorded.removeprefix("latency=").removesuffix("ms")) <= 120


def test_drip_sends_the_body_slowly_in_pieces(server: MockServer) -> None:
    started = time.perf_counter()
    with httpx.stream(
        "GET", f"{server.base_url}/pets/1", headers={**AUTH, "X-Apiweld-Fault": "drip=60ms"}
    ) as response:
        pieces = [chunk for chunk in response.iter_raw() if chunk]
    assert len(pieces) >= 4
    assert orjson.loads(b"".join(pieces))["id"] == 1
    assert time.perf_counter() - started >= 0.24


def test_timeout_never_answers(server: MockServer) -> None:
    with pytest.raises(httpx.ReadTimeout):
        fault_get(server, "/pets/1", "timeout", timeout=0.5)


def test_bad_control_header_is_a_400_naming_the_header(server: MockServer) -> None:
    response = fault_get(server, "/pets/1", "explode=yes")
    assert response.status_code == 400
    assert "X-Apiweld-Fault" in response.json()["detail"]


def test_named_profiles_inject_and_log_faults_reproducibly() -> None:
    runs: list[list[tuple[str, ...]]] = []
    for _ in range(2):
        # The hostile profile without its latency, to keep the test quick.
        hostile = dataclasses.replace(PROFILES["hostile"], latency_ms=(0.0, 0.0))
        mock = MockServer(PETSTORE, seed=5, faults=hostile)
        with mock as url, httpx.Client(timeout=0.6) as client:
            for _ in range(60):
                # Resets, truncation and timeouts are the point here.
                with contextlib.suppress(httpx.HTTPError):
                    client.get(f"{url}/stores")
        mock.wait_for_requests(60)
        # Fault kinds only: an HTTP-date Retry-After differs with the clock.
        runs.append([tuple(f.split("=")[0] for f in r.faults) for r in mock.requests])
    assert runs[0] == runs[1]
    kinds = {faults[0] for faults in runs[0] if faults}
    assert len(kinds) >= 4, kinds


def test_ratelimited_profile_enforces_a_limit() -> None:
    with MockServer(PETSTORE, faults="ratelimited", seed=1) as url:
        statuses = [httpx.get(f"{url}/stores").status_code for _ in range(14)]
    assert statuses.count(429) >= 4
    assert statuses[:5].count(200) >= 4


def test_toml_profile_file(tmp_path: Path) -> None:
    extended = tmp_path / "extended.toml"
    extended.write_text('[faults]\nextends = "flaky"\nerror_rate = 0.5\n')
    profile = load_profile(extended)
    assert profile.error_rate == 0.5 and profile.latency_ms == (0.0, 150.0)
    assert profile.name == "extended"
    always = tmp_path / "always.toml"
    always.write_text("error_rate = 1.0\nerror_statuses = [502]\n")
    with MockServer(PETSTORE, faults=always) as url:
        statuses = {httpx.get(f"{url}/stores").status_code for _ in range(3)}
    assert statuses == {502}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("error_rate = 2\n", "between 0 and 1"),
        ("surprise = 1\n", "unknown key 'surprise'"),
        ("latency_ms = 'x'\n", "latency_ms"),
        ("not toml [\n", "not valid TOML"),
    ],
)
def test_bad_profile_files_name_the_place(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(FaultConfigError, match=message) as info:
        load_profile(path)
    assert str(path) in str(info.value)


def test_unknown_profile_name() -> None:
    with pytest.raises(FaultConfigError, match="neither a named profile"):
        load_profile("chaotic")


def test_profile_object_accepted() -> None:
    profile = FaultProfile(name="always-empty", empty_rate=1.0)
    with MockServer(PETSTORE, faults=profile) as url:
        response = httpx.get(f"{url}/stores")
    assert response.content == b""
