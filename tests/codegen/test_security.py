"""A hostile description: the generated code imports and does nothing else.

Every string the description controls carries a payload that, if it ever ran (at generation, at
import, or while building the models), would create a marker file; names try to escape the
output folder, shadow builtins and the modules the generated code relies on.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiweld.codegen import GenerationError, generate_package
from apiweld.codegen._names import comment_text, docstring_body, finish_docstring, py_literal
from apiweld.spec import load

FreshImport = Callable[[Path, str], subprocess.CompletedProcess[str]]


def _payloads(marker: Path) -> list[str]:
    code = f"__import__('pathlib').Path({str(marker)!r}).write_text('pwned')"
    return [
        f'"""; {code}; """',
        f"'''; {code}; '''",
        f'\\"""\n{code}\n#',
        f'"); {code}; ("',
        f"'); {code}; ('",
        f"\\N{{BOGUS}} \\u12 \\x0 \\\n{code}",
        f"*/ {code} # \r\n{code}\u2028{code}",
        f"{{{{ {code} }}}} {{% {code} %}}",
        f"../../../../tmp/{marker.name}",
        "__init__",
        "builtins",
        "_t",
        "os",
    ]


def _hostile_description(marker: Path) -> dict[str, Any]:
    payloads = _payloads(marker)
    props = {
        name: {"type": "string", "description": p, "default": p, "enum": [*payloads, p]}
        for name, p in zip(
            [
                "model_config",
                "__class__",
                "_private",
                "self",
                "validate",
                "str",
                "int",
                "_t",
                *payloads,
            ],
            payloads * 3,
            strict=False,
        )
    }
    schemas: dict[str, Any] = {
        name: {
            "type": "object",
            "title": p,
            "description": p,
            "properties": props,
            "required": list(props)[:3],
        }
        for name, p in zip(
            ["../Evil", "BaseModel", "Model", "__init__", "str", "builtins", "os", *payloads],
            payloads * 2,
            strict=False,
        )
    }
    schemas["Enum" + "x"] = {"type": "string", "enum": payloads}
    first_schema = next(iter(schemas))
    paths: dict[str, Any] = {}
    for index, p in enumerate(payloads):
        paths[f"/things/{index}/{{{p}}}"] = {
            "get": {
                "operationId": p,
                "tags": [p],
                "summary": p,
                "description": p,
                "parameters": [
                    {"name": p, "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": p, "in": "query", "description": p, "schema": {"enum": payloads}},
                    {"name": p, "in": "header", "schema": {"type": "string", "default": p}},
                    {"name": p, "in": "cookie", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": p,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{first_schema}"}
                            }
                        },
                    }
                },
            },
            "post": {
                "operationId": p + "post",
                "tags": [p],
                "requestBody": {
                    "description": p,
                    "content": {"application/json": {"schema": {"properties": props}}},
                },
                "responses": {"204": {"description": p}},
            },
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": payloads[0], "version": payloads[3], "description": payloads[2]},
        "servers": [
            {
                "url": "https://{" + payloads[4] + "}.example/" + payloads[1],
                "description": payloads[2],
                "variables": {payloads[4]: {"default": payloads[3], "description": payloads[0]}},
            }
        ],
        "tags": [{"name": p, "description": p} for p in payloads],
        "security": [{payloads[0]: []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                payloads[0]: {"type": "apiKey", "in": "header", "name": payloads[1]},
                payloads[2]: {"type": "http", "scheme": "bearer", "description": payloads[3]},
                payloads[5]: {"type": "http", "scheme": "basic"},
            },
        },
    }


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.mark.parametrize(
    "include_tests",
    [
        pytest.param(False, id="client"),
        # The default output also holds the package's test suite, rendered by apiweld.testing.
        pytest.param(True, id="client-and-generated-tests"),
    ],
)
def test_hostile_description_generates_inert_code(
    tmp_path: Path, fresh_import: FreshImport, include_tests: bool
) -> None:
    marker = tmp_path / "MARKER"
    workspace = tmp_path / "workspace"
    out = workspace / "out"
    workspace.mkdir()
    api = load(_hostile_description(marker))
    before = _all_files(tmp_path)

    report = generate_package(api, out, include_tests=include_tests)

    assert not marker.exists(), "a payload ran during generation"
    created = _all_files(tmp_path) - before
    outside = [p for p in created if not p.resolve().is_relative_to(out.resolve())]
    assert outside == [], outside
    assert report.operations_generated == report.operations_total > 0
    assert report.lint == [], report.lint
    for path in out.rglob("*.py"):
        # Every file is valid Python and no line of a comment carries a payload's line break.
        compile(path.read_text(encoding="utf-8"), str(path), "exec")

    result = fresh_import(out, report.package)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not marker.exists(), "a payload ran on import"

    # The client can be built and its resources reached without anything running.
    probe = (
        "import sys, importlib; sys.path.insert(0, sys.argv[1]);"
        "pkg = importlib.import_module(sys.argv[2]);"
        "names = [n for n in pkg.__all__ if n != 'models' and not n.startswith('Async')];"
        "client = getattr(pkg, names[0])(base_url='http://127.0.0.1:9');"
        "[getattr(client, a) for a in dir(type(client)) if not a.startswith('_')"
        " and isinstance(getattr(type(client), a), __import__('functools').cached_property)]"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(out), report.package],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert not marker.exists()
    assert not (tmp_path / "tmp").exists()


def test_output_cannot_be_redirected_by_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    api = load(Path(__file__).resolve().parents[2] / "examples" / "petstore.yaml")
    # A planted symlink where the package folder goes is refused, not followed.
    (out / "petstore").symlink_to(outside, target_is_directory=True)
    with pytest.raises(GenerationError, match="petstore"):
        generate_package(api, out)
    assert list(outside.iterdir()) == []


@given(st.text())
def test_any_text_stays_inside_its_docstring(text: str) -> None:
    source = '"""' + finish_docstring(docstring_body(text)) + '"""'
    value = ast.literal_eval(source)
    text = text.expandtabs(4)
    expected = "".join(c for c in text if c == "\n" or unicodedata.category(c)[0] != "C")
    assert value == "\n".join(line.rstrip() for line in expected.strip().splitlines()).strip()


@given(st.text())
def test_any_text_stays_inside_its_comment_and_literal(text: str) -> None:
    comment = comment_text(text)
    assert "\n" not in comment and "\r" not in comment
    assert len(ast.parse("x = 1  # " + comment).body) == 1
    assert ast.literal_eval(py_literal(text)) == text


def test_package_never_shadows_a_module(tmp_path: Path) -> None:
    document = {"openapi": "3.0.3", "info": {"title": "os", "version": "1"}, "paths": {}}
    report = generate_package(load(document), tmp_path / "a")
    assert report.package == "os_client"
    with pytest.raises(GenerationError, match="shadow"):
        generate_package(load(document), tmp_path / "b", package="json")
    assert not (tmp_path / "b" / "json").exists()
