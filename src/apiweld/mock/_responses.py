"""What the mock answers: the response chosen, its media type, body and headers (pages: `_paging`).

Bodies come from the description's examples when they validate against the schema, else from
`datagen`; every candidate is checked with the compiled validator and regenerated with another
seed when it fails, and the result is cached per (response, media type), so a hot endpoint
costs a dict lookup.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import orjson

from apiweld.mock._validation import ValidatorCache
from apiweld.mock.datagen import DataGenerator, GenerationOptions
from apiweld.spec.ir import Api, Header, MediaType, Operation, Response, Schema

NO_BODY = object()


def parse_accept(accept: str | None) -> list[tuple[str, float]]:
    if not accept:
        return [("*/*", 1.0)]
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        quality = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((pieces[0].lower(), quality))
    return ranges


def _is_json_family(essence: str) -> bool:
    return essence in ("application/json", "text/json") or essence.endswith("+json")


def _range_quality(media_range: str, essence: str) -> float:
    """How well a client's range matches a declared type: 1 exact or by wildcard, 0.5 for a
    JSON-family type (`application/hal+json`) asked for as `application/json`, else 0."""
    if media_range in ("*/*", "*") or essence in ("*/*", "*"):
        # A description documenting `*/*` serves whatever the client asks for.
        return 1.0
    kind, _, sub = media_range.partition("/")
    m_kind, _, m_sub = essence.partition("/")
    if kind == m_kind and (sub == "*" or m_sub == "*" or sub == m_sub):
        return 1.0
    # Clients (ours included) ask for `application/json` and parse any `+json` type as
    # JSON; a vendor type is JSON with a name, so it is served rather than refused with 406.
    if media_range == "application/json" and _is_json_family(essence):
        return 0.5
    return 0.0


def _concrete_type(essence: str, ranges: list[tuple[str, float]]) -> str:
    """The type to send for a declared wildcard (`*/*`, `application/*`): the client's best
    concrete range inside it, JSON when the client takes anything."""
    kind = essence.partition("/")[0]
    concrete = sorted(
        (
            (q, r)
            for r, q in ranges
            if q > 0 and "*" not in r and (essence in ("*/*", "*") or r.startswith(kind + "/"))
        ),
        key=lambda pair: (-pair[0], not _is_json_family(pair[1])),
    )
    if concrete:
        return concrete[0][1]
    if kind in ("*", "application"):
        return "application/json"
    return "text/plain" if kind == "text" else "application/octet-stream"


def negotiate(accept: str | None, content: tuple[MediaType, ...]) -> MediaType | None:
    """The declared media type the client accepts best (declaration order breaks ties).

    A declared wildcard comes back with the concrete type to send in place of its own.
    """
    ranges = parse_accept(accept)
    best: tuple[float, int, MediaType] | None = None
    for index, media in enumerate(content):
        essence = media.media_type.split(";", 1)[0].strip().lower()
        quality = max((q * _range_quality(r, essence) for r, q in ranges), default=0.0)
        if quality <= 0:
            continue
        # Prefer JSON when the client accepts anything, since that is what tests read.
        rank = (quality, -index + (100 if "json" in essence else 0))
        if best is None or rank > best[:2]:
            best = (rank[0], rank[1], media)
    if best is None:
        return None
    chosen = best[2]
    essence = chosen.media_type.split(";", 1)[0].strip().lower()
    if "*" in essence:
        return replace(chosen, media_type=_concrete_type(essence, ranges))
    return chosen


def success_response(op: Operation, preferred: int | None = None) -> tuple[int, Response | None]:
    """The status and declared response to serve (a `Prefer: code=` asks for a specific one)."""
    if preferred is not None:
        for response in op.responses:
            if response.status == str(preferred) or response.status == f"{str(preferred)[0]}XX":
                return preferred, response
    explicit = sorted(
        (r for r in op.responses if r.status.isdigit() and r.status.startswith("2")),
        key=lambda r: r.status,
    )
    if explicit:
        return int(explicit[0].status), explicit[0]
    for response in op.responses:
        if response.status == "2XX":
            return 200, response
    # Only a redirect documented (a download or a login hop): that is the answer, before a
    # `default`, which mostly describes errors.
    redirects = sorted(
        (r for r in op.responses if r.status.isdigit() and r.status.startswith("3")),
        key=lambda r: r.status,
    )
    if redirects:
        return int(redirects[0].status), redirects[0]
    for response in op.responses:
        if response.status == "3XX":
            return 302, response
    for response in op.responses:
        if response.status == "default":
            return (201 if op.method == "post" else 200), response
    # Only errors documented: a valid request still succeeds (an error is the answer to an
    # invalid request, or a fault asked for), with no body, since none is described.
    return (204 if op.method == "delete" else 200), None


def error_response(op: Operation, status: int) -> Response | None:
    for candidate in (str(status), f"{str(status)[0]}XX", "default"):
        for response in op.responses:
            if response.status == candidate:
                return response
    return None


@dataclass(frozen=True, slots=True)
class Rendered:
    content_type: str
    body: bytes


def _json(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        # orjson stops at 64-bit integers; JSON does not (a client's huge number echoed back).
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def render(value: Any, media_type: str) -> Rendered:
    essence = media_type.split(";", 1)[0].strip().lower()
    if "json" in essence or essence == "*/*":
        return Rendered(essence if essence != "*/*" else "application/json", _json(value))
    if "xml" in essence:
        return Rendered(essence, _to_xml("root", value).encode())
    if essence.startswith("text/"):
        text = value if isinstance(value, str) else _json(value).decode()
        return Rendered(f"{essence}; charset=utf-8", text.encode())
    if essence == "application/x-www-form-urlencoded" and isinstance(value, dict):
        return Rendered(essence, urlencode({k: str(v) for k, v in value.items()}).encode())
    if isinstance(value, str):
        try:
            return Rendered(essence, base64.b64decode(value, validate=True))
        except ValueError:
            return Rendered(essence, value.encode())
    return Rendered(essence, _json(value))


def _to_xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_to_xml(str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        inner = "".join(_to_xml("item", v) for v in value)
    elif value is None:
        inner = ""
    else:
        inner = escape(str(value).lower() if isinstance(value, bool) else str(value))
    return f"<{tag}>{inner}</{tag}>"


class BodyFactory:
    """Valid bodies per (response, media type), from examples or generated, cached."""

    ATTEMPTS = 12

    def __init__(self, api: Api, validators: ValidatorCache, generator: DataGenerator, seed: int):
        self._api = api
        self._validators = validators
        self._generator = generator
        self._no_examples = DataGenerator(api, options=_without_examples(generator))
        self._required_only = DataGenerator(
            api, options=replace(_without_examples(generator), optional_properties=False)
        )
        self._seed = seed
        self._cache: dict[tuple[str, str, str], Any] = {}
        self._unsatisfied: set[str] = set()
        """Operation ids for which some schema yielded no valid value (none of the draws)."""

    def body(self, op: Operation, response: Response, media: MediaType) -> Any:
        key = (op.id, response.status, media.media_type)
        if key not in self._cache:
            self._cache[key] = self._build(op, response, media)
        return self._cache[key]

    def _build(self, op: Operation, response: Response, media: MediaType) -> Any:
        schema = media.schema
        for example in media.examples:
            if example.external_value is None:
                value = _json_text_example(example.value, media.media_type)
                if schema is None or self.conforms(schema, value):
                    return value
        if schema is None:
            return NO_BODY if not media.examples else media.examples[0].value
        return self.generate_valid(schema, f"{op.id}:{response.status}:{media.media_type}")

    def valid(self, schema: Schema, value: Any) -> bool:
        return not self._validators.get(schema, "response").errors(value)

    def conforms(self, schema: Schema, value: Any) -> bool:
        """Valid with every format asserted, as the contract checks judge an answer: the test
        for values taken from the description (its examples and defaults are often wrong)."""
        return not self._validators.get(schema, "conformance").errors(value)

    def generate_valid(
        self, schema: Schema, salt: str | random.Random, *, examples: bool = True
    ) -> Any:
        """Generated until valid (a bounded number of draws); the last candidate otherwise.

        The first half of the draws may use the description's examples (unless `examples` is
        false), which are sometimes wrong; then from the schema alone; the last few with
        required properties only.
        """
        candidate: Any = None
        fullest: Any = None
        for attempt in range(0 if examples else self.ATTEMPTS // 2, self.ATTEMPTS):
            if isinstance(salt, random.Random):
                rng = salt
            else:
                rng = random.Random(f"{self._seed}:{salt}:{attempt}")
            with_examples = attempt < self.ATTEMPTS // 2
            if with_examples:
                generator = self._generator
            elif attempt < self.ATTEMPTS - 3:
                generator = self._no_examples
            else:
                generator = self._required_only
            candidate = generator.generate(schema, rng)
            # A draw may carry the description's examples: those must pass the checks' formats.
            check = self.conforms if with_examples else self.valid
            if check(schema, candidate):
                if generator is self._required_only and isinstance(fullest, dict):
                    # Only the required properties made a valid object: put back each optional
                    # one of a full draw that keeps it valid, so objects are not all `{}` when
                    # a single property defeats the generator.
                    return self._filled(schema, candidate, fullest)
                return candidate
            if generator is not self._required_only:
                fullest = candidate
        if isinstance(salt, str):
            self._unsatisfied.add(salt.split(":", 1)[0])
        return candidate

    def _filled(self, schema: Schema, minimal: Any, full: dict[str, Any]) -> Any:
        if not isinstance(minimal, dict):
            return minimal
        filled = dict(minimal)
        for key, value in full.items():
            if key in filled:
                continue
            trial = {**filled, key: value}
            if self.conforms(schema, trial):
                filled = trial
        return filled

    def generate_item(self, schema: Schema, salt: str | random.Random, index: int) -> Any:
        """The `index`th item of a generated collection: the first from the description's
        examples, the others drawn from the schema alone (examples would make every item
        the same but for its id), unless only the examples give a valid value."""
        if index > 0:
            drawn = self.generate_valid(schema, salt, examples=False)
            if self.valid(schema, drawn):
                return drawn
        return self.generate_valid(schema, salt)

    def unsatisfied(self, op: Operation) -> bool:
        """Whether a body or header of this operation's answers could not be made valid (an
        unsatisfiable schema, or one beyond the generator), so the answer may not validate."""
        return op.id in self._unsatisfied

    def header_values(self, op: Operation, response: Response) -> list[tuple[str, str]]:
        key = (op.id, response.status, "headers")
        cached = self._cache.get(key)
        if cached is None:
            cached = self._header_values(op, response)
            self._cache[key] = cached
        return list(cached)

    def _header_values(self, op: Operation, response: Response) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for header in response.headers:
            if header.name.lower() in ("content-type", "content-length", "transfer-encoding"):
                continue
            value = self._header_value(op, header)
            if value is not None:
                out.append((header.name, value))
        return out

    def _header_value(self, op: Operation, header: Header) -> str | None:
        value = self.generate_valid(header.schema, f"{op.id}:header:{header.name}")
        if value is None:
            return None if not header.required else ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        if isinstance(value, dict):
            return ",".join(f"{k}={v}" for k, v in value.items())
        text = str(value)
        return text if text.isprintable() and "\n" not in text else None


def _json_text_example(value: Any, media_type: str) -> Any:
    """An example of a JSON body written as the JSON text (a string holding `{...}`), as
    descriptions often do, is that JSON; anything else is itself."""
    if isinstance(value, str) and "json" in media_type and value.lstrip()[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _without_examples(generator: DataGenerator) -> GenerationOptions:
    return replace(generator.options, use_examples=False)
