"""The webhook credential, compared the way Metacontroller builds it.

Metacontroller v4.17.2 (`pkg/hooks/auth.go`) sends `Authorization: <type> <value>`: `type` exactly
as typed in `webhook.authorization.type` (`bearer` stays lower case; empty means `Bearer`) and the
Secret's value with surrounding whitespace trimmed. So the scheme is matched without regard to
case, both credentials are trimmed (a token file or Secret written with a trailing newline works on
both sides), and the credential itself is compared in constant time.
"""

from __future__ import annotations

import hmac

SCHEME = "bearer"


def normalised_token(token: str | None) -> bytes | None:
    """The configured token as it is compared; None (no auth) when unset or only whitespace."""
    token = (token or "").strip()
    return token.encode() if token else None


def authorized(header: str | None, token: bytes | None) -> bool:
    """True when no token is configured, or the header carries it under the Bearer scheme."""
    if token is None:
        return True
    scheme, _, credential = (header or "").strip().partition(" ")
    # compare_digest runs in time independent of where the credentials differ; the scheme is public.
    matches = hmac.compare_digest(credential.strip().encode(), token)
    return matches and scheme.lower() == SCHEME
