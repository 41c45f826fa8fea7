"""Issuing tokens and changing passwords: the one way each is done, for the API and the CLI.

The register and token endpoints and `manage.py issue_token` (which scripts/bootstrap.py runs for
the first users) all call `issue_token`. Each issue sweeps the user's expired tokens
(authentication.py checks only the presented token, so they are deleted here: issuing is what
makes them pile up), creates a knox token with the configured TTL (`REST_KNOX["TOKEN_TTL"]`), and
sends Django's `user_logged_in` as a login does: `last_login` is updated and audit receivers hear
of every token, those issued from the command line too (with no request).

Threat: a stolen password (or a script gone wrong) minting tokens without end, each a way in that
outlives a password change. Decision: knox's `TOKEN_LIMIT_PER_USER` caps a user's live tokens;
past it `issue_token` refuses (`TokenLimitReached`, a 403 in the error envelope, as knox's own
login view answers) rather than dropping the oldest: a silently revoked token would log out
another of the user's clients, which nobody asked for. The count and the new token happen under a
lock on the user's row, so concurrent logins cannot both take the last place.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework.exceptions import PermissionDenied


class TokenLimitReached(PermissionDenied):
    default_detail = (
        "Token limit reached: revoke a token (logout) or wait for one to expire, then log in again."
    )
    default_code = "token_limit_reached"


def issue_token(user, request=None):
    """A new token for `user`: `(token, expiry)`. The plain token is shown once, never stored.

    Raises TokenLimitReached when the user holds `TOKEN_LIMIT_PER_USER` live tokens already.
    """
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # the lock
        tokens = AuthToken.objects.filter(user=user)
        tokens.filter(expiry__lt=timezone.now()).delete()
        if limit is not None and tokens.count() >= limit:
            raise TokenLimitReached
        instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return token, instance.expiry


def change_password(user, password, keep_token):
    """Set `user`'s password and revoke every token of theirs but `keep_token` (the one in use):
    a thief's token dies with the old password, the client that changed it stays signed in."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        AuthToken.objects.filter(user=user).exclude(pk=keep_token.pk).delete()
