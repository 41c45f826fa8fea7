"""gunicorn settings, read from the environment (then `.env`), like the Django settings.

Run: `gunicorn config.wsgi` from this folder (gunicorn loads ./gunicorn.conf.py itself).

WEB_CONCURRENCY worker processes with GUNICORN_THREADS threads each (more than one thread makes
them threaded `gthread` workers). With several workers, use PostgreSQL and Redis: SQLite
serialises writes and the in-process cache counts each worker's throttle budget apart.
"""

from pathlib import Path

import environ

env = environ.Env()
environ.Env.read_env(Path(__file__).resolve().parent / ".env", overwrite=False)

# Loopback by default: the API is meant to sit behind a TLS proxy (or ngrok). In a container,
# bind 0.0.0.0:8000 (the Dockerfile does).
bind = env.list("GUNICORN_BIND", default=["127.0.0.1:8000"])
workers = env.int("WEB_CONCURRENCY", default=2)
threads = env.int("GUNICORN_THREADS", default=1)

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
