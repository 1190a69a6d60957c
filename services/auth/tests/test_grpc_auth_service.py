"""AuthService over a real gRPC server on loopback, called through the chassis client."""

from __future__ import annotations

import time
import uuid

import grpc
import jwt
import pytest
from rest_framework.test import APIClient

from auth_service.accounts.grpc import auth_service
from auth_service.accounts.models import RefreshSession
from chassis.auth.revocation import forget_cached_markers, revoked_before
from chassis.events.models import OutboxEvent
from chassis.grpc.client import stub
from chassis.grpc.testing import running_server
from chassis.testing.forged_tokens import FORGERY_NAMES, forgeries, test_signer
from chassis.testing.tokens import mint_access_token
from strata.auth.v1 import auth_service_pb2 as pb
from strata.auth.v1.auth_service_pb2_grpc import AuthServiceStub
from tests.factories import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def auth(settings):
    with running_server(servicers=[auth_service()]) as server:
        settings.GRPC_TARGETS = {**settings.GRPC_TARGETS, "auth": f"127.0.0.1:{server.port}"}
        yield stub(AuthServiceStub, "auth"), server.port


def introspect(auth, token):
    return auth[0].IntrospectToken(pb.IntrospectTokenRequest(token=token))


def test_an_active_token_is_introspected_with_its_claims(auth):
    user_id = uuid.uuid4()
    token = mint_access_token(user_id=user_id, role="moderator")
    answer = introspect(auth, token)
    assert answer.active
    claims = answer.claims
    assert (claims.sub, claims.role, claims.kid) == (str(user_id), "moderator", "strata-test-key")
    assert len(claims.jti) == 32
    assert claims.exp.seconds - claims.iat.seconds == 900


def test_login_tokens_introspect_active(auth, auth_jwks, account):
    member = account()
    token = login(APIClient(), member).json()["access_token"]
    answer = introspect(auth, token)
    assert answer.active
    assert answer.claims.sub == str(member.id)
    # "iat" keeps its fraction of a second, to the microsecond.
    iat = jwt.decode(token, options={"verify_signature": False})["iat"]
    assert answer.claims.iat.ToMicroseconds() == round(iat * 1_000_000)


@pytest.mark.parametrize("forgery", FORGERY_NAMES)
def test_forged_tokens_are_inactive_not_errors(auth, forgery):
    make, _code = forgeries(test_signer())[forgery]
    answer = introspect(auth, make())
    assert not answer.active
    assert not answer.HasField("claims")


def test_an_expired_token_is_inactive(auth):
    token = mint_access_token(user_id=uuid.uuid4(), issued_at=int(time.time()) - 1000)
    assert not introspect(auth, token).active


def test_revoke_user_sessions_ends_sessions_and_access_tokens(auth, account):
    member = account()
    for _ in range(2):
        login(APIClient(), member)
    old = mint_access_token(user_id=member.id, issued_at=int(time.time()) - 5)
    before = time.time()
    answer = auth[0].RevokeUserSessions(
        pb.RevokeUserSessionsRequest(
            user_id=str(member.id), reason=pb.REVOCATION_REASON_USER_DEACTIVATED
        )
    )
    assert answer.sessions_revoked == 2
    assert before <= answer.revoked_before.ToMicroseconds() / 1e6 <= time.time()
    assert not RefreshSession.objects.filter(revoked_at__isnull=True).exists()
    assert revoked_before(str(member.id)) == pytest.approx(
        answer.revoked_before.ToMicroseconds() / 1e6
    )
    forget_cached_markers()
    assert not introspect(auth, old).active
    event = OutboxEvent.objects.get(event_type="auth.sessions_revoked")
    assert event.payload["reason"] == "user_deactivated"

    again = auth[0].RevokeUserSessions(
        pb.RevokeUserSessionsRequest(user_id=str(member.id), reason=pb.REVOCATION_REASON_LOGOUT_ALL)
    )
    assert again.sessions_revoked == 0
    assert again.revoked_before.ToMicroseconds() >= answer.revoked_before.ToMicroseconds()


def test_an_unknown_user_is_not_an_error_and_revokes_nothing(auth):
    user_id = uuid.uuid4()
    answer = auth[0].RevokeUserSessions(
        pb.RevokeUserSessionsRequest(user_id=str(user_id), reason=pb.REVOCATION_REASON_LOGOUT_ALL)
    )
    assert answer.sessions_revoked == 0
    assert revoked_before(str(user_id)) is None
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize(
    "request_",
    [
        pb.RevokeUserSessionsRequest(user_id="not-a-uuid", reason=pb.REVOCATION_REASON_LOGOUT_ALL),
        pb.RevokeUserSessionsRequest(user_id=str(uuid.uuid4())),
    ],
)
def test_bad_revocation_requests_are_invalid_argument(auth, request_):
    with pytest.raises(grpc.RpcError) as error:
        auth[0].RevokeUserSessions(request_)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("method", ["IntrospectToken", "RevokeUserSessions"])
@pytest.mark.parametrize("credential", [None, "Bearer wrong-token"])
def test_calls_without_the_service_credential_are_unauthenticated(auth, method, credential):
    channel = grpc.insecure_channel(f"127.0.0.1:{auth[1]}")
    try:
        raw = AuthServiceStub(channel)
        request = (
            pb.IntrospectTokenRequest(token="x")
            if method == "IntrospectToken"
            else pb.RevokeUserSessionsRequest(
                user_id=str(uuid.uuid4()), reason=pb.REVOCATION_REASON_LOGOUT_ALL
            )
        )
        metadata = [("authorization", credential)] if credential else []
        with pytest.raises(grpc.RpcError) as error:
            getattr(raw, method)(request, metadata=metadata, timeout=5)
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        channel.close()
