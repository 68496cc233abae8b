from django.urls import URLPattern, path

from leadqual.web import predictive_pages

app_name = "modelling"

# Mounted at "predictive-model/" (config/urls.py); a version by its number.
urlpatterns: list[URLPattern] = [
    path("", predictive_pages.model_list, name="model-list"),
    path("train/", predictive_pages.model_train, name="model-train"),
    path("v<int:version>/", predictive_pages.model_detail, name="model-detail"),
    path(
        "v<int:version>/approve/", predictive_pages.model_approve, name="model-approve"
    ),
    path("v<int:version>/reject/", predictive_pages.model_reject, name="model-reject"),
]
