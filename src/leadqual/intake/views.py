"""The public intake form, its thank-you page, and the admin's embed code.

The form and thank-you page may be shown inside an iframe on the business's
own website; every other page keeps X-Frame-Options: DENY.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from leadqual.accounts.permissions import role_required
from leadqual.accounts.roles import Role
from leadqual.core.scoring import ScoreTrigger
from leadqual.intake.forms import (
    CONSENT_TEXT_VERSION,
    DEFAULT_SOURCE,
    HONEYPOT_FIELD,
    LeadIntakeForm,
    source_from_query,
)
from leadqual.intake.pipeline import InvalidLeadData, submit_lead
from leadqual.intake.ratelimit import check_rate_limit, client_address, record_attempt
from leadqual.intake.tracker import form_visitor_id, stitch_form_visitor
from leadqual.leads.services import ConsentInput, UpdatePolicy
from leadqual.privacy.suppression import SuppressedContact

logger = logging.getLogger(__name__)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# The source the embed code suggests; the admin may change it per site.
EMBED_SOURCE = "website"
# Fields never put back into a re-shown form: consent must be a fresh tick.
_NOT_REPEATED = frozenset({"consent", HONEYPOT_FIELD, "csrfmiddlewaretoken"})


def _form_action(source: str) -> str:
    path = reverse("intake:form")
    return (
        path if source == DEFAULT_SOURCE else f"{path}?{urlencode({'source': source})}"
    )


def _thanks(request: HtmxHttpRequest) -> HttpResponse:
    url = reverse("intake:thanks")
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _render_form(
    request: HtmxHttpRequest,
    form: LeadIntakeForm,
    *,
    source: str,
    status: int = 200,
    alert: str = "",
) -> HttpResponse:
    template = "intake/_lead_form.html" if request.htmx else "intake/lead_form.html"
    context = {
        "form": form,
        "form_action": _form_action(source),
        "alert": alert,
        # The tracking script's visitor id (?lq_vid=), kept for the POST.
        "lq_vid": form_visitor_id(
            request.POST.get("lq_vid") or request.GET.get("lq_vid")
        ),
    }
    return render(request, template, context, status=status)


# Public and framed on other sites: a cross-site iframe gets no SameSite=Lax
# CSRF cookie (and browsers block third-party cookies), so a CSRF check would
# refuse every embedded visitor. The form changes nothing for a signed-in user
# (it only creates or updates a lead by the email typed in), so CSRF adds no
# protection here; the honeypot and the rate limit handle abuse.
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def lead_form(request: HtmxHttpRequest) -> HttpResponse:
    """Show the intake form; on POST store the lead and send the visitor to thanks."""
    source = source_from_query(request.GET.get("source"))
    if request.method != "POST":
        return _render_form(request, LeadIntakeForm(), source=source)

    now = timezone.now()
    address = client_address(request)
    limit: int = settings.FORM_RATE_LIMIT
    check = check_rate_limit(address, limit=limit, now=now)
    if not check.allowed:
        logger.info("Intake form refused: rate limit of %s per hour reached", limit)
        initial = {
            name: value
            for name, value in request.POST.items()
            if name not in _NOT_REPEATED
        }
        response = _render_form(
            request,
            LeadIntakeForm(initial=initial),
            source=source,
            status=429,
            alert=_(
                "You have sent this form %(limit)d times in the past hour, the most "
                "we accept from one address. Please try again in an hour."
            )
            % {"limit": limit},
        )
        response["Retry-After"] = str(check.retry_after_seconds)
        return response

    if request.POST.get(HONEYPOT_FIELD, "").strip():
        # A bot filled the hidden field: answer as if it worked, store nothing.
        record_attempt(address, now=now)
        logger.info("Intake form: honeypot filled, nothing stored")
        return _thanks(request)

    form = LeadIntakeForm(request.POST)
    if not form.is_valid():
        return _render_form(request, form, source=source, status=422)
    record_attempt(address, now=now)
    try:
        arrival = submit_lead(
            form.cleaned_data["email"],
            form.lead_fields(source=source),
            consent=ConsentInput(
                given=True, text_version=CONSENT_TEXT_VERSION, given_at=now
            ),
            now=now,
            source="form",
            trigger=ScoreTrigger.FORM,
            # Anyone can type any email address: never overwrite what a lead has.
            policy=UpdatePolicy.FILL_EMPTY,
        )
    except InvalidLeadData as error:
        form.add_lead_errors(error.fields)
        return _render_form(request, form, source=source, status=422)
    except SuppressedContact:
        # An erased person: thank them as anyone else, store nothing.
        logger.info("Intake form: suppressed contact, nothing stored")
        return _thanks(request)
    logger.info(
        "Intake form stored lead %s (source %s, created %s)",
        arrival.lead.pk,
        source,
        arrival.created,
    )
    # A visitor who accepted cookies on a tracked site: their visits join the lead.
    stitch_form_visitor(
        request.POST.get("lq_vid") or request.GET.get("lq_vid"),
        arrival.lead,
        source=source,
        now=now,
    )
    return _thanks(request)


@xframe_options_exempt
@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    """The page a visitor sees after sending the form, also inside an iframe."""
    return render(request, "intake/form_thanks.html")


@role_required(Role.ADMIN)
@require_GET
def embed_code(request: HttpRequest) -> HttpResponse:
    """The HTML an admin pastes into the business's website to show the form."""
    form_url = request.build_absolute_uri(
        f"{reverse('intake:form')}?{urlencode({'source': EMBED_SOURCE})}"
    )
    # Not inside the f-string: xgettext does not find _() calls in f-strings.
    frame_title = _("Contact form")
    snippet = (
        f'<iframe src="{form_url}" title="{frame_title}"\n'
        '        width="100%" height="1100" loading="lazy"\n'
        '        style="border: 0; max-width: 40rem;"></iframe>'
    )
    context = {
        "form_url": form_url,
        "snippet": snippet,
        "embed_source": EMBED_SOURCE,
        "default_source": DEFAULT_SOURCE,
    }
    return render(request, "intake/embed_code.html", context)
