from django.urls import URLPattern, path

from leadqual.intake import tracker_views

app_name = "tracker"

# Mounted at "" (config/urls.py): the script is /t.js, the endpoints /t/...
urlpatterns: list[URLPattern] = [
    path("t.js", tracker_views.tracker_script, name="script"),
    path("t/collect", tracker_views.collect, name="collect"),
    path("t/identify", tracker_views.identify, name="identify"),
]
