"""Issue an API token from the command line: `python manage.py issue_token alice`.

For tokens outside the HTTP API: the first users of a fresh project (scripts/bootstrap.py runs this
command), or a new token after the old one expired. Issued as the API issues them
(`accounts.services.issue_token`): expired tokens swept, `user_logged_in` sent. The plain token
is printed once and never stored (knox keeps only its hash).
With `--create`, a missing user is created with a long random password that nobody ever sees;
that account logs in with its token until someone sets a password (`manage.py changepassword`).
"""

import json
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.services import issue_token


class Command(BaseCommand):
    help = "Issue a new API token for each username and print it once."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="username")
        parser.add_argument(
            "--create", action="store_true", help="create missing users (random password)"
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help='print {"username": "token", ...} on one line',
        )

    @transaction.atomic
    def handle(self, *args, usernames, create, as_json, **options):
        tokens = {name: issue_token(self.user(name, create))[0] for name in usernames}
        if as_json:
            self.stdout.write(json.dumps(tokens))
        else:
            for name, token in tokens.items():
                self.stdout.write(f"{name} {token}" if len(tokens) > 1 else token)

    def user(self, username, create):
        users = get_user_model()
        try:
            return users.objects.get_by_natural_key(username)
        except users.DoesNotExist:
            if not create:
                raise CommandError(f"no user {username!r}; add --create to create it") from None
        return users.objects.create_user(username=username, password=secrets.token_urlsafe(32))
