"""apiweld.spec: any API description (OpenAPI 3.0/3.1, Swagger 2.0) into one typed IR.

    from apiweld.spec import load, SpecError
    api = load("openapi.yaml")                    # a path, URL (allow_network=True), dict or text
    for problem in api.problems:                  # survivable issues, each with a JSON pointer
        print(problem)                            # "warning: #/paths/~1pets/get: ..."

What `load` promises:
- It returns an `Api` (see `apiweld.spec.ir`) or raises `SpecError`, whose `problems` name the
  file and JSON pointer; no other exception escapes, whatever the input.
- What can be generated is: a broken part (a `$ref` to nowhere, a wrong type) is reported as a
  `Problem` and degrades to "any", and the rest loads.
- Local `$ref`s never read outside `root` (default: the description's folder) unless
  `allow_outside_root=True`; nothing is fetched from the network unless `allow_network=True`.
- Names (`Operation.id`, `Api.schemas` keys, `py_name`s) are valid, unique Python identifiers,
  decided here once. `apiweld.spec.names` has the same helpers for other layers to use.
"""

from apiweld.spec._errors import SpecError
from apiweld.spec._loader import Source, load, load_with_problems
from apiweld.spec.ir import Api, Problem

__all__ = ["Api", "Problem", "Source", "SpecError", "load", "load_with_problems"]
