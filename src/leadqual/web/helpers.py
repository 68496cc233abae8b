"""What the composed pages share: the signed-in user, roles that act, countdowns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import formats
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django_htmx.middleware import HtmxDetails

from leadqual.insights.presentation import format_euros
from leadqual.users.permissions import user_role
from leadqual.users.roles import Role

# Roles that may change a lead; marketing reads along.
ACTING_ROLES = (Role.SALES, Role.ADMIN)
ALL_ROLES = (Role.SALES, Role.MARKETING, Role.ADMIN)
UNPROCESSABLE = 422


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def signed_in_user(request: HttpRequest) -> User:
    """The request's user; views behind role_required always have one."""
    user = request.user
    assert isinstance(user, User), "role_required lets only signed-in users through"
    return user


def display_name(user: User | AnonymousUser | None) -> str:
    if user is None or not isinstance(user, User):
        return ""
    return user.get_full_name() or user.username


def can_act_on_leads(user: User) -> bool:
    return user_role(user) in ACTING_ROLES


# --- SLA countdown --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Countdown:
    """The time left until a deadline, as the page first shows it."""

    due_at: datetime
    text: str
    is_overdue: bool

    @property
    def due_at_iso(self) -> str:
        return self.due_at.isoformat()

    @property
    def units(self) -> str:
        """The unit letters for app.js, which updates the text in the browser."""
        return " ".join(duration_units())


def duration_units() -> list[str]:
    """The unit letters of a countdown, days hours minutes: "d h m" or "d u m"."""
    # Translators: the letters for days, hours and minutes in "2d 3h" and
    # "3h 20m", separated by spaces (Dutch: "d u m").
    return gettext("d h m").split()


def _duration_text(seconds: float) -> str:
    # The same shape as static/leadqual/app.js, which takes over in the browser.
    minutes = round(abs(seconds) / 60)
    hours = minutes // 60
    days = hours // 24
    day, hour, minute = duration_units()
    if days >= 1:
        return f"{days}{day} {hours % 24}{hour}"
    return f"{hours}{hour} {minutes % 60}{minute}"


def countdown(due_at: datetime, *, now: datetime) -> Countdown:
    """ "5h 20m" before the deadline, "2h 10m overdue" after it."""
    seconds = (due_at - now).total_seconds()
    text = _duration_text(seconds)
    if seconds < 0:
        return Countdown(
            due_at=due_at,
            text=gettext("%(time)s overdue") % {"time": text},
            is_overdue=True,
        )
    return Countdown(due_at=due_at, text=text, is_overdue=False)


def ago_text(moment: datetime, *, now: datetime) -> str:
    """ "5 minutes ago", or "just now" within the first minute (not "0 minutes ago")."""
    if (now - moment).total_seconds() < 60:
        return gettext("just now")
    return gettext("%(time)s ago") % {"time": timesince(moment, now)}


# --- the sales queue ------------------------------------------------------------------


def euros_text(value_cents: int) -> str:
    """ "€12,500" (English) or "€ 12.500" (Dutch): the KPI pages' format."""
    return format_euros(value_cents)


def amount_example() -> str:
    """An amount as the page's language writes it (12,500 or 12.500), for placeholders."""
    return formats.number_format(12_500, use_l10n=True, force_grouping=True)


# The longest reason kept with a rejected model version (scoring or predictive).
MAX_REASON_LENGTH = 1000


def rejection_reason_problem(reason: str, *, missing: str) -> str:
    """What is wrong with a typed rejection reason ("" when nothing): the
    ``missing`` message when it is empty, or that it is too long."""
    if not reason:
        return missing
    if len(reason) > MAX_REASON_LENGTH:
        return gettext("Keep the reason under %(count)s characters.") % {
            "count": MAX_REASON_LENGTH
        }
    return ""


def decided_already(request: HttpRequest, version: int, *, detail: str) -> HttpResponse:
    """Back to the version's page (URL name ``detail``), saying that it was
    decided before this request could change it."""
    messages.error(
        request,
        gettext(
            "Version %(version)s is no draft waiting for a decision; nothing changed."
        )
        % {"version": version},
    )
    return redirect(detail, version=version)
