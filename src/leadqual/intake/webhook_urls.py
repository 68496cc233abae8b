"""Mail-tool webhooks, mounted at /webhooks/ (docs/webhooks.md)."""

from django.urls import URLPattern, path

from leadqual.intake import webhook_views

app_name = "webhooks"

urlpatterns: list[URLPattern] = [
    path("mailchimp/", webhook_views.mailchimp, name="mailchimp"),
    path("mailchimp/<str:key>/", webhook_views.mailchimp, name="mailchimp-key"),
    path("mandrill/", webhook_views.mandrill, name="mandrill"),
    path("brevo/", webhook_views.brevo, name="brevo"),
    path("mautic/", webhook_views.mautic, name="mautic"),
    path("generic/", webhook_views.generic, name="generic"),
]
