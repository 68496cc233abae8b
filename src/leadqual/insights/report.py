"""The weekly report: last week's KPIs, against the week before, mailed on Monday.

``weekly_report`` computes the numbers exactly as the KPI page does for the
same week (``queries.facts_for_period`` and ``core.kpis.kpi_set``), and
``send_weekly_report`` mails them to every active marketing and admin user
with an email address, each in their own language, once per week: a
``WeeklyReportSent`` row is claimed before each mail goes out. See
docs/kpis.md.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from leadqual.core.errors import LeadqualError
from leadqual.core.kpis import KpiSet, SourceCost, by_band, by_source, kpi_set
from leadqual.core.kpis import week_start as week_start_of
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.models import WeeklyReportSent
from leadqual.insights.presentation import (
    KPIS,
    NONE_TEXT,
    Kpi,
    format_count,
    format_decimal,
    format_kpi,
    format_percent,
    format_rating,
)
from leadqual.insights.quality import (
    CostRow,
    RuleRow,
    band_name,
    cost_rows,
    no_fit_explanations,
    no_fit_rule_rows,
    period_costs,
)
from leadqual.insights.queries import facts_for_period
from leadqual.integrations.email import OutgoingEmail, send_email
from leadqual.scoring.queries import newest_open_draft
from leadqual.triage.alert_delivery import language_of
from leadqual.users.roles import Role

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died before its mail went
# out (the longest legitimate send is one SMTP timeout, 10 s): take it over.
STALE_CLAIM_AFTER = timedelta(minutes=15)
_WEEK = timedelta(weeks=1)
# The mail names the few rules most common among "no fit" rejections; the page all.
NO_FIT_RULES_IN_MAIL = 3


class EmailNotConfigured(LeadqualError):
    """LEADQUAL_EMAIL_URL is not set, so no report can be mailed."""

    code = "email_not_configured"


class WeekNotOver(LeadqualError):
    """The week asked for has not ended yet, so its numbers are not final."""

    code = "week_not_over"


class WeeklyReportDeliveryFailed(LeadqualError):
    """Some reports could not be sent; the job raises it so Huey retries them."""

    code = "weekly_report_delivery_failed"


@dataclass(frozen=True, slots=True)
class SourceWeek:
    """The KPIs of one source in the reported week and in the week before."""

    source: str
    this_week: KpiSet
    week_before: KpiSet


@dataclass(frozen=True, slots=True)
class WeeklyReport:
    """The KPIs of the leads that arrived in one week (Monday to Sunday, local).

    ``week_before`` holds the same KPIs for the week before, for the change;
    ``sources`` every source with leads in either week, sorted ("" for leads
    without a source).
    """

    week_start: date
    week_end: date
    this_week: KpiSet
    week_before: KpiSet
    sources: tuple[SourceWeek, ...]
    # The week's cost per qualified lead per source (empty without costs),
    # and the explanations sales saw when rejecting the week's leads as no fit.
    costs: tuple[SourceCost, ...] = ()
    no_fit_explanations: tuple[object, ...] = ()
    # The week's leads per band they have now, hot first.
    bands: tuple[tuple[str, KpiSet], ...] = ()


@dataclass(frozen=True, slots=True)
class WeeklyReportResult:
    """What one run of ``send_weekly_report`` did, as counts."""

    week_start: date
    sent: int
    already_sent: int


def monday_of(day: date) -> date:
    """The Monday of the ISO week that holds ``day``."""
    return day - timedelta(days=day.weekday())


def last_week_start(now: datetime, *, zone: ZoneInfo = DUTCH_TIME) -> date:
    """The Monday of the week before the one that holds ``now`` (local time)."""
    return week_start_of(now, zone=zone) - _WEEK


def weekly_report(
    *, week_start: date, zone: ZoneInfo = DUTCH_TIME, now: datetime
) -> WeeklyReport:
    """The KPIs of the week that holds ``week_start``, against the week before.

    The numbers equal the KPI page's for that week (From its Monday, To its
    Sunday) read at ``now``: ``now`` decides which open first-contact tasks
    count for SLA compliance. Runs the page's handful of queries once for
    both weeks.
    """
    monday = monday_of(week_start)
    before = monday - _WEEK
    facts = facts_for_period(before, monday + timedelta(days=6), zone=zone)
    this_week = [f for f in facts if week_start_of(f.arrived_at, zone=zone) == monday]
    week_before = [f for f in facts if week_start_of(f.arrived_at, zone=zone) != monday]
    empty = kpi_set([], now=now, zone=zone)
    per_source = by_source(this_week, now=now, zone=zone)
    current_sources = dict(per_source)
    previous_sources = dict(by_source(week_before, now=now, zone=zone))
    return WeeklyReport(
        week_start=monday,
        week_end=monday + timedelta(days=6),
        this_week=kpi_set(this_week, now=now, zone=zone),
        week_before=kpi_set(week_before, now=now, zone=zone),
        sources=tuple(
            SourceWeek(
                source=source,
                this_week=current_sources.get(source, empty),
                week_before=previous_sources.get(source, empty),
            )
            for source in sorted(current_sources.keys() | previous_sources.keys())
        ),
        costs=tuple(
            period_costs(per_source, monday, monday + timedelta(days=6), source=None)
        ),
        no_fit_explanations=tuple(no_fit_explanations(this_week)),
        bands=tuple(by_band(this_week, now=now, zone=zone)),
    )


def weekly_report_recipients() -> QuerySet[User]:
    """Active marketing and admin users with an email address, by id.

    A superuser without any role counts as an admin, as ``role_of`` has it;
    sales users get no report.
    """
    roles = [Role.MARKETING.value, Role.ADMIN.value]
    every_role = [role.value for role in Role]
    return (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Q(groups__name__in=roles)
            | (Q(is_superuser=True) & ~Q(groups__name__in=every_role))
        )
        .distinct()
        .order_by("pk")
    )


def send_weekly_report(
    *, now: datetime, week_start: date | None = None
) -> WeeklyReportResult:
    """Mail last week's report (or that of ``week_start``'s week) to each recipient once.

    Recipients are ``weekly_report_recipients()``; each gets a plain-text and
    HTML mail in their language. A recipient who already has this week's
    report is skipped, so running this twice sends nothing more. Raises
    EmailNotConfigured without LEADQUAL_EMAIL_URL, WeekNotOver for a week
    that has not ended at ``now``, and WeeklyReportDeliveryFailed after
    trying everyone when some mails failed (those are sent by the next try).
    """
    if not settings.EMAIL_URL:
        raise EmailNotConfigured(
            "LEADQUAL_EMAIL_URL is not set, so the weekly report cannot be sent. "
            "Set it to the mail server, for example "
            "smtp+tls://user:password@host:587."
        )
    monday = last_week_start(now) if week_start is None else monday_of(week_start)
    if monday + _WEEK > now.astimezone(DUTCH_TIME).date():
        raise WeekNotOver(
            f"The week of {monday.isoformat()} has not ended yet, so its numbers "
            "are not final. Choose a week that has ended, for example "
            f"{last_week_start(now).isoformat()}."
        )
    report = weekly_report(week_start=monday, now=now)
    sent = already_sent = failed = 0
    for user in weekly_report_recipients():
        if not _claim(monday, user, now=now):
            already_sent += 1
            continue
        try:
            send_email(
                weekly_report_email(report, user),
                url=settings.EMAIL_URL,
                sender=settings.EMAIL_FROM,
            )
        except (smtplib.SMTPException, OSError) as error:
            # Free the claim, so the next try sends this one.
            WeeklyReportSent.objects.filter(
                week_start=monday, recipient=user, sent_at__isnull=True
            ).delete()
            failed += 1
            # The error class only: SMTP replies may quote the address.
            logger.warning(
                "Weekly report of %s to user %s failed: %s",
                monday,
                user.pk,
                type(error).__name__,
            )
            continue
        WeeklyReportSent.objects.filter(week_start=monday, recipient=user).update(
            sent_at=timezone.now()
        )
        sent += 1
    logger.info(
        "Weekly report of %s: %s sent, %s already sent, %s failed",
        monday,
        sent,
        already_sent,
        failed,
    )
    if failed:
        raise WeeklyReportDeliveryFailed(
            f"{failed} of {sent + failed} weekly reports of the week of "
            f"{monday.isoformat()} could not be sent; they are tried again."
        )
    return WeeklyReportResult(week_start=monday, sent=sent, already_sent=already_sent)


def _claim(monday: date, user: User, *, now: datetime) -> bool:
    """Claim the recipient's report of the week; False when it is someone else's."""
    try:
        with transaction.atomic():
            WeeklyReportSent.objects.create(
                week_start=monday, recipient=user, claimed_at=now
            )
    except IntegrityError:
        # Sent already, or claimed by a worker that may still be sending. A
        # claim that is old and was never sent belongs to a dead worker.
        taken_over = WeeklyReportSent.objects.filter(
            week_start=monday,
            recipient=user,
            sent_at__isnull=True,
            claimed_at__lt=now - STALE_CLAIM_AFTER,
        ).update(claimed_at=now)
        return taken_over == 1
    return True


# --- what the report says ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KpiLine:
    """One KPI of the report as text: this week, the week before, the change."""

    key: str
    title: str
    value: str
    previous: str
    change: str
    detail: str


@dataclass(frozen=True, slots=True)
class SourceCell:
    """One KPI of one source: this week and the change."""

    source: str
    value: str
    change: str


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One KPI across every source."""

    title: str
    cells: tuple[SourceCell, ...]


@dataclass(frozen=True, slots=True)
class ReportContent:
    """The report's texts, in the language active when it was built."""

    subject: str
    period: str
    has_leads: bool
    lines: tuple[KpiLine, ...]
    sources: tuple[str, ...]
    source_lines: tuple[SourceLine, ...]
    link: str
    cost_rows: tuple[CostRow, ...] = ()
    no_fit_rules: tuple[RuleRow, ...] = ()
    band_lines: tuple[str, ...] = ()
    # The review page of the newest undecided draft model; "" when none waits.
    proposal_link: str = ""
    proposal_version: int | None = None


def _change(kpi: Kpi, this_week: KpiSet, week_before: KpiSet) -> str:
    """The difference with the week before: +3, -1.5 h, +12.5 pp; a dash if unknown."""
    current, previous = kpi.value(this_week), kpi.value(week_before)
    if current is None or previous is None:
        return NONE_TEXT
    # Shares change in percentage points, not in percent of the old share.
    scale = 100 if kpi.kind == "share" else 1
    places = 0 if kpi.kind == "count" else 1
    difference = round((current - previous) * scale, places) + 0.0  # no "-0.0"
    number = ("+" if difference > 0 else "") + format_decimal(difference, places)
    if kpi.kind == "share":
        return _("%(points)s pp") % {"points": number}
    if kpi.kind == "hours":
        return _("%(hours)s h") % {"hours": number}
    return number


def kpis_link(report: WeeklyReport) -> str:
    """The KPI page for the report's week (LEADQUAL_BASE_URL + /kpis/?start=...)."""
    query = urlencode(
        {"start": report.week_start.isoformat(), "end": report.week_end.isoformat()}
    )
    return f"{settings.BASE_URL.rstrip('/')}{reverse('insights:kpis')}?{query}"


def report_content(report: WeeklyReport) -> ReportContent:
    """What the report says, in the active language."""
    week = date_format(report.week_start, "DATE_FORMAT")
    draft = newest_open_draft()
    return ReportContent(
        subject=_("KPIs of the week of %(week)s") % {"week": week},
        period=_("Leads that arrived from %(start)s to %(end)s")
        % {"start": week, "end": date_format(report.week_end, "DATE_FORMAT")},
        has_leads=report.this_week.leads_in > 0,
        lines=tuple(
            KpiLine(
                key=kpi.key,
                title=str(kpi.title),
                value=format_kpi(kpi, kpi.value(report.this_week)),
                previous=format_kpi(kpi, kpi.value(report.week_before)),
                change=_change(kpi, report.this_week, report.week_before),
                detail=kpi.detail(report.this_week),
            )
            for kpi in KPIS
        ),
        sources=tuple(row.source or _("(no source)") for row in report.sources),
        source_lines=tuple(
            SourceLine(
                title=str(kpi.title),
                cells=tuple(
                    SourceCell(
                        source=row.source or _("(no source)"),
                        value=format_kpi(kpi, kpi.value(row.this_week)),
                        change=_change(kpi, row.this_week, row.week_before),
                    )
                    for row in report.sources
                ),
            )
            for kpi in KPIS
        ),
        link=kpis_link(report),
        cost_rows=tuple(cost_rows(report.costs)),
        no_fit_rules=tuple(
            no_fit_rule_rows(report.no_fit_explanations, limit=NO_FIT_RULES_IN_MAIL)
        ),
        band_lines=tuple(_band_line(band, kpis) for band, kpis in report.bands),
        proposal_link=(
            _absolute(
                reverse(
                    "scoring_models:version-detail", kwargs={"version": draft.version}
                )
            )
            if draft is not None
            else ""
        ),
        proposal_version=draft.version if draft is not None else None,
    )


def _band_line(band: str, kpis: KpiSet) -> str:
    """One band in a line: Hot: 2 leads, 50.0% to opportunity, rated 4.5 of 5."""
    return _(
        "%(band)s: %(leads)s leads, %(conversion)s to opportunity, rated %(rating)s"
    ) % {
        "band": band_name(band),
        "leads": format_count(kpis.leads_in),
        "conversion": format_percent(kpis.lead_to_opportunity),
        "rating": format_rating(kpis.average_rating),
    }


def _absolute(path: str) -> str:
    return f"{settings.BASE_URL.rstrip('/')}{path}"


def weekly_report_email(report: WeeklyReport, user: User) -> OutgoingEmail:
    """The report as a plain-text and HTML mail in the user's language."""
    with translation.override(language_of(user)):
        content = report_content(report)
        context = {"report": content}
        return OutgoingEmail(
            to=[user.email],
            subject=content.subject,
            text=render_to_string("insights/email/weekly_report.txt", context),
            html=render_to_string("insights/email/weekly_report.html", context),
        )
