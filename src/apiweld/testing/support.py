"""Helpers the generated test suites import: typed-result checks, credentials, injected faults.

They live here rather than in every generated package so that the generated tests stay short and
readable, and so that this logic is written and tested once.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import itertools
import json
import os
import socket
import sys
import threading
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from apiweld.runtime import (
    ApiKeyAuth,
    AuthProvider,
    BasicAuth,
    BearerAuth,
    Hooks,
    RequestEvent,
)

FAULT_HEADER = "X-Apiweld-Fault"
MAX_ITEMS_CHECKED = 50

SchemeSpec = tuple[str, str, str | None, str | None, str | None]
"""(name, type, http scheme, api-key parameter name, api-key location) of a security scheme."""


def auth_providers(
    schemes: Sequence[SchemeSpec], credentials: Mapping[str, str]
) -> dict[str, AuthProvider]:
    """Runtime auth providers, by scheme name, for the credentials given."""
    providers: dict[str, AuthProvider] = {}
    for name, kind, http_scheme, param_name, location in schemes:
        secret = credentials.get(name)
        if not secret:
            continue
        if kind == "apiKey" and param_name:
            where = location if location in ("header", "query", "cookie") else "header"
            providers[name] = ApiKeyAuth(secret, name=param_name, location=where)  # type: ignore[arg-type]
        elif kind == "http" and http_scheme == "basic":
            user, _, password = secret.partition(":")
            providers[name] = BasicAuth(user, password)
        elif kind in ("http", "oauth2", "openIdConnect"):
            providers[name] = BearerAuth(secret)
    return providers


def wrong_credentials(credentials: Mapping[str, str]) -> dict[str, str]:
    """Well-formed credentials that no server accepts (same shapes, different values)."""
    return {
        name: ("apiweld:wrong" if ":" in value else "apiweld-wrong-credential")
        for name, value in credentials.items()
    }


def fault_on_attempts(fault: str, attempts: int = 1) -> Hooks:
    """Hooks that ask the apiweld mock for `fault` (e.g. `status=503`) on the first `attempts`
    attempts of every call, so a retrying client then gets a normal answer."""

    def inject(event: RequestEvent) -> None:
        if event.attempt <= attempts:
            event.headers[FAULT_HEADER] = fault

    return Hooks(before_request=(inject,))


class _ModelNamespace(dict[str, Any]):
    """Names a generated method's annotations use, looked up lazily in its package's models
    (resource modules import their models only under TYPE_CHECKING)."""

    def __init__(self, package: str) -> None:
        super().__init__()
        self._package = package

    def __missing__(self, key: str) -> Any:
        models = importlib.import_module(f"{self._package}.models")
        try:
            value = getattr(models, key)
        except AttributeError:
            raise KeyError(key) from None
        self[key] = value
        return value


def return_type(method: Callable[..., Any]) -> Any:
    """The declared return type of a generated client method, resolved."""
    function = getattr(method, "__func__", method)
    module = sys.modules[function.__module__]
    package = function.__module__.split(".resources.", 1)[0]
    hints = typing.get_type_hints(function, globalns=vars(module), localns=_ModelNamespace(package))
    return hints.get("return", Any)


def _is_pager(value: Any) -> bool:
    return type(value).__name__ in ("SyncPager", "AsyncPager")


def _item_type(declared: Any) -> Any:
    args = typing.get_args(declared)
    return args[0] if args else Any


def check_typed(declared: Any, value: Any) -> None:
    """Raise AssertionError unless `value` is an instance of the declared type (strictly: a
    model must be the model, not a dict that looks like one)."""
    from pydantic import TypeAdapter, ValidationError

    if declared is Any:
        return
    if declared is None or declared is type(None):
        assert value is None, f"expected no result, got {type(value).__name__}"
        return
    try:
        TypeAdapter(declared).validate_python(value, strict=True)
    except ValidationError as exc:
        raise AssertionError(f"result is not a {declared!r}: {exc}") from None


def assert_documented_result(method: Callable[..., Any], result: Any) -> list[Any]:
    """Check a call's result against the method's declared return type; for a pager, check the
    items of its first page (paging itself has its own test) and return them."""
    declared = return_type(method)
    pager_declared = getattr(typing.get_origin(declared), "__name__", "") in (
        "SyncPager",
        "AsyncPager",
    )
    if _is_pager(result):
        first = next(iter(result.pages()), None)
        result = list(first.items) if first is not None else []
    if pager_declared and isinstance(result, list):
        for item in result[:MAX_ITEMS_CHECKED]:
            check_typed(_item_type(declared), item)
        return result
    check_typed(declared, result)
    return [result]


def settle(result: Any) -> Any:
    """For a lazy pager, its first item (so exactly one request is made); else the result."""
    if _is_pager(result):
        return list(itertools.islice(result, 1))
    return result


def _wire_value(item: Any, name: str) -> Any:
    """The value of property `name` (its wire name) of a model or a mapping; None if absent."""
    if isinstance(item, Mapping):
        return item.get(name)
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        data = dump(by_alias=True, mode="json")
        return data.get(name) if isinstance(data, dict) else None
    return None


def identity(item: Any, key: str | None = None) -> str:
    """A stable identity of a paged item: its `key` property when one is given, else its whole
    JSON dump. Nothing narrower is guessed: two different items may share a `name`, and a
    generated collection may even repeat an `id` while no two items are the same."""
    if key:
        value = _wire_value(item, key)
        if value is not None:
            return f"{key}={value!r}"
    dump = getattr(item, "model_dump_json", None)
    if callable(dump):
        return str(dump(by_alias=True))
    try:
        return json.dumps(item, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(item)


def all_distinct(items: Iterable[Any], key: str | None = None) -> bool:
    """No item appears twice. Items that are plain values (strings, numbers) have no identity
    of their own, so equal values there are not repeats; they are left out of the comparison."""
    seen = [identity(item, key) for item in items if not _is_plain(item)]
    return len(seen) == len(set(seen))


def _is_plain(item: Any) -> bool:
    return isinstance(item, str | int | float | bool) or item is None


def _first_item(result: Any, name: str) -> Any:
    """The first item `result` holds: a pager's or a list's first, the object itself when it
    carries `name` (a created item), else the first element of a list it wraps
    (`{"data": [...]}`)."""
    if _is_pager(result):
        return next(iter(result), None)
    root = getattr(result, "root", None)
    if root is not None and not callable(root):
        result = root
    if isinstance(result, list | tuple):
        return result[0] if result else None
    if _wire_value(result, name) is not None:
        return result
    data = result if isinstance(result, Mapping) else _wire_dump(result)
    for value in data.values():
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            return value[0]
    return None


def _wire_dump(item: Any) -> dict[str, Any]:
    dump = getattr(item, "model_dump", None)
    data = dump(by_alias=True, mode="json") if callable(dump) else None
    return data if isinstance(data, dict) else {}


def existing_id(result: Any, name: str, within: Sequence[str] = ()) -> Any:
    """The identifier (`name`, as on the wire) of the first item a list call returned, or of
    the item a create returned: an item the server really holds, for the item operations.

    Skips the test when the server lists no item at all (a live API with an empty collection);
    fails when it lists items that do not carry the identifier the description promises.
    `within`: the wire names leading from the answer to the list (`("data",)`)."""
    import pytest

    for step in within:  # the list sits inside the answer (`{"data": [...]}`)
        result = _wire_value(result, step)
    item = _first_item(result, name)
    if item is None:
        pytest.skip(f"the server holds no item to read its {name!r} from")
    # A list of plain values (`["Python", "Go"]`) lists the identifiers themselves.
    value = item if _is_plain(item) else _wire_value(item, name)
    assert value is not None, f"the item the server returned has no {name!r}: {item!r}"[:500]
    if isinstance(value, float) and value.is_integer():
        # An id the description types as `number` comes back as 7.0; in a path it is 7.
        return int(value)
    return value


@contextlib.contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve an ASGI app on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            sock.close()
            raise RuntimeError("the webhook receiver did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def deliver_webhook(
    make_receiver: Callable[..., Any],
    event_type: str,
    body: Any,
    folder: Path,
    *,
    scheme: str = "standard",
    headers: Mapping[str, str] | None = None,
) -> Any:
    """Sign `body` with `scheme` (Standard Webhooks unless the provider has its own), POST it
    over loopback (with `headers`, e.g. `X-GitHub-Event`) to a receiver made by
    `make_receiver` (a generated package's `webhooks.receiver`), with its inbox a SQLite file in
    `folder`; let it verify, store and dispatch; return the typed event its handler got."""
    from apiweld.webhooks import WebhookSender, scheme_from_name

    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode("ascii")
    received: list[Any] = []
    receiver = make_receiver(
        secret_env="APIWELD_SUITE_WEBHOOK_SECRET",  # noqa: S106 - a variable's name
        scheme=scheme,
        inbox=str(Path(folder) / "inbox.sqlite3"),
        environ={"APIWELD_SUITE_WEBHOOK_SECRET": secret},
    )
    receiver.on(event_type)(received.append)
    sender = WebhookSender(scheme_from_name(scheme, [secret]), max_attempts=1)
    try:
        with serve_asgi(receiver) as url:
            sender.send(
                url + receiver.settings.path, json.dumps(body).encode(), extra_headers=headers
            )
        receiver.dispatcher().drain()
    finally:
        sender.close()
        receiver.close()
    assert len(received) == 1, f"the {event_type!r} handler ran {len(received)} times"
    return received[0]
