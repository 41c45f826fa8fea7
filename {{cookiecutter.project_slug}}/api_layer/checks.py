"""System check: never several worker processes that each count the throttle budgets alone.

Threat: without Redis, budgets live in each process's memory, so N gunicorn workers admit N times
the rate, silently. Decision: an error (Django refuses to run `check`, `migrate`, `runserver`,
and gunicorn.conf.py runs the checks before gunicorn starts, with its real worker count) when
`WEB_CONCURRENCY` asks for more than one process with the in-process store. One process with
threads counts exactly; several processes need `REDIS_URL`.
"""

from django.conf import settings
from django.core.checks import Error


def one_process_without_a_shared_store(app_configs, **kwargs):
    workers = settings.WEB_CONCURRENCY
    if settings.THROTTLE_STORAGE_URI != "memory://" or workers is None or workers <= 1:
        return []
    return [
        Error(
            f"WEB_CONCURRENCY={workers} with throttle budgets counted in process memory: each of "
            f"the {workers} worker processes would admit the whole rate, {workers} times the "
            "rate in all.",
            hint=(
                "Set REDIS_URL so that every worker shares one budget, or run one process: "
                "unset WEB_CONCURRENCY (or set it to 1) and serve with GUNICORN_THREADS threads."
            ),
            id="api_layer.E001",
        )
    ]
