"""What `apiweld test` and the pytest plugin check: an API (from a description or apiweld.toml),
its credentials (environment variables named in the config or on the command line), and, when no
live URL is given, the mock serving it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from apiweld.spec.ir import Api
from apiweld.testing._auth import CredentialError, Credentials, default_env_name

if TYPE_CHECKING:
    from apiweld.config import ApiweldConfig
    from apiweld.testing.report import ContractReport, OperationReport
    from apiweld.testing.runner import ContractConfig

CONFIG_FILE_NAME = "apiweld.toml"


class TargetError(Exception):
    """The description or config could not be loaded; the message names the place."""


@dataclass(frozen=True, slots=True)
class Target:
    api: Api
    config: ApiweldConfig | None = None
    location: str = ""


def _is_project(location: str) -> bool:
    return "://" not in location and Path(location).suffix.lower() == ".toml"


def load_target(target: str | Path | None, *, allow_network: bool = False) -> Target:
    """Load a description, an apiweld.toml, or a folder holding one (default: ./apiweld.toml)."""
    from apiweld.config import ConfigError, load_config
    from apiweld.spec import SpecError, load

    location = str(target) if target is not None else CONFIG_FILE_NAME
    if "://" not in location and Path(location).is_dir():
        location = str(Path(location) / CONFIG_FILE_NAME)
    try:
        if _is_project(location):
            from apiweld.spec._project import load_project

            if not Path(location).is_file():
                raise TargetError(f"{location}: no such file (give a description or apiweld.toml)")
            config = load_config(location)
            return Target(load_project(config), config, location)
        source: str | Path = location if "://" in location else Path(location)
        return Target(load(source, allow_network=allow_network), None, location)
    except ConfigError as exc:
        raise TargetError(str(exc)) from None
    except SpecError as exc:
        raise TargetError(str(exc)) from None


def _config_secret(scheme_config: object, environ: Mapping[str, str]) -> str | None:
    def env(attribute: str) -> str | None:
        name = getattr(scheme_config, attribute, None)
        return environ.get(name) if name else None

    if (value := env("api_key_env")) or (value := env("token_env")):
        return value
    username, password = env("username_env"), env("password_env")
    if username is not None and password is not None:
        return f"{username}:{password}"
    return None


def credentials_for(
    api: Api,
    config: ApiweldConfig | None = None,
    env_names: Mapping[str, str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Secrets per security scheme, from (in order of precedence) explicit `SCHEME=ENV_VAR`
    names, the config's `[auth.<scheme>]` tables, and `APIWELD_AUTH_<SCHEME>` variables."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for scheme in api.security_schemes.values():
        value = env.get(default_env_name(scheme))
        if value:
            found[scheme.name] = value
    if config is not None:
        for scheme_name, scheme_config in config.auth.items():
            value = _config_secret(scheme_config, env)
            if value:
                found[scheme_name] = value
    explicit = Credentials.from_env(api, env_names or {}, environ=env)
    found.update({name: value for name in api.security_schemes if (value := explicit.get(name))})
    return Credentials(found)


def mock_credentials(api: Api) -> dict[str, str]:
    """One made-up secret per scheme, for a mock told to accept exactly these."""
    # Schemes that travel in the same place (`Authorization: Bearer`, one query parameter, one
    # header) share one secret: a request carries one value there, and whichever scheme the
    # client or the checks pick, the mock must accept it for the others too.
    by_place: dict[tuple[str, ...], str] = {}
    made: dict[str, str] = {}
    for scheme in api.security_schemes.values():
        token = secrets.token_hex(8)
        if scheme.type == "http" and scheme.scheme == "basic":
            place: tuple[str, ...] = ("authorization", "basic")
            fresh = f"apiweld:{token}"
        elif scheme.type == "apiKey":
            place = ("apiKey", scheme.location or "header", (scheme.param_name or "").lower())
            fresh = f"apiweld-{token}"
        else:
            place = ("authorization", "bearer")
            fresh = f"apiweld-{token}"
        made[scheme.name] = by_place.setdefault(place, fresh)
    return made


def check_against_mock(
    api: Api,
    config: ContractConfig | None = None,
    *,
    seed: int = 0,
    faults: str | Path | None = None,
    on_operation: Callable[[OperationReport], None] | None = None,
) -> ContractReport:
    """Serve `api` with the mock and run the contract checks against it: the description and the
    mock must agree.

    The mock answers every invalid request with its own `application/problem+json` (by design),
    so answers to schema-violating requests are judged by their status only.
    """
    try:
        from apiweld.mock import MockServer
    except ImportError as exc:  # pragma: no cover - the mock ships with apiweld
        raise CredentialError(f"the mock server is not available: {exc}") from exc
    from dataclasses import replace

    from apiweld.testing.runner import ContractConfig, run_contract_checks

    config = replace(config or ContractConfig(), check_rejections=False)
    accepted = mock_credentials(api)
    with MockServer(api, seed=seed, faults=faults, credentials=accepted) as base_url:
        return run_contract_checks(
            api, base_url, config, Credentials(accepted), on_operation=on_operation
        )
