from django.urls import path

from leadqual.insights import views

app_name = "insights"

# Mounted at /kpis/ by config/urls.py.
urlpatterns = [
    path("", views.kpi_overview, name="kpis"),
    path("team/", views.team_overview, name="team"),
    path("export.csv", views.kpi_export_csv, name="kpis-export-csv"),
    path("export.xlsx", views.kpi_export_xlsx, name="kpis-export-xlsx"),
    path("costs/", views.campaign_costs_page, name="costs"),
    path("costs/import/", views.import_campaign_costs, name="costs-import"),
]
