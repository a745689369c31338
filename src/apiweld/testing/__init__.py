"""apiweld.testing: contract checks against a live API or the mock, their reports, the pytest
plugin, and the renderer of the test suite generated with each client package.

```python
from apiweld.testing import ContractConfig, Credentials, run_contract_checks
report = run_contract_checks(api, "https://api.example.com", ContractConfig(seed=1))
```

Exports load lazily: the pytest plugin imports this package in every pytest run, and a run that
does not use apiweld must not pay for the checks' dependencies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apiweld.testing._auth import CredentialError, Credentials
    from apiweld.testing.checks import ALL_CHECKS, CheckFailure
    from apiweld.testing.project import check_against_mock, credentials_for, load_target
    from apiweld.testing.report import ContractReport, OperationReport
    from apiweld.testing.runner import ContractConfig, run_contract_checks

_EXPORTS = {
    "ALL_CHECKS": "apiweld.testing.checks",
    "CheckFailure": "apiweld.testing.checks",
    "ContractConfig": "apiweld.testing.runner",
    "ContractReport": "apiweld.testing.report",
    "CredentialError": "apiweld.testing._auth",
    "Credentials": "apiweld.testing._auth",
    "OperationReport": "apiweld.testing.report",
    "check_against_mock": "apiweld.testing.project",
    "credentials_for": "apiweld.testing.project",
    "load_target": "apiweld.testing.project",
    "run_contract_checks": "apiweld.testing.runner",
}

__all__ = [
    "ALL_CHECKS",
    "CheckFailure",
    "ContractConfig",
    "ContractReport",
    "CredentialError",
    "Credentials",
    "OperationReport",
    "check_against_mock",
    "credentials_for",
    "load_target",
    "run_contract_checks",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'apiweld.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
