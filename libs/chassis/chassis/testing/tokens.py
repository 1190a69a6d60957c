"""Access tokens for tests, signed with a key made for the test run.

Point the verifier at :func:`jwks_for_tests` (the identity issue's ``chassis.auth`` reads a
JWKS) and every service accepts what :func:`mint_access_token` returns.
"""

from __future__ import annotations

import json
import time
import uuid
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

TEST_KID = "strata-test-key"
ACCESS_TOKEN_LIFETIME = 900


@lru_cache(maxsize=1)
def signing_key_for_tests() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks_for_tests() -> dict[str, Any]:
    """The public half of the test key, as a JWKS document."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key_for_tests().public_key()))
    jwk.update({"kid": TEST_KID, "alg": "RS256", "use": "sig"})
    return {"keys": [jwk]}


def access_claims(
    *,
    user_id: uuid.UUID | str,
    role: str = "user",
    expires_in: int = ACCESS_TOKEN_LIFETIME,
    issued_at: int | None = None,
    **claims: Any,
) -> dict[str, Any]:
    """The claims auth puts in an access token: ``iss``, ``aud``, ``sub``, ``role``, ``iat``,
    ``exp``, ``jti``; ``claims`` override or add to them."""
    now = int(time.time()) if issued_at is None else issued_at
    return {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": str(user_id),
        "role": role,
        "iat": now,
        "exp": now + expires_in,
        "jti": uuid.uuid4().hex,
        **claims,
    }


def mint_access_token(
    *,
    user_id: uuid.UUID | str,
    headers: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A token shaped like auth's, with :func:`access_claims` (``claims`` are passed on).

    ``headers`` override the JOSE header (e.g. ``kid``).
    """
    return jwt.encode(
        access_claims(user_id=user_id, **claims),
        signing_key_for_tests(),
        algorithm="RS256",
        headers={"kid": TEST_KID, **(headers or {})},
    )
