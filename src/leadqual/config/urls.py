from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from leadqual.api import api
from leadqual.config import views
from leadqual.users.views import LoginView, PasswordChangeView

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", PasswordChangeView.as_view(), name="password-change"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The composed pages (leadqual.web): the queue and the sales actions
    # under /leads/<id>/, the lead pages, the accounts pages.
    path("", include("leadqual.web.triage_urls")),
    path("leads/", include("leadqual.web.lead_urls")),
    path("kpis/", include("leadqual.insights.urls")),
    path("scoring-model/", include("leadqual.web.model_urls")),
    path("predictive-model/", include("leadqual.web.predictive_urls")),
    path("form/", include("leadqual.intake.urls")),
    # The tracking script and its endpoints: /t.js, /t/...
    path("", include("leadqual.intake.tracker_urls")),
    path("webhooks/", include("leadqual.intake.inbound_webhook_urls")),
    path("imports/", include("leadqual.intake.import_urls")),
    path("accounts/", include("leadqual.web.account_urls")),
    path("integrations/", include("leadqual.integrations.urls")),
    path("privacy/", include("leadqual.privacy.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

# Error pages in the app's style and language; JSON for JSON clients. A request
# body over the size limit is a 413 with a message, not a bare 400.
handler400 = "leadqual.config.error_pages.bad_request"
handler403 = "leadqual.config.error_pages.permission_denied"
handler404 = "leadqual.config.error_pages.page_not_found"
handler500 = "leadqual.config.error_pages.server_error"
