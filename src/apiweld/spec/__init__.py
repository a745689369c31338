"""apiweld.spec: any API description (OpenAPI 3.0/3.1, Swagger 2.0) into one typed IR.

    from apiweld.spec import load, SpecError
    api = load("openapi.yaml")          # or a URL (allow_network=True), or a dict
    for problem in api.problems: ...    # survivable issues, each with a JSON pointer

Naming helpers shared by every layer live in `apiweld.spec.names`; the IR in `apiweld.spec.ir`.
"""

from apiweld.spec._errors import SpecError
from apiweld.spec._loader import Source, load, load_with_problems
from apiweld.spec.ir import Api, Problem

__all__ = ["Api", "Problem", "Source", "SpecError", "load", "load_with_problems"]
