"""Token endpoints: register, obtain, who am I, change the password, revoke one, revoke all.

Tokens are django-rest-knox tokens: only a hash is stored, each expires after TOKEN_TTL_HOURS,
and the plain token is shown once, in the response that issues it. A user holds at most
TOKEN_LIMIT_PER_USER live tokens (services.py: the next login is a 403). Registration can be
closed (REGISTRATION_OPEN=false: 403), for a deployment whose accounts are made by an admin.
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from knox import views as knox_views
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api_layer.openapi import ErrorSerializer

from .authentication import TokenAuthentication
from .serializers import (
    LoginSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TokenSerializer,
)
from .services import TokenLimitReached, change_password, issue_token

CREDENTIALS_EXAMPLE = OpenApiExample(
    "Credentials",
    value={"username": "alice", "password": "a-long-unusual-passphrase"},
    request_only=True,
)
TOKEN_LIMIT_RESPONSE = OpenApiResponse(
    ErrorSerializer,
    description=f"TOKEN_LIMIT_PER_USER live tokens already: {TokenLimitReached.default_detail}",
)


class RegistrationOpen(BasePermission):
    """Registration answers while `REGISTRATION_OPEN` is on (read on every request)."""

    message = "Registration is closed."

    def has_permission(self, request, view):
        return settings.REGISTRATION_OPEN


@extend_schema(
    summary="Create an account and its first token",
    request=RegisterSerializer,
    responses={
        201: RegisteredSerializer,
        403: OpenApiResponse(
            ErrorSerializer, description="Registration is closed (REGISTRATION_OPEN=false)."
        ),
    },
    examples=[CREDENTIALS_EXAMPLE],
    tags=["auth"],
)
class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny, RegistrationOpen]  # AllowAny: "no token" in the schema
    throttle_scope = "login"  # strict: per client IP and per username (throttling.py)

    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.save()
        token, expiry = issue_token(user, request)
        body = {"username": user.username, "token": token, "expiry": expiry}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="Obtain a token for a username and password",
    request=LoginSerializer,
    responses={200: TokenSerializer, 403: TOKEN_LIMIT_RESPONSE},
    examples=[CREDENTIALS_EXAMPLE],
    tags=["auth"],
)
class TokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    def post(self, request):
        serializer = LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, expiry = issue_token(serializer.validated_data["user"], request)
        return Response({"token": token, "expiry": expiry})


@extend_schema(
    summary="Who the token belongs to, and when it expires",
    responses={200: MeSerializer},
    tags=["auth"],
)
class MeView(APIView):
    """The caller's username and the expiry of the token this request carries."""

    def get(self, request):
        return Response({"username": request.user.get_username(), "expiry": request.auth.expiry})


@extend_schema(
    summary="Change the caller's password",
    description=(
        "Needs the current password; the new one must pass the password validators. Every other "
        "token of the caller is revoked; the token of this request stays valid."
    ),
    request=PasswordChangeSerializer,
    responses={204: OpenApiResponse(description="Changed; the caller's other tokens are revoked.")},
    examples=[
        OpenApiExample(
            "Passwords",
            value={
                "current_password": "a-long-unusual-passphrase",
                "new_password": "another-long-unusual-passphrase",
            },
            request_only=True,
        )
    ],
    tags=["auth"],
)
class PasswordChangeView(APIView):
    """A stolen token must not be enough to take the account over: the current password is
    asked, and its guesses spend the strict `login` budget."""

    throttle_scope = "login"

    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        change_password(request.user, serializer.validated_data["new_password"], request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    summary="Revoke the token used for this request",
    description="The token stops working at once; the caller's other tokens do not.",
    request=None,
    responses={204: OpenApiResponse(description="The token is revoked.")},
    tags=["auth"],
)
class LogoutView(knox_views.LogoutView):
    """knox's logout, with the token checked like on every other view."""

    authentication_classes = [TokenAuthentication]


@extend_schema(
    summary="Revoke every token of the caller",
    description="Every token of the caller stops working at once, this one included.",
    request=None,
    responses={204: OpenApiResponse(description="Every token of the caller is revoked.")},
    tags=["auth"],
)
class LogoutAllView(knox_views.LogoutAllView):
    """knox's logout from every session, with the token checked like on every other view."""

    authentication_classes = [TokenAuthentication]
