from django.urls import URLPattern, path

from leadqual.leads import account_views

app_name = "accounts_pages"

# Mounted at "accounts/" (config/urls.py).
urlpatterns: list[URLPattern] = [
    path("", account_views.account_list, name="account-list"),
    path("<int:company_id>/", account_views.account_detail, name="account-detail"),
]
