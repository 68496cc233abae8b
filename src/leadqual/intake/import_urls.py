"""The upload page for CRM exports and the pages of import jobs: /imports/..."""

from django.urls import URLPattern, path

from leadqual.intake import import_views

app_name = "imports"

urlpatterns: list[URLPattern] = [
    path("", import_views.upload, name="upload"),
    path("<int:pk>/", import_views.job_detail, name="job"),
]
