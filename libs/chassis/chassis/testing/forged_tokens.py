"""Forged access tokens: what every service's Bearer endpoints must refuse.

Each forgery imitates a legitimate signer (its key, algorithm and ``kid``), so the test
shows that the verifier refuses the token for the one thing that is wrong with it::

    @pytest.mark.parametrize("name", sorted(FORGERY_NAMES))
    def test_forged_tokens_are_rejected(name):
        make, code = forgeries(test_signer())[name]
        response = call(make())
        assert (response.status_code, response.json()["code"]) == (401, code)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from chassis.testing.tokens import TEST_KID, access_claims, signing_key_for_tests

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
Forgery = tuple[Callable[[], str], str]  # (make the token, the problem code expected)

FORGERY_NAMES = (
    "alg none",
    "HS256 signed with the public key",
    "tampered payload",
    "wrong issuer",
    "wrong audience",
    "expired",
    "unknown kid",
    "foreign key",
    "unknown role",
    "subject not a uuid",
    "no expiry",
    "no subject",
    "not a jwt",
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def valid_claims(**overrides: Any) -> dict[str, Any]:
    """The claims of a good token for a fresh user, with ``overrides`` applied."""
    return access_claims(user_id=uuid.uuid4(), **overrides)


@dataclass(frozen=True)
class Signer:
    """A legitimate signer: the key the verifier trusts under ``kid``."""

    private_key: PrivateKey
    algorithm: str
    kid: str

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims,
            self.private_key,
            algorithm=self.algorithm,
            headers={"kid": self.kid, **(headers or {})},
        )

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def stranger(self) -> PrivateKey:
        """A fresh key of the same type, which nobody trusts."""
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return ec.generate_private_key(self.private_key.curve)
        return ed25519.Ed25519PrivateKey.generate()


def test_signer() -> Signer:
    """The test run's key, served by the chassis plugin's JWKS (``mint_access_token``'s)."""
    return Signer(private_key=signing_key_for_tests(), algorithm="RS256", kid=TEST_KID)


test_signer.__test__ = False  # type: ignore[attr-defined]  # not a test, whatever its name


def _alg_none(signer: Signer) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": signer.kid}).encode())
    return f"{header}.{b64url(json.dumps(valid_claims(role='admin')).encode())}."


def _hs256_with_public_key(signer: Signer) -> str:
    # The classic confusion attack: a verifier that lets the token pick the algorithm
    # would check this HMAC with the public key as the secret.
    header = {"alg": "HS256", "typ": "JWT", "kid": signer.kid}
    signing_input = (
        f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(valid_claims()).encode())}"
    )
    signature = hmac.new(signer.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def _tampered(signer: Signer) -> str:
    header, _, signature = signer.sign(valid_claims()).split(".")
    return f"{header}.{b64url(json.dumps(valid_claims(role='admin')).encode())}.{signature}"


def _without(claim: str) -> dict[str, Any]:
    claims = valid_claims()
    del claims[claim]
    return claims


def forgeries(signer: Signer) -> dict[str, Forgery]:
    """Every forgery of :data:`FORGERY_NAMES` against ``signer``, with its expected code."""
    now = int(time.time())
    table: dict[str, Forgery] = {
        "alg none": (lambda: _alg_none(signer), "invalid_token"),
        "HS256 signed with the public key": (
            lambda: _hs256_with_public_key(signer),
            "invalid_token",
        ),
        "tampered payload": (lambda: _tampered(signer), "invalid_token"),
        "wrong issuer": (lambda: signer.sign(valid_claims(iss="evil")), "invalid_token"),
        "wrong audience": (lambda: signer.sign(valid_claims(aud="other")), "invalid_token"),
        "expired": (
            lambda: signer.sign(valid_claims(iat=now - 1000, exp=now - 60)),
            "token_expired",
        ),
        "unknown kid": (
            lambda: signer.sign(valid_claims(), headers={"kid": f"unknown-{uuid.uuid4().hex}"}),
            "invalid_token",
        ),
        "foreign key": (
            lambda: jwt.encode(
                valid_claims(),
                signer.stranger(),
                algorithm=signer.algorithm,
                headers={"kid": signer.kid},
            ),
            "invalid_token",
        ),
        "unknown role": (lambda: signer.sign(valid_claims(role="root")), "invalid_token"),
        "subject not a uuid": (
            lambda: signer.sign(valid_claims(sub="not-a-uuid")),
            "invalid_token",
        ),
        "no expiry": (lambda: signer.sign(_without("exp")), "invalid_token"),
        "no subject": (lambda: signer.sign(_without("sub")), "invalid_token"),
        "not a jwt": (lambda: "garbage", "invalid_token"),
    }
    assert tuple(table) == FORGERY_NAMES
    return table
