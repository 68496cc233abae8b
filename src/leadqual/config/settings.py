"""Django settings, read once from environment variables (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from leadqual.config.env import (
    env_bool,
    env_int,
    env_list,
    env_optional_str,
    env_path,
    env_secret,
    env_str,
)
from leadqual.config.security import parse_frame_ancestors
from leadqual.integrations.chat import parse_chat_format
from leadqual.integrations.email import (
    SMTP_BACKEND,
    SMTP_TIMEOUT_SECONDS,
    parse_email_url,
)

# Lets admin.ModelAdmin[Lead] and QuerySet[Lead] be written at run time, as the types say.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent.parent

# Files leadqual creates hold personal data of leads: the database, its -wal
# and -shm, the job queue, backups and uploaded imports. Every process that
# loads these settings (leadqual serve, worker, any command, a WSGI server)
# creates them readable by its own user only: files 0600, folders 0700.
PRIVATE_UMASK = 0o077
os.umask(PRIVATE_UMASK)


def _make_private(path: Path) -> None:
    """Make an existing file 0600 or folder 0700; left as is when not ours.

    For what an older leadqual created 0644 / 0755; new files get these modes
    from the umask above.
    """
    try:
        path.chmod(0o700 if path.is_dir() else 0o600)
    except FileNotFoundError:
        pass
    except PermissionError:
        # Owned by another user (a volume prepared by root): the umask still
        # protects what leadqual creates in it.
        pass


DEBUG = env_bool("LEADQUAL_DEBUG", default=False)
DATA_DIR = env_path("LEADQUAL_DATA_DIR", Path.cwd() / "leadqual-data")
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
_make_private(DATA_DIR)

_secret_key = env_secret("LEADQUAL_SECRET_KEY")
if _secret_key is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "LEADQUAL_SECRET_KEY is not set. Set it (or LEADQUAL_SECRET_KEY_FILE) to a long "
            "random value, for example the output of: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Only with LEADQUAL_DEBUG=true: a fixed, public key for local development.
    _secret_key = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = _secret_key

ALLOWED_HOSTS = env_list("LEADQUAL_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("LEADQUAL_CSRF_TRUSTED_ORIGINS", [])

# HTTPS (docs/deployment.md). true: redirect http to https, send cookies only
# over https, and HSTS for a year (this host and its subdomains).
HTTPS = env_bool("LEADQUAL_HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# HSTS preload is a promise for a whole registrable domain, which only its owner
# can make (hstspreload.org); check --deploy would otherwise ask for it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# true only behind a reverse proxy that terminates TLS and sets
# X-Forwarded-Proto itself (overwriting what clients send).
BEHIND_PROXY = env_bool("LEADQUAL_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The address of that reverse proxy (e.g. 127.0.0.1): `leadqual serve` then
# takes the visitor's address from its X-Forwarded-For, so rate limits count
# visitors, not the proxy. Requests from anywhere else keep their own address.
TRUSTED_PROXY = env_optional_str("LEADQUAL_TRUSTED_PROXY")
# Always on, also without HTTPS (config/security.py adds Permissions-Policy
# and the Content-Security-Policy).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sites that may show the intake form in an iframe (CSP frame-ancestors).
FORM_FRAME_ANCESTORS = parse_frame_ancestors(
    env_list("LEADQUAL_FORM_FRAME_ANCESTORS", ["*"])
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "huey.contrib.djhuey",
    "leadqual.config.apps.ConfigConfig",
    "leadqual.users",
    "leadqual.leads",
    "leadqual.scoring",
    "leadqual.triage",
    "leadqual.intake",
    "leadqual.insights",
    "leadqual.integrations",
    "leadqual.modelling",
    "leadqual.privacy",
    "leadqual.demo",
    "leadqual.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "leadqual.config.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "leadqual.config.urls"
WSGI_APPLICATION = "leadqual.config.wsgi.application"

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
                "leadqual.users.context_processors.navigation",
                "leadqual.web.context_processors.queue_badge_context",
            ],
        },
    },
]


# Django's SQLite backend with the real limit of variables per query, so a
# batch of 500 rows is one insert, not a dozen (config/sqlite_backend).
SQLITE_ENGINE = "leadqual.config.sqlite_backend"


# Seconds a database connection stays open for the next request or job of the
# same thread; 0 closes it after each one. With several web processes on
# PostgreSQL every thread of every process holds one (docs/deployment.md).
DB_CONN_MAX_AGE_SECONDS = env_int(
    "LEADQUAL_DB_CONN_MAX_AGE_SECONDS", 60, minimum=0, maximum=24 * 60 * 60
)


def _database_settings() -> dict[str, Any]:
    url = env_optional_str("DATABASE_URL")
    if url is not None:
        try:
            config: dict[str, Any] = dict(
                dj_database_url.parse(
                    url,
                    conn_max_age=DB_CONN_MAX_AGE_SECONDS,
                    # A kept connection the server dropped (a restart, an idle
                    # timeout) is replaced before use instead of failing a request.
                    conn_health_checks=DB_CONN_MAX_AGE_SECONDS > 0,
                )
            )
        except ValueError as error:
            raise ImproperlyConfigured(
                f'DATABASE_URL is not a database URL leadqual can use: "{url}" ({error}). '
                "Use postgres://user:password@host:5432/name or sqlite:////absolute/path."
            ) from None
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["ENGINE"] = SQLITE_ENGINE
            config["OPTIONS"] = _sqlite_options()
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": SQLITE_ENGINE,
        "NAME": DATA_DIR / "leadqual.sqlite3",
        "OPTIONS": _sqlite_options(),
    }


def _sqlite_options() -> dict[str, Any]:
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
    # busy timeout instead of failing with "database is locked" mid-transaction.
    # secure_delete zeroes deleted and overwritten rows in the pages that held
    # them, so an erased person's bytes do not linger in free space (an
    # erasure then empties the WAL too, privacy/erasure.py).
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=20000; PRAGMA secure_delete=ON;"
        ),
    }


DATABASES = {"default": _database_settings()}
# Any SQLite engine (Django's, or a subclass of it): the file and its companions.
if "sqlite" in str(DATABASES["default"]["ENGINE"]):
    for _suffix in ("", "-wal", "-shm", "-journal"):
        _make_private(Path(f"{DATABASES['default']['NAME']}{_suffix}"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["leadqual.config.formats"]
TIME_ZONE = env_str("LEADQUAL_TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from the apps (below) but warns about a missing root.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve static files straight from the installed apps: no collectstatic step.
WHITENOISE_USE_FINDERS = True

# Logins are throttled against password guessing (accounts.throttling).
AUTHENTICATION_BACKENDS = ["leadqual.users.throttling.ThrottledModelBackend"]
# A stale or missing CSRF token gets the app's styled 403 page (config/error_pages.py).
CSRF_FAILURE_VIEW = "leadqual.config.error_pages.csrf_failure"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
LANGUAGE_COOKIE_NAME = "leadqual_language"

# Sales see their own and unassigned leads; true: every lead (accounts.permissions).
SALES_SEE_ALL_LEADS = env_bool("LEADQUAL_SALES_SEE_ALL_LEADS", default=False)

# The qualification checklist on the lead page: "bant" (budget, authority,
# need, timing) or "meddic" (metrics, economic buyer, decision criteria,
# decision process, identified pain, champion). Both are stored; this picks
# the one sales sees (docs/lead-page.md).
QUALIFICATION = env_str("LEADQUAL_QUALIFICATION", "bant").casefold()
if QUALIFICATION not in ("bant", "meddic"):
    raise ImproperlyConfigured(
        f'LEADQUAL_QUALIFICATION must be "bant" or "meddic", got "{QUALIFICATION}".'
    )

# Largest JSON body the API accepts; 1,000 events with their properties fit.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int(
    "LEADQUAL_MAX_REQUEST_BYTES", 5 * 1024 * 1024, minimum=1024
)

# `leadqual serve` (waitress) limits against slow and idle clients
# (docs/deployment.md). Open connections at once, idle or not; more wait for
# a free one. Too many for the process's open-file limit stop startup.
SERVE_CONNECTION_LIMIT = env_int(
    "LEADQUAL_SERVE_CONNECTION_LIMIT", 500, minimum=10, maximum=10_000
)
# A connection with no request in progress and no bytes moving for this long
# is closed: idle keep-alives and half-sent requests cannot hold a slot.
SERVE_IDLE_TIMEOUT_SECONDS = env_int(
    "LEADQUAL_SERVE_IDLE_TIMEOUT_SECONDS", 30, minimum=1, maximum=3600
)

# Accepted intake-form submissions per client address per hour (intake.ratelimit).
FORM_RATE_LIMIT = env_int("LEADQUAL_FORM_RATE_LIMIT", 5, minimum=1, maximum=10_000)
# Days the confirmation link mailed for a form sent with a known email works
# (intake.confirmation, docs/privacy.md).
FORM_CONFIRMATION_DAYS = env_int(
    "LEADQUAL_FORM_CONFIRMATION_DAYS", 7, minimum=1, maximum=30
)
# Hours an uploaded import file is kept after its import ends (done or
# failed); 0 deletes it at once. Uploads never confirmed go after 24 hours
# (intake.uploads, docs/privacy.md).
IMPORT_FILE_RETENTION_HOURS = env_int(
    "LEADQUAL_IMPORT_FILE_RETENTION_HOURS", 0, minimum=0, maximum=24 * 30
)

# Enrichment of arriving leads (intake.enrichment, docs/enrichment.md): the
# offline provider, or the HTTP provider when a URL is set.
ENRICHMENT_ENABLED = env_bool("LEADQUAL_ENRICHMENT", default=True)
ENRICHMENT_URL = env_optional_str("LEADQUAL_ENRICHMENT_URL")
ENRICHMENT_KEY = env_secret("LEADQUAL_ENRICHMENT_KEY")

# Tracking-script requests per visitor address and per tracked site per hour
# (intake.tracker); more get HTTP 429 and store nothing.
TRACKER_ADDRESS_RATE_LIMIT = env_int(
    "LEADQUAL_TRACKER_ADDRESS_RATE_LIMIT", 600, minimum=1, maximum=1_000_000
)
TRACKER_SITE_RATE_LIMIT = env_int(
    "LEADQUAL_TRACKER_SITE_RATE_LIMIT", 10_000, minimum=1, maximum=1_000_000
)

# Mail-tool webhook secrets (intake.inbound_webhook_views, docs/webhooks.md). An endpoint
# whose secret is not set answers 404: it is disabled, never open.
WEBHOOK_MAILCHIMP_KEY = env_secret("LEADQUAL_WEBHOOK_MAILCHIMP_KEY")
WEBHOOK_MANDRILL_KEY = env_secret("LEADQUAL_WEBHOOK_MANDRILL_KEY")
WEBHOOK_BREVO_TOKEN = env_secret("LEADQUAL_WEBHOOK_BREVO_TOKEN")
WEBHOOK_MAUTIC_SECRET = env_secret("LEADQUAL_WEBHOOK_MAUTIC_SECRET")
WEBHOOK_GENERIC_SECRET = env_secret("LEADQUAL_WEBHOOK_GENERIC_SECRET")

# Data hygiene (intake.cleaning, hygiene.quality). The MX check of email domains
# is off unless asked for: it needs DNS, must not reach the internet from tests,
# and only ever adds a warning (1 s timeout; no answer counts as unknown).
CHECK_MX = env_bool("LEADQUAL_CHECK_MX", default=False)
MX_NAMESERVERS = env_list("LEADQUAL_MX_NAMESERVERS", [])
# A lead not updated for this many days is listed as stale on the data-quality page.
STALE_AFTER_DAYS = env_int("LEADQUAL_STALE_AFTER_DAYS", 90, minimum=1, maximum=3650)

# Lists and the data-quality page count rows up to this many; past it they say
# "more than 10,000" (leadqual.paging), so a count never reads a whole table.
LIST_COUNT_CAP = 10_000

# Background jobs (docs/background-work.md): Huey on SQLite at
# $LEADQUAL_DATA_DIR/tasks.sqlite3, or on Redis when REDIS_URL is set.
REDIS_URL = env_optional_str("REDIS_URL")
# true: tasks run at once inside the caller (no worker); the tests set it.
TASKS_IMMEDIATE = env_bool("LEADQUAL_TASKS_IMMEDIATE", default=False)
# `leadqual serve` runs the worker in its own process on SQLite unless false.
WORKER_IN_PROCESS = env_bool("LEADQUAL_WORKER_IN_PROCESS", default=True)
# Jobs one worker runs at once, each in a thread: `leadqual worker` (unless
# --workers says otherwise) and the worker inside `leadqual serve`.
WORKER_THREADS = env_int("LEADQUAL_WORKER_THREADS", 2, minimum=1, maximum=100)


def _huey_settings() -> dict[str, Any]:
    import importlib.util

    consumer = {"workers": WORKER_THREADS, "worker_type": "thread"}
    # Huey's Django integration follows DEBUG unless "immediate" is set: set it.
    common = {"name": "leadqual", "immediate": TASKS_IMMEDIATE, "utc": True}
    if REDIS_URL is None:
        return {
            **common,
            "huey_class": "huey.SqliteHuey",
            "connection": {"filename": str(DATA_DIR / "tasks.sqlite3")},
            "consumer": consumer,
        }
    if importlib.util.find_spec("redis") is None:
        raise ImproperlyConfigured(
            "REDIS_URL is set, but the redis package is not installed. Install it "
            "(pip install redis) or unset REDIS_URL to keep jobs in SQLite."
        )
    return {
        **common,
        "huey_class": "huey.RedisHuey",
        "connection": {"url": REDIS_URL},
        "consumer": consumer,
    }


HUEY = _huey_settings()

# The scale-out web server, gunicorn (config/gunicorn.py, docs/deployment.md):
# how many processes, threads in each, and where it listens. `leadqual serve`
# (waitress, one process) does not read these.
WEB_CONCURRENCY = env_int(
    "WEB_CONCURRENCY", max(2, os.cpu_count() or 1), minimum=1, maximum=256
)
WEB_THREADS = env_int("LEADQUAL_WEB_THREADS", 4, minimum=1, maximum=100)
WEB_BIND = env_list("LEADQUAL_WEB_BIND", ["127.0.0.1:8000"])

# Every lead is rescored when its score is this many days old (30-90).
REQUALIFY_AFTER_DAYS = env_int(
    "LEADQUAL_REQUALIFY_AFTER_DAYS", 30, minimum=30, maximum=90
)

# Privacy (docs/privacy.md): a lead with no activity for this many months is
# anonymised by a daily job (1-120).
RETENTION_MONTHS = env_int("LEADQUAL_RETENTION_MONTHS", 24, minimum=1, maximum=120)

# CRM sync (integrations.hubspot, docs/crm-sync.md): a HubSpot private-app
# token; the API address is overridable so tests can point at a local server.
HUBSPOT_TOKEN = env_secret("LEADQUAL_HUBSPOT_TOKEN")
HUBSPOT_API_URL = env_str("LEADQUAL_HUBSPOT_API_URL", "https://api.hubapi.com")

# Alerts (triage.alerts, docs/alerts.md): email over SMTP and a chat webhook.
# Not set: that channel is off. The URLs hold secrets, so _FILE variants work.
EMAIL_URL = env_secret("LEADQUAL_EMAIL_URL")
EMAIL_FROM = env_str("LEADQUAL_EMAIL_FROM", "leadqual@localhost")
DEFAULT_FROM_EMAIL = SERVER_EMAIL = EMAIL_FROM
if EMAIL_URL is not None:
    # Checked here, so a bad URL stops startup; Django's own mail uses it too.
    _smtp = parse_email_url(EMAIL_URL, variable="LEADQUAL_EMAIL_URL")
    EMAIL_BACKEND = SMTP_BACKEND
    EMAIL_HOST, EMAIL_PORT = _smtp.host, _smtp.port
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _smtp.username, _smtp.password
    EMAIL_USE_TLS, EMAIL_USE_SSL = _smtp.use_tls, _smtp.use_ssl
    EMAIL_TIMEOUT = SMTP_TIMEOUT_SECONDS
CHAT_WEBHOOK_URL = env_secret("LEADQUAL_CHAT_WEBHOOK_URL")
CHAT_FORMAT = parse_chat_format(
    env_str("LEADQUAL_CHAT_FORMAT", "slack"), variable="LEADQUAL_CHAT_FORMAT"
)
# Hot leads always alert their owner; warm ones only when this is true.
ALERT_ON_WARM = env_bool("LEADQUAL_ALERT_ON_WARM", default=False)
# Links in alerts point here: the address people open leadqual at.
BASE_URL = env_str("LEADQUAL_BASE_URL", "http://localhost:8000").rstrip("/")

# Warnings and errors only: `leadqual --verbose` (or LEADQUAL_LOG_LEVEL=INFO)
# adds a line per band change, alert and job.
LOG_LEVEL = env_str("LEADQUAL_LOG_LEVEL", "WARNING")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    },
    # A 403 is one line with the user's id, any 4xx one line, not a traceback
    # (config/log_filters.py).
    "filters": {
        "forbidden_on_one_line": {
            "()": "leadqual.config.log_filters.ForbiddenOnOneLine"
        },
        "client_error_on_one_line": {
            "()": "leadqual.config.log_filters.ClientErrorOnOneLine"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_error_on_one_line"],
        }
    },
    "loggers": {
        # Django's own handlers print its records a second time with DEBUG on
        # (and mail admins, of whom there are none): its records go to the
        # root's handler like every other, at the root's level.
        "django": {"handlers": [], "level": "NOTSET"},
        "django.request": {"filters": ["forbidden_on_one_line"]},
        "django.security.csrf": {"filters": ["forbidden_on_one_line"]},
    },
    "root": {
        "handlers": ["console"],
        "level": LOG_LEVEL,
    },
}
