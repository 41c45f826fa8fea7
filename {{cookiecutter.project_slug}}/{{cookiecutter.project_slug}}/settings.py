"""Settings, read from the environment.

Each value comes from a process environment variable, else from `.env` beside `manage.py`
(written by the template with the answers given at generation), else from the default here.
A variable set in the process environment wins over `.env`.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_PACKAGE = __name__.rpartition(".")[0]

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
    "accounts",
    "tasks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    f"{PROJECT_PACKAGE}.throttling.RateLimitHeadersMiddleware",
]

ROOT_URLCONF = f"{PROJECT_PACKAGE}.urls"
WSGI_APPLICATION = f"{PROJECT_PACKAGE}.wsgi.application"

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

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
# A relative SQLite path is relative to the project, not to the folder a command runs in.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = str(BASE_DIR / DATABASES["default"]["NAME"])

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
# Proxies in front of the app that append to X-Forwarded-For; 0 trusts no proxy header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# The `limits` storage: Redis shared by every worker, else this process's memory.
THROTTLE_STORAGE_URI = REDIS_URL or "memory://"
THROTTLE_KEY_PREFIX = f"{PROJECT_PACKAGE}-throttle"
THROTTLE_CLASSES = [
    f"{PROJECT_PACKAGE}.throttling.AnonRateThrottle",
    f"{PROJECT_PACKAGE}.throttling.UserRateThrottle",
    f"{PROJECT_PACKAGE}.throttling.LoginRateThrottle",
    f"{PROJECT_PACKAGE}.throttling.LoginUsernameRateThrottle",
]
# THROTTLE_ENGINE=drf swaps in DRF's own cache-based throttle, only for bench/throttle.py.
if env.str("THROTTLE_ENGINE", default="limits") == "drf":
    THROTTLE_CLASSES = [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ]

# --- Authentication ---------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Knox stores only a SHA-512 hash of each token and expires it; DRF's authtoken stores it plain.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("TOKEN_TTL_HOURS", default=24)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# --- Django REST Framework --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["knox.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "tasks.pagination.TaskPagination",
    "EXCEPTION_HANDLER": f"{PROJECT_PACKAGE}.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": THROTTLE_CLASSES,
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("THROTTLE_USER_RATE", default="100/minute"),
        "anon": env.str("THROTTLE_ANON_RATE", default="50/minute"),
        # Token and register, per client IP and per username: strict, passwords are guessed here.
        "login": env.str("THROTTLE_LOGIN_RATE", default="5/minute"),
    },
}

# --- CORS -------------------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:3000"])

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
