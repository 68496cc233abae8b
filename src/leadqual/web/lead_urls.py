from django.urls import URLPattern, path

from leadqual.web import data_quality, lead_pages

app_name = "leads"

# Mounted at "leads/" (config/urls.py).
urlpatterns: list[URLPattern] = [
    path("", lead_pages.lead_list, name="lead-list"),
    path("<int:lead_id>/", lead_pages.lead_detail, name="lead-detail"),
    path("data-quality/", data_quality.data_quality, name="data-quality"),
    path("<int:lead_id>/merge/", data_quality.lead_merge, name="lead-merge"),
    path("merges/<int:merge_id>/undo/", data_quality.merge_undo, name="merge-undo"),
]
