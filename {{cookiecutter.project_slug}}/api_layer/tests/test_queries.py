"""The API layer costs no database query: throttling, logging, errors and pagination of a view
that reads no data leave only the token lookup (and nothing for a request without one)."""

import pytest

from api_layer.tests.urls import ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]


def test_a_request_without_a_token_costs_no_query(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert api_client.get(ITEMS).status_code == 401


def test_a_request_with_a_token_costs_only_the_token_lookup(
    alice_client, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert alice_client.get(ITEMS, {"page": 2}).status_code == 200
