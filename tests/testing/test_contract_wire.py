"""`apiweld test` sends what a generated client sends, over loopback, against the mock.

Each description here is a shape that real descriptions have (Box's `#key` path suffixes,
OpenAI's `?beta=true` keys, Twilio's form arrays, ...) and that once made the contract checks
fail against a mock that was right.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from apiweld.mock import MockServer
from apiweld.spec import load
from apiweld.spec.ir import Api
from apiweld.testing import ContractConfig, run_contract_checks
from apiweld.testing._cases import Case, positive_cases
from apiweld.testing.report import ContractReport
from apiweld.testing.runner import build_request


def _api(tmp_path: Path, text: str) -> Api:
    path = tmp_path / "openapi.yaml"
    path.write_text(text)
    return load(path)


def _run(api: Api, *, writes: bool = False, examples: int = 5) -> ContractReport:
    with MockServer(api) as base_url:
        return run_contract_checks(
            api, base_url, ContractConfig(max_examples=examples, allow_writes=writes)
        )


def _failures(report: ContractReport) -> list[str]:
    return [
        f"{op.operation_id}: {f.check}: {f.message}"
        for op in report.operations
        for f in op.failures
    ]


FRAGMENT_PATHS = """
openapi: 3.0.0
info: {title: FragmentPaths, version: "1"}
paths:
  /files/{id}:
    get:
      operationId: get_file
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id, type]
                properties:
                  id: {type: string}
                  type: {type: string, enum: [file]}
  /files/{id}#get_shared_link:
    get:
      operationId: get_file_shared_link
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: fields, in: query, required: true, schema: {type: string, enum: [shared_link]}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [type, shared_link]
                properties:
                  type: {type: string, enum: [shared_link_holder]}
                  shared_link: {type: string}
  /responses/{id}?beta=true:
    get:
      operationId: beta_get_response
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: include, in: query, required: true, schema: {type: boolean}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {id: {type: string}}}
"""


def test_a_fragment_key_is_sent_as_the_runtime_sends_it(tmp_path: Path) -> None:
    api = _api(tmp_path, FRAGMENT_PATHS)
    operation = next(op for op in api.operations if op.id == "get_file_shared_link")
    case = positive_cases(api, operation, max_examples=1, seed=0)[0][0]
    url = build_request("http://127.0.0.1:1/v1", case, None, {}).url
    parts = urlsplit(url)
    assert "#" not in url
    assert parts.path.startswith("/v1/files/")
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["get_shared_link"] == [""]
    assert query["fields"] == ["shared_link"]


def test_a_query_in_the_path_key_is_joined_not_repeated(tmp_path: Path) -> None:
    api = _api(tmp_path, FRAGMENT_PATHS)
    operation = next(op for op in api.operations if op.id == "beta_get_response")
    case = positive_cases(api, operation, max_examples=1, seed=0)[0][0]
    url = build_request("http://127.0.0.1:1", case, None, {}).url
    assert url.count("?") == 1
    query = parse_qs(urlsplit(url).query)
    assert query["beta"] == ["true"]
    assert query["include"][0] in ("true", "false")


def test_operations_told_apart_by_path_key_suffixes_pass_against_the_mock(
    tmp_path: Path,
) -> None:
    # Before, the suffix rode in the URL fragment: the mock answered the plain `/files/{id}`
    # (a 200 to a request missing `fields`, and a `file` body for the shared-link operation).
    report = _run(_api(tmp_path, FRAGMENT_PATHS))
    assert _failures(report) == []
    assert report.ok
    assert all(op.status == "passed" for op in report.operations)


FORM_BODIES = """
openapi: 3.0.0
info: {title: FormBodies, version: "1"}
paths:
  /apps/{sid}:
    post:
      operationId: update_app
      parameters:
        - {name: sid, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [Permissions]
              properties:
                Permissions:
                  type: array
                  minItems: 1
                  items: {type: string, enum: [get-all, post-all]}
                FriendlyName: {type: string, nullable: true}
            examples:
              update: {value: {Permissions: [get-all, post-all], FriendlyName: null}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {sid: {type: string}}}
  /audio/transcriptions:
    post:
      operationId: create_transcription
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [model, timestamp_granularities]
              properties:
                model: {type: string, minLength: 1}
                timestamp_granularities:
                  type: array
                  minItems: 1
                  items: {type: string, enum: [word, segment]}
                prompt: {type: string, nullable: true}
            examples:
              one: {value: {model: whisper, timestamp_granularities: [word, segment], prompt: null}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {text: {type: string}}}
"""


def test_a_form_body_repeats_array_fields_and_leaves_null_out(tmp_path: Path) -> None:
    api = _api(tmp_path, FORM_BODIES)
    operation = next(op for op in api.operations if op.id == "update_app")
    case = positive_cases(api, operation, max_examples=1, seed=0)[0][0]
    assert case.label == "examples"
    request = build_request("http://127.0.0.1:1", case, None, {})
    assert request.body is not None
    assert parse_qs(request.body.decode(), keep_blank_values=True) == {
        "Permissions": ["get-all", "post-all"]
    }


def test_a_multipart_body_repeats_array_fields_and_leaves_null_out(tmp_path: Path) -> None:
    api = _api(tmp_path, FORM_BODIES)
    operation = next(op for op in api.operations if op.id == "create_transcription")
    case = positive_cases(api, operation, max_examples=1, seed=0)[0][0]
    request = build_request("http://127.0.0.1:1", case, None, {})
    assert request.body is not None
    body = request.body.decode()
    assert body.count('name="timestamp_granularities"') == 2
    assert 'name="prompt"' not in body
    assert "[" not in body and "null" not in body


def test_form_and_multipart_bodies_pass_against_the_mock(tmp_path: Path) -> None:
    report = _run(_api(tmp_path, FORM_BODIES), writes=True)
    assert _failures(report) == []
    assert [op.status for op in report.operations] == ["passed", "passed"]


NULLABLE_ENUM = """
openapi: 3.0.3
info: {title: NullableEnum, version: "1"}
paths:
  /decisions:
    post:
      operationId: report_decision
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Decision"}
            examples:
              undecided: {value: {outcome: null}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Decision"}
components:
  schemas:
    Decision:
      type: object
      required: [outcome]
      properties:
        outcome: {type: string, nullable: true, enum: [APPROVE, REVIEW, REJECT]}
"""


def test_requests_never_carry_null_for_a_nullable_enum_that_does_not_list_it(
    tmp_path: Path,
) -> None:
    api = _api(tmp_path, NULLABLE_ENUM)
    cases, notes = positive_cases(api, api.operations[0], max_examples=10, seed=3)
    assert {case.body["outcome"] for case in cases} <= {"APPROVE", "REVIEW", "REJECT"}
    # The example sends null: it is reported and replaced, not sent.
    assert "examples" not in [case.label for case in cases]
    assert any("invalid against its schema" in note for note in notes)


def test_responses_with_null_for_a_nullable_enum_are_still_accepted(tmp_path: Path) -> None:
    from apiweld.testing.checks import ValidatorCache

    api = _api(tmp_path, NULLABLE_ENUM)
    media = api.operations[0].responses[0].content[0]
    assert media.schema is not None
    validator = ValidatorCache(api).validator(media.schema)
    assert validator.is_valid({"outcome": None})
    assert not validator.is_valid({"outcome": "MAYBE"})


def test_a_nullable_enum_request_passes_against_the_mock(tmp_path: Path) -> None:
    report = _run(_api(tmp_path, NULLABLE_ENUM), writes=True, examples=10)
    assert _failures(report) == []
    assert report.operations[0].status == "passed"


NO_SUCCESS = """
openapi: 3.0.0
info: {title: NoSuccess, version: "1"}
paths:
  /revocation_requests/status:
    get:
      operationId: get_revocation_status
      responses:
        "400": {description: bad}
        "404": {description: missing}
"""


def test_no_documented_success_makes_the_status_check_not_applicable(tmp_path: Path) -> None:
    report = _run(_api(tmp_path, NO_SUCCESS), examples=1)
    operation = report.operations[0]
    assert _failures(report) == []
    assert operation.status == "passed"
    tally = operation.checks["status_code_conformance"]
    assert (tally.passed, tally.failed, tally.not_applicable) == (0, 0, 1)
    assert any("documents no success response" in note for note in operation.notes)


SURVIVES_THE_WIRE = """
openapi: 3.0.0
info: {title: Survives, version: "1"}
paths:
  /stats:
    get:
      operationId: get_stats
      parameters:
        - name: ids
          in: query
          required: true
          style: form
          explode: false
          schema: {type: array, minItems: 1, maxItems: 3, items: {type: string}}
        - name: tags
          in: query
          style: pipeDelimited
          explode: false
          schema: {type: array, minItems: 1, items: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {n: {type: integer}}}
  /upload:
    put:
      operationId: upload_file
      requestBody:
        required: true
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        "200": {description: ok}
  /notes:
    post:
      operationId: create_note
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [labels, title]
              properties:
                labels: {type: array, items: {type: string, enum: [a, b]}}
                title: {type: string, nullable: true}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object}
"""


def _cases_of(api: Api, operation_id: str, seed: int) -> list[Case]:
    operation = next(op for op in api.operations if op.id == operation_id)
    return positive_cases(api, operation, max_examples=25, seed=seed)[0]


def test_delimited_array_items_are_drawn_so_they_read_back_the_same(tmp_path: Path) -> None:
    api = _api(tmp_path, SURVIVES_THE_WIRE)
    drawn = [case.params for seed in range(4) for case in _cases_of(api, "get_stats", seed)]
    ids = [params[("query", "ids")] for params in drawn]
    tags = [params[("query", "tags")] for params in drawn if ("query", "tags") in params]
    assert len(ids) > 20 and tags
    assert all(item != "" and "," not in item for value in ids for item in value)
    assert all(item != "" and "|" not in item for value in tags for item in value)


def test_a_required_binary_body_is_never_empty(tmp_path: Path) -> None:
    api = _api(tmp_path, SURVIVES_THE_WIRE)
    bodies = [case.body for seed in range(4) for case in _cases_of(api, "upload_file", seed)]
    assert len(bodies) > 20
    assert all(isinstance(body, str) and body for body in bodies)


def test_a_form_body_is_drawn_as_it_arrives(tmp_path: Path) -> None:
    api = _api(tmp_path, SURVIVES_THE_WIRE)
    bodies = [case.body for seed in range(4) for case in _cases_of(api, "create_note", seed)]
    assert len(bodies) > 10
    # Neither null nor [] has a field on the wire: a required one would arrive missing.
    assert all(body["title"] is not None and body["labels"] for body in bodies)


def test_generated_data_survives_the_wire_to_the_mock(tmp_path: Path) -> None:
    api = _api(tmp_path, SURVIVES_THE_WIRE)
    with MockServer(api) as base_url:
        for seed in range(3):
            report = run_contract_checks(
                api, base_url, ContractConfig(max_examples=10, seed=seed, allow_writes=True)
            )
            assert _failures(report) == [], f"seed {seed}"
            assert all(op.status == "passed" for op in report.operations)


CURSOR_PAGED = """
openapi: 3.0.0
info: {title: CursorPaged, version: "1"}
paths:
  /batches:
    get:
      operationId: list_batches
      parameters:
        - name: after
          in: query
          schema: {type: string}
          example: batch_123
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [data, has_more]
                properties:
                  data:
                    type: array
                    items:
                      type: object
                      required: [id]
                      properties: {id: {type: string}}
                  last_id: {type: string, nullable: true}
                  has_more: {type: boolean}
"""


def test_valid_requests_leave_an_optional_cursor_to_the_server(tmp_path: Path) -> None:
    api = _api(tmp_path, CURSOR_PAGED)
    operation = api.operations[0]
    assert operation.pagination is not None and operation.pagination.cursor_param == "after"
    cases = positive_cases(api, operation, max_examples=10, seed=0)[0]
    assert len(cases) > 1
    assert all(("query", "after") not in case.params for case in cases)
    # The mock answers an invented cursor (the example's among them) with 400, as an API may.
    report = _run(api, examples=10)
    assert _failures(report) == []
    assert report.operations[0].status == "passed"
