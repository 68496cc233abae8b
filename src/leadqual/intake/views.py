"""The public intake form, its thank-you page, the confirmation pages of its
double opt-in (intake.confirmation), and the admin's embed code.

The form and thank-you page may be shown inside an iframe on the business's
own website; every other page keeps X-Frame-Options: DENY. Their embedded
variants (/form/embed/...) leave out leadqual's top bar and carry a script
that tells the business's page their height, so that the page's embed script
(/form/embed.js) sizes the iframe to fit (docs/form-embed.md).
"""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from leadqual.intake.confirmation import (
    ConfirmationLinkError,
    ConfirmationLinkExpired,
    ConfirmationLinkUsed,
    FormSubmission,
    confirm_form_submission,
    pending_for_token,
    receive_form_submission,
)
from leadqual.intake.forms import (
    CONSENT_TEXT,
    CONSENT_TEXT_VERSION,
    DEFAULT_SOURCE,
    HONEYPOT_FIELD,
    LeadIntakeForm,
    source_from_query,
    submission_summary,
)
from leadqual.intake.pipeline import InvalidLeadData
from leadqual.intake.ratelimit import check_rate_limit, client_address, record_attempt
from leadqual.intake.scripts import script_response
from leadqual.intake.tracker import form_visitor_id
from leadqual.leads.services import ConsentInput
from leadqual.privacy.suppression import SuppressedContact
from leadqual.users.permissions import role_required
from leadqual.users.roles import Role

logger = logging.getLogger(__name__)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# The source the embed code suggests; the admin may change it per site.
EMBED_SOURCE = "website"
# The page every embedded form page extends: no top bar, no menu, and the
# script that reports the page's height to the business's page.
EMBEDDED_BASE_TEMPLATE = "intake/embedded_base.html"
# The iframe's height (px) in the embed code, for browsers without script:
# the empty form on a phone fits, longer pages scroll inside the frame. With
# script, embed.js replaces it with the page's own height.
EMBED_FALLBACK_HEIGHT = 1500
# The script the embed code loads on the business's page; see its comments.
EMBED_SCRIPT_PATH = Path(__file__).resolve().parent / "static" / "intake" / "embed.js"
# Fields never put back into a re-shown form: consent must be a fresh tick.
_NOT_REPEATED = frozenset({"consent", HONEYPOT_FIELD, "csrfmiddlewaretoken"})


def _base_template(*, embedded: bool) -> str:
    return EMBEDDED_BASE_TEMPLATE if embedded else "base.html"


def _form_action(source: str, *, embedded: bool) -> str:
    path = reverse("intake:form-embedded" if embedded else "intake:form")
    return (
        path if source == DEFAULT_SOURCE else f"{path}?{urlencode({'source': source})}"
    )


def _thanks(request: HtmxHttpRequest, *, embedded: bool) -> HttpResponse:
    url = reverse("intake:thanks-embedded" if embedded else "intake:thanks")
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _render_form(
    request: HtmxHttpRequest,
    form: LeadIntakeForm,
    *,
    source: str,
    embedded: bool,
    status: int = 200,
    alert: str = "",
) -> HttpResponse:
    template = "intake/_lead_form.html" if request.htmx else "intake/lead_form.html"
    context = {
        "base_template": _base_template(embedded=embedded),
        "form": form,
        "form_action": _form_action(source, embedded=embedded),
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
# (it creates a lead for a new email, and for a known one only keeps the
# submission until the person confirms by mail), so CSRF adds no protection
# here; the honeypot and the rate limit handle abuse.
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def lead_form(request: HtmxHttpRequest, *, embedded: bool = False) -> HttpResponse:
    """Show the intake form; on POST store the lead and send the visitor to thanks.

    ``embedded`` (the /form/embed/ URL) renders it, its errors and its
    thank-you page without leadqual's top bar, for an iframe.
    """
    source = source_from_query(request.GET.get("source"))
    if request.method != "POST":
        return _render_form(request, LeadIntakeForm(), source=source, embedded=embedded)

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
            embedded=embedded,
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
        return _thanks(request, embedded=embedded)

    form = LeadIntakeForm(request.POST)
    if not form.is_valid():
        return _render_form(request, form, source=source, embedded=embedded, status=422)
    record_attempt(address, now=now)
    submission = FormSubmission(
        email=form.cleaned_data["email"],
        fields=form.lead_fields(source=source),
        answers=form.event_properties(source=source),
        source=source,
        consent=ConsentInput(
            given=True, text_version=CONSENT_TEXT_VERSION, given_at=now
        ),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        # The tracking script's visitor id: stitched to a new lead at once,
        # to a known one only after confirmation.
        raw_visitor_id=request.POST.get("lq_vid") or request.GET.get("lq_vid"),
    )
    try:
        receipt = receive_form_submission(submission, now=now)
    except InvalidLeadData as error:
        form.add_lead_errors(error.fields)
        return _render_form(request, form, source=source, embedded=embedded, status=422)
    except SuppressedContact:
        # An erased person: thank them as anyone else, store nothing.
        logger.info("Intake form: suppressed contact, nothing stored")
        return _thanks(request, embedded=embedded)
    logger.info(
        "Intake form for lead %s (source %s): %s",
        receipt.lead.pk,
        source,
        "created" if receipt.arrival is not None else "awaits confirmation",
    )
    # The same answer for a new and a known email: the form tells nobody who
    # is a lead.
    return _thanks(request, embedded=embedded)


@xframe_options_exempt
@require_GET
def thanks(request: HttpRequest, *, embedded: bool = False) -> HttpResponse:
    """The page a visitor sees after sending the form, also inside an iframe."""
    context = {"base_template": _base_template(embedded=embedded)}
    return render(request, "intake/form_thanks.html", context)


@require_GET
def embed_script(request: HttpRequest) -> HttpResponse:
    """The script the embed code loads on the business's page: it sizes the iframe."""
    return script_response(request, EMBED_SCRIPT_PATH)


def _link_problem(request: HttpRequest, error: ConfirmationLinkError) -> HttpResponse:
    """The page for a link that cannot confirm: used, expired, or unknown."""
    if isinstance(error, ConfirmationLinkUsed):
        heading = _("This link was used already")
        message = _(
            "Your details were confirmed with this link before; there is nothing "
            "more to do."
        )
        status = 410
    elif isinstance(error, ConfirmationLinkExpired):
        heading = _("This link has expired")
        message = _(
            "The link in our email works for %(days)d days. Nothing was changed. "
            "Send the contact form again and we will email you a new link."
        ) % {"days": settings.FORM_CONFIRMATION_DAYS}
        status = 410
    else:
        heading = _("This link does not work")
        message = _(
            "Nothing was changed. Check that you opened the whole link from our "
            "latest email, or send the contact form again and we will email you "
            "a new link."
        )
        status = 404
    context = {
        "heading": heading,
        "message": message,
        "form_url": reverse("intake:form"),
    }
    return render(request, "intake/confirm_problem.html", context, status=status)


@require_http_methods(["GET", "POST"])
def confirm_submission(request: HttpRequest, token: str) -> HttpResponse:
    """The page the mailed link opens; its POST button confirms the submission.

    GET only shows what was sent (mail scanners open links too); the POST,
    CSRF-protected like every other, applies it and redirects to "confirmed".
    """
    now = timezone.now()
    if request.method == "POST":
        try:
            confirm_form_submission(
                token, consent_text_version=CONSENT_TEXT_VERSION, now=now
            )
        except ConfirmationLinkError as error:
            return _link_problem(request, error)
        return redirect("intake:confirmed")
    try:
        pending = pending_for_token(token, now=now)
    except ConfirmationLinkError as error:
        return _link_problem(request, error)
    context = {
        "summary": submission_summary(pending.fields, pending.answers),
        "submitted_at": pending.submitted_at,
        "consent_text": CONSENT_TEXT,
    }
    return render(request, "intake/confirm_submission.html", context)


@require_GET
def confirmed(request: HttpRequest) -> HttpResponse:
    """The page after a confirmation: the details are stored."""
    return render(request, "intake/confirmed.html")


@role_required(Role.ADMIN)
@require_GET
def embed_code(request: HttpRequest) -> HttpResponse:
    """The HTML an admin pastes into the business's website to show the form.

    An iframe of the embedded form, marked ``data-leadqual-form``, and the
    script that sizes it to the form's height. Without script the iframe
    keeps EMBED_FALLBACK_HEIGHT and scrolls.
    """
    query = urlencode({"source": EMBED_SOURCE})
    frame_url = request.build_absolute_uri(f"{reverse('intake:form-embedded')}?{query}")
    script_url = request.build_absolute_uri(reverse("intake:embed-script"))
    # Not inside the f-string: xgettext does not find _() calls in f-strings.
    frame_title = escape(_("Contact form"))
    # Plain text, escaped by the template that shows it.
    snippet = (
        f'<iframe src="{escape(frame_url)}" title="{frame_title}" data-leadqual-form\n'
        f'        width="100%" height="{EMBED_FALLBACK_HEIGHT}" loading="lazy"\n'
        '        style="border: 0; max-width: 40rem;"></iframe>\n'
        f'<script src="{escape(script_url)}" async></script>'
    )
    context = {
        # "Try it" opens the form as a page of its own, with leadqual's top bar.
        "form_url": request.build_absolute_uri(f"{reverse('intake:form')}?{query}"),
        "leadqual_origin": request.build_absolute_uri("/").rstrip("/"),
        "snippet": snippet,
        "embed_source": EMBED_SOURCE,
        "default_source": DEFAULT_SOURCE,
    }
    return render(request, "intake/embed_code.html", context)
