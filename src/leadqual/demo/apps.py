from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Holds ``leadqual demo-data``; no models, no migrations."""

    name = "leadqual.demo"
    verbose_name = "Demo data"
