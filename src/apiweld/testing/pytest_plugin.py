"""The `apiweld` pytest plugin (entry point `pytest11`): a running mock per test, or the live API.

```ini
[pytest]
apiweld_source = openapi.yaml          # a description or an apiweld.toml (relative to rootdir)
apiweld_faults = flaky                 # optional fault profile for the mock
```

Fixtures:
- `apiweld_mock`: a started `apiweld.mock.MockServer` (`.base_url`, `.requests`, `.api`) for the
  description, accepting exactly the credentials in `apiweld_credentials`;
- `apiweld_base_url`: the live base URL under `--apiweld-live`, else the mock's;
- `apiweld_credentials`: `{scheme name: secret}` for that target (from the environment when live);
- `apiweld_api`: the loaded IR; `apiweld_live`: whether the run targets the live API.

Markers: `@pytest.mark.apiweld(source=..., faults=..., seed=...)` overrides the ini settings for a
test (a relative source is taken from the test file's folder); `apiweld_writes` marks a test that
changes data (skipped under `--apiweld-live` unless `--apiweld-allow-writes`); `apiweld_mock_only`
marks a test that needs the mock (fault injection), skipped under `--apiweld-live`.

Nothing heavy is imported until a fixture is used, so the plugin costs nothing in test runs that
do not use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from apiweld.mock import MockServer
    from apiweld.spec.ir import Api

_LIVE = "--apiweld-live"
_ALLOW_WRITES = "--apiweld-allow-writes"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apiweld", "apiweld: mock or live API for integration tests")
    group.addoption(
        _LIVE,
        action="store_true",
        default=False,
        help="Run apiweld tests against the live API (--apiweld-base-url) instead of the mock.",
    )
    group.addoption("--apiweld-base-url", default=None, help="Base URL of the live API.")
    group.addoption(
        _ALLOW_WRITES,
        action="store_true",
        default=False,
        help="Under --apiweld-live, also run tests marked apiweld_writes.",
    )
    group.addoption(
        "--apiweld-auth",
        action="append",
        default=[],
        metavar="SCHEME=ENV_VAR",
        help="Read a security scheme's credential from ENV_VAR (live runs).",
    )
    group.addoption("--apiweld-source", default=None, help="Description or apiweld.toml.")
    parser.addini("apiweld_source", "Description or apiweld.toml for the apiweld fixtures.")
    parser.addini("apiweld_faults", "Fault profile for apiweld_mock (flaky, slow, ...).")
    parser.addini("apiweld_seed", "Seed for apiweld_mock's generated data.", default="0")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "apiweld(source=None, faults=None, seed=None, collection_size=None): configure the "
        "apiweld mock for a test",
    )
    config.addinivalue_line(
        "markers", "apiweld_writes: changes data; live only with --apiweld-allow-writes"
    )
    config.addinivalue_line("markers", "apiweld_mock_only: needs the mock; skipped when live")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not item.config.getoption(_LIVE):
        return
    if item.get_closest_marker("apiweld_mock_only") is not None:
        pytest.skip("needs the apiweld mock (fault injection); skipped under --apiweld-live")
    if item.get_closest_marker("apiweld_writes") is not None and not item.config.getoption(
        _ALLOW_WRITES
    ):
        pytest.skip("changes data: pass --apiweld-allow-writes to run it against the live API")


def _marker_value(request: pytest.FixtureRequest, key: str) -> Any:
    marker = request.node.get_closest_marker("apiweld")
    return None if marker is None else marker.kwargs.get(key)


def _source(request: pytest.FixtureRequest) -> str:
    from_marker = _marker_value(request, "source")
    if from_marker is not None:
        path = Path(str(from_marker))
        if "://" in str(from_marker) or path.is_absolute():
            return str(from_marker)
        return str(Path(str(request.node.path)).parent / path)
    option = request.config.getoption("--apiweld-source")
    ini = option or request.config.getini("apiweld_source")
    if not ini:
        raise pytest.UsageError(
            "apiweld fixtures need a description: set `apiweld_source` in the pytest ini file, "
            "pass --apiweld-source, or mark the test @pytest.mark.apiweld(source=...)"
        )
    path = Path(str(ini))
    return str(path if path.is_absolute() else request.config.rootpath / path)


_API_CACHE: dict[str, Api] = {}
_MOCKS: dict[tuple[int, str, int, int], MockServer] = {}
_MOCK_CREDENTIALS: dict[int, dict[str, str]] = {}


@pytest.fixture
def apiweld_source(request: pytest.FixtureRequest) -> str:
    """The description or apiweld.toml to use; override this fixture in a conftest to pin it."""
    return _source(request)


@pytest.fixture
def apiweld_api(apiweld_source: str) -> Api:
    """The IR of the configured description (loaded once per run and source)."""
    from apiweld.testing.project import TargetError, load_target

    source = apiweld_source
    if source not in _API_CACHE:
        try:
            _API_CACHE[source] = load_target(source).api
        except TargetError as exc:
            raise pytest.UsageError(f"apiweld: {exc}") from None
    return _API_CACHE[source]


@pytest.fixture
def apiweld_live(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption(_LIVE))


@pytest.fixture
def apiweld_credentials(
    request: pytest.FixtureRequest, apiweld_api: Api, apiweld_live: bool
) -> dict[str, str]:
    """Secrets by security-scheme name: the environment's when live, the mock's otherwise."""
    from apiweld.testing._auth import CredentialError
    from apiweld.testing.project import credentials_for, mock_credentials

    if not apiweld_live:
        # One set per API for the whole run, since the mocks serving it are shared.
        key = id(apiweld_api)
        if key not in _MOCK_CREDENTIALS:
            _MOCK_CREDENTIALS[key] = mock_credentials(apiweld_api)
        return dict(_MOCK_CREDENTIALS[key])
    pairs: dict[str, str] = {}
    for value in request.config.getoption("--apiweld-auth"):
        scheme, _, variable = str(value).partition("=")
        pairs[scheme.strip()] = variable.strip()
    try:
        found = credentials_for(apiweld_api, None, pairs)
    except CredentialError as exc:
        raise pytest.UsageError(f"apiweld: {exc}") from None
    return {name: secret for name in apiweld_api.security_schemes if (secret := found.get(name))}


@pytest.fixture
def apiweld_mock(
    request: pytest.FixtureRequest, apiweld_api: Api, apiweld_credentials: dict[str, str]
) -> Iterator[MockServer]:
    """A running mock of the API with the configured fault profile, its request log cleared.

    Mocks are shared across the run by configuration (API, faults, seed, collection size):
    starting one per test would dominate the run on a large API. Faults a test asks for itself
    go through the per-request control header, so sharing does not mix them up.
    """
    from apiweld.mock import MockServer

    faults = _marker_value(request, "faults") or request.config.getini("apiweld_faults") or None
    seed = _marker_value(request, "seed")
    if seed is None:
        seed = int(request.config.getini("apiweld_seed") or 0)
    size = _marker_value(request, "collection_size")
    collection_size = int(size) if size is not None else 20
    key = (id(apiweld_api), str(faults), int(seed), collection_size)
    server = _MOCKS.get(key)
    if server is None:
        server = MockServer(
            apiweld_api,
            seed=int(seed),
            faults=faults,
            credentials=dict(apiweld_credentials),
            collection_size=collection_size,
        )
        server.start()
        _MOCKS[key] = server
    server.clear_requests()
    yield server


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _MOCKS:
        _, server = _MOCKS.popitem()
        server.stop()


@pytest.fixture
def apiweld_base_url(request: pytest.FixtureRequest, apiweld_live: bool) -> str:
    """Where the suite sends its requests: the live API under --apiweld-live, else the mock."""
    if apiweld_live:
        url = request.config.getoption("--apiweld-base-url")
        if not url:
            raise pytest.UsageError("--apiweld-live needs --apiweld-base-url")
        return str(url)
    mock: MockServer = request.getfixturevalue("apiweld_mock")
    return mock.base_url
