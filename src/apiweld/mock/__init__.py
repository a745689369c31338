"""apiweld.mock: the API impersonated from its IR, with validation, rules, state and faults.

```python
with MockServer(api, seed=1, faults="flaky") as base_url:
    ...  # talk to base_url over HTTP
    server.requests  # what happened
```

Reusable pieces: `apiweld.mock.datagen` (values from IR schemas) and `apiweld.mock.jsonschema`
(IR schemas as JSON Schema documents for validators). Exports are lazy (module `__getattr__`)
so that `apiweld.testing`, which shares the exporter, does not import starlette and uvicorn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apiweld.mock._app import MockApp, MockSettings
    from apiweld.mock._log import RequestRecord
    from apiweld.mock._ratelimit import RateLimit
    from apiweld.mock._server import MockServer, MockServerError
    from apiweld.mock.faults import PROFILES, FaultConfigError, FaultProfile, load_profile

_EXPORTS: dict[str, str] = {
    "PROFILES": "apiweld.mock.faults",
    "FaultConfigError": "apiweld.mock.faults",
    "FaultProfile": "apiweld.mock.faults",
    "MockApp": "apiweld.mock._app",
    "MockServer": "apiweld.mock._server",
    "MockServerError": "apiweld.mock._server",
    "MockSettings": "apiweld.mock._app",
    "RateLimit": "apiweld.mock._ratelimit",
    "RequestRecord": "apiweld.mock._log",
    "load_profile": "apiweld.mock.faults",
}

__all__ = [
    "PROFILES",
    "FaultConfigError",
    "FaultProfile",
    "MockApp",
    "MockServer",
    "MockServerError",
    "MockSettings",
    "RateLimit",
    "RequestRecord",
    "load_profile",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'apiweld.mock' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
