from django.urls import URLPattern, path

from leadqual.intake import views

app_name = "intake"

# Mounted at "form/" (config/urls.py); the form and thanks pages may be framed.
# The embedded ones (embed/...) are the same pages without leadqual's top bar,
# sized to their content by embed.js on the business's page (docs/form-embed.md).
urlpatterns: list[URLPattern] = [
    path("", views.lead_form, name="form"),
    path("thanks/", views.thanks, name="thanks"),
    path("embed/", views.lead_form, {"embedded": True}, name="form-embedded"),
    path("embed/thanks/", views.thanks, {"embedded": True}, name="thanks-embedded"),
    path("embed.js", views.embed_script, name="embed-script"),
    # The double opt-in link mailed for a form sent with a known email.
    path("confirm/done/", views.confirmed, name="confirmed"),
    path("confirm/<str:token>/", views.confirm_submission, name="confirm"),
    path("embed-code/", views.embed_code, name="embed-code"),
]
