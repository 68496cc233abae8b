"""The facts behind a rule hit in plain words, in English and in Dutch.

A score's explanation says why each rule fired ("budget €8,500", "1 demo
request in the last 90 days, last 2 days ago"). Scoring writes every fact in
both languages (``Texts``) so that a page shows it in its own language and the
API keeps the English one; values are formatted the way each language writes
them (€8,500 / € 8.500) and field and event names become words.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from leadqual.core.display import unicode_domain
from leadqual.core.events import EventType
from leadqual.core.profile import FieldValue, Urgency


@dataclass(frozen=True, slots=True)
class Texts:
    """One text in English and Dutch."""

    en: str
    nl: str


def _thousands(amount: float, separator: str) -> str:
    return f"{round(amount):,}".replace(",", separator)


def euros(amount: float) -> Texts:
    """€8,500 in English, € 8.500 in Dutch."""
    return Texts(f"€{_thousands(amount, ',')}", f"€ {_thousands(amount, '.')}")


def whole(amount: float) -> Texts:
    """A count or number: 1,250 in English, 1.250 in Dutch."""
    return Texts(_thousands(amount, ","), _thousands(amount, "."))


def duration(days: float) -> Texts:
    """A duration in whole hours (under a day) or whole days."""
    if days < 1:
        return _hours(max(0, round(days * 24)))
    return _days(round(days))


JUST_NOW = Texts("just now", "zojuist")


def ago(days: float) -> Texts:
    """How long ago: "3 days ago", "2 hours ago", or "just now" under half an hour."""
    if days * 24 < 0.5:
        return JUST_NOW
    age = duration(days)
    return Texts(f"{age.en} ago", f"{age.nl} geleden")


# Scoring writes these for every rule hit: the few distinct values are cached.
@functools.lru_cache(maxsize=64)
def _hours(hours: int) -> Texts:
    return Texts(f"{hours} hour{'s' if hours != 1 else ''}", f"{hours} uur")


@functools.lru_cache(maxsize=1024)
def _days(count: int) -> Texts:
    return Texts(
        f"{count} day{'s' if count != 1 else ''}",
        f"{count} dag{'en' if count != 1 else ''}",
    )


# (English, Dutch) word for each lead field, as a noun.
_FIELD_WORDS: Mapping[str, tuple[str, str]] = {
    "sector": ("sector", "sector"),
    "employees": ("number of employees", "aantal medewerkers"),
    "budget_euros": ("budget", "budget"),
    "urgency": ("timing", "planning"),
    "job_title": ("job title", "functie"),
    "country": ("country", "land"),
    "region": ("region", "regio"),
    "source": ("source", "bron"),
    "company_name": ("company", "bedrijf"),
    "email_domain": ("email domain", "e-maildomein"),
    "email_is_free_mail": ("free-mail address", "gratis e-mailadres"),
    "email_is_disposable": ("disposable address", "wegwerpadres"),
    "has_phone": ("phone number", "telefoonnummer"),
    "account_score": ("account score", "accountscore"),
    "account_engaged_contacts": ("engaged contacts", "betrokken contactpersonen"),
    "ai_probability": ("predicted chance", "voorspelde kans"),
}

# The sectors the intake form offers (stored in English), in Dutch.
_SECTORS_NL: Mapping[str, str] = {
    "software": "software",
    "ict": "ICT",
    "business services": "zakelijke dienstverlening",
    "wholesale": "groothandel",
    "logistics": "logistiek",
    "construction": "bouw",
    "manufacturing": "industrie",
    "retail": "detailhandel",
    "healthcare": "zorg",
    "other": "overig",
}

_URGENCY: Mapping[str, Texts] = {
    Urgency.IMMEDIATE: Texts("start now", "nu starten"),
    Urgency.WITHIN_3_MONTHS: Texts("within 3 months", "binnen 3 maanden"),
    Urgency.WITHIN_12_MONTHS: Texts("within 12 months", "binnen 12 maanden"),
    Urgency.EXPLORING: Texts("just exploring", "oriënteert zich"),
}

# (English one, English more, Dutch one, Dutch more) for each event type.
_EVENT_WORDS: Mapping[EventType, tuple[str, str, str, str]] = {
    EventType.PAGE_VIEW: ("page view", "page views", "paginabezoek", "paginabezoeken"),
    EventType.FORM_SUBMIT: (
        "form submission",
        "form submissions",
        "formulierinzending",
        "formulierinzendingen",
    ),
    EventType.EMAIL_OPEN: (
        "email opened",
        "emails opened",
        "geopende e-mail",
        "geopende e-mails",
    ),
    EventType.EMAIL_CLICK: (
        "email click",
        "email clicks",
        "e-mailklik",
        "e-mailklikken",
    ),
    EventType.EMAIL_REPLY: (
        "email reply",
        "email replies",
        "e-mailantwoord",
        "e-mailantwoorden",
    ),
    EventType.DOWNLOAD: ("download", "downloads", "download", "downloads"),
    EventType.DEMO_REQUEST: (
        "demo request",
        "demo requests",
        "demo-aanvraag",
        "demo-aanvragen",
    ),
    EventType.MEETING: ("meeting", "meetings", "afspraak", "afspraken"),
    EventType.WEBINAR: ("webinar", "webinars", "webinar", "webinars"),
    EventType.CHAT: ("chat", "chats", "chatgesprek", "chatgesprekken"),
    EventType.UNSUBSCRIBE: ("unsubscribe", "unsubscribes", "afmelding", "afmeldingen"),
    EventType.BOUNCE: ("bounce", "bounces", "bounce", "bounces"),
    EventType.INTENT_SIGNAL: (
        "intent signal",
        "intent signals",
        "intentiesignaal",
        "intentiesignalen",
    ),
}


def field_noun(name: str) -> Texts:
    """A lead field's name as a noun: "number of employees", "aantal medewerkers"."""
    en, nl = _FIELD_WORDS.get(name, (name.replace("_", " "), name.replace("_", " ")))
    return Texts(en, nl)


def event_plural(event_type: EventType) -> Texts:
    """An event type as a plural noun: "page views", "paginabezoeken"."""
    _one_en, more_en, _one_nl, more_nl = _EVENT_WORDS.get(
        event_type, (event_type, event_type, event_type, event_type)
    )
    return Texts(more_en, more_nl)


def _value(name: str, value: FieldValue) -> Texts:
    if isinstance(value, bool) or value is None:
        return Texts(str(value), str(value))
    if name == "budget_euros":
        return euros(value) if isinstance(value, int) else Texts(value, value)
    if isinstance(value, int):
        return whole(value)
    if name == "urgency" and value.casefold() in _URGENCY:
        return _URGENCY[value.casefold()]
    if name == "sector":
        return Texts(value, _SECTORS_NL.get(value.casefold(), value))
    if name == "email_domain":
        domain = unicode_domain(value)
        return Texts(domain, domain)
    return Texts(value, value)


@functools.lru_cache(maxsize=4096, typed=True)  # True is not 1
def field_fact(name: str, value: FieldValue) -> Texts:
    """What a lead field holds, in words: "budget €8,500", "25 employees"."""
    if isinstance(value, bool):
        word = field_noun(name)
        if name == "has_phone":
            return (
                Texts("phone number known", "telefoonnummer bekend")
                if value
                else Texts("no phone number", "geen telefoonnummer")
            )
        return word if value else Texts(f"no {word.en}", f"geen {word.nl}")
    if value is None or value == "":
        return field_unknown(name)
    shown = _value(name, value)
    if name == "employees":
        return Texts(f"{shown.en} employees", f"{shown.nl} medewerkers")
    if name == "account_engaged_contacts":
        return Texts(
            f"{shown.en} engaged contacts", f"{shown.nl} betrokken contactpersonen"
        )
    if name == "job_title":
        return Texts(f'job title "{shown.en}"', f'functie "{shown.nl}"')
    if name == "ai_probability":
        return Texts(f"predicted chance {shown.en}%", f"voorspelde kans {shown.nl}%")
    word = field_noun(name)
    return Texts(f"{word.en} {shown.en}", f"{word.nl} {shown.nl}")


def field_unknown(name: str) -> Texts:
    word = field_noun(name)
    return Texts(f"{word.en} unknown", f"{word.nl} onbekend")


def event_count(
    event_type: EventType, count: int, within_days: float | None, age_days: float
) -> Texts:
    """ "2 demo requests in the last 90 days, last 3 days ago"."""
    one_en, more_en, one_nl, more_nl = _EVENT_WORDS.get(
        event_type, (event_type, event_type, event_type, event_type)
    )
    number = whole(count)
    en = f"{number.en} {one_en if count == 1 else more_en}"
    nl = f"{number.nl} {one_nl if count == 1 else more_nl}"
    if within_days is not None:
        window = duration(within_days)
        en += f" in the last {window.en}"
        nl += f" in de afgelopen {window.nl}"
    last = ago(age_days)
    return Texts(f"{en}, last {last.en}", f"{nl}, laatste {last.nl}")


def field_range(name: str, low: int | None, high: int | None) -> Texts:
    """A range of a number field in words: "10 to 49 employees", "budget at
    least € 5.000". Both ends are included; None leaves that end open."""
    if name == "budget_euros":
        shown_low, shown_high = (
            euros(low) if low is not None else None,
            euros(high) if high is not None else None,
        )
    else:
        shown_low, shown_high = (
            whole(low) if low is not None else None,
            whole(high) if high is not None else None,
        )
    if shown_low is not None and shown_high is not None:
        span = Texts(
            f"{shown_low.en} to {shown_high.en}",
            f"{shown_low.nl} tot en met {shown_high.nl}",
        )
    elif shown_low is not None:
        span = Texts(f"at least {shown_low.en}", f"minstens {shown_low.nl}")
    elif shown_high is not None:
        span = Texts(f"at most {shown_high.en}", f"hoogstens {shown_high.nl}")
    else:
        return Texts(f"any {field_noun(name).en}", f"elk {field_noun(name).nl}")
    if name == "employees":
        return Texts(f"{span.en} employees", f"{span.nl} medewerkers")
    word = field_noun(name)
    return Texts(f"{word.en} {span.en}", f"{word.nl} {span.nl}")


def event_within(event_type: EventType, within_days: float) -> Texts:
    """At least one event of a type in a window: "a demo request in the last 30 days"."""
    one_en, _more_en, one_nl, _more_nl = _EVENT_WORDS.get(
        event_type, (event_type, event_type, event_type, event_type)
    )
    window = duration(within_days)
    return Texts(
        f"{one_en} in the last {window.en}", f"{one_nl} in de afgelopen {window.nl}"
    )


def last_activity(age_days: float) -> Texts:
    last = ago(age_days)
    return Texts(f"last activity {last.en}", f"laatste activiteit {last.nl}")


NO_ACTIVITY = Texts("no activity recorded", "geen activiteit vastgelegd")


def quiet_since_arrival(days: float) -> Texts:
    arrived = ago(days)
    return Texts(
        f"no activity since arriving {arrived.en}",
        f"geen activiteit sinds binnenkomst {arrived.nl}",
    )


def faded(points: int, now_points: int) -> Texts:
    return Texts(
        f"{points} points faded to {now_points}",
        f"{points} punten vervaagd tot {now_points}",
    )


_GROUP_WORDS: Mapping[str, Texts] = {
    "fit": Texts("Fit", "Fit"),
    "intent": Texts("Intent", "Intentie"),
    "engagement": Texts("Engagement", "Betrokkenheid"),
}


def capped(group: str, cap: int) -> Texts:
    word = _GROUP_WORDS.get(group, Texts(group, group))
    return Texts(
        f"{word.en} is capped at {cap} points", f"{word.nl} is begrensd op {cap} punten"
    )


def floored(group: str) -> Texts:
    word = _GROUP_WORDS.get(group, Texts(group, group))
    return Texts(
        f"{word.en} cannot go below 0 points", f"{word.nl} kan niet onder 0 punten"
    )
