"""Settings, read from the environment.

Each value comes from a process environment variable, else from `.env` beside `manage.py`
(written by the template with the answers given at generation), else from the default here.
A variable set in the process environment wins over `.env`.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from csp.constants import NONE

from api_layer.log_format import logging_config
from api_layer.rates import rate_from_env

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------------------------
SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # required: no insecure fallback
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "csp",
    # The API layer: throttling, errors, logging, health, docs; rarely changed.
    "api_layer",
    # Domain apps: yours to change. Each adds its routes in config/urls.py.
    "accounts",
    "tasks",
]

MIDDLEWARE = [
    # Outermost: the request's id is on every log line below and on every response.
    "api_layer.request_id.RequestIdMiddleware",
    "api_layer.metrics.MetricsMiddleware",  # counted by route, method and status; timed
    "api_layer.request_log.RequestLogMiddleware",  # sees every final status
    "api_layer.errors.ErrorEnvelopeMiddleware",  # no HTML error page, whatever made it
    # Headers every response gets, those answered by the middleware below them included.
    "api_layer.no_store.NoStoreMiddleware",
    "api_layer.content_security.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "api_layer.https.HttpsOnlyApiMiddleware",  # before SecurityMiddleware redirects
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Serves the static files (admin, API docs) with DEBUG off, no extra web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api_layer.throttling.RateLimitHeadersMiddleware",
    "api_layer.admin_login.AdminLoginThrottleMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# WhiteNoise serves the static files (admin, API docs) with DEBUG off too. Until `collectstatic`
# has filled STATIC_ROOT (the image does it at build), it serves them from the apps' own folders:
# a fresh clone's `runserver` or `gunicorn` shows the docs and the admin with no build step to
# forget. Once collected, STATIC_ROOT alone is served, compressed. Not the manifest storage: it
# fails every page that was never collected (tests, dev).
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = not STATIC_ROOT.is_dir()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request bodies: an API object is a few KB; Django refuses larger ones before parsing (413).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
# A relative SQLite path is relative to the project, not to the folder a command runs in.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = str(BASE_DIR / DATABASES["default"]["NAME"])
    # A transaction takes the write lock when it begins: a read-then-write (a precondition, a
    # quota) cannot interleave with another, and concurrent writers wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
# Persistent connections: each worker thread keeps its connection for this many seconds instead
# of opening one per request (0: close after each request). Health checks replace a connection
# the server dropped (restart, failover) before it is reused, instead of failing a request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Cache ------------------------------------------------------------------------------------
# Redis when REDIS_URL is set (shared by every worker), else this process's memory.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api"}
    }

# --- Throttling (see throttling.py and throttle_store.py) --------------------------------------
# The rates are in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] below.
# Proxies in front of the app that append to X-Forwarded-For; 0 trusts no proxy header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Where budgets are counted: Redis shared by every worker, else this process's memory.
THROTTLE_STORAGE_URI = REDIS_URL or "memory://"
# Apps (or test servers) sharing one Redis keep their budgets apart by prefix.
THROTTLE_KEY_PREFIX = env.str("THROTTLE_KEY_PREFIX", default="api-throttle")
# gunicorn's worker processes (gunicorn.conf.py derives the default from the store). Read here for
# the system check api_layer.E001: several processes with budgets in process memory are refused.
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=None)
THROTTLE_CLASSES = [
    "api_layer.throttling.AnonRateThrottle",
    "api_layer.throttling.UserRateThrottle",
    "api_layer.throttling.LoginRateThrottle",
    "api_layer.throttling.LoginUsernameRateThrottle",
]

# --- Authentication ---------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Live tokens one user may hold; past it, a new login is refused with 403 (accounts/services.py).
# Empty: no cap.
TOKEN_LIMIT_PER_USER = env.str("TOKEN_LIMIT_PER_USER", default="10")
# Knox stores only a SHA-512 hash of each token and expires it; DRF's authtoken stores it plain.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("TOKEN_TTL_HOURS", default=24)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": int(TOKEN_LIMIT_PER_USER) if TOKEN_LIMIT_PER_USER else None,
}
# false: POST /api/auth/register/ answers 403 "Registration is closed." (accounts/views.py).
REGISTRATION_OPEN = env.bool("REGISTRATION_OPEN", default=True)

# --- Django REST Framework --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: form and multipart bodies get 415. Nesting is bounded (parsers.py).
    "DEFAULT_PARSER_CLASSES": ["api_layer.parsers.BoundedJSONParser"],
    # No browsable API, in production or in development: every response is JSON.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api_layer.pagination.DefaultPagination",
    "DEFAULT_SCHEMA_CLASS": "api_layer.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api_layer.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": THROTTLE_CLASSES,
    # The one place every reader takes the rates from; each is checked here (rates.py):
    # N/second|minute|hour|day or N/s|m|h|d, else ImproperlyConfigured at startup.
    "DEFAULT_THROTTLE_RATES": {
        "user": rate_from_env(env, "THROTTLE_USER_RATE", "100/minute"),
        "anon": rate_from_env(env, "THROTTLE_ANON_RATE", "50/minute"),
        # Token and register, per client IP and per username: strict, passwords are guessed here.
        "login": rate_from_env(env, "THROTTLE_LOGIN_RATE", "5/minute"),
    },
}

# --- Domain apps ----------------------------------------------------------------------------
# Tasks one user may keep (tasks/quota.py): the next create is a 409 (OWASP API4).
MAX_TASKS_PER_USER = env.int("MAX_TASKS_PER_USER", default=10_000)

# --- Errors (errors.py: one JSON envelope, also for what DRF never sees) ----------------------
CSRF_FAILURE_VIEW = "api_layer.errors.csrf_failure"
# handler400, handler403, handler404 and handler500 are set in urls.py.

# --- API documentation ------------------------------------------------------------------------
# Who may read the schema and its pages: see docs.py. The UI's assets come from the sidecar
# package through the static files, never from a CDN.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)
SPECTACULAR_SETTINGS = {
    # Free text from the answers, taken as is (env.str would read a leading "$" as a reference).
    "TITLE": os.environ.get("API_TITLE", "Task API"),
    "DESCRIPTION": os.environ.get("API_DESCRIPTION", ""),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False, "validatorUrl": None},
}


# --- Security / HTTPS -------------------------------------------------------------------------
# Off for local development; set DJANGO_SECURE_SSL_REDIRECT=true in production. Plain HTTP to
# the API is then refused (403, https.py), to the admin and the doc pages redirected.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^api/health/"]  # load balancers probe over plain HTTP
# HSTS is sent on HTTPS responses only. Preload is an opt-in: browsers ship the list, and leaving
# it takes months.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = True  # Chrome and Firefox treat http://localhost as secure: dev works
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Proxy headers are trusted only when proxies are declared (they must overwrite the header):
# otherwise any client could send `X-Forwarded-Proto: https` over plain HTTP and count as secure.
# (TRUSTED_PROXY_COUNT is read in the Throttling section above.)
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A public ngrok tunnel serves HTTPS: its origin may post forms (the admin login).
NGROK_HOST = env.str("NGROK_HOST", default="")
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS", default=[f"https://{NGROK_HOST}"] if NGROK_HOST else []
)
# `check --deploy` warns (W021) until HSTS preload is on; preload stays a deliberate opt-in.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# The admin's path: random per project (written to .env at generation); empty: no admin at all.
# Its login shares the API's `login` budgets (admin_login.py).
ADMIN_URL = env.str("DJANGO_ADMIN_URL", default="").strip("/")
# Nothing may load or frame an API response; the admin and the doc pages get their own policy
# (content_security.py, docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "base-uri": [NONE],
        "form-action": [NONE],
        "frame-ancestors": [NONE],
    }
}
# No page of this server uses a device or a browser feature of the kind; none may ask.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    ]
}

# --- CORS -------------------------------------------------------------------------------------
# Listed origins only (never allow-all), no cookies or credentials, the API paths only.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:3000"])
CORS_ALLOW_ALL_ORIGINS = False
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/api/.*$"
# corsheaders' default request headers include `authorization` and `content-type`.
CORS_ALLOW_HEADERS = [*default_headers, "if-match", "if-none-match"]  # conditional requests
CORS_EXPOSE_HEADERS = ["Retry-After", "RateLimit", "RateLimit-Policy", "ETag", "X-Request-ID"]

# --- Logging (log_format.py, request_log.py) --------------------------------------------------
LOG_DESTINATION = env.str("LOG_DESTINATION", default="console+file")  # console, file, console+file
LOG_FILE = BASE_DIR / env.str("LOG_FILE", default="logs/api.log")  # rotates at 10 MB, 5 kept
LOG_FORMAT = env.str("LOG_FORMAT", default="text")  # text or json: one record per line either way
LOGGING = logging_config(LOG_DESTINATION, LOG_FILE, LOG_FORMAT)

# --- Observability (request_id.py, metrics.py, error_reporting.py) -----------------------------
# Request ids: a trusted proxy's X-Request-ID (TRUSTED_PROXY_COUNT > 0), else a fresh one; on every
# response and log line. Prometheus metrics are served by gunicorn.conf.py on METRICS_PORT.
# Unhandled errors go to Sentry only when SENTRY_DSN is set; never a token, body or password.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from api_layer.error_reporting import start_error_reporting  # sentry-sdk: 80 ms to import

    start_error_reporting(SENTRY_DSN)
