"""Enforcing an operation's security requirements as the real API would.

Requirements are an OR of AND-sets of schemes. By default any non-empty credential of the
right shape is accepted (a key present, `Basic` with a decodable `user:password`, a
`Bearer` token); `credentials` narrows that per scheme to the values the test configured.
A failure is a 401 whose `WWW-Authenticate` names a challenge for each scheme that would do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from apiweld.spec.ir import SecurityRequirement, SecurityScheme

CredentialCheck = str | tuple[str, str] | Iterable[str | tuple[str, str]] | Callable[[str], bool]
"""Accepted credentials for one scheme: a value, a (user, password) pair, a collection of them,
or a predicate over the presented value (`user:password` for Basic)."""

REALM = "apiweld-mock"


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    ok: bool
    key: str | None = None
    """A stable, non-secret identity of the accepted credential (a digest), for rate limiting."""
    challenges: tuple[str, ...] = ()
    reason: str = ""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _matches(presented: str, accepted: CredentialCheck | None) -> bool:
    if accepted is None:
        return True
    if callable(accepted):
        return bool(accepted(presented))
    if isinstance(accepted, str):
        return hmac.compare_digest(presented.encode(), accepted.encode())
    if (
        isinstance(accepted, tuple)
        and len(accepted) == 2
        and all(isinstance(x, str) for x in accepted)
    ):
        return hmac.compare_digest(presented.encode(), f"{accepted[0]}:{accepted[1]}".encode())
    return any(_matches(presented, option) for option in accepted)


def _authorization(headers: Mapping[str, str], scheme_word: str) -> str | None:
    value = headers.get("authorization")
    if value is None:
        return None
    word, _, rest = value.strip().partition(" ")
    if word.lower() != scheme_word:
        return None
    return rest.strip()


def _challenge(scheme: SecurityScheme, error: bool) -> str:
    if scheme.type == "http" and scheme.scheme == "basic":
        return f'Basic realm="{REALM}", charset="UTF-8"'
    if scheme.type in ("oauth2", "openIdConnect") or (
        scheme.type == "http" and scheme.scheme == "bearer"
    ):
        suffix = ', error="invalid_token"' if error else ""
        return f'Bearer realm="{REALM}"{suffix}'
    if scheme.type == "apiKey":
        return f'ApiKey realm="{REALM}", {scheme.location or "header"}="{scheme.param_name}"'
    if scheme.type == "http" and scheme.scheme:
        return f'{scheme.scheme.capitalize()} realm="{REALM}"'
    return f'Unknown realm="{REALM}"'


class SecurityEnforcer:
    def __init__(
        self,
        schemes: Mapping[str, SecurityScheme],
        credentials: Mapping[str, CredentialCheck] | None = None,
    ) -> None:
        self._schemes = schemes
        self._credentials = dict(credentials or {})

    def check(
        self,
        requirements: tuple[SecurityRequirement, ...],
        headers: Mapping[str, str],
        query: Mapping[str, list[str]],
        cookies: Mapping[str, str],
    ) -> AuthOutcome:
        if not requirements or any(len(req) == 0 for req in requirements):
            return AuthOutcome(ok=True)
        challenges: list[str] = []
        reasons: list[str] = []
        for requirement in requirements:
            keys: list[str] = []
            for sharing in self._by_slot(requirement):
                key = self._one_of(sharing, headers, query, cookies, challenges, reasons)
                if key is None:
                    break
                keys.append(key)
            else:
                return AuthOutcome(ok=True, key="+".join(keys) or None)
        return AuthOutcome(ok=False, challenges=tuple(challenges), reason="; ".join(reasons))

    def _by_slot(self, requirement: SecurityRequirement) -> list[list[tuple[str, SecurityScheme]]]:
        """The declared schemes of one AND-set, grouped by the request slot they are sent in.

        A request has one `Authorization` header (one `X-Key`, one `?key=`). When an AND-set
        puts two schemes in the same slot (an API key named `Authorization` beside a bearer
        token), no request can carry both, and a client sending both keeps the last; a real
        server must be reading either one there. So the schemes of one slot are
        alternatives, and schemes in different slots are still all required.
        """
        groups: dict[tuple[str, str], list[tuple[str, SecurityScheme]]] = {}
        for name, _scopes in requirement:
            scheme = self._schemes.get(name)
            if scheme is None:
                # An undeclared scheme was reported by the loader; it cannot be enforced.
                continue
            groups.setdefault(scheme.credential_slot, []).append((name, scheme))
        return list(groups.values())

    def _one_of(
        self,
        schemes: list[tuple[str, SecurityScheme]],
        headers: Mapping[str, str],
        query: Mapping[str, list[str]],
        cookies: Mapping[str, str],
        challenges: list[str],
        reasons: list[str],
    ) -> str | None:
        """The identity of the first scheme whose credential is accepted, else None (with
        each scheme's challenge and reason recorded)."""
        failures: list[tuple[str, str]] = []
        for name, scheme in schemes:
            presented, reason = self._presented(scheme, headers, query, cookies)
            if presented is not None and _matches(presented, self._credentials.get(name)):
                return _digest(f"{name}:{presented}")
            if presented is not None:
                reason = f"credentials for {name!r} were not accepted"
            failures.append((_challenge(scheme, error=presented is not None), reason))
        for challenge, reason in failures:
            if challenge not in challenges:
                challenges.append(challenge)
            reasons.append(reason)
        return None

    def _presented(
        self,
        scheme: SecurityScheme,
        headers: Mapping[str, str],
        query: Mapping[str, list[str]],
        cookies: Mapping[str, str],
    ) -> tuple[str | None, str]:
        if scheme.type == "apiKey":
            name = scheme.param_name or ""
            where = scheme.location or "header"
            if where == "header":
                value = headers.get(name.lower())
            elif where == "query":
                values = query.get(name)
                value = values[-1] if values else None
            else:
                value = cookies.get(name)
            if not value:
                return None, f"{where} {name!r} is missing (security scheme {scheme.name!r})"
            return value, ""
        if scheme.type == "http" and scheme.scheme == "basic":
            encoded = _authorization(headers, "basic")
            if not encoded:
                return None, f"Basic credentials are missing (security scheme {scheme.name!r})"
            try:
                pair = base64.b64decode(encoded, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None, "Basic credentials are not base64 of user:password"
            if ":" not in pair:
                return None, "Basic credentials are not base64 of user:password"
            return pair, ""
        if scheme.type == "mutualTLS":
            return "mtls", ""
        word = scheme.scheme if scheme.type == "http" and scheme.scheme else "bearer"
        token = _authorization(headers, word)
        if not token:
            return None, f"{word.capitalize()} token is missing (security scheme {scheme.name!r})"
        return token, ""
