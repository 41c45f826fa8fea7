"""Tokens cost a constant number of queries: one to authenticate, however many tokens exist."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from api_layer.testing import PASSWORD
from api_layer.tests.urls import ITEMS

pytestmark = pytest.mark.django_db


@pytest.mark.urls("api_layer.tests.urls")  # ITEMS reads no data: only the token is looked up
def test_authenticating_costs_one_query_however_many_tokens_the_user_has(
    client_for, alice, bob, django_assert_num_queries
):
    client = client_for(alice)
    for user in (alice, bob):
        for _ in range(20):
            AuthToken.objects.create(user=user)

    with django_assert_num_queries(1):
        assert client.get(ITEMS).status_code == 200


def test_issuing_a_token_deletes_only_the_users_expired_tokens(api_client, alice, bob):
    expired = timedelta(seconds=-1)
    AuthToken.objects.create(user=alice, expiry=expired)
    AuthToken.objects.create(user=bob, expiry=expired)
    AuthToken.objects.create(user=alice)

    response = api_client.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    now = timezone.now()
    assert AuthToken.objects.filter(user=alice, expiry__lt=now).count() == 0
    assert AuthToken.objects.filter(user=alice).count() == 2
    assert AuthToken.objects.filter(user=bob, expiry__lt=now).count() == 1
