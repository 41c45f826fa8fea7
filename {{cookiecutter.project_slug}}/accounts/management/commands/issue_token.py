"""Issue an API token from the command line: `python manage.py issue_token alice`.

For tokens outside the HTTP API: the first users of a fresh project (scripts/bootstrap.py runs this
command), or a new token after the old one expired. Issued as the API issues them
(`accounts.services.issue_token`): expired tokens swept, `TOKEN_LIMIT_PER_USER` enforced (a user
at the cap gets no token: an error naming them), `user_logged_in` sent. The plain token is
printed once and never stored (knox keeps only its hash).
With `--create`, a missing user is created with a long random password that nobody ever sees;
that account logs in with its token until someone sets a password (`manage.py changepassword`).
With `--tokens-file tokens.local.json`, the new tokens are written into that file (mode 0600,
other users' entries kept); `--keep-valid` then issues only for users whose token there no
longer authenticates (expired, revoked, missing): what a re-run of the bootstrap does.
"""

import json
import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import TokenAuthentication
from accounts.services import TokenLimitReached, issue_token
from api_layer.local_files import read_tokens, write_private


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
        parser.add_argument(
            "--tokens-file", type=Path, help="write the tokens into this JSON file (mode 0600)"
        )
        parser.add_argument(
            "--keep-valid",
            action="store_true",
            help="with --tokens-file: issue only where the file's token no longer authenticates",
        )

    @transaction.atomic
    def handle(self, *args, usernames, create, as_json, tokens_file, keep_valid, **options):
        if keep_valid and not tokens_file:
            raise CommandError("--keep-valid needs --tokens-file")
        try:
            stored = read_tokens(tokens_file) if tokens_file else {}
        except ValueError as error:
            raise CommandError(str(error)) from None
        if keep_valid:
            usernames = [name for name in usernames if not authenticates(name, stored.get(name))]
        tokens = {name: self.issue(name, create) for name in usernames}
        if tokens_file:
            write_private(tokens_file, json.dumps({**stored, **tokens}, indent=2) + "\n")
        if as_json:
            self.stdout.write(json.dumps(tokens))
        else:
            for name, token in tokens.items():
                self.stdout.write(f"{name} {token}" if len(tokens) > 1 else token)

    def issue(self, username, create):
        try:
            return issue_token(self.user(username, create))[0]
        except TokenLimitReached as refusal:
            raise CommandError(f"{username}: {refusal.detail}") from None

    def user(self, username, create):
        users = get_user_model()
        try:
            return users.objects.get_by_natural_key(username)
        except users.DoesNotExist:
            if not create:
                raise CommandError(f"no user {username!r}; add --create to create it") from None
        return users.objects.create_user(username=username, password=secrets.token_urlsafe(32))


def authenticates(username, token):
    """True when `token` is a live token of `username` (knox's own check, public API)."""
    if not token:
        return False
    try:
        user, _ = TokenAuthentication().authenticate_credentials(token.encode())
    except AuthenticationFailed:
        return False
    return user.get_username() == username
