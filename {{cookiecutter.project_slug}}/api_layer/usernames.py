"""Usernames as the accounts store and authentication read them: one transform for all.

Threat: spellings of one name that the parts of the API read differently. Django stores a
username NFKC-normalised (`AbstractBaseUser.normalize_username`: fullwidth `ａｌｉｃｅ` is saved as
`alice`) but looks one up as sent; DRF strips surrounding whitespace. A uniqueness check on the
raw name then passes where the database refuses (a 500), and a per-username login budget keyed
on the raw name hands `" alice"`, `"alice\\t"` and `"alice\\u00a0"` each a fresh budget though all
three log in as `alice`. Decision: `normalize_username` is the one transform, applied where a
username is registered, where a login looks it up (accounts/serializers.py) and where a login
budget is keyed (throttling.username_key): whitespace of every kind stripped, then the user
model's own `normalize_username` (NFKC).
"""

from django.contrib.auth import get_user_model


def normalize_username(username):
    """`username` (str) as registration stores it and login looks it up."""
    return get_user_model().normalize_username(username.strip())
