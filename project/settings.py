"""Claimwatch settings: one module, driven by environment variables.

Every variable is listed in ``.env.example``. Helpers fail loudly on bad values, and
production (``DEBUG`` off) refuses to start without a real ``SECRET_KEY``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import dj_database_url
import pghistory
from django.core.exceptions import ImproperlyConfigured

from project.database_url import sqlalchemy_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)


def development_secret_key(path: Path) -> str:
    """The secret key kept in ``path``, made there first if there is none yet.

    Every process of a local run (gunicorn's workers, Celery, ``manage.py runserver``)
    reads the same key, so a session signed by one is valid in the others. Processes that
    start together may race to make it: the key is written to a private temporary file and
    hard-linked into place, which fails for all but the first, so none reads half a key.
    """
    if not path.exists():
        import tempfile

        from django.core.management.utils import get_random_secret_key

        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(get_random_secret_key() + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first; everyone uses that one
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"{path} does not hold a secret key; delete it and a new one is made.")
    return key


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is not set. Set SECRET_KEY, or set DEBUG=1 for local development.")
    # Local development only: a key made on this machine, in the git-ignored .data folder.
    SECRET_KEY = development_secret_key(BASE_DIR / ".data" / "secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Before django.contrib.admin, so that its "Events" button shows on every change form.
    "pghistory.admin",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "pgtrigger",
    "pghistory",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "import_export",
    "sources",
    "claims",
    # After rest_framework_api_key: its admin.py unregisters that library's own key admin.
    "accounts",
    "reader",
]

MIDDLEWARE = [
    # /healthz is answered before host validation, for probes that call the container by IP.
    "project.health.HealthCheckMiddleware",
    # The API's one JSON error shape for Django's own 400/404/500, under DEBUG too.
    "project.api.errors.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's and Swagger UI's static files, also under gunicorn.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A POST under /api/ with an Idempotency-Key: a retry gets the first answer, writes nothing.
    "accounts.api.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Attaches the acting user and URL to every history event written in the request.
    "pghistory.middleware.HistoryMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
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

# --- Database -------------------------------------------------------------------------
# PostgreSQL only. Without DATABASE_URL, the project starts its own embedded server.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    from project.embedded import database_url

    DATABASE_URL = database_url()
    os.environ["DATABASE_URL"] = DATABASE_URL  # child processes attach to the same server

DATABASES: dict[str, Any] = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL; no other database is supported.")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The fuzzy name search (claims.models.EntityQuerySet.search) reads the trigram index with
# pg_trgm's word-similarity operator, whose threshold is this session setting; it must be
# EntityQuerySet.FUZZY_THRESHOLD (tests/test_settings.py checks that it is).
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = f"{_options.get('options', '')} -c pg_trgm.word_similarity_threshold=0.25".strip()
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Pages outside the admin (the account area) sign people in here; the admin keeps its own
# login, for staff.
LOGIN_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Forms read "example.org" as https://example.org (Django 6's default, adopted now).
FORMS_URLFIELD_ASSUME_HTTPS = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Tests and local runs serve straight from the apps' static folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# --- Security (production) ------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS only, unless DEBUG: plain-HTTP requests are redirected, and browsers are told
# (HSTS) to use HTTPS for a year, subdomains included, and may list the site as HTTPS-only
# (preload). /healthz is answered before SecurityMiddleware, so plain-HTTP probes still work.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
if SECURE_HSTS_SECONDS < 0:
    raise ImproperlyConfigured(f"SECURE_HSTS_SECONDS={SECURE_HSTS_SECONDS} is negative; use 0 to turn HSTS off.")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """``HTTP_X_FORWARDED_PROTO,https``: the header (as Django names it in request.META)
    through which a TLS-terminating proxy says the request came over HTTPS, and its value.
    Trust it only behind a proxy that always sets it: anyone else can send it."""
    raw = os.environ.get(name, "")
    if raw == "":
        return None
    match = re.fullmatch(r"(HTTP_[A-Z0-9_]+),([A-Za-z0-9._-]+)", raw)
    if match is None:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not HEADER,VALUE with the header as Django names it, e.g. HTTP_X_FORWARDED_PROTO,https."
        )
    return match.group(1), match.group(2)


SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")

# --- Celery ---------------------------------------------------------------------------
# Without CELERY_BROKER_URL the broker is the same PostgreSQL, through kombu's
# SQLAlchemy transport, so the service needs nothing else to run.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "sqla+" + sqlalchemy_url(DATABASES["default"])
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or "db+" + sqlalchemy_url(DATABASES["default"])
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "claimwatch")
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CONTRADICTION_SCAN_INTERVAL_SECONDS = env_int("CONTRADICTION_SCAN_INTERVAL_SECONDS", 3600)
CELERY_BEAT_SCHEDULE = {
    "contradiction-scan": {
        "task": "claims.contradiction_scan",
        "schedule": float(CONTRADICTION_SCAN_INTERVAL_SECONDS),
        "kwargs": {"triggered_by": "beat"},
    },
    # Every claim write appends its counts to a ledger; folding it keeps a party's track
    # record a sum of a few rows (claims.models.PartyClaimCount).
    "party-claim-counts-fold": {"task": "claims.party_claim_counts_fold", "schedule": 600.0},
}
# Into how many parts beat's full scan splits, for that many workers to run side by side
# (1: one statement, in one worker). See claims.detection.contradiction_scan_split.
CONTRADICTION_SCAN_PARTS = env_int("CONTRADICTION_SCAN_PARTS", 1)
if not 1 <= CONTRADICTION_SCAN_PARTS <= 64:
    raise ImproperlyConfigured(f"CONTRADICTION_SCAN_PARTS={CONTRADICTION_SCAN_PARTS} is not between 1 and 64.")
# PostgreSQL work_mem for the full scan's transaction, so its hash joins stay in memory.
CONTRADICTION_SCAN_WORK_MEM = os.environ.get("CONTRADICTION_SCAN_WORK_MEM") or "256MB"
if not re.fullmatch(r"[1-9][0-9]*(kB|MB|GB)", CONTRADICTION_SCAN_WORK_MEM):
    raise ImproperlyConfigured(
        f"CONTRADICTION_SCAN_WORK_MEM={CONTRADICTION_SCAN_WORK_MEM!r} is not a size such as 256MB."
    )

# --- REST framework -------------------------------------------------------------------
# A bulk request of 10,000 claims (POST /api/v1/claims/bulk/, which sets its own limit) is
# read whole when it carries an Idempotency-Key; Django's default (2.5 MB) would refuse it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 * 1024

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_SCHEMA_CLASS": "project.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["project.api.filters.FilterBackend"],
    # Per-user API keys for tools and consumers; sessions for the browser (Swagger UI).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.auth.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["project.api.permissions.RolePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["project.api.throttling.KeyScopedThrottle"],
    # Requests per API key (or session user) per scope.
    "DEFAULT_THROTTLE_RATES": {
        "status": os.environ.get("API_THROTTLE_STATUS") or "6000/min",
        "feed": os.environ.get("API_THROTTLE_FEED") or "600/min",
        "read": os.environ.get("API_THROTTLE_READ") or "1200/min",
        "write": os.environ.get("API_THROTTLE_WRITE") or "120/min",
    },
    "DEFAULT_PAGINATION_CLASS": "project.api.pagination.KeysetPagination",
    "DEFAULT_RENDERER_CLASSES": ["project.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["project.api.renderers.ORJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "project.api.renderers.FirstRendererNegotiation",
    "EXCEPTION_HANDLER": "project.api.errors.exception_handler",
    "DEFAULT_METADATA_CLASS": None,
    "URL_FORMAT_OVERRIDE": None,
}
# The API's throttle counters live in the default cache. Give every process the same one
# (a Redis URL) so a key's limit holds across them; without it each process counts alone.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 200)
# Seconds a process remembers an API key it verified (0: look it up on every request).
# Revoking a key or changing a role reaches every process within this time.
API_KEY_CACHE_SECONDS = env_int("API_KEY_CACHE_SECONDS", 5)
# Hours an answer to a POST with an Idempotency-Key is kept for its retries (older ones are
# deleted as new ones are stored).
IDEMPOTENCY_TTL_HOURS = env_int("IDEMPOTENCY_TTL_HOURS", 24)
if IDEMPOTENCY_TTL_HOURS < 1:
    raise ImproperlyConfigured(f"IDEMPOTENCY_TTL_HOURS={IDEMPOTENCY_TTL_HOURS} must be at least 1.")
SPECTACULAR_SETTINGS = {
    "TITLE": "Claimwatch API",
    "DESCRIPTION": "Claims, their verification status, and the contradictions between them.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Each app's API registers its own tags; the error responses are added per operation
    # by project.api.schema.AutoSchema, and the stateful links by this hook.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "project.api.schema.add_links",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "claims.models.Status",
        "RatingEnum": "claims.models.Rating",
        "PeriodPrecisionEnum": "claims.models.PeriodPrecision",
        "EntityKindEnum": "claims.models.EntityKind",
        "ContradictionKindEnum": "claims.models.ContradictionKind",
        "ContradictionStateEnum": "claims.models.ContradictionState",
        "PartyKindEnum": "sources.models.PartyKind",
        "SourceKindEnum": "sources.models.SourceKind",
    },
}

# --- History --------------------------------------------------------------------------
PGHISTORY_ADMIN_ALL_EVENTS = True
# Reads write no history, so they need no history context: attaching it costs every query
# of every GET (the API's hot paths most of all) a JSON dump and two set_config calls.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# History is read by object (pgh_obj) and by context, never by the other foreign keys an
# event copies (subject, party, …): indexing those would cost every written row one
# index insert each for no query.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
# History tables are append-only: protection triggers refuse updates and deletes of events.
PGHISTORY_APPEND_ONLY = True
