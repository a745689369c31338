"""The loader's one exception and the collector every stage reports problems into."""

from __future__ import annotations

from apiweld.spec.ir import Problem, Severity

__all__ = ["Problems", "SpecError", "escape_pointer_token", "join_pointer"]


class SpecError(Exception):
    """The description cannot be used at all; `problems` say where and why (at least one error)."""

    def __init__(self, problems: tuple[Problem, ...] | Problem, source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"] or list(self.problems)
        head = f"cannot load {self.source}" if self.source else "cannot load the API description"
        return (
            head
            + ": "
            + "; ".join(str(p) for p in errors[:5])
            + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")
        )

    @property
    def pointer(self) -> str:
        return self.problems[0].pointer if self.problems else ""


def escape_pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def join_pointer(pointer: str, *tokens: str | int) -> str:
    for token in tokens:
        pointer = f"{pointer}/{escape_pointer_token(str(token))}"
    return pointer


class Problems:
    """Collects problems in the order found; deduplicates identical ones (shared nodes)."""

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._seen: set[Problem] = set()

    def add(self, severity: Severity, pointer: str, message: str, file: str | None = None) -> None:
        problem = Problem(severity, pointer, message, file)
        if problem not in self._seen:
            self._seen.add(problem)
            self._items.append(problem)

    def warn(self, pointer: str, message: str, file: str | None = None) -> None:
        self.add("warning", pointer, message, file)

    def error(self, pointer: str, message: str, file: str | None = None) -> None:
        self.add("error", pointer, message, file)

    def __len__(self) -> int:
        return len(self._items)

    def freeze(self) -> tuple[Problem, ...]:
        return tuple(self._items)
