"""Token authentication: knox's hashed, expiring tokens, checked with one query per request.

Threat: a user with many tokens makes each of their requests slower. knox 5, after finding the
presented token, loads every token of that user on every request to delete the expired ones:
an extra query whose rows grow with each login.

Decision: check only the presented token (an expired one is refused and deleted, as knox does),
and sweep a user's expired tokens when a new one is issued (`services.issue_token`), which is
what makes them pile up. knox's lookup, SHA-512 digest and constant-time compare are unchanged.
"""

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired


class TokenAuthentication(KnoxTokenAuthentication):
    def _cleanup_token(self, auth_token):
        """True (and deleted) when the presented token has expired; other tokens untouched."""
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(sender=self.__class__, username=username, source="auth_token")
        return True


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme `knoxApiToken` (`Authorization: Token <key>`), from
    drf-spectacular's own knox extension, for this subclass of knox's authentication."""

    target_class = "accounts.authentication.TokenAuthentication"
