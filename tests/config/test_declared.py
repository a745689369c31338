"""APIs with no description: [[endpoints]] in apiweld.toml -> the same IR as a description."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from apiweld.config import ConfigError
from apiweld.spec._project import load_project
from apiweld.spec.ir import Api

WIDGETS = """
[api]
title = "Widgets"
version = "2.0"
package = "widgets"
default_environment = "production"

[environments.staging]
base_url = "https://staging.widgets.example.com/api"
[environments.production]
base_url = "https://widgets.example.com/api"

[auth.key]
api_key_env = "WIDGETS_API_KEY"
param_name = "X-Widget-Key"

[schemas.Widget]
type = "object"
required = ["id", "name"]
[schemas.Widget.properties]
id = { type = "integer", format = "int64" }
name = { type = "string", maxLength = 50 }
color = { type = ["string", "null"], enum = ["red", "blue"] }
parts = { type = "array", items = { "$ref" = "Widget" } }

[[endpoints]]
method = "GET"
path = "/widgets"
id = "listWidgets"
tags = ["widgets"]
summary = "List widgets"
parameters = [
  { name = "page", in = "query", type = "integer" },
  { name = "per_page", in = "query", type = "integer" },
  { name = "color", in = "query", schema = { type = "string", enum = ["red", "blue"] } },
  { name = "X-Trace", in = "header", required = true },
]
pagination = { style = "page", page_param = "page", size_param = "per_page", items_path = "items" }
[endpoints.response.schema]
type = "object"
properties = { items = { type = "array", items = { "$ref" = "Widget" } } }

[[endpoints]]
method = "get"
path = "/widgets/{widget_id}"
id = "getWidget"
tags = ["widgets"]
parameters = [{ name = "widget_id", in = "path", type = "integer" }]
response = { schema = { "$ref" = "Widget" } }

[[endpoints]]
method = "post"
path = "/widgets"
id = "createWidget"
tags = ["widgets"]
idempotency_header = "Idempotency-Key"
body = { schema = { "$ref" = "Widget" } }
response = { status = 201, schema = { "$ref" = "Widget" } }

[[endpoints]]
method = "delete"
path = "/widgets/{widget_id}"
tags = ["widgets"]
security = []
"""


def load(tmp_path: Path, text: str) -> Api:
    path = tmp_path / "apiweld.toml"
    path.write_text(text, encoding="utf-8")
    return load_project(path)


def config_error(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value


def test_declared_endpoints_become_the_ir(tmp_path: Path) -> None:
    api = load(tmp_path, WIDGETS)
    assert (api.title, api.version, api.source_format) == ("Widgets", "2.0", "apiweld.toml")
    assert api.source == str(tmp_path / "apiweld.toml")
    # The default environment is the first server.
    assert [s.url for s in api.servers] == [
        "https://widgets.example.com/api",
        "https://staging.widgets.example.com/api",
    ]
    assert [op.id for op in api.operations] == [
        "list_widgets",
        "create_widget",
        "get_widget",
        "delete_widgets_widget_id",
    ]
    listing = api.operation("list_widgets")
    assert (listing.method, listing.path, listing.resource) == ("get", "/widgets", "widgets")
    params = {p.name: p for p in listing.parameters}
    assert params["page"].schema.types == ("integer",)
    assert params["color"].schema.enum == ("red", "blue")
    assert params["X-Trace"].location == "header" and params["X-Trace"].required
    assert listing.pagination is not None
    assert (listing.pagination.style, listing.pagination.source) == ("page", "config")
    assert listing.pagination.items_path == ("items",)

    widget = api.schemas["Widget"]
    assert {p.name for p in widget.properties} == {"id", "name", "color", "parts"}
    color = next(p for p in widget.properties if p.name == "color")
    assert color.schema.nullable
    parts = next(p for p in widget.properties if p.name == "parts")
    assert parts.schema.items is not None and parts.schema.items.ref == "Widget"

    create = api.operation("create_widget")
    assert create.request_body is not None
    body_schema = create.request_body.content[0].schema
    assert body_schema is not None and body_schema.ref == "Widget"
    assert [r.status for r in create.responses] == ["201"]
    assert create.idempotency_header == "Idempotency-Key"

    get = api.operation("get_widget")
    widget_id = get.parameters[0]
    assert (widget_id.location, widget_id.required, widget_id.schema.types) == (
        "path",
        True,
        ("integer",),
    )

    assert api.security_schemes["key"].param_name == "X-Widget-Key"
    assert api.security_for(get) == ((("key", ()),),)
    assert api.operation("delete_widgets_widget_id").security == ()


def test_endpoint_problems_point_at_toml_keys(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        '[api]\ntitle = "T"\n'
        '[[endpoints]]\nmethod = "get"\npath = "/a"\n'
        'response = { schema = { "$ref" = "Missing" } }\n'
        '[[endpoints]]\nmethod = "get"\npath = "/b/{id}"\n'
        'response = { schema = { type = "strin" } }\n',
    )
    found = {p.pointer: p for p in api.problems}
    assert "/endpoints/0/response/schema" in found
    assert found["/endpoints/0/response/schema"].file == str(tmp_path / "apiweld.toml")
    assert any(pointer.startswith("/endpoints/1/response/schema") for pointer in found)
    assert "assumed a required string" in found["/endpoints/1/path"].message
    # Nothing points into the intermediate OpenAPI document the user never wrote.
    assert not any(p.pointer.startswith(("/paths", "/components")) for p in api.problems)


def test_an_endpoint_without_a_response_returns_untyped_json(tmp_path: Path) -> None:
    api = load(tmp_path, '[[endpoints]]\nmethod = "get"\npath = "/ping"\n')
    (response,) = api.operations[0].responses
    assert response.status == "200" and response.content[0].media_type == "application/json"
    assert api.title == "API"


@pytest.mark.parametrize(
    ("text", "key_path", "fragment"),
    [
        (
            '[[endpoints]]\nmethod = "get"\npath = "/a"\n[[endpoints]]\nmethod = "GET"\n'
            'path = "/a"\n',
            ("endpoints", 1),
            "already declared by endpoints[0]",
        ),
        (
            '[[endpoints]]\nmethod = "get"\npath = "/a"\n'
            'parameters = [{ name = "id", in = "path" }]\n',
            ("endpoints", 0, "parameters", 0),
            "not in the path",
        ),
        (
            '[[endpoints]]\nmethod = "get"\npath = "/a"\nsecurity = ["oauth"]\n',
            ("endpoints", 0, "security"),
            "unknown auth scheme(s) 'oauth'",
        ),
        (
            '[auth.oauth]\nclient_id_env = "ID"\nclient_secret_env = "SECRET"\n'
            '[[endpoints]]\nmethod = "get"\npath = "/a"\n',
            ("auth", "oauth", "token_url"),
            "needs token_url",
        ),
        (
            '[[endpoints]]\nmethod = "get"\npath = "/a"\n'
            'pagination = { style = "cursor", cursor_param = "after" }\n',
            ("endpoints", 0, "pagination"),
            "'after' is not a query parameter",
        ),
    ],
)
def test_declaration_errors_name_their_keys(
    tmp_path: Path, text: str, key_path: tuple[object, ...], fragment: str
) -> None:
    error = config_error(tmp_path, text)
    matching = [p for p in error.problems if p.key_path == key_path]
    assert matching and any(fragment in p.message for p in matching), str(error)


def test_oauth_and_basic_schemes_of_declared_apis(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        '[auth.oauth]\nclient_id_env = "ID"\nclient_secret_env = "SECRET"\n'
        'token_url = "https://auth.example.com/token"\nscopes = ["read"]\n'
        '[auth.basic]\nusername_env = "USER"\npassword_env = "PASSWORD"\n'
        '[[endpoints]]\nmethod = "get"\npath = "/a"\n',
    )
    oauth = api.security_schemes["oauth"]
    assert oauth.type == "oauth2"
    assert oauth.flows[0].kind == "clientCredentials"
    assert oauth.flows[0].token_url == "https://auth.example.com/token"
    assert dict(oauth.flows[0].scopes) == {"read": ""}
    assert api.security_schemes["basic"].scheme == "basic"


class _WidgetPages(BaseHTTPRequestHandler):
    """Two pages of one widget each, then an empty page; records what the client sent."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        page = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
        items = [{"id": page, "name": f"w{page}"}] if page <= 2 else []
        body = json.dumps({"items": items}).encode()
        self.seen.append((self.path, self.headers.get("X-Widget-Key")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test asserts on `seen` instead."""


def test_a_declared_only_config_generates_a_working_client(tmp_path: Path) -> None:
    pytest.importorskip("apiweld.commands.generate", reason="apiweld generate not in this tree")
    # The rename goes through to the generated method name.
    config = WIDGETS + '[operations.rename]\nlistWidgets = "all"\n'
    (tmp_path / "apiweld.toml").write_text(config, encoding="utf-8")
    apiweld = Path(sys.executable).parent / "apiweld"
    generated = subprocess.run(
        [str(apiweld), "generate", "apiweld.toml", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert generated.returncode == 0, generated.stderr
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WidgetPages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        script = (
            "import widgets\n"
            f"client = widgets.Widgets(base_url='http://127.0.0.1:{port}/api')\n"
            "print([w.name for w in client.widgets.all(per_page=1, x_trace='t')])\n"
        )
        env = {**os.environ, "WIDGETS_API_KEY": "k-123", "PYTHONPATH": str(tmp_path / "out")}
        ran = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "['w1', 'w2']"
    assert [path for path, _ in _WidgetPages.seen] == [
        "/api/widgets?per_page=1",
        "/api/widgets?page=2&per_page=1",
        "/api/widgets?page=3&per_page=1",
    ]
    assert {key for _, key in _WidgetPages.seen} == {"k-123"}


def test_schema_files_beside_the_toml_load_and_traversal_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "widget.json").write_text('{"type": "object", "properties": {"id": {}}}')
    (tmp_path / "outside.json").write_text('{"type": "string"}')
    endpoints = (
        '[[endpoints]]\nmethod = "get"\npath = "/w"\n'
        'response = { schema = { "$ref" = "./widget.json" } }\n'
        '[[endpoints]]\nmethod = "get"\npath = "/x"\n'
        'response = { schema = { "$ref" = "../outside.json" } }\n'
    )
    (project / "apiweld.toml").write_text(endpoints)
    refused = load_project(project / "apiweld.toml")
    (problem,) = [p for p in refused.problems if p.severity == "error"]
    assert problem.pointer == "/endpoints/1/response/schema"
    assert "leaves the description's folder" in problem.message

    (project / "apiweld.toml").write_text("[api]\nallow_outside_root = true\n" + endpoints)
    api = load_project(project / "apiweld.toml")
    widget = api.operations[0].responses[0].content[0].schema
    assert widget is not None
    assert [p.name for p in api.resolve(widget).properties] == ["id"]
    outside = api.operations[1].responses[0].content[0].schema
    assert outside is not None and api.resolve(outside).types == ("string",)
