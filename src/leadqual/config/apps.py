from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    """Project-wide commands (``serve``, ``worker``) and the dead-letter list."""

    name = "leadqual.config"
    label = "leadqual_config"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        """Connect Huey's signals that keep failed jobs, in every process."""
        from leadqual.config import background  # noqa: F401
