from django.urls import path

from leadqual.privacy import views

app_name = "privacy"

# Mounted at /privacy/ by config/urls.py; admins only.
urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("leads/<int:lead_id>/", views.lead_privacy, name="lead-privacy"),
    path(
        "leads/<int:lead_id>/export.<str:file_format>",
        views.lead_export,
        name="lead-export",
    ),
    path("leads/<int:lead_id>/erase/", views.lead_erase, name="lead-erase"),
]
