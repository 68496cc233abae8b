from django.urls import URLPattern, path

from leadqual.leads import views

app_name = "leads"

# Mounted at "leads/" (config/urls.py).
urlpatterns: list[URLPattern] = [
    path("", views.lead_list, name="lead-list"),
    path("<int:lead_id>/", views.lead_detail, name="lead-detail"),
]
