"""Issuing tokens: the one way a token is made, for the API and the command line alike.

The register and token endpoints and `manage.py issue_token` (which scripts/bootstrap.py runs for
the first users) all call `issue_token`. Each issue sweeps the user's expired tokens
(authentication.py checks only the presented token, so they are deleted here: issuing is what
makes them pile up), creates a knox token with the configured TTL (`REST_KNOX["TOKEN_TTL"]`), and
sends Django's `user_logged_in` as a login does: `last_login` is updated and audit receivers hear
of every token, those issued from the command line too (with no request).
"""

from django.contrib.auth.signals import user_logged_in
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings


def issue_token(user, request=None):
    """A new token for `user`: `(token, expiry)`. The plain token is shown once, never stored."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return token, instance.expiry
