from django.urls import path

from leadqual.integrations import views

app_name = "integrations"

# Mounted at /integrations/ by config/urls.py.
urlpatterns = [
    path("webhooks/<int:endpoint_id>/", views.endpoint_log, name="endpoint-log"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/retry/",
        views.delivery_retry,
        name="delivery-retry",
    ),
]
