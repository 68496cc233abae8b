"""WSGI entry points: ``application`` for ``leadqual serve`` (waitress), and
``gunicorn_application`` for the scale-out setup (config/gunicorn.py)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from leadqual.config.forwarded import behind_trusted_proxy

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadqual.config.settings")
application = get_wsgi_application()
# waitress takes the visitor's address from the trusted proxy itself
# (serve.proxy_options); gunicorn does not, so this does it.
gunicorn_application = behind_trusted_proxy(application, settings.TRUSTED_PROXY)
