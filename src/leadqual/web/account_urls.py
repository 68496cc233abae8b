from django.urls import URLPattern, path

from leadqual.web import account_pages

app_name = "accounts_pages"

# Mounted at "accounts/" (config/urls.py).
urlpatterns: list[URLPattern] = [
    path("", account_pages.account_list, name="account-list"),
    path("<int:company_id>/", account_pages.account_detail, name="account-detail"),
]
