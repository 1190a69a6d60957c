"""The auth REST API (CONTRACT section 2): thin views over the account services."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auth_service.accounts import services
from auth_service.accounts.serializers import (
    AcceptedOutput,
    AccountOutput,
    LoginInput,
    PasswordChangeInput,
    PasswordResetConfirmInput,
    PasswordResetInput,
    ProblemOutput,
    RefreshTokenInput,
    RegisterInput,
    TokenOutput,
)
from auth_service.accounts.throttles import (
    LoginRateThrottle,
    PasswordChangeRateThrottle,
    PasswordResetConfirmRateThrottle,
    PasswordResetEmailRateThrottle,
    PasswordResetRateThrottle,
    RefreshRateThrottle,
    RegisterRateThrottle,
    client_ip,
)
from chassis.auth.authentication import TokenUser
from chassis.auth.views import PublicView

TAG = ["auth"]


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemOutput, description=description)


_THROTTLED = _problem("`throttled`: too many requests; `Retry-After` says when to retry.")
_INVALID = _problem("`validation_error`: see `errors`.")
_NO_TOKEN = _problem(
    "`not_authenticated`, `invalid_token`, `token_expired` or `token_revoked` (Bearer)."
)


def _validated(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    given = serializer_class(data=request.data)
    given.is_valid(raise_exception=True)
    return cast(dict[str, Any], given.validated_data)


def _client(request: Request) -> services.ClientInfo:
    return services.ClientInfo(
        ip=client_ip(request), user_agent=str(request.META.get("HTTP_USER_AGENT", ""))
    )


def _tokens(pair: services.TokenPair) -> Response:
    body = {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
    }
    # Token responses must not be cached by anything on the way (RFC 6749, 5.1).
    return Response(TokenOutput(body).data, headers={"Cache-Control": "no-store"})


class RegisterView(PublicView):
    throttle_classes = [RegisterRateThrottle]

    @extend_schema(
        tags=TAG,
        summary="Create an account",
        request=RegisterInput,
        responses={
            201: AccountOutput,
            400: _INVALID,
            409: _problem("`email_taken`: an account has this email (in any case)."),
            429: _THROTTLED,
            503: _problem("`dependency_unavailable`: nothing was created; try again."),
        },
    )
    def post(self, request: Request) -> Response:
        given = _validated(RegisterInput, request)
        registration = services.account_register(
            email=given["email"],
            password=given["password"],
            name=given["name"],
            phone=given.get("phone") or None,
        )
        credential = registration.credential
        body = {
            "id": credential.id,
            "email": credential.email,
            "name": credential.name,
            "role": registration.role.value,
            "created_at": registration.created_at,
        }
        return Response(AccountOutput(body).data, status=status.HTTP_201_CREATED)


class LoginView(PublicView):
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        tags=TAG,
        summary="Sign in with email and password",
        request=LoginInput,
        responses={
            200: TokenOutput,
            400: _INVALID,
            401: _problem(
                "`invalid_credentials`: the same for an unknown email, a wrong password "
                "and a deactivated account."
            ),
            429: _problem(
                "`throttled`: too many attempts from this address, or too many failures "
                "for this account (a lockout that grows with each failure); see `Retry-After`."
            ),
            503: _problem("`dependency_unavailable`"),
        },
    )
    def post(self, request: Request) -> Response:
        given = _validated(LoginInput, request)
        pair = services.session_login(
            email=given["email"], password=given["password"], client=_client(request)
        )
        return _tokens(pair)


class RefreshView(PublicView):
    throttle_classes = [RefreshRateThrottle]

    @extend_schema(
        tags=TAG,
        summary="Trade a refresh token for new tokens",
        description=(
            "The refresh token is single use: the response carries a new one. Presenting "
            "a token that was already used ends the whole login session."
        ),
        request=RefreshTokenInput,
        responses={
            200: TokenOutput,
            400: _INVALID,
            401: _problem(
                "`invalid_token` (unknown, expired, revoked, or the account is deactivated) "
                "or `token_reused` (the session has been ended)."
            ),
            429: _THROTTLED,
            503: _problem("`dependency_unavailable`"),
        },
    )
    def post(self, request: Request) -> Response:
        given = _validated(RefreshTokenInput, request)
        pair = services.session_refresh(
            refresh_token=given["refresh_token"], client=_client(request)
        )
        return _tokens(pair)


class LogoutView(PublicView):
    @extend_schema(
        tags=TAG,
        summary="End the login session of a refresh token",
        description="Idempotent: an unknown or already revoked token is also answered 204.",
        request=RefreshTokenInput,
        responses={204: None, 400: _INVALID},
    )
    def post(self, request: Request) -> Response:
        given = _validated(RefreshTokenInput, request)
        services.session_logout(refresh_token=given["refresh_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


def _caller(request: Request) -> TokenUser:
    return cast(TokenUser, request.user)


class LogoutAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAG,
        summary="End every session of the caller",
        description=(
            "Revokes every refresh token of the caller; every service rejects their "
            "access tokens issued before now within 2 seconds."
        ),
        request=None,
        responses={204: None, 401: _NO_TOKEN},
    )
    def post(self, request: Request) -> Response:
        services.sessions_revoke_all(
            user_id=_caller(request).id, reason=services.RevocationReason.LOGOUT_ALL
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [PasswordChangeRateThrottle]

    @extend_schema(
        tags=TAG,
        summary="Change the caller's password",
        description="Ends every session of the caller, as logout-all does.",
        request=PasswordChangeInput,
        responses={
            204: None,
            400: _problem(
                "`invalid_password` (the current password is wrong) or `validation_error`."
            ),
            401: _NO_TOKEN,
            429: _THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        given = _validated(PasswordChangeInput, request)
        services.password_change(
            user_id=_caller(request).id,
            current_password=given["current_password"],
            new_password=given["new_password"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicView):
    throttle_classes = [PasswordResetRateThrottle, PasswordResetEmailRateThrottle]

    @extend_schema(
        tags=TAG,
        summary="Email a password-reset link",
        description=(
            "Always 202, whether or not the address has an account. The link holds a "
            "single-use token valid for one hour."
        ),
        request=PasswordResetInput,
        responses={202: AcceptedOutput, 400: _INVALID, 429: _THROTTLED},
    )
    def post(self, request: Request) -> Response:
        given = _validated(PasswordResetInput, request)
        services.password_reset_request(email=given["email"])
        body = {"detail": "If this address has an account, a reset link is on its way."}
        return Response(AcceptedOutput(body).data, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicView):
    throttle_classes = [PasswordResetConfirmRateThrottle]

    @extend_schema(
        tags=TAG,
        summary="Set a new password with a reset token",
        description="Ends every session of the account.",
        request=PasswordResetConfirmInput,
        responses={
            204: None,
            400: _problem(
                "`invalid_token` (unknown, used or expired) or `validation_error` "
                "(the new password breaks a rule; the token stays usable)."
            ),
            429: _THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        given = _validated(PasswordResetConfirmInput, request)
        services.password_reset_confirm(token=given["token"], new_password=given["new_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)
