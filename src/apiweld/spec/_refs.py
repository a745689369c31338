"""`$ref` resolution across documents, with the file-system and network kept behind rules.

A reference is resolved to a `(Location, node)` pair; nodes are the parsed documents' own dicts
(never copies), and lookups are memoised per (document, pointer), so resolving the 10,000 `$ref`s
of a large description costs one dictionary walk each at most.

Security: a `$ref` to a local file is read only if the file's real path (symlinks followed) lies
under the root folder (by default the description's own folder), unless the caller allowed
reading outside it; remote documents are fetched only when the caller allowed network access.
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, NamedTuple

from apiweld.spec._errors import Problems, SpecError
from apiweld.spec._source import fetch_url, parse_document, read_file

__all__ = ["MAIN_DOCUMENT", "Location", "RefResolver", "make_location_fast", "split_ref"]

MAIN_DOCUMENT = ""
_MISSING = object()


class Location(NamedTuple):
    """Where a node is: its document (`""` for the main one) and JSON pointer inside it.

    A named tuple rather than a dataclass: one is made per node visited, so creation cost counts.
    """

    doc: str
    pointer: str

    def child(self, *tokens: str | int) -> Location:
        pointer = self.pointer
        for token in tokens:
            text = token if isinstance(token, str) else str(token)
            if "~" in text or "/" in text:
                text = text.replace("~", "~0").replace("/", "~1")
            pointer = f"{pointer}/{text}"
        return make_location_fast(Location, (self.doc, pointer))


# `tuple.__new__` directly: the named tuple's own constructor is a Python-level function, and
# a location is made for every node visited.
make_location_fast = tuple.__new__


def split_ref(ref: str) -> tuple[str, str]:
    """`other.yaml#/a/b` -> (`other.yaml`, `/a/b`), the fragment percent-decoded."""
    address, _, fragment = ref.partition("#")
    return address, urllib.parse.unquote(fragment)


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


class RefResolver:
    def __init__(
        self,
        main: Any,
        *,
        main_address: str | None,
        root: Path | None,
        allow_network: bool,
        allow_outside_root: bool,
        problems: Problems,
        shares_nodes: bool = True,
    ) -> None:
        self._documents: dict[str, Any] = {MAIN_DOCUMENT: main}
        self.shares_nodes = shares_nodes
        """Whether some loaded document may hold one node at several places (YAML aliases)."""
        self._failed: dict[str, str] = {}
        self._main_address = main_address
        self._root = root.resolve() if root is not None else None
        self._allow_network = allow_network
        self._allow_outside_root = allow_outside_root
        self._problems = problems
        self._pointer_cache: dict[tuple[str, str], Any] = {}
        self._resolved: dict[tuple[str, str], tuple[Location, Any]] = {}

    # -- public -------------------------------------------------------------------------------

    def file_of(self, doc: str) -> str | None:
        """The file or URL to name in a problem (None for the main document)."""
        return None if doc == MAIN_DOCUMENT else doc

    def resolve(self, ref: str, at: Location) -> tuple[Location, Any] | None:
        """Resolve one `$ref` found at `at`; on failure report a warning there and return None."""
        cached = self._resolved.get((at.doc, ref))
        if cached is not None:
            return cached
        address, fragment = split_ref(ref)
        if address:
            doc = self._load(address, at)
            if doc is None:
                return None
        else:
            doc = at.doc
        if fragment and not fragment.startswith("/"):
            self._problems.warn(
                at.pointer,
                f"$ref {ref!r} uses a plain-name fragment (anchor), which is not supported; "
                "treated as any value",
                self.file_of(at.doc),
            )
            return None
        node = self.node_at(doc, fragment)
        if node is _MISSING:
            self._problems.warn(
                at.pointer,
                f"$ref {ref!r} points to nothing"
                + (f" in {doc}" if doc != MAIN_DOCUMENT else "")
                + "; treated as any value",
                self.file_of(at.doc),
            )
            return None
        resolved = (Location(doc, fragment), node)
        # Only successes are cached: a failure is reported again at each place it occurs.
        self._resolved[(at.doc, ref)] = resolved
        return resolved

    def node_at(self, doc: str, pointer: str) -> Any:
        """The node at `pointer` in a loaded document, or `_MISSING`."""
        key = (doc, pointer)
        cached = self._pointer_cache.get(key, _MISSING)
        if cached is not _MISSING:
            return cached
        node = self._documents.get(doc, _MISSING)
        if pointer:
            for raw in pointer[1:].split("/"):
                token = raw.replace("~1", "/").replace("~0", "~") if "~" in raw else raw
                if isinstance(node, dict):
                    node = node.get(token, _MISSING)
                elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                    node = node[int(token)]
                else:
                    node = _MISSING
                if node is _MISSING:
                    break
        self._pointer_cache[key] = node
        return node

    # -- documents ----------------------------------------------------------------------------

    def _base_of(self, doc: str) -> str | None:
        return self._main_address if doc == MAIN_DOCUMENT else doc

    def _load(self, address: str, at: Location) -> Any:
        target = self._locate(address, at)
        if target is None:
            return None
        if target == self._main_address:
            return MAIN_DOCUMENT
        if target in self._documents:
            return target
        if target in self._failed:
            self._problems.error(at.pointer, self._failed[target], self.file_of(at.doc))
            return None
        try:
            data = fetch_url(target) if _is_url(target) else read_file(Path(target))
            parsed = parse_document(data, target)
            self._documents[target] = parsed.value
            self.shares_nodes = self.shares_nodes or parsed.shares_nodes
        except SpecError as exc:
            message = f"$ref {address!r}: " + "; ".join(p.message for p in exc.problems)
            self._failed[target] = message
            self._problems.error(at.pointer, message, self.file_of(at.doc))
            return None
        return target

    def _locate(self, address: str, at: Location) -> str | None:
        """The document key (absolute path or URL) of `address`, or None if refused."""
        base = self._base_of(at.doc)
        file = self.file_of(at.doc)
        if _is_url(address) or (base is not None and _is_url(base)):
            url = urllib.parse.urljoin(base or "", address)
            if not _is_url(url):
                self._problems.error(at.pointer, f"$ref {address!r}: unsupported URL", file)
                return None
            if not self._allow_network:
                self._problems.error(
                    at.pointer,
                    f"$ref {address!r} is remote and network access is not allowed "
                    "(pass allow_network=True to fetch it)",
                    file,
                )
                return None
            return urllib.parse.urldefrag(url).url
        if address.lower().startswith("file:"):
            path = Path(urllib.request.url2pathname(urllib.parse.urlparse(address).path))
        else:
            path = Path(urllib.parse.unquote(address))
        if not path.is_absolute():
            if base is not None:
                path = Path(base).parent / path
            elif self._root is not None:
                path = self._root / path
            else:
                self._problems.error(
                    at.pointer,
                    f"$ref {address!r} is relative but the description has no folder "
                    "(pass root= to allow file references)",
                    file,
                )
                return None
        try:
            real = Path(os.path.realpath(path))
        except (ValueError, OSError):  # e.g. a NUL byte in the reference
            self._problems.error(at.pointer, f"$ref {address!r} is not a valid file path", file)
            return None
        if not self._allow_outside_root and not self._inside_root(real):
            self._problems.error(
                at.pointer,
                f"$ref {address!r} refused: it leaves the description's folder "
                "(pass allow_outside_root=True to allow)",
                file,
            )
            return None
        return str(real)

    def _inside_root(self, real: Path) -> bool:
        return self._root is not None and real.is_relative_to(self._root)
