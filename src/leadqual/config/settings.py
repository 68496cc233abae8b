"""Django settings, read once from environment variables (see .env.example)."""

from __future__ import annotations

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

# Lets admin.ModelAdmin[Lead] and QuerySet[Lead] be written at run time, as the types say.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("LEADQUAL_DEBUG", default=False)
DATA_DIR = env_path("LEADQUAL_DATA_DIR", Path.cwd() / "leadqual-data")

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

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "leadqual.config.apps.ConfigConfig",
    "leadqual.accounts",
    "leadqual.leads",
    "leadqual.scoring",
    "leadqual.triage",
    "leadqual.intake",
    "leadqual.insights",
    "leadqual.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
                "leadqual.accounts.context_processors.navigation",
            ],
        },
    },
]


def _database_settings() -> dict[str, Any]:
    url = env_optional_str("DATABASE_URL")
    if url is not None:
        try:
            config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
        except ValueError as error:
            raise ImproperlyConfigured(
                f'DATABASE_URL is not a database URL leadqual can use: "{url}" ({error}). '
                "Use postgres://user:password@host:5432/name or sqlite:////absolute/path."
            ) from None
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = _sqlite_options()
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "leadqual.sqlite3",
        "OPTIONS": _sqlite_options(),
    }


def _sqlite_options() -> dict[str, Any]:
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
    # busy timeout instead of failing with "database is locked" mid-transaction.
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }


DATABASES = {"default": _database_settings()}
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

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
LANGUAGE_COOKIE_NAME = "leadqual_language"

# Largest JSON body the API accepts; 1,000 events with their properties fit.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int(
    "LEADQUAL_MAX_REQUEST_BYTES", 5 * 1024 * 1024, minimum=1024
)

# Accepted intake-form submissions per client address per hour (intake.ratelimit).
FORM_RATE_LIMIT = env_int("LEADQUAL_FORM_RATE_LIMIT", 5, minimum=1, maximum=10_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LEADQUAL_LOG_LEVEL", "INFO")},
}
