"""The test token minter makes tokens a real verifier accepts with the test JWKS."""

from __future__ import annotations

import uuid

import jwt
import pytest

from chassis.testing.tokens import TEST_KID, jwks_for_tests, mint_access_token


def verify(token: str) -> dict:
    jwk = jwt.PyJWK(jwks_for_tests()["keys"][0])
    return jwt.decode(token, jwk, algorithms=["RS256"], audience="strata", issuer="strata-auth")


def test_minted_token_carries_the_contract_claims():
    user_id = uuid.uuid4()
    token = mint_access_token(user_id=user_id, role="moderator")
    claims = verify(token)
    assert claims["sub"] == str(user_id)
    assert claims["role"] == "moderator"
    assert claims["exp"] - claims["iat"] == 900
    assert jwt.get_unverified_header(token)["kid"] == TEST_KID


def jwks_for_tests_has_no_private_member():
    (key,) = jwks_for_tests()["keys"]
    assert {"d", "p", "q", "dp", "dq", "qi"}.isdisjoint(key)
    assert key["use"] == "sig"


def test_expired_token_fails_verification():
    with pytest.raises(jwt.ExpiredSignatureError):
        verify(mint_access_token(user_id=uuid.uuid4(), expires_in=-60))


def test_api_as_sets_a_bearer_token_for_the_role(api_as):
    client = api_as("admin")
    header = client._credentials["HTTP_AUTHORIZATION"]
    claims = verify(header.removeprefix("Bearer "))
    assert claims == {**claims, "role": "admin", "sub": str(client.user_id)}
