"""WSGI entry point, used by ``leadqual serve``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadqual.config.settings")
application = get_wsgi_application()
