"""Key material: generating, loading and describing asymmetric signing keys.

Why ES256 by default (ECDSA on P-256 with SHA-256), measured with PyJWT on the dev box:

- Size: a signature is 64 bytes against RS256's 256, so an access token is ~440 bytes
  instead of ~690 (2048-bit RSA) or ~860 (3072-bit), on every request and WebSocket
  handshake of every service.
- Cost where it is paid: signing (every login and refresh) takes ~50 µs against ~520 µs
  for RSA-2048, and a new key is instant against tens of milliseconds. Verifying is
  slower than RS256: ~110 µs against ~75 µs for the signature alone (~180 against ~120
  µs for a whole PyJWT decode), noise beside a request's own cost, with no network call.
- Strength: 128-bit security from a 256-bit key; RSA-2048 gives 112 bits, and
  RSA-3072, its match, makes RS256 tokens larger still.
- Support: every JOSE library, OpenID Connect client and browser WebCrypto implements
  it, and it is FIPS-approved. EdDSA loses on that count: fewer JOSE libraries accept
  it, and RFC 9864 deprecates its "EdDSA" identifier in favour of "Ed25519".

AUTH_SIGNING_ALGORITHM can still pick RS256 or EdDSA for new keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

SigningPrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

# RFC 7638: the members of the public JWK that its thumbprint covers, per key type.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}


def generate_private_key(algorithm: str) -> SigningPrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"Unsupported signing algorithm {algorithm!r}.")


def algorithm_of(key: SigningPrivateKey) -> str:
    """The JWS algorithm a private key signs with; only the keys Strata accepts."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return "RS256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise ValueError("Signing keys must be EC P-256, RSA of 2048 bits or more, or Ed25519.")


def private_pem(key: SigningPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def load_private_pem(pem: str) -> SigningPrivateKey:
    """The private key in an unencrypted PEM; ``ValueError`` for anything else."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise ValueError("Signing keys must be EC P-256, RSA or Ed25519.")
    algorithm_of(key)  # refuses the curves and sizes Strata does not accept
    return key


def public_jwk(key: SigningPrivateKey) -> dict[str, Any]:
    """The public members only: never ``d`` (or RSA's private factors)."""
    public = key.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        raw = jwt.algorithms.ECAlgorithm.to_jwk(public)
    elif isinstance(public, rsa.RSAPublicKey):
        raw = jwt.algorithms.RSAAlgorithm.to_jwk(public)
    else:
        raw = jwt.algorithms.OKPAlgorithm.to_jwk(public)
    jwk: dict[str, Any] = json.loads(raw)
    members = _THUMBPRINT_MEMBERS[jwk["kty"]]
    return {name: jwk[name] for name in members}


def thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public JWK: the key's id, stable and self-describing."""
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    digest = hashlib.sha256(canonical).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
