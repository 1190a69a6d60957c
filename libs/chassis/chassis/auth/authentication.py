"""DRF authentication by ``Authorization: Bearer <access token>``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from chassis.auth.roles import STAFF_ROLES, Role
from chassis.auth.tokens import AccessClaims, TokenError, verify_access_token


@dataclass(frozen=True)
class TokenUser:
    """The caller, as its access token describes it (no database row behind it)."""

    claims: AccessClaims
    is_authenticated: bool = True
    is_anonymous: bool = False

    @property
    def id(self) -> uuid.UUID:
        return self.claims.user_id

    @property
    def pk(self) -> uuid.UUID:
        return self.claims.user_id

    @property
    def role(self) -> Role:
        return self.claims.role

    @property
    def is_staff(self) -> bool:
        return self.claims.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.claims.role == Role.ADMIN


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[TokenUser, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'Bearer <token>'.", code="invalid_token"
            )
        try:
            token = header[1].decode("ascii")
            claims = verify_access_token(token)
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(
                "The token is malformed.", code="invalid_token"
            ) from exc
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(exc.detail, code=exc.code) from exc
        return TokenUser(claims=claims), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
