"""Settings for the test suite: the real settings, with a test secret and data dir.

DATABASE_URL is honoured, so the same suite runs on SQLite and PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault(
    "LEADQUAL_SECRET_KEY", "tests-only-secret-key-never-used-in-production"
)
os.environ.setdefault("LEADQUAL_DATA_DIR", tempfile.mkdtemp(prefix="leadqual-tests-"))

from leadqual.config.settings import *  # noqa: F403

# Hashing passwords slowly protects real users, not test fixtures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Background jobs run at once, inside the test, with no worker. Set here rather
# than through LEADQUAL_TASKS_IMMEDIATE, which `leadqual` subprocesses would inherit.
HUEY["immediate"] = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # One test database per run, so two runs on one server never drop each
    # other's database.
    DATABASES["default"]["TEST"] = {"NAME": f"test_leadqual_{os.getpid()}"}
else:
    # In memory, one database per test process. Said outright: pytest-django
    # recognises an in-memory test database only by Django's own engine name.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
