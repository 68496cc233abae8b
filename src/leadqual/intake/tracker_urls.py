from django.urls import URLPattern, path  # noqa: F401

app_name = "tracker"

urlpatterns: list[URLPattern] = []
