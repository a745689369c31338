"""`apiweld check`: load a description or a project, and report what is in it and what is wrong.

Every failure to load becomes problems (never an exception), so the command can print them all
and exit 1; the summary keys are stable because `--format json` output is read by machines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from apiweld.config import CONFIG_FILE_NAME, ApiweldConfig, ConfigError, load_config
from apiweld.spec.declared import as_problem
from apiweld.spec.ir import Api, Problem, SecurityScheme


@dataclass(frozen=True, slots=True)
class CheckReport:
    target: str
    kind: Literal["description", "project"]
    summary: dict[str, Any] | None = None
    """None when nothing could be loaded."""
    problems: tuple[Problem, ...] = ()
    config_file: str | None = None

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")

    @property
    def usable(self) -> bool:
        return self.summary is not None and self.errors == 0

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "usable": self.usable,
            "summary": self.summary,
            "problems": [
                {
                    "severity": p.severity,
                    "pointer": p.pointer,
                    "message": p.message,
                    "file": p.file,
                }
                for p in self.problems
            ],
        }


def resolve_target(target: str | None) -> tuple[str, Literal["description", "project"]]:
    """What `apiweld check TARGET` means: a folder or a .toml is a project, else a description."""
    if target is None:
        return CONFIG_FILE_NAME, "project"
    if "://" not in target:
        path = Path(target)
        if path.is_dir():
            return str(path / CONFIG_FILE_NAME), "project"
        if path.suffix.lower() == ".toml":
            return target, "project"
    return target, "description"


def run_check(target: str | None, *, allow_network: bool = False) -> CheckReport:
    """Load `target` (default ./apiweld.toml) and report; never raises for bad input.

    A problem the loader did not pin to a file is in the description named here.
    """
    from apiweld.spec import SpecError, load

    location, kind = resolve_target(target)
    config: ApiweldConfig | None = None
    if target is None and not Path(location).exists():
        message = (
            "no apiweld.toml in this folder: give a description or an apiweld.toml, or run "
            "`apiweld init DESCRIPTION` to write one"
        )
        return CheckReport(location, kind, None, (Problem("error", "", message, location),))
    try:
        if kind == "project":
            from apiweld.spec._project import load_project

            config = load_config(location)
            api = load_project(config)
        else:
            source: str | Path = location if "://" in location else Path(location)
            api = load(source, allow_network=allow_network)
    except ConfigError as exc:
        problems = tuple(as_problem(p) for p in exc.problems)
        return CheckReport(location, kind, None, problems, _config_file(config, location, kind))
    except SpecError as exc:
        problems = _with_file(exc.problems, _described(config, location))
        return CheckReport(location, kind, None, problems, _config_file(config, location, kind))
    return CheckReport(
        location,
        kind,
        summarize(api, config),
        _with_file(api.problems, _described(config, location)),
        _config_file(config, location, kind),
    )


def _described(config: ApiweldConfig | None, location: str) -> str | None:
    if config is None:
        return location
    if config.api.description is None:
        return None
    from apiweld.spec._project import description_location

    return str(description_location(config))


def _with_file(problems: Iterable[Problem], file: str | None) -> tuple[Problem, ...]:
    return tuple(
        p if p.file or file is None else Problem(p.severity, p.pointer, p.message, file)
        for p in problems
    )


def _config_file(config: ApiweldConfig | None, location: str, kind: str) -> str | None:
    if kind != "project":
        return None
    return str(config.source_path) if config is not None and config.source_path else location


def summarize(api: Api, config: ApiweldConfig | None = None) -> dict[str, Any]:
    """The stable summary of `api` that `check` prints and `--format json` emits."""
    styles = Counter(op.pagination.style for op in api.operations if op.pagination is not None)
    summary: dict[str, Any] = {
        "title": api.title,
        "version": api.version,
        "format": api.source_format,
        "source": api.source,
        "operations": len(api.operations),
        "paths": len({op.path for op in api.operations}),
        "deprecated_operations": sum(1 for op in api.operations if op.deprecated),
        "schemas": len(api.schemas),
        "tags": len(api.tags),
        "security_schemes": [
            {"name": s.name, "type": s.type, "detail": _scheme_detail(s)}
            for s in api.security_schemes.values()
        ],
        "servers": [server.url for server in api.servers],
        "webhooks": [w.name for w in api.webhooks],
        "pagination": {"operations": sum(styles.values()), "styles": dict(sorted(styles.items()))},
    }
    if config is not None:
        excluded = api.extensions.get("x-apiweld-excluded", [])
        summary["project"] = {
            "config": str(config.source_path) if config.source_path else None,
            "package": config.api.package,
            "environments": sorted(config.environments),
            "excluded_operations": len(excluded) if isinstance(excluded, list) else 0,
            "webhook_receivers": sorted(config.webhooks),
        }
    return summary


def _scheme_detail(scheme: SecurityScheme) -> str:
    kind = scheme.type
    if kind == "apiKey":
        return f"{scheme.location} {scheme.param_name}"
    if kind == "http":
        return str(scheme.scheme or "")
    if kind == "oauth2":
        return ", ".join(flow.kind for flow in scheme.flows)
    if kind == "openIdConnect":
        return str(scheme.openid_connect_url or "")
    return ""
