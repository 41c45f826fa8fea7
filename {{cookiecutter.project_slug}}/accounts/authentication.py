"""Token authentication: knox's hashed, expiring tokens, checked with one query per request.

Threat: a user with many tokens makes each of their requests slower. knox 5, after finding the
presented token, loads every token of that user on every request to delete the expired ones:
an extra query whose rows grow with each login.

Decision: check only the presented token (an expired one is refused and deleted, and knox's
`token_expired` signal sent, as knox does), and sweep a user's expired tokens when a new one is
issued (`services.issue_token`), which is what makes them pile up. knox parses the header;
`authenticate_credentials`, the public method it hands the token to, is ours: knox's lookup
by `token_key`, its `hash_token` (SHA-512) and a constant-time compare, through knox's public
model, settings and functions only.
"""

import binascii
from hmac import compare_digest

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework.exceptions import AuthenticationFailed


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate_credentials(self, token):
        """(user, token) for the token sent (bytes); an expired one is deleted and refused.

        knox issues printable ASCII (hex, after an optional prefix): anything else is refused
        before the lookup, where bytes such as NUL would fail the database query (a 500).
        """
        try:
            token = token.decode("ascii")
            digest = hash_token(token)
        except (UnicodeDecodeError, TypeError, binascii.Error):
            raise AuthenticationFailed("Invalid token.") from None
        if not token.isprintable():
            raise AuthenticationFailed("Invalid token.")
        candidates = (
            get_token_model()
            .objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
        )
        for auth_token in candidates:
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                username = auth_token.user.get_username()
                auth_token.delete()
                token_expired.send(sender=self.__class__, username=username, source="auth_token")
                break
            if knox_settings.AUTO_REFRESH and auth_token.expiry:
                self.renew_token(auth_token)
            return self.validate_user(auth_token)
        raise AuthenticationFailed("Invalid token.")


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme `knoxApiToken` (`Authorization: Token <key>`), from
    drf-spectacular's own knox extension, for this subclass of knox's authentication."""

    target_class = "accounts.authentication.TokenAuthentication"
