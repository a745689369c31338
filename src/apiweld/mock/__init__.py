"""apiweld.mock: the API impersonated from its IR, with validation, rules, state and faults.

```python
with MockServer(api, seed=1, faults="flaky") as base_url:
    ...  # talk to base_url over HTTP
    server.requests  # what happened
```

Reusable pieces: `apiweld.mock.datagen` (values from IR schemas) and `apiweld.mock.jsonschema`
(IR schemas as JSON Schema documents for validators).
"""

from apiweld.mock._app import MockApp, MockSettings
from apiweld.mock._log import RequestRecord
from apiweld.mock._ratelimit import RateLimit
from apiweld.mock._server import MockServer, MockServerError
from apiweld.mock.faults import PROFILES, FaultConfigError, FaultProfile, load_profile

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
