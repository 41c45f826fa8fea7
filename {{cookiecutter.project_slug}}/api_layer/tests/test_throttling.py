"""Throttling through the whole HTTP stack: budgets, keys, headers and the store behind them."""

import hashlib
import logging
import multiprocessing
import sys
import threading
import time
import uuid

import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from api_layer import throttle_store as store_module
from api_layer.rates import parse_rate
from api_layer.testing import PASSWORD, RUN_PREFIX
from api_layer.tests.urls import ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

TOKEN = "/api/auth/token/"
REGISTER = "/api/auth/register/"
HEALTH = "/api/health/"
WRONG_PASSWORD = "wrong-password"


def statuses(client, count, path=ITEMS, **extra):
    return [client.get(path, **extra).status_code for _ in range(count)]


def login(client, username, password=WRONG_PASSWORD, **extra):
    body = {"username": username, "password": password}
    return client.post(TOKEN, body, format="json", **extra).status_code


# --- Budgets --------------------------------------------------------------------------------


def test_user_budget_admits_exactly_the_rate(rates, alice_client):
    rates(user="5/minute")

    assert statuses(alice_client, 7) == [200] * 5 + [429] * 2


def test_each_user_has_a_budget_of_their_own(rates, alice_client, bob_client):
    rates(user="2/minute")
    statuses(alice_client, 3)

    assert statuses(bob_client, 2) == [200, 200]


def test_requests_without_a_token_count_against_the_anon_budget(rates, api_client):
    rates(anon="3/minute")

    assert statuses(api_client, 5) == [401] * 3 + [429] * 2


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Token ", "Bearer abc"])
def test_requests_with_an_invalid_token_count_against_the_anon_budget(rates, api_client, header):
    rates(anon="3/minute")
    api_client.credentials(HTTP_AUTHORIZATION=header)

    assert statuses(api_client, 5) == [401] * 3 + [429] * 2


# A WSGI server hands header bytes to Django decoded as latin-1: bytes 0xff 0xfe 0x80, and NUL
# (which PostgreSQL refuses in a query).
@pytest.mark.parametrize("token", ["\xff\xfe\x80", "a\x00b"])
def test_a_token_of_unreadable_bytes_is_401_and_counted_against_anon(rates, api_client, token):
    rates(anon="3/minute")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert statuses(api_client, 5) == [401] * 3 + [429] * 2


def test_requests_failing_before_the_throttles_count_against_anon(rates, api_client):
    """DRF negotiates the response type before it authenticates or throttles: a 406 too."""
    rates(anon="3/minute")

    assert statuses(api_client, 5, HTTP_ACCEPT="text/html") == [406] * 3 + [429] * 2


def test_a_request_whose_authentication_crashes_is_counted_against_anon(rates):
    rates(anon="3/minute")
    client = APIClient(raise_request_exception=False)

    codes = statuses(client, 5, "/api/test/crash-authentication/", HTTP_AUTHORIZATION="Token x")

    assert codes == [500] * 3 + [429] * 2


def test_a_valid_token_failing_before_the_throttles_counts_against_its_user(
    rates, api_client, alice_client
):
    rates(anon="2/minute", user="2/minute")

    assert statuses(alice_client, 3, HTTP_ACCEPT="text/html") == [406, 406, 429]
    assert statuses(api_client, 2) == [401, 401]


def test_missing_and_invalid_tokens_share_the_budget_of_their_ip(rates, api_client):
    rates(anon="4/minute")
    statuses(api_client, 2)
    api_client.credentials(HTTP_AUTHORIZATION="Token guessed")

    assert statuses(api_client, 3) == [401, 401, 429]


def test_anon_budget_is_per_client_ip(rates, api_client):
    rates(anon="2/minute")
    statuses(api_client, 3, REMOTE_ADDR="192.0.2.1")

    assert statuses(api_client, 2, REMOTE_ADDR="192.0.2.2") == [401, 401]


def test_revoked_token_counts_as_anonymous(rates, alice_client):
    rates(anon="2/minute")
    alice_client.post("/api/auth/logout/")

    assert statuses(alice_client, 3) == [401, 401, 429]


def test_authenticated_requests_never_consume_the_anon_budget(rates, api_client, alice_client):
    rates(anon="2/minute", user="100/minute")

    assert statuses(alice_client, 10) == [200] * 10
    assert statuses(api_client, 3) == [401, 401, 429]


def test_anonymous_requests_never_consume_a_users_budget(rates, api_client, alice_client):
    rates(anon="100/minute", user="2/minute")
    statuses(api_client, 10)

    assert statuses(alice_client, 3) == [200, 200, 429]


# --- Login and registration -------------------------------------------------------------------


def test_login_flood_from_one_ip_gets_429_even_with_the_right_password(rates, api_client, alice):
    rates(login="3/minute")

    tries = [login(api_client, f"user{n}") for n in range(3)]

    assert tries == [400, 400, 400]
    assert login(api_client, "alice", PASSWORD) == 429


def test_login_flood_on_one_username_from_many_ips_gets_429(rates, api_client, alice):
    rates(login="3/minute")

    tries = [login(api_client, "alice", REMOTE_ADDR=f"198.51.100.{n}") for n in range(5)]

    assert tries == [400, 400, 400, 429, 429]
    assert login(api_client, "bob", REMOTE_ADDR="198.51.100.99") == 400


def test_username_budget_ignores_case(rates, api_client, alice):
    rates(login="2/minute")
    login(api_client, "alice", REMOTE_ADDR="198.51.100.1")
    login(api_client, "ALICE", REMOTE_ADDR="198.51.100.2")

    assert login(api_client, "Alice", REMOTE_ADDR="198.51.100.3") == 429


# Twelve spellings of `alice` (whitespace of every kind, fullwidth forms, case), as a password
# guesser rotating spellings and client IPs would send them.
ALICE_SPELLINGS = [
    " alice", "alice\t", "alice\u00a0", "\u3000alice", "ａｌｉｃｅ", "alice\n",
    "\u2003alice\u2003", "ALICE", "\u00a0Ａｌｉｃｅ", "alice\r\n", "\u205falice", "alice",
]  # fmt: skip


def test_spellings_of_one_username_share_one_login_budget(rates, api_client, alice):
    rates(login="5/minute")

    codes = [
        login(api_client, spelling, REMOTE_ADDR=f"198.51.100.{n}")
        for n, spelling in enumerate(ALICE_SPELLINGS)
    ]

    assert codes == [400] * 5 + [429] * 7


def test_registration_shares_the_strict_login_budget(rates, api_client):
    rates(login="2/minute")
    body = {"username": "carol", "password": "short"}

    codes = [api_client.post(REGISTER, body, format="json").status_code for _ in range(3)]

    assert codes == [400, 400, 429]


def test_login_attempts_count_against_the_anon_budget_too(rates, api_client, alice):
    rates(anon="2/minute", login="100/minute")
    login(api_client, "alice")
    login(api_client, "alice")

    assert login(api_client, "alice", PASSWORD) == 429


# --- Client IP ---------------------------------------------------------------------------------


def test_rotating_x_forwarded_for_never_opens_a_fresh_budget(rates, api_client):
    rates(anon="3/minute")

    codes = [
        api_client.get(ITEMS, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(6)
    ]

    assert codes == [401] * 3 + [429] * 3


def test_behind_one_trusted_proxy_the_hop_it_appended_is_the_client(rates, api_client, settings):
    rates(anon="2/minute")
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    spoofed = [
        api_client.get(ITEMS, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 192.0.2.7", **proxy)
        for n in range(3)
    ]
    other_client = api_client.get(ITEMS, HTTP_X_FORWARDED_FOR="192.0.2.8", **proxy)

    assert [r.status_code for r in spoofed] == [401, 401, 429]
    assert other_client.status_code == 401


def test_behind_a_proxy_a_request_with_too_few_hops_counts_for_its_socket_address(
    rates, api_client, settings
):
    rates(anon="2/minute")
    settings.TRUSTED_PROXY_COUNT = 2

    codes = [
        api_client.get(ITEMS, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(3)
    ]

    assert codes == [401, 401, 429]


# --- Headers and the window ---------------------------------------------------------------------


def test_throttled_response_is_429_with_retry_after_and_the_envelope(rates, alice_client, clock):
    rates(user="2/minute")
    statuses(alice_client, 2)

    response = alice_client.get(ITEMS)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert list(response.json()) == ["error"]
    assert isinstance(response.json()["error"], str)
    assert response["RateLimit-Policy"] == '"user";q=2;w=60'
    assert response["RateLimit"] == '"user";r=0;t=60'


def test_ratelimit_headers_count_down(rates, alice_client, clock):
    rates(user="3/hour")

    headers = [alice_client.get(ITEMS)["RateLimit"] for _ in range(3)]

    assert headers == ['"user";r=2;t=3600', '"user";r=1;t=3600', '"user";r=0;t=3600']


def test_retry_after_is_when_the_oldest_counted_request_leaves_the_window(
    rates, alice_client, clock
):
    rates(user="2/minute")
    alice_client.get(ITEMS)
    clock.advance(20)
    alice_client.get(ITEMS)
    clock.advance(15)

    response = alice_client.get(ITEMS)

    assert response.status_code == 429
    assert response["Retry-After"] == "25"
    assert response["RateLimit"] == '"user";r=0;t=25'


def test_budget_comes_back_once_the_window_has_passed(rates, alice_client, clock):
    rates(user="2/minute")
    statuses(alice_client, 3)
    clock.advance(61)

    assert statuses(alice_client, 3) == [200, 200, 429]


def test_no_span_of_the_window_admits_more_than_the_rate(rates, alice_client, clock):
    """A fixed window would admit twice the rate around its boundary; a moving one never does."""
    rates(user="4/minute")
    alice_client.get(ITEMS)
    clock.advance(55)
    statuses(alice_client, 3)
    clock.advance(6)

    assert statuses(alice_client, 2) == [200, 429]


def test_unauthenticated_401s_carry_the_anon_headers(rates, api_client, clock):
    rates(anon="5/minute")

    response = api_client.get(ITEMS)

    assert response.status_code == 401
    assert response["RateLimit-Policy"] == '"anon";q=5;w=60'
    assert response["RateLimit"] == '"anon";r=4;t=60'


def test_login_responses_list_every_budget_they_count_against(rates, api_client, alice):
    rates(anon="50/minute", login="5/minute")

    response = api_client.post(TOKEN, {"username": "alice", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response["RateLimit-Policy"] == (
        '"anon";q=50;w=60, "login";q=5;w=60, "login-username";q=5;w=60'
    )


@pytest.mark.parametrize(
    ("rate", "quota", "window"),
    [("3/s", 3, 1), ("3/second", 3, 1), ("4/m", 4, 60), ("5/h", 5, 3600), ("6/day", 6, 86400)],
)
def test_rates_in_every_contract_form_are_enforced(rates, alice_client, rate, quota, window):
    rates(user=rate)

    codes = statuses(alice_client, quota + 1)

    assert codes == [200] * quota + [429]
    assert alice_client.get(ITEMS)["RateLimit-Policy"] == f'"user";q={quota};w={window}'


@pytest.mark.parametrize("health", [HEALTH, f"{HEALTH}live/", f"{HEALTH}ready/"])
def test_health_is_never_throttled_nor_counted(rates, api_client, health):
    rates(anon="1/minute")

    responses = [api_client.get(health) for _ in range(20)]

    assert {r.status_code for r in responses} == {200}
    assert not any(r.has_header("RateLimit") for r in responses)
    assert statuses(api_client, 2) == [401, 429]


# --- The store ---------------------------------------------------------------------------------


def admitted_by_threads(store, rate, threads=8, per_thread=40):
    """Hit one key from many threads at once; return how many hits were admitted."""
    amount, seconds = parse_rate(rate)
    start = threading.Barrier(threads)
    admitted, errors = [], []

    def hit_many():
        start.wait()
        for _ in range(per_thread):
            try:
                admitted.append(store.hit("exactness", "key", amount, seconds)[0])
            except Exception as error:  # in a request, a 500
                errors.append(error)

    workers = [threading.Thread(target=hit_many) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    return sum(admitted)


def admitted_by_a_process(url, key_prefix):
    """One worker process of its own store: 4 threads x 40 hits at 100/minute."""
    return admitted_by_threads(store_module.ThrottleStore(url, key_prefix), "100/minute", 4)


def in_redis(policy, key):
    """The requests a budget holds in Redis, read by a client of the test's own:
    (count within the last minute, time of the oldest)."""
    client = redis.Redis.from_url(settings.THROTTLE_STORAGE_URI)
    name = f"{settings.THROTTLE_KEY_PREFIX}:{policy}:{key}"
    oldest = client.zrange(name, 0, 0, withscores=True)
    return client.zcount(name, time.time() - 60, "+inf"), oldest[0][1] if oldest else None


@pytest.fixture
def frequent_thread_switches():
    """Switch threads as often as the interpreter can, to provoke races."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_memory_store_admits_exactly_the_rate_from_many_threads(frequent_thread_switches):
    counts = [
        admitted_by_threads(store_module.ThrottleStore("memory://", "t"), "100/minute")
        for _ in range(10)
    ]

    assert counts == [100] * 10


def test_memory_store_starts_no_thread_per_request(monkeypatch):
    store = store_module.ThrottleStore("memory://", "t")
    started = []
    start = threading.Thread.start

    def record_start(thread):
        started.append(thread)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", record_start)
    admitted = [store.hit("threads", "key", 100, 60)[0] for _ in range(20)]

    assert admitted == [True] * 20
    assert started == []


def test_memory_store_forgets_budgets_that_left_the_window(clock):
    store = store_module.ThrottleStore("memory://", "t")
    for n in range(10):
        store.hit("sweep", f"old-{n}", 100, 60)
    clock.advance(61)

    store.hit("sweep", "new", 100, 60)

    assert list(store.local.logs) == [("sweep", "new")]


def test_first_requests_from_many_threads_share_one_store(settings, redis_down):
    settings.THROTTLE_KEY_PREFIX = "first-requests"  # a store no test has built yet
    start = threading.Barrier(8)
    stores, errors = [], []

    def first_request():
        start.wait()
        try:
            stores.append(store_module.throttle_store())
        except Exception as error:  # in a request, a 500
            errors.append(error)

    workers = [threading.Thread(target=first_request) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert len({id(store) for store in stores}) == 1


def test_redis_store_admits_exactly_the_rate_from_many_threads(redis_store):
    assert admitted_by_threads(redis_store, "100/minute") == 100
    assert in_redis("exactness", "key")[0] == 100


def test_processes_sharing_redis_admit_exactly_the_rate(redis_store, settings):
    """Four worker processes of four threads each, 640 requests at 100/minute: 100 admitted."""
    args = [(settings.THROTTLE_STORAGE_URI, settings.THROTTLE_KEY_PREFIX)] * 4
    with multiprocessing.get_context("fork").Pool(4) as workers:
        admitted = workers.starmap(admitted_by_a_process, args)

    assert sum(admitted) == 100
    assert in_redis("exactness", "key")[0] == 100


@pytest.fixture
def sent(monkeypatch):
    """The commands redis-py sends to Redis during the test, as packed on the wire."""
    commands = []
    send = redis.connection.AbstractConnection.send_packed_command

    def record_send(connection, command, *args, **kwargs):
        commands.append(command)
        return send(connection, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", record_send)
    return commands


def test_redis_store_counts_each_request_in_one_round_trip(redis_store, sent):
    hits = [redis_store.hit("trips", "key", 2, 60)[:2] for _ in range(3)]

    assert hits == [(True, 1), (True, 0), (False, 0)]
    assert len(sent) == 3
    assert in_redis("trips", "key")[0] == 2


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_store_reports_what_the_window_holds(request, where, clock):
    """Remaining and reset come from the same call that counts, in memory as in Redis."""
    if where == "redis":
        store = request.getfixturevalue("redis_store")
    else:
        store = store_module.ThrottleStore("memory://", "t")
    hits = []
    for step in (0, 20, 15, 10, 16):
        clock.advance(step)
        hits.append(store.hit("stats", "key", 3, 60))
    start = clock.now - 61

    assert hits == [
        (True, 2, pytest.approx(start + 60)),
        (True, 1, pytest.approx(start + 60)),
        (True, 0, pytest.approx(start + 60)),
        (False, 0, pytest.approx(start + 60)),
        (True, 0, pytest.approx(start + 20 + 60)),  # the first left the window: its slot is free
    ]
    if where == "redis":
        assert in_redis("stats", "key")[1] == pytest.approx(start + 20)


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_store_counts_every_request_of_one_instant(request, where, clock):
    """Requests at the very same time.time() (threads, or processes sharing Redis) each count:
    in Redis, where a request's entry is named by its time, the names are kept apart."""
    if where == "redis":
        store = request.getfixturevalue("redis_store")
    else:
        store = store_module.ThrottleStore("memory://", "t")

    hits = [store.hit("instant", "key", 5, 60) for _ in range(6)]

    expected = [(True, 4), (True, 3), (True, 2), (True, 1), (True, 0), (False, 0)]
    assert [hit[:2] for hit in hits] == expected
    assert {hit[2] for hit in hits} == {clock.now + 60}
    if where == "redis":
        assert in_redis("instant", "key") == (5, clock.now)


def test_redis_store_reads_entries_a_former_version_named_otherwise(redis_store, clock):
    """During an upgrade, budgets hold entries named by the former script (a random name): the
    oldest is read from its time, whatever its name."""
    name = f"{settings.THROTTLE_KEY_PREFIX}:upgrade:key"
    redis_store.shared.client.zadd(name, {uuid.uuid4().hex: clock.now - 10})

    assert redis_store.hit("upgrade", "key", 5, 60) == (True, 3, clock.now - 10 + 60)


def test_redis_store_counts_each_request_once_after_redis_forgets_its_script(
    redis_store, monkeypatch
):
    """Redis drops its loaded scripts on a restart or `SCRIPT FLUSH`. The store then sends a
    hash Redis does not know: here, the same script under a hash Redis has never seen (a flush
    would make every other client of a shared Redis reload theirs)."""
    before = [redis_store.hit("forgotten", "key", 5, 60)[:2] for _ in range(2)]
    unseen = f"{store_module.SLIDING_LOG}\n-- {uuid.uuid4().hex}"
    sha = hashlib.sha1(unseen.encode(), usedforsecurity=False).hexdigest()
    monkeypatch.setattr(redis_store.shared, "script", unseen)
    monkeypatch.setattr(redis_store.shared, "sha", sha)
    assert redis_store.shared.client.script_exists(sha) == [False]

    after = [redis_store.hit("forgotten", "key", 5, 60)[:2] for _ in range(4)]

    assert before + after == [(True, 4), (True, 3), (True, 2), (True, 1), (True, 0), (False, 0)]
    assert in_redis("forgotten", "key")[0] == 5
    assert redis_store.shared.client.script_exists(sha) == [True]  # loaded on NOSCRIPT


def test_redis_store_keeps_counting_in_redis_after_redis_drops_its_connection(redis_store, caplog):
    """A Redis restart or failover closes every connection: the next request reconnects
    (nothing is retried, nothing counted twice) instead of falling back to process memory."""
    redis_store.hit("dropped", "key", 5, 60)
    connection_id = redis_store.shared.client.client_id()
    redis.Redis.from_url(settings.THROTTLE_STORAGE_URI).client_kill_filter(_id=connection_id)

    with caplog.at_level(logging.ERROR):
        hit = redis_store.hit("dropped", "key", 5, 60)

    assert hit[:2] == (True, 3)
    assert in_redis("dropped", "key")[0] == 2
    assert caplog.records == []


def test_api_throttles_through_redis(redis_store, rates, alice_client, api_client):
    rates(user="3/minute", anon="2/minute")

    assert statuses(alice_client, 4) == [200, 200, 200, 429]
    assert statuses(api_client, 3) == [401, 401, 429]
    assert api_client.get(HEALTH).json()["throttle_store"] == "ok"


# --- Redis unavailable ---------------------------------------------------------------------------


def test_with_redis_down_the_api_serves_and_throttles_per_process(
    redis_down, rates, alice_client, caplog
):
    rates(user="5/minute")

    with caplog.at_level(logging.ERROR):
        codes = statuses(alice_client, 8)

    assert codes == [200] * 5 + [429] * 3
    outage_logs = [r for r in caplog.records if "throttle store unavailable" in r.getMessage()]
    assert len(outage_logs) == 1


def test_with_redis_down_health_is_200_and_reports_the_store(redis_down, api_client):
    response = api_client.get(HEALTH)

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "throttle_store": "unavailable",
    }


def test_health_asks_redis_at_most_once_per_retry_interval(redis_store, api_client, sent):
    answers = [api_client.get(HEALTH).json()["throttle_store"] for _ in range(5)]

    assert answers == ["ok"] * 5
    assert len(sent) <= 1


def test_health_reports_the_store_unavailable_as_soon_as_a_request_failed(
    redis_store, settings, api_client
):
    settings.THROTTLE_KEY_PREFIX = f"{RUN_PREFIX}-failed"  # a store of its own: it stays down
    store = store_module.throttle_store()
    assert api_client.get(HEALTH).json()["throttle_store"] == "ok"  # Redis just answered

    store.shared_failed(redis.ConnectionError("Redis went away"))  # as a failed hit does

    assert api_client.get(HEALTH).json()["throttle_store"] == "unavailable"
