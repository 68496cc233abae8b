"""Mail-tool webhooks, mounted at /webhooks/ (docs/webhooks.md)."""

from django.urls import URLPattern, path

from leadqual.intake import inbound_webhook_views

app_name = "webhooks"

urlpatterns: list[URLPattern] = [
    path("mailchimp/", inbound_webhook_views.mailchimp, name="mailchimp"),
    path("mailchimp/<str:key>/", inbound_webhook_views.mailchimp, name="mailchimp-key"),
    path("mandrill/", inbound_webhook_views.mandrill, name="mandrill"),
    path("brevo/", inbound_webhook_views.brevo, name="brevo"),
    path("mautic/", inbound_webhook_views.mautic, name="mautic"),
    path("generic/", inbound_webhook_views.generic, name="generic"),
]
