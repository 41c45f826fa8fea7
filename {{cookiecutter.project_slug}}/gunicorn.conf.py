"""gunicorn settings, read from the environment (then `.env`), like the Django settings.

Run: `gunicorn config.wsgi` from this folder (gunicorn loads ./gunicorn.conf.py itself).

WEB_CONCURRENCY worker processes with GUNICORN_THREADS threads each (more than one thread makes
them threaded `gthread` workers). Unset, they follow the throttle store: without `REDIS_URL`,
budgets are counted in process memory, exact only within one process, so one process with 4
threads; with `REDIS_URL`, every process shares the budgets, so 2 processes of one thread.
Several processes without Redis are refused before gunicorn starts (Django's system check
api_layer.E001, run by `on_starting` below with the worker count gunicorn will really run).

With `METRICS_PORT` set, the master serves Prometheus metrics (api_layer/metrics.py) on that port
of `METRICS_ADDRESS` (loopback unless set), never on the API's: prometheus-client's multiprocess
mode, each worker writing its counts to files in `PROMETHEUS_MULTIPROC_DIR` (a fresh temporary
folder unless set; emptied at start either way) and the master adding them up on each scrape.
"""

import os
import shutil
import tempfile
from pathlib import Path

import environ

env = environ.Env()
environ.Env.read_env(Path(__file__).resolve().parent / ".env", overwrite=False)

# Loopback by default: the API is meant to sit behind a TLS proxy (or ngrok). In a container,
# bind 0.0.0.0:8000 (the Dockerfile does).
bind = env.list("GUNICORN_BIND", default=["127.0.0.1:8000"])
shared_store = bool(env.str("REDIS_URL", default=""))  # as config/settings.py reads it
workers = env.int("WEB_CONCURRENCY", default=2 if shared_store else 1)
threads = env.int("GUNICORN_THREADS", default=1 if shared_store else 4)

# A worker silent this long is killed and replaced; a slow client cannot hold one forever.
timeout = env.int("GUNICORN_TIMEOUT", default=30)
graceful_timeout = env.int("GUNICORN_GRACEFUL_TIMEOUT", default=30)
keepalive = env.int("GUNICORN_KEEPALIVE", default=5)

# Requests are logged by the application (LOG_* settings); gunicorn logs its own errors.
errorlog = "-"
accesslog = None

# gunicorn's runtime control socket is one fixed path per user: two servers on one machine
# would fight over it, and nothing here uses it.
control_socket_disable = True

# Prometheus metrics on a port of their own; unset, none are served.
metrics_port = env.int("METRICS_PORT", default=None)
metrics_address = env.str("METRICS_ADDRESS", default="127.0.0.1")
temporary_folders = []  # made by prepare_metrics_folder, removed on exit


def on_starting(server):
    """Run Django's system checks with the worker count of this server (flags included), and
    refuse to start on an error: gunicorn prints the message and exits 1."""
    import django
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    os.environ["WEB_CONCURRENCY"] = str(server.cfg.workers)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if metrics_port:
        prepare_metrics_folder()  # before anything imports prometheus_client
    django.setup()
    try:
        call_command("check")
    except SystemCheckError as error:
        raise RuntimeError(error) from None
    if metrics_port:
        serve_metrics()


def prepare_metrics_folder():
    """Every worker writes its counts into this folder: a fresh one, or the given one emptied
    (counts of an earlier run would be added to this one's)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
    else:
        folder = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metrics-")
        temporary_folders.append(folder)


def serve_metrics():
    """Serve the sum of every worker's counts on the metrics port, from a thread of the master
    (it never serves a request itself). A port in use stops gunicorn before it starts."""
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    try:
        start_http_server(metrics_port, addr=metrics_address, registry=registry)
    except OSError as error:
        raise RuntimeError(f"METRICS_PORT {metrics_address}:{metrics_port}: {error}") from None


def child_exit(server, worker):
    """A worker that ended (recycled, killed) no longer counts in the gauges."""
    if metrics_port:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    for folder in temporary_folders:
        shutil.rmtree(folder, ignore_errors=True)
