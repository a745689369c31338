"""A wrapper that keeps secret values out of reprs, str(), logs and tracebacks."""

from __future__ import annotations

import os
from typing import Final

_MASK: Final = "**********"


class Secret:
    """Holds a credential; only `get_secret_value()` reveals it.

    Not a pydantic `SecretStr` on purpose: auth providers are built far more often than validated,
    and this type also has to be hashable, comparable in constant time and cheap to unwrap on the
    hot path.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.get_secret_value()
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a str, not {type(value).__name__}")
        self._value = value

    @classmethod
    def from_env(cls, name: str) -> Secret:
        """Read the secret from environment variable `name`; a clear error when it is unset."""
        value = os.environ.get(name)
        if value is None or value == "":
            raise MissingSecretError(f"environment variable {name} is not set (or is empty)")
        return cls(value)

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        import hmac

        if isinstance(other, Secret):
            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would copy the plain value into whatever stores the pickle.
        raise TypeError("Secret values cannot be pickled")


class MissingSecretError(LookupError):
    """A secret that should come from the environment is missing."""


def as_secret(value: str | Secret | None) -> Secret | None:
    if value is None:
        return None
    return value if isinstance(value, Secret) else Secret(value)
