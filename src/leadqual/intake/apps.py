from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "leadqual.intake"
    verbose_name = "Intake"
