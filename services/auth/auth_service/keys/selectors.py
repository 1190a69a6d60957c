"""Reads of signing keys: the active one and the published set (the JWKS)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from auth_service.keys.models import SigningKey

PUBLISHED = (SigningKey.Status.ACTIVE, SigningKey.Status.RETIRING)


def signing_key_active() -> SigningKey | None:
    return SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).first()


def signing_keys_published() -> QuerySet[SigningKey]:
    """The keys whose tokens verify: the active one and those retiring, newest first."""
    return SigningKey.objects.filter(status__in=PUBLISHED).order_by("-activated_at", "kid")


def jwk_of(key: SigningKey) -> dict[str, Any]:
    """A key as the JWKS lists it: public members only, with ``kid``, ``alg`` and ``use``."""
    return {**key.public_jwk, "kid": key.kid, "alg": key.algorithm, "use": "sig"}


def jwks_document() -> dict[str, Any]:
    # Only the columns it needs: the sealed private key is never even read here.
    keys = signing_keys_published().only("kid", "algorithm", "public_jwk")
    return {"keys": [jwk_of(key) for key in keys]}


def signing_algorithms_published() -> list[str]:
    return sorted(set(signing_keys_published().values_list("algorithm", flat=True)))
