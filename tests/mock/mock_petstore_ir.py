"""A petstore-like API built directly as IR, so the mock's tests do not depend on the loader."""

from __future__ import annotations

from pathlib import Path

from apiweld.spec.ir import (
    Api,
    Discriminator,
    Example,
    Header,
    MediaType,
    Operation,
    Pagination,
    Parameter,
    Property,
    RequestBody,
    Response,
    Schema,
    SecurityScheme,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"


def ref(name: str) -> Schema:
    return Schema(ref=name)


def prop(name: str, schema: Schema, required: bool = False) -> Property:
    return Property(name=name, py_name=name, schema=schema, required=required)


def json_content(schema: Schema, *examples: object) -> tuple[MediaType, ...]:
    return (
        MediaType(
            "application/json", schema=schema, examples=tuple(Example(value=e) for e in examples)
        ),
    )


ERROR = Schema(
    name="Error",
    types=("object",),
    properties=(
        prop("title", Schema(types=("string",)), True),
        prop("status", Schema(types=("integer",)), True),
        prop("detail", Schema(types=("string",))),
    ),
)
NEW_PET = Schema(
    name="NewPet",
    types=("object",),
    properties=(
        prop("name", Schema(types=("string",), min_length=1, max_length=64), True),
        prop("species", ref("Species"), True),
        prop("tags", Schema(types=("array",), items=Schema(types=("string",)))),
        prop("birthday", Schema(types=("string", "null"), format="date")),
    ),
)
PET = Schema(
    name="Pet",
    all_of=(
        ref("NewPet"),
        Schema(
            types=("object",),
            properties=(
                prop("id", Schema(types=("integer",), format="int64", read_only=True), True),
                prop(
                    "created_at",
                    Schema(types=("string",), format="date-time", read_only=True),
                    True,
                ),
                prop("parent", Schema(one_of=(ref("Pet"), Schema(types=("null",))))),
            ),
        ),
    ),
)
PET_PATCH = Schema(
    name="PetPatch",
    types=("object",),
    min_properties=1,
    properties=(
        prop("name", Schema(types=("string",), min_length=1, max_length=64)),
        prop("tags", Schema(types=("array",), items=Schema(types=("string",)))),
    ),
)
PET_PAGE = Schema(
    name="PetPage",
    types=("object",),
    properties=(
        prop("data", Schema(types=("array",), items=ref("Pet")), True),
        prop("next_cursor", Schema(types=("string", "null"))),
    ),
)
STORE = Schema(
    name="Store",
    types=("object",),
    properties=(
        prop("id", Schema(types=("string",), format="uuid"), True),
        prop("name", Schema(types=("string",)), True),
        prop("code", Schema(types=("string",), pattern=r"^[A-Z]{3}-\d{4}$"), True),
        prop("open", Schema(types=("boolean",))),
    ),
)
CAT = Schema(
    name="Cat",
    types=("object",),
    properties=(
        prop("kind", Schema(types=("string",)), True),
        prop("lives", Schema(types=("integer",), minimum=1, maximum=9), True),
    ),
)
DOG = Schema(
    name="Dog",
    types=("object",),
    properties=(
        prop("kind", Schema(types=("string",)), True),
        prop("good", Schema(types=("boolean",)), True),
    ),
)
ANIMAL = Schema(
    name="Animal",
    one_of=(ref("Cat"), ref("Dog")),
    discriminator=Discriminator("kind", (("cat", "Cat"), ("dog", "Dog"))),
)
SCHEMAS = {
    "Error": ERROR,
    "NewPet": NEW_PET,
    "Pet": PET,
    "PetPatch": PET_PATCH,
    "PetPage": PET_PAGE,
    "Species": Schema(name="Species", types=("string",), enum=("dog", "cat", "bird", "fish")),
    "Store": STORE,
    "Cat": CAT,
    "Dog": DOG,
    "Animal": ANIMAL,
}

EVENT = Schema(
    types=("object",),
    properties=(prop("seq", Schema(types=("integer",)), True),),
)
EVENT_PAGE = Schema(
    types=("object",),
    properties=(
        prop("items", Schema(types=("array",), items=EVENT), True),
        prop("has_more", Schema(types=("boolean",)), True),
        prop(
            "meta",
            Schema(types=("object",), properties=(prop("total", Schema(types=("integer",))),)),
        ),
    ),
)
LOG_PAGE = Schema(
    types=("object",),
    properties=(
        prop("entries", Schema(types=("array",), items=Schema(types=("string",))), True),
        prop("next", Schema(types=("string",), format="uri")),
    ),
)

ERROR_RESPONSES = (
    Response("404", content=(MediaType("application/problem+json", schema=ref("Error")),)),
    Response("default", content=(MediaType("application/problem+json", schema=ref("Error")),)),
)
PET_ID = Parameter(
    "petId",
    "pet_id",
    "path",
    Schema(types=("integer",), minimum=1),
    required=True,
    style="simple",
)


def _ops() -> tuple[Operation, ...]:
    return (
        Operation(
            id="list_pets",
            method="get",
            path="/pets",
            parameters=(
                Parameter(
                    "limit", "limit", "query", Schema(types=("integer",), minimum=1, maximum=100)
                ),
                Parameter("cursor", "cursor", "query", Schema(types=("string",))),
                Parameter("species", "species", "query", ref("Species")),
            ),
            responses=(
                Response(
                    "200",
                    headers=(Header("X-Total", Schema(types=("integer",))),),
                    content=json_content(ref("PetPage")),
                ),
                *ERROR_RESPONSES,
            ),
            pagination=Pagination(
                "cursor",
                items_path=("data",),
                cursor_param="cursor",
                limit_param="limit",
                next_cursor_path=("next_cursor",),
            ),
            idempotent=True,
        ),
        Operation(
            id="create_pet",
            method="post",
            path="/pets",
            parameters=(
                Parameter(
                    "Idempotency-Key",
                    "idempotency_key",
                    "header",
                    Schema(types=("string",), max_length=255),
                    style="simple",
                ),
            ),
            request_body=RequestBody(json_content(ref("NewPet")), required=True),
            responses=(Response("201", content=json_content(ref("Pet"))), *ERROR_RESPONSES),
            idempotency_header="Idempotency-Key",
        ),
        Operation(
            id="get_pet",
            method="get",
            path="/pets/{petId}",
            parameters=(PET_ID,),
            responses=(Response("200", content=json_content(ref("Pet"))), *ERROR_RESPONSES),
            idempotent=True,
        ),
        Operation(
            id="update_pet",
            method="patch",
            path="/pets/{petId}",
            parameters=(PET_ID,),
            request_body=RequestBody(json_content(ref("PetPatch")), required=True),
            responses=(Response("200", content=json_content(ref("Pet"))), *ERROR_RESPONSES),
        ),
        Operation(
            id="delete_pet",
            method="delete",
            path="/pets/{petId}",
            parameters=(PET_ID,),
            responses=(Response("204"), *ERROR_RESPONSES),
            idempotent=True,
        ),
        Operation(
            id="list_stores",
            method="get",
            path="/stores",
            security=(),
            parameters=(
                Parameter("page", "page", "query", Schema(types=("integer",), minimum=1)),
                Parameter(
                    "per_page",
                    "per_page",
                    "query",
                    Schema(types=("integer",), minimum=1, maximum=50),
                ),
            ),
            responses=(
                Response(
                    "200",
                    content=(
                        MediaType(
                            "application/json", schema=Schema(types=("array",), items=ref("Store"))
                        ),
                        MediaType(
                            "application/xml", schema=Schema(types=("array",), items=ref("Store"))
                        ),
                    ),
                ),
            ),
            pagination=Pagination("link", page_param="page", size_param="per_page"),
            idempotent=True,
        ),
        Operation(
            id="search",
            method="get",
            path="/search/{ids}",
            security=(),
            parameters=(
                Parameter(
                    "ids",
                    "ids",
                    "path",
                    Schema(types=("array",), items=Schema(types=("integer",))),
                    required=True,
                    style="simple",
                ),
                Parameter(
                    "tag",
                    "tag",
                    "query",
                    Schema(types=("array",), items=Schema(types=("string",))),
                    required=True,
                ),
                Parameter(
                    "pipes",
                    "pipes",
                    "query",
                    Schema(types=("array",), items=Schema(types=("integer",))),
                    style="pipeDelimited",
                    explode=False,
                ),
                Parameter(
                    "filter",
                    "filter",
                    "query",
                    Schema(
                        types=("object",),
                        properties=(
                            prop("min", Schema(types=("integer",))),
                            prop("max", Schema(types=("integer",), maximum=10)),
                        ),
                    ),
                    style="deepObject",
                ),
                Parameter(
                    "X-Trace",
                    "x_trace",
                    "header",
                    Schema(types=("string",), pattern=r"^t-\d+$"),
                    style="simple",
                ),
                Parameter("session", "session", "cookie", Schema(types=("string",))),
            ),
            responses=(Response("200", content=json_content(ref("Animal"))),),
            idempotent=True,
        ),
        Operation(
            id="upload",
            method="post",
            path="/uploads",
            security=(),
            request_body=RequestBody(
                (
                    MediaType(
                        "multipart/form-data",
                        schema=Schema(
                            types=("object",),
                            properties=(
                                prop("file", Schema(types=("string",), format="binary"), True),
                                prop("count", Schema(types=("integer",), minimum=1), True),
                            ),
                        ),
                    ),
                    MediaType(
                        "application/x-www-form-urlencoded",
                        schema=Schema(
                            types=("object",),
                            properties=(
                                prop("count", Schema(types=("integer",), minimum=1), True),
                                prop(
                                    "labels",
                                    Schema(types=("array",), items=Schema(types=("string",))),
                                ),
                            ),
                        ),
                    ),
                ),
                required=True,
            ),
            responses=(
                Response(
                    "200",
                    content=json_content(
                        Schema(
                            types=("object",), properties=(prop("ok", Schema(types=("boolean",))),)
                        ),
                        {"ok": True},
                    ),
                ),
            ),
        ),
        Operation(
            id="whoami",
            method="get",
            path="/admin/whoami",
            security=((("basic", ()),),),
            responses=(
                Response(
                    "200", content=(MediaType("text/plain", schema=Schema(types=("string",))),)
                ),
            ),
            idempotent=True,
        ),
        Operation(
            id="list_events",
            method="get",
            path="/events",
            security=(),
            parameters=(
                Parameter("offset", "offset", "query", Schema(types=("integer",), minimum=0)),
                Parameter("limit", "limit", "query", Schema(types=("integer",), minimum=1)),
            ),
            responses=(Response("200", content=json_content(EVENT_PAGE)),),
            pagination=Pagination(
                "offset",
                items_path=("items",),
                offset_param="offset",
                limit_param="limit",
                has_more_path=("has_more",),
                total_path=("meta", "total"),
            ),
            idempotent=True,
        ),
        Operation(
            id="list_logs",
            method="get",
            path="/logs",
            security=(),
            responses=(Response("200", content=json_content(LOG_PAGE)),),
            pagination=Pagination("next_url", items_path=("entries",), next_url_path=("next",)),
            idempotent=True,
        ),
    )


SECURITY_SCHEMES = {
    "apiKey": SecurityScheme(
        "apiKey", "api_key", "apiKey", param_name="X-API-Key", location="header"
    ),
    "bearer": SecurityScheme("bearer", "bearer", "http", scheme="bearer"),
    "basic": SecurityScheme("basic", "basic", "http", scheme="basic"),
}

PETSTORE = Api(
    title="Petstore",
    version="1.0",
    source_format="openapi 3.1.0",
    security_schemes=SECURITY_SCHEMES,
    security=((("apiKey", ()),), (("bearer", ()),)),
    operations=_ops(),
    schemas=SCHEMAS,
)

AUTH = {"X-API-Key": "k1"}
