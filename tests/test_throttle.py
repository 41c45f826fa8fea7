"""The cache answer and the throttle rates arrive in the baked project, and are enforced there."""

import json
import subprocess
import sys

import redis

from .conftest import assert_suite_passed, free_port, project_env, run
from .services import skip_or_fail

REDIS_URL = "redis://127.0.0.1:6379/0"


def env_values(project):
    lines = (project / ".env").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def require_redis():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        skip_or_fail(f"Redis does not answer at {REDIS_URL}")


def shell(project, script, **env):
    """Run `script` in the baked project's Django shell; return what it prints, as JSON."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=project,
        env={**project_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# Requests through Django's test client, against the baked project's own settings and database.
ENFORCEMENT = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from knox.models import AuthToken
user = get_user_model().objects.create_user("rater", password="x-long-unusual-passphrase")
_, token = AuthToken.objects.create(user=user)
client = Client(HTTP_HOST="localhost")
anon = [client.get("/api/tasks/").status_code for _ in range(5)]
auth = [
    client.get("/api/tasks/", HTTP_AUTHORIZATION=f"Token {token}").status_code for _ in range(6)
]
print(json.dumps({"anon": anon, "user": auth}))
"""

HEALTH = """
import json
from django.conf import settings
from django.test import Client
response = Client(HTTP_HOST="localhost").get("/api/health/")
cache = settings.CACHES["default"]["BACKEND"]
print(json.dumps({"status": response.status_code, "body": response.json(), "cache": cache}))
"""


def test_default_bake_throttles_in_process_memory(bake):
    project = bake()

    assert env_values(project)["REDIS_URL"] == ""
    answer = shell(project, HEALTH)
    assert answer["cache"].endswith("LocMemCache")
    assert answer["body"]["throttle_store"] == "ok"


def test_redis_bake_points_cache_and_throttle_at_redis(bake):
    require_redis()
    project = bake(cache="redis")

    assert env_values(project)["REDIS_URL"] == REDIS_URL
    answer = shell(project, HEALTH)
    assert answer["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert answer == {**answer, "status": 200}
    assert answer["body"]["throttle_store"] == "ok"


def test_redis_bake_suite_passes_against_the_real_redis(bake):
    require_redis()
    project = bake(cache="redis")

    result = run(project, "-m", "pytest", "-q", "-p", "no:randomly", "-rs")

    assert_suite_passed(result)


def test_with_redis_unreachable_the_api_serves_and_health_says_so(bake):
    project = bake(cache="redis")

    # A free port: nothing listens there.
    answer = shell(project, HEALTH, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    assert answer["status"] == 200
    assert answer["body"] == {
        "status": "degraded",
        "database": "ok",
        "throttle_store": "unavailable",
    }


def test_non_default_rates_arrive_and_are_enforced(bake):
    project = bake(user_throttle_rate="4/minute", anon_throttle_rate="3/m")
    run(project, "manage.py", "migrate", "--verbosity", "0")

    answer = shell(project, ENFORCEMENT)

    assert env_values(project)["THROTTLE_USER_RATE"] == "4/minute"
    assert env_values(project)["THROTTLE_ANON_RATE"] == "3/m"
    assert answer == {"anon": [401] * 3 + [429] * 2, "user": [200] * 4 + [429] * 2}
