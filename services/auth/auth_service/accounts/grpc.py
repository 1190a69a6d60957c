"""gRPC ``strata.auth.v1.AuthService``: token introspection and session revocation."""

from __future__ import annotations

import uuid

import grpc
import jwt
from google.protobuf.timestamp_pb2 import Timestamp

from auth_service.accounts.services import RevocationReason, sessions_revoke_all
from chassis.auth.tokens import TokenError, verify_access_token
from chassis.errors import ValidationFailed
from chassis.grpc.server import ServicerRegistration
from strata.auth.v1 import auth_service_pb2 as pb
from strata.auth.v1 import auth_service_pb2_grpc as pb_grpc

_REASONS = {
    pb.REVOCATION_REASON_LOGOUT_ALL: RevocationReason.LOGOUT_ALL,
    pb.REVOCATION_REASON_PASSWORD_CHANGED: RevocationReason.PASSWORD_CHANGED,
    pb.REVOCATION_REASON_PASSWORD_RESET: RevocationReason.PASSWORD_RESET,
    pb.REVOCATION_REASON_USER_DEACTIVATED: RevocationReason.USER_DEACTIVATED,
    pb.REVOCATION_REASON_ROLE_CHANGED: RevocationReason.ROLE_CHANGED,
}


def _timestamp(unix_time: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMicroseconds(round(unix_time * 1_000_000))
    return stamp


def _kid(token: str) -> str:
    kid = jwt.get_unverified_header(token).get("kid")
    return kid if isinstance(kid, str) else ""


class AuthServiceServicer(pb_grpc.AuthServiceServicer):
    def IntrospectToken(
        self, request: pb.IntrospectTokenRequest, context: grpc.ServicerContext
    ) -> pb.IntrospectTokenResponse:
        # Verified exactly as every other service verifies it (JWKS, pinned algorithm,
        # issuer, audience, lifetime, revocation marker); which check failed is not said.
        try:
            claims = verify_access_token(request.token)
        except TokenError:
            return pb.IntrospectTokenResponse(active=False)
        return pb.IntrospectTokenResponse(
            active=True,
            claims=pb.TokenClaims(
                sub=str(claims.user_id),
                role=claims.role.value,
                exp=_timestamp(claims.expires_at),
                iat=_timestamp(claims.issued_at),
                jti=claims.token_id,
                kid=_kid(request.token),
            ),
        )

    def RevokeUserSessions(
        self, request: pb.RevokeUserSessionsRequest, context: grpc.ServicerContext
    ) -> pb.RevokeUserSessionsResponse:
        try:
            user_id = uuid.UUID(request.user_id)
        except ValueError as exc:
            raise ValidationFailed(errors={"user_id": ["Must be a UUID."]}) from exc
        reason = _REASONS.get(request.reason)
        if reason is None:
            raise ValidationFailed(errors={"reason": ["A revocation reason is required."]})
        revocation = sessions_revoke_all(user_id=user_id, reason=reason)
        return pb.RevokeUserSessionsResponse(
            revoked_before=_timestamp(revocation.revoked_before),
            sessions_revoked=revocation.sessions_revoked,
        )


def auth_service() -> ServicerRegistration:
    return pb_grpc.add_AuthServiceServicer_to_server, AuthServiceServicer()
