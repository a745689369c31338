"""What `apiweld mock [apiweld.toml|DESCRIPTION]` serves, and with which settings.

Given an `apiweld.toml`, the API comes from the project (its description or declared endpoints,
with the config's overrides applied) and the defaults from its `[mock]` table; accepted
credentials are read from the environment variables that table names, never from the file.
Given a description, the defaults are the built-in ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from apiweld.spec.ir import Api


class MockSetupError(Exception):
    """The mock cannot be set up; the message names the file, key or variable at fault."""


@dataclass(frozen=True, slots=True)
class MockTarget:
    api: Api
    host: str = "127.0.0.1"
    port: int = 4010
    seed: int = 0
    faults: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)
    root: Path | None = None
    """The folder a relative fault-profile path in the config is resolved against."""


def resolve_target(source: str | None, *, allow_network: bool = False) -> MockTarget:
    from apiweld.spec import SpecError

    path = Path(source) if source is not None else Path("apiweld.toml")
    if path.is_dir():
        path = path / "apiweld.toml"
    try:
        if path.suffix == ".toml":
            return _from_project(path)
        from apiweld.spec import load

        return MockTarget(api=load(str(source), allow_network=allow_network))
    except SpecError as exc:
        raise MockSetupError(str(exc)) from exc


def _from_project(path: Path) -> MockTarget:
    from apiweld.config import ConfigError, load_config
    from apiweld.spec._project import load_project

    if not path.exists():
        raise MockSetupError(
            f"{path}: not found (give a description or an apiweld.toml; `apiweld init` writes one)"
        )
    try:
        config = load_config(path)
    except ConfigError as exc:
        raise MockSetupError(str(exc)) from exc
    settings = config.mock
    credentials: dict[str, str] = {}
    for scheme, variable in settings.credentials.items():
        value = os.environ.get(variable)
        if value is None:
            raise MockSetupError(
                f"{path}: [mock] credentials.{scheme} names the environment variable "
                f"{variable}, which is not set"
            )
        credentials[scheme] = value
    faults = settings.faults
    if faults is not None and faults.endswith(".toml"):
        faults = str((config.root_dir / faults).resolve())
    return MockTarget(
        api=load_project(config),
        host=settings.host,
        port=settings.port,
        seed=settings.seed,
        faults=faults,
        credentials=credentials,
        root=config.root_dir,
    )
