"""Request body encoding (pure): JSON, form, multipart with files, bytes."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pydantic import BaseModel, Field

from apiweld.runtime import NOT_GIVEN
from apiweld.runtime._bodies import encode_body


class Pet(BaseModel):
    pet_name: str = Field(alias="petName")
    tag: str | None = None


def test_nothing_to_send() -> None:
    assert encode_body(NOT_GIVEN, None, None) == (None, None)


def test_model_dumped_by_alias_without_unset_fields() -> None:
    content, content_type = encode_body(Pet(petName="rex"), None, None)
    assert content == b'{"petName":"rex"}' and content_type == "application/json"


def test_extra_body_merges_into_json_objects_only() -> None:
    content, _ = encode_body(Pet(petName="rex"), None, {"extra": Decimal("1.5")})
    assert content == b'{"petName":"rex","extra":"1.5"}'
    with pytest.raises(TypeError, match="JSON object"):
        encode_body([1, 2], None, {"x": 1})


def test_vendor_json_and_nested_models() -> None:
    content, content_type = encode_body(
        {"pets": [Pet(petName="a")]}, "application/vnd.api+json", None
    )
    assert content == b'{"pets":[{"petName":"a"}]}'
    assert content_type == "application/vnd.api+json"


def test_form_lists_and_booleans() -> None:
    content, _ = encode_body(
        {"tags": ["a", "b"], "ok": False, "skip": None}, "application/x-www-form-urlencoded", None
    )
    assert content == b"tags=a&tags=b&ok=false"


def test_multipart_file_object_takes_its_name() -> None:
    upload = io.BytesIO(b"data")
    upload.name = "/tmp/report.csv"
    content, content_type = encode_body({"file": upload, "n": 3}, "multipart/form-data", None)
    assert content_type.startswith("multipart/form-data; boundary=")
    assert b'filename="report.csv"' in content and b"data" in content
    assert b'name="n"\r\n\r\n3' in content


def test_multipart_rejects_malformed_file_tuples() -> None:
    with pytest.raises(TypeError, match="filename, content"):
        encode_body({"file": ("a", b"b", "c", "d")}, "multipart/form-data", None)


def test_bytes_and_text_bodies() -> None:
    assert encode_body(b"\x00", None, None) == (b"\x00", "application/octet-stream")
    assert encode_body("héllo", "text/plain", None) == ("héllo".encode(), "text/plain")
    with pytest.raises(TypeError, match="cannot encode"):
        encode_body(object(), "application/xml", None)
