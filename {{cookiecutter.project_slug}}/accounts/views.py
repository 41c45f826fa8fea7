"""Token endpoints: register, obtain, revoke one, revoke all.

Tokens are django-rest-knox tokens: only a hash is stored, each expires after TOKEN_TTL_HOURS,
and the plain token is shown once, in the response that issues it.
"""

from django.contrib.auth.signals import user_logged_in
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .authentication import delete_expired_tokens
from .serializers import LoginSerializer, RegisterSerializer


def issue_token(request, user):
    delete_expired_tokens(user)
    instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return {"token": token, "expiry": instance.expiry}


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "login"  # strict: per client IP and per username (throttling.py)

    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.save()
        body = {"username": user.username, **issue_token(request, user)}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    def post(self, request):
        serializer = LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return Response(issue_token(request, serializer.validated_data["user"]))
