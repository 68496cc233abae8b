"""gunicorn's settings for the scale-out setup: several web processes.

    gunicorn --config python:leadqual.config.gunicorn

Every value comes from leadqual's settings, so from environment variables
(docs/deployment.md): ``WEB_CONCURRENCY`` processes, ``LEADQUAL_WEB_THREADS``
threads in each, listening on ``LEADQUAL_WEB_BIND``. A bad value stops
gunicorn before it forks, with the settings' own message. Options on the
command line win over these. Background jobs need ``REDIS_URL`` and
``leadqual worker`` processes beside it: gunicorn runs no jobs.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadqual.config.settings")

from django.conf import settings

wsgi_app = "leadqual.config.wsgi:gunicorn_application"
bind = list(settings.WEB_BIND)
workers = settings.WEB_CONCURRENCY
# Threads let a process serve other requests while one waits on the
# database; more processes, not more threads, use more cores.
worker_class = "gthread"
threads = settings.WEB_THREADS
# Each web process loads Django itself, so SIGHUP (systemctl reload) starts
# processes with the new code; a bad setting still stops the master, which
# reads the settings above before it forks.
preload_app = False
# A batch of 1,000 events under load takes seconds; a worker silent for two
# minutes is stuck and replaced.
timeout = 120
# Running requests get as long to finish as the worker's running jobs do
# (background.SHUTDOWN_TIMEOUT_SECONDS, not imported: it needs the apps loaded).
graceful_timeout = 20
keepalive = 5
# gunicorn trusts X-Forwarded-Proto from 127.0.0.1 by default; leadqual trusts
# it only as LEADQUAL_BEHIND_PROXY says (Django's SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = settings.TRUSTED_PROXY or ""
# Errors and startup to standard error, as every leadqual process logs; no
# access log (the proxy in front keeps one).
errorlog = "-"
loglevel = settings.LOG_LEVEL.lower()
# The workers' heartbeat files: in memory where there is a /dev/shm (Docker's
# overlay file systems make a disk-backed one stall).
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"
