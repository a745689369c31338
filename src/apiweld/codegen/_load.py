"""What `apiweld generate TARGET` reads: a description, or an apiweld.toml project."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from apiweld.spec.ir import Api


@dataclass(frozen=True)
class GenerationInput:
    api: Api
    package: str | None = None
    """The package name apiweld.toml asks for (None: derived from the API's title)."""
    output: Path | None = None
    """The output folder apiweld.toml names, resolved against the file's folder."""


def load_target(target: str | None, *, allow_network: bool = False) -> GenerationInput:
    """Load `target` (default ./apiweld.toml); raises `SpecError` or `ConfigError` on bad input."""
    from apiweld.spec import load
    from apiweld.spec._check import resolve_target

    location, kind = resolve_target(target)
    if kind == "description":
        source: str | Path = location if "://" in location else Path(location)
        return GenerationInput(load(source, allow_network=allow_network))
    from apiweld.config import load_config
    from apiweld.spec._project import load_project

    config = load_config(location)
    api = load_project(config)
    base = Path(config.source_path).parent if config.source_path else Path(location).parent
    return GenerationInput(api, config.api.package, base / config.generate.output)
