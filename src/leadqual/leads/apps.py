from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leadqual.leads"
    verbose_name = "Leads"
