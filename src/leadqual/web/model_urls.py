from django.urls import URLPattern, path

from leadqual.web import model_pages

app_name = "scoring_models"

# Mounted at "scoring-model/" (config/urls.py); a version by its number.
urlpatterns: list[URLPattern] = [
    path("", model_pages.version_list, name="version-list"),
    path("import/", model_pages.version_import, name="version-import"),
    path("optimise/", model_pages.run_optimiser_now, name="optimise"),
    path("v<int:version>/", model_pages.version_detail, name="version-detail"),
    path("v<int:version>/points/", model_pages.version_points, name="version-points"),
    path(
        "v<int:version>/thresholds/",
        model_pages.version_thresholds,
        name="version-thresholds",
    ),
    path(
        "v<int:version>/approve/", model_pages.version_approve, name="version-approve"
    ),
    path("v<int:version>/reject/", model_pages.version_reject, name="version-reject"),
    path("v<int:version>/export/", model_pages.version_export, name="version-export"),
]
