from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "leadqual.web"
    label = "web"
    verbose_name = "Pages"
