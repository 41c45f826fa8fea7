"""The admin: mounted at DJANGO_ADMIN_URL or not at all; its login form spends the API's login
budgets, per client IP and per username (admin_login.py)."""

import importlib.util
import sys
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse

from api_layer.testing import PASSWORD, load_settings
from api_layer.tests.urls import ADMIN

pytestmark = pytest.mark.django_db

LOGIN = f"{ADMIN}login/"
GUESS = "wrong-password"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("root", password=PASSWORD, is_staff=True)


def admin_login(client, username="root", password=GUESS, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.mark.urls("api_layer.tests.urls")
def test_thirty_wrong_passwords_at_the_admin_login_get_429_after_the_login_rate(rates, staff):
    rates(login="5/minute")
    client = Client()

    answers = [admin_login(client) for _ in range(30)]

    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 25
    refused = answers[-1]
    assert refused.json() == {"error": "Too many login attempts."}
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Spent is spent: the right password gets no answer about itself either.
    assert admin_login(client, password=PASSWORD).status_code == 429


@pytest.mark.urls("api_layer.tests.urls")
def test_admin_login_on_one_username_from_many_ips_gets_429(rates, staff):
    rates(login="3/minute")
    client = Client()

    codes = [admin_login(client, REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(5)]

    assert codes == [200, 200, 200, 429, 429]
    assert admin_login(client, "someone-else", REMOTE_ADDR="198.51.100.99").status_code == 200


@pytest.mark.urls("api_layer.tests.urls")
def test_admin_and_api_logins_share_one_budget(rates, staff, api_client):
    rates(login="3/minute")
    body = {"username": "root", "password": GUESS}
    api = [api_client.post("/api/auth/token/", body, format="json").status_code for _ in range(2)]

    codes = [admin_login(Client()).status_code for _ in range(2)]

    assert api == [400, 400]
    assert codes == [200, 429]


@pytest.mark.urls("api_layer.tests.urls")
def test_a_successful_admin_login_still_works_within_the_budget(rates, staff):
    rates(login="5/minute")
    client = Client()

    response = admin_login(client, password=PASSWORD)

    assert response.status_code == 302
    assert client.get(ADMIN).status_code == 200


@pytest.fixture
def project_urls_with(monkeypatch, settings):
    """`project_urls_with(DJANGO_ADMIN_URL="x/")`: settings.py's ADMIN_URL read afresh from this
    environment, and config/urls.py evaluated anew under it as this test's URLconf."""
    names = []

    def route(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        settings.ADMIN_URL = load_settings().ADMIN_URL
        spec = importlib.util.find_spec("config.urls")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names.append(f"urls_{uuid.uuid4().hex}")
        sys.modules[names[-1]] = module
        settings.ROOT_URLCONF = names[-1]

    yield route
    for name in names:
        del sys.modules[name]


def test_admin_is_mounted_at_its_configured_path_only(project_urls_with):
    project_urls_with(DJANGO_ADMIN_URL="admin-3f9c2a/")
    client = Client()

    assert reverse("admin:login") == "/admin-3f9c2a/login/"
    assert client.get("/admin-3f9c2a/login/").status_code == 200
    assert client.get("/admin/login/").status_code == 404


def test_an_empty_admin_url_mounts_no_admin_at_all(project_urls_with):
    project_urls_with(DJANGO_ADMIN_URL="")
    client = Client()

    with pytest.raises(NoReverseMatch):
        reverse("admin:index")
    assert client.get("/admin/login/").status_code == 404
    assert client.get("/admin/").status_code == 404
    assert client.get("/api/health/").status_code == 200
