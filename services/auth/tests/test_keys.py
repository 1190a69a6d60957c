"""Signing keys: the JWKS, discovery, first key, rotation and retirement round trips."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from io import StringIO

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from auth_service.keys import services as keys_services
from auth_service.keys.material import private_pem, public_jwk, thumbprint
from auth_service.keys.models import SigningKey
from auth_service.keys.services import (
    access_token_issue,
    retirement_grace,
    signing_key_current,
    signing_key_rotate,
)
from chassis.auth.roles import Role
from chassis.auth.tokens import TokenError, forget_verified_tokens, jwks_client, verify_access_token
from tests.factories import login

JWKS = "/.well-known/jwks.json"
DISCOVERY = "/.well-known/openid-configuration"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def kids(client=None):
    return [key["kid"] for key in (client or APIClient()).get(JWKS).json()["keys"]]


@pytest.mark.django_db
@pytest.mark.parametrize("path", [JWKS, f"{JWKS}/"])
def test_jwks_lists_public_keys_only(path):
    response = APIClient().get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    (key,) = response.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert key["kid"] == SigningKey.objects.get().kid
    assert not PRIVATE_MEMBERS & set(key)
    assert isinstance(jwt.PyJWK(key).key, ec.EllipticCurvePublicKey)


@pytest.mark.django_db
def test_jwks_lists_active_and_retiring_keys_but_not_retired_ones():
    first = signing_key_current()
    second = signing_key_rotate()
    assert kids() == [second.kid, first.kid]
    SigningKey.objects.filter(pk=first.pk).update(status="retired")
    assert kids() == [second.kid]


@pytest.mark.django_db
def test_openid_configuration(settings):
    settings.JWT_ISSUER = "https://id.strata.test"
    response = APIClient().get(DISCOVERY)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    document = response.json()
    assert document["issuer"] == "https://id.strata.test"
    assert document["jwks_uri"] == "http://testserver/.well-known/jwks.json"
    assert document["token_endpoint"] == "http://testserver/api/v1/auth/login"
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    settings.AUTH_PUBLIC_URL = "https://api.strata.test/"
    assert APIClient().get(f"{DISCOVERY}/").json()["jwks_uri"] == (
        "https://api.strata.test/.well-known/jwks.json"
    )


def test_login_tokens_verify_against_auths_own_jwks(auth_jwks, account):
    member = account(role="moderator")
    token = login(APIClient(), member).json()["access_token"]
    claims = verify_access_token(token)
    assert (claims.user_id, claims.role.value) == (member.id, "moderator")


@pytest.mark.parametrize("algorithm", ["RS256", "EdDSA", "ES256"])
def test_each_supported_algorithm_verifies_end_to_end(auth_jwks, account, algorithm):
    member = account()
    signing_key_rotate(algorithm=algorithm)
    token = login(APIClient(), member).json()["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    assert verify_access_token(token).user_id == member.id


@pytest.mark.django_db
def test_another_process_rotation_is_used_within_the_signing_key_cache_time(monkeypatch):
    monkeypatch.setattr(keys_services, "SIGNING_KEY_CACHE_SECONDS", 0.2)
    user_id = uuid.uuid4()
    first = access_token_issue(user_id=user_id, role=Role.USER).kid
    # Another process rotates: this one's memory of the active key is left as it was.
    remembered = keys_services._signing
    signing_key_rotate()
    keys_services._signing = remembered
    assert access_token_issue(user_id=user_id, role=Role.USER).kid == first
    time.sleep(0.25)
    assert access_token_issue(user_id=user_id, role=Role.USER).kid != first


def test_rotation_round_trip(auth_jwks, account, settings):
    member = account()
    old_token = login(APIClient(), member).json()["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    out = StringIO()
    call_command("rotate_signing_key", stdout=out)
    new_kid = SigningKey.objects.get(status="active").kid
    assert new_kid != old_kid
    assert new_kid in out.getvalue()
    new_token = login(APIClient(), member).json()["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid

    # Retiring: both verify, both are published.
    assert verify_access_token(old_token).user_id == member.id
    assert verify_access_token(new_token).user_id == member.id
    assert set(kids()) == {old_kid, new_kid}

    # Too early to retire: the old key's tokens may still be valid.
    call_command("retire_signing_keys", stdout=StringIO())
    assert SigningKey.objects.get(kid=old_kid).status == "retiring"

    # Once the access-token lifetime (and leeway) has passed, it goes.
    SigningKey.objects.filter(kid=old_kid).update(
        retiring_since=timezone.now() - retirement_grace() - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("retire_signing_keys", stdout=out)
    assert old_kid in out.getvalue()
    retired = SigningKey.objects.get(kid=old_kid)
    assert (retired.status, retired.private_key) == ("retired", None)
    assert kids() == [new_kid]
    # What the verifiers' cache lifetimes do (the JWKS's, then their verified tokens').
    jwks_client.cache_clear()
    forget_verified_tokens()
    with pytest.raises(TokenError) as error:
        verify_access_token(old_token)
    assert error.value.code == "invalid_token"
    assert verify_access_token(new_token).user_id == member.id


@pytest.mark.django_db
def test_retire_immediately_is_for_leaked_keys():
    leaked = signing_key_current()
    signing_key_rotate()
    call_command("retire_signing_keys", "--immediately", stdout=StringIO())
    assert SigningKey.objects.get(pk=leaked.pk).status == "retired"
    assert leaked.kid not in kids()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make_key", "algorithm"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
    ],
)
def test_the_first_key_can_come_from_a_pem_secret(settings, make_key, algorithm):
    private_key = make_key()
    settings.SIGNING_KEY_PEM = private_pem(private_key)
    key = signing_key_current()
    assert key.kid == thumbprint(public_jwk(private_key))
    assert key.algorithm == algorithm
    assert key.private_key == settings.SIGNING_KEY_PEM


@pytest.mark.django_db
def test_a_pem_secret_is_not_reused_after_its_key_was_retired(settings):
    settings.SIGNING_KEY_PEM = private_pem(ec.generate_private_key(ec.SECP256R1()))
    first = signing_key_current()
    SigningKey.objects.filter(pk=first.pk).update(status="retired")
    assert signing_key_current().kid != first.kid


@pytest.mark.django_db
def test_keys_of_unaccepted_types_are_refused(settings):
    settings.SIGNING_KEY_PEM = private_pem(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ValueError, match="EC P-256"):
        signing_key_current()


@pytest.mark.django_db(transaction=True)
def test_processes_racing_for_the_first_key_end_up_with_one():
    start = threading.Barrier(4)
    chosen: list[str] = []

    def first_use():
        try:
            start.wait()
            chosen.append(signing_key_current().kid)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert SigningKey.objects.count() == 1
    assert set(chosen) == {SigningKey.objects.get().kid}
