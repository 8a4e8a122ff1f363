"""Kehu settings: one file, driven by environment variables.

KEHU_ENV=production switches on the hardened mode that passes `kehu check --deploy`.
DATABASE_URL selects PostgreSQL (or any dj-database-url URL); by default Kehu runs on an
embedded SQLite file under var/.
"""

from datetime import timedelta
from pathlib import Path
import os

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    return env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


PRODUCTION = env("KEHU_ENV", "development") == "production"
DEBUG = env_bool("KEHU_DEBUG", not PRODUCTION)
SECRET_KEY = env("KEHU_SECRET_KEY", "" if PRODUCTION else "dev-insecure-kehu-secret-key-change-me-in-production-0123456789")
if PRODUCTION and not SECRET_KEY:
    raise RuntimeError("KEHU_SECRET_KEY must be set when KEHU_ENV=production")
ALLOWED_HOSTS = [h for h in env("KEHU_ALLOWED_HOSTS", "" if PRODUCTION else "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("KEHU_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files for /api/docs/, served by us (no CDN)
    "axes",
    "kehu.core",
    "kehu.accounts",
    "kehu.customers",
    "kehu.activities",
    "kehu.sales",
    "kehu.finance",
    "kehu.ranking",
    "kehu.planning",
    "kehu.reports",
    "kehu.dataset",
    "kehu.api",
    # Background tasks (issue 15) and webhooks (issue 14): task `hooks`.
    "django_tasks",
    "kehu.integrations.tasks_app.TasksDatabaseConfig",  # django_tasks_db under a translated name
    "kehu.integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # CSP, Permissions-Policy, no-store for signed-in pages and the API (after WhiteNoise:
    # static files keep their own caching headers).
    "kehu.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # ops (issue 15): report and export reads to a read replica, a session that wrote to the
    # primary (kehu/core/dbrouter.py); does nothing without KEHU_REPLICA_URLS.
    "kehu.core.dbrouter.ReplicaMiddleware",
    "kehu.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kehu.core.context_processors.kehu",
                "kehu.activities.context_processors.notifications",
            ],
        },
    },
]

VAR_DIR = Path(env("KEHU_VAR_DIR", str(BASE_DIR / "var")))
if env("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=env_int("KEHU_DB_CONN_MAX_AGE", 60), conn_health_checks=True)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "kehu.core.sqlite",  # Django's SQLite, switching to WAL safely
            "NAME": env("KEHU_SQLITE_PATH", str(VAR_DIR / "kehu.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so two
                # users saving at once wait (busy timeout) instead of failing "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            "TEST": {"NAME": env("KEHU_TEST_SQLITE_PATH", "") or None},
        }
    }
# ops (issue 15): read replicas. KEHU_REPLICA_URLS (comma-separated PostgreSQL URLs of hot
# standbys of the primary) adds the aliases replica1, replica2, …; the router sends report and
# export reads there and everything else to the primary (kehu/core/dbrouter.py, docs/operations.md).
# In tests a replica alias mirrors the test database (on the standby, which replicates it).
KEHU_REPLICA_ALIASES = []
for _number, _url in enumerate((u.strip() for u in env("KEHU_REPLICA_URLS").split(",") if u.strip()), start=1):
    if "postgresql" not in DATABASES["default"]["ENGINE"]:
        raise RuntimeError("KEHU_REPLICA_URLS needs a PostgreSQL primary (DATABASE_URL)")
    DATABASES[f"replica{_number}"] = {
        **dj_database_url.parse(_url, conn_max_age=env_int("KEHU_DB_CONN_MAX_AGE", 60), conn_health_checks=True),
        "TEST": {"MIRROR": "default"},
    }
    KEHU_REPLICA_ALIASES.append(f"replica{_number}")
# Read-your-writes: a session that wrote reads every page from the primary for this many seconds.
KEHU_REPLICA_PIN_SECONDS = env_int("KEHU_REPLICA_PIN_SECONDS", 10)
DATABASE_ROUTERS = ["kehu.core.dbrouter.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ops (issue 15): shared by every app server. Sessions in the database (Django's default, said
# out loud); the cache in a table of the same database (`kehu migrate` creates it), so a value one
# server caches is the one the others read. Kehu's own per-process caches hold immutable data only
# (the region list, month weights, the model registry).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "kehu_cache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "reports:workbench"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: a new key at login (Django's login() cycles it), gone at logout, and at most
# KEHU_SESSION_HOURS (default 12) long.
SESSION_COOKIE_AGE = env_int("KEHU_SESSION_HOURS", 12) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
SESSION_COOKIE_HTTPONLY = True

# Brute-force protection: an account locks after 10 failures within 15 minutes.
AXES_FAILURE_LIMIT = env_int("KEHU_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KEHU_LOGIN_COOLOFF_MINUTES", 15))
# Locks the account after 10 failures within 15 minutes, from wherever they come; and the
# client address after 10 failures within 15 minutes with no successful log-in from it in
# between (a password-spraying guard). An office behind one address that prefers to lock
# accounts only sets KEHU_LOGIN_LOCK_ADDRESS=0 (check --deploy then warns axes.W006).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"] if env_bool("KEHU_LOGIN_LOCK_ADDRESS", True) else ["username"]
# Production runs behind one TLS-terminating proxy (nginx, see docs/operations.md), so the
# client address is the one the proxy appends to X-Forwarded-For; KEHU_PROXY_COUNT says how
# many proxies stand in front (0: none, trust only REMOTE_ADDR).
PROXY_COUNT = env_int("KEHU_PROXY_COUNT", 1 if PRODUCTION else 0)


def client_address(request) -> str | None:
    """The client address as the outermost trusted proxy saw it (each proxy appends one hop)."""
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if PROXY_COUNT and len(hops) >= PROXY_COUNT:
        return hops[-PROXY_COUNT]
    return request.META.get("REMOTE_ADDR")


AXES_CLIENT_IP_CALLABLE = client_address
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("KEHU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("KEHU_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Outside production WhiteNoise serves straight from the source folders (no collectstatic);
# in production it serves the hashed, compressed copies `kehu collectstatic` writes.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

EMAIL_BACKEND = env("KEHU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("KEHU_FROM_EMAIL", "kehu@localhost")

REST_FRAMEWORK = {
    # Personal access tokens first: DRF asks the first class for WWW-Authenticate, so a request
    # without credentials gets 401 (kehu/api/authentication.py); the session stays for the pages.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kehu.api.authentication.AccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's own renderers, the browsable one without its inline <style> (CSP, kehu/core/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "kehu.core.renderers.BrowsableAPIRenderer"],
    # apischema (issue 14): one error shape, validated filters, capped pages (docs/api.md).
    "DEFAULT_PAGINATION_CLASS": "kehu.api.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "kehu.api.errors.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["kehu.api.filters.ValidatedFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kehu API", "VERSION": "0.1.0", "SERVE_INCLUDE_SCHEMA": False,
    # one choice set, first and second buying factor of customers and opportunities
    "ENUM_NAME_OVERRIDES": {"BuyingFactorEnum": "kehu.customers.models.BuyingFactor",
                            # apiact (issue 14): the follow-up and notification kinds
                            "KindEnum": "kehu.customers.models.Customer.Kind",  # the name it had before
                            "ActivityKindEnum": "kehu.activities.models.Activity.Kind",
                            "NotificationKindEnum": "kehu.activities.models.Notification.Kind",
                            # apisell (issue 14): an order's status, also in the answer of its writes (the name it had before)
                            "OrderStatusEnum": "kehu.sales.models.SalesOrder.Status",
                            # a spend's growth figure, computed from two years or stated (archive, share of wallet)
                            "GrowthSourceEnum": ["computed", "stated"],
                            # apirest (issue 14): webhooks, what it takes, the Friday review
                            "WebhookEventTypeEnum": "kehu.core.events.EVENT_TYPES",
                            "DeliveryStatusEnum": "kehu.integrations.models.WebhookDelivery.Status",
                            "RateSourceEnum": "kehu.api.rest_serializers.RATE_SOURCES",
                            "ReviewScopeEnum": "kehu.api.rest_serializers.REVIEW_SCOPES",
                            "ScopeEnum": "kehu.planning.models.Target.Scope"},  # the name it had before
    # apischema (issue 14): every error answer in the Error shape; null where a field may be null.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "kehu.api.errors.add_error_responses",
                             "kehu.api.errors.json_request_bodies"],
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"id": int},  # kehu.api.urls.RecordIdConverter
}

# Background tasks (Django's Tasks API through the django-tasks backport): the database backend
# keeps the queue in Kehu's own database (no broker), and `kehu worker` runs it (`make run` starts
# one beside the server). KEHU_TASKS_BACKEND=immediate runs each task at once in the process that
# enqueues it (no worker; a task's later retry is then left to `kehu daily`).
TASKS_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {"default": {"BACKEND": TASKS_BACKENDS[env("KEHU_TASKS_BACKEND", "database")], "QUEUES": ["default"]}}
# Background jobs (kehu.core.jobs): finished jobs and their files are deleted by `kehu daily` after
# KEHU_JOB_KEEP_DAYS; a running job of another host without progress for KEHU_JOB_STALE_MINUTES is
# stranded (failed at the next worker's start).
KEHU_JOB_KEEP_DAYS = env_int("KEHU_JOB_KEEP_DAYS", 7)
KEHU_JOB_STALE_MINUTES = env_int("KEHU_JOB_STALE_MINUTES", 60)
# Webhooks: how long one delivery waits for the receiver's answer, in seconds.
KEHU_WEBHOOK_TIMEOUT = env_int("KEHU_WEBHOOK_TIMEOUT", 10)

# The address users open Kehu at, for links in e-mails (e.g. https://crm.example.com).
KEHU_SITE_URL = env("KEHU_SITE_URL", "").rstrip("/")

# Where uploaded import files wait between the preview and "Import now" (default: the temp dir).
KEHU_IMPORT_DIR = env("KEHU_IMPORT_DIR")

DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# The targets grid posts 12 months for every rep and team of the year: 1,300 fields for a firm of
# 100 reps, over Django's default of 1,000 (a 400 "too many fields" on save).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("KEHU_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("KEHU_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("KEHU_LOG_LEVEL", "WARNING")},
}
