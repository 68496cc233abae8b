from django.urls import URLPattern, path

from leadqual.intake import views

app_name = "intake"

# Mounted at "form/" (config/urls.py); the form and thanks pages may be framed.
urlpatterns: list[URLPattern] = [
    path("", views.lead_form, name="form"),
    path("thanks/", views.thanks, name="thanks"),
    # The double opt-in link mailed for a form sent with a known email.
    path("confirm/done/", views.confirmed, name="confirmed"),
    path("confirm/<str:token>/", views.confirm_submission, name="confirm"),
    path("embed-code/", views.embed_code, name="embed-code"),
]
