from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModellingConfig(AppConfig):
    name = "leadqual.modelling"
    verbose_name = _("Predictive models")
