"""apiweld.codegen: the IR of an API -> an installable, typed client package on disk.

    from apiweld.codegen import generate_package, check_output, load_target
    report = generate_package(api, Path("clients/petstore"))   # GenerationReport
    stale = check_output(api, Path("clients/petstore"))        # [] when up to date

The parser step (`_types`, `_operations`, `_layout`) turns the IR into a render model; the
templates under `templates/` only render it; `_render` writes inside the output folder and runs
ruff; `_generate` orchestrates and reports.
"""

from apiweld.codegen._generate import (
    GenerationError,
    GenerationReport,
    GenerationWarning,
    SkippedOperation,
)
from apiweld.codegen._generate import check as check_output
from apiweld.codegen._generate import generate as generate_package
from apiweld.codegen._load import GenerationInput, load_target

__all__ = [
    "GenerationError",
    "GenerationInput",
    "GenerationReport",
    "GenerationWarning",
    "SkippedOperation",
    "check_output",
    "generate_package",
    "load_target",
]
