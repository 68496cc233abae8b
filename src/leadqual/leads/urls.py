from django.urls import URLPattern, path

from leadqual.leads import quality_views, views

app_name = "leads"

# Mounted at "leads/" (config/urls.py).
urlpatterns: list[URLPattern] = [
    path("", views.lead_list, name="lead-list"),
    path("<int:lead_id>/", views.lead_detail, name="lead-detail"),
    path("data-quality/", quality_views.data_quality, name="data-quality"),
    path("<int:lead_id>/merge/", quality_views.lead_merge, name="lead-merge"),
    path("merges/<int:merge_id>/undo/", quality_views.merge_undo, name="merge-undo"),
]
