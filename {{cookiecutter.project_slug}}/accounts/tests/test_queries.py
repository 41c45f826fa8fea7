"""Tokens cost a constant number of queries: one to authenticate, however many tokens exist."""

import pytest
from knox.models import AuthToken

pytestmark = pytest.mark.django_db


def test_authenticating_costs_one_query_however_many_tokens_the_user_has(
    client_for, alice, bob, django_assert_num_queries
):
    client = client_for(alice)
    for user in (alice, bob):
        for _ in range(20):
            AuthToken.objects.create(user=user)

    with django_assert_num_queries(1):  # /api/auth/me/ reads nothing but the token and its user
        assert client.get("/api/auth/me/").status_code == 200
