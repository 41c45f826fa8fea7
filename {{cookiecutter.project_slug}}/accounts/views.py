"""Token endpoints: register, obtain, who am I, revoke one, revoke all.

Tokens are django-rest-knox tokens: only a hash is stored, each expires after TOKEN_TTL_HOURS,
and the plain token is shown once, in the response that issues it.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from knox import views as knox_views
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .authentication import TokenAuthentication
from .serializers import (
    LoginSerializer,
    MeSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TokenSerializer,
)
from .services import issue_token

CREDENTIALS_EXAMPLE = OpenApiExample(
    "Credentials",
    value={"username": "alice", "password": "a-long-unusual-passphrase"},
    request_only=True,
)


@extend_schema(
    summary="Create an account and its first token",
    request=RegisterSerializer,
    responses={201: RegisteredSerializer},
    examples=[CREDENTIALS_EXAMPLE],
    tags=["auth"],
)
class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
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
    responses={200: TokenSerializer},
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
