from django.urls import URLPattern, path

from leadqual.intake import views

app_name = "intake"

# Mounted at "form/" (config/urls.py); the form and thanks pages may be framed.
urlpatterns: list[URLPattern] = [
    path("", views.lead_form, name="form"),
    path("thanks/", views.thanks, name="thanks"),
    path("embed-code/", views.embed_code, name="embed-code"),
]
