from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "leadqual.triage"
    verbose_name = "Triage"
