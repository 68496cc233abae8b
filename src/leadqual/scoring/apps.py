from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "leadqual.scoring"
    verbose_name = "Scoring"
