from django.urls import URLPattern, path

from leadqual.triage import views

app_name = "triage"

# Mounted at "" (config/urls.py): the paths are written out in full.
urlpatterns: list[URLPattern] = [
    path("queue/", views.queue, name="queue"),
    path("leads/<int:lead_id>/feedback/", views.lead_feedback, name="lead-feedback"),
    path("leads/<int:lead_id>/bant/", views.lead_bant, name="lead-bant"),
    path(
        "leads/<int:lead_id>/first-contact/",
        views.lead_first_contact,
        name="lead-first-contact",
    ),
    path("leads/<int:lead_id>/outcome/", views.lead_outcome, name="lead-outcome"),
]
