from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "leadqual.insights"
    verbose_name = "Insights"
