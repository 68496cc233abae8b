"""The history of Voorbeeld Software B.V., a fictional Dutch software supplier.

Two steps: ``plan_demo_data(seed=, now=, leads=, model=)`` invents the history
as plain dataclasses (no database, fully determined by its arguments), and
``load_plan`` writes a plan through the real services (intake pipeline,
scoring, triage), so the stored scores follow from the stored events.

The generative process
----------------------
1. **Companies.** Each company is drawn from an archetype that fixes its
   sector, size and typical budget, and so its base fit:

   - ``core``: software, ICT, business services, wholesale, logistics with
     10-250 employees and 8,000-60,000 euros to spend (base fit 0.85);
   - ``adjacent``: construction, manufacturing, retail, healthcare with
     10-250 employees (0.55);
   - ``small``: 2-9 employees in any of those sectors (0.35);
   - ``large``: 250-2,500 employees, slow procurement (0.40);
   - ``off_target``: hospitality, education, agriculture, leisure, finance (0.15).

   A company lies in a province: most in the Netherlands (the Randstad and
   Utrecht most often), about one in nine in Flanders (Belgium).
2. **Leads.** A lead is a person at a company (a few companies send two or
   three) with a job title of some authority (owner and director high,
   "office manager" low although its title says manager). Noise people are
   mixed in: students and interns (free mail, no budget), freelancers on
   free mail, a few throw-away addresses and now and then someone from the
   competitor ``concurrent-software.nl`` checking the prices.
3. **Hidden true fit** (0-1): the archetype's base fit, the job's authority,
   the budget and the region (Belgium converts less; the default scoring
   model does not know that), plus noise. Noise people have a fit near 0.
4. **Hidden true intent** (0-1): a latent "buying now" propensity. It starts
   at arrival from the source (referrals and partners highest) and decays
   day by day with a personal time constant of 1-7 weeks; about one lead in
   six revives later (a new project), which the requalification should notice.
5. **Arrival.** Over the 180 days before ``now``, slightly more recent,
   weekdays and office hours far more likely. The lead fills in the intake
   form: sector, employees, budget (required), urgency (a noisy report of the
   intent) and contact fields, with consent.
6. **Behaviour**, day by day from arrival until ``now``, driven by fit and
   the intent of that day: website visits (pricing and product pages more
   often with more intent, the blog with less), downloads, chats and demo
   requests; the weekly newsletter on Tuesday (opens, clicks, sometimes an
   unsubscribe, a hard bounce for some addresses); third-party intent
   signals on Mondays; the monthly webinar.
7. **Sales.** The plan scores every lead as leadqual will (the same pure core
   scorer, at the same moments) and lets sales react to the bands: hot leads
   are contacted within about a working day, some warm leads within a week,
   and some partner and referral leads however they score. Whether sales
   accepts depends on the hidden fit and the intent at that moment; a
   rejection gets the reason that fits the lead (spam, no fit, no budget, no
   need, bad timing, unreachable, duplicate). Accepted leads reply and meet;
   some become an opportunity, which is won or lost (with its value in
   cents) two to ten weeks later. Nothing happens after ``now``: the latest
   hot leads wait in the queue and the latest opportunities are still open.
8. **Owners.** Loading replays everything in time order, so leadqual's own
   triage assigns warm and hot leads to the two demo sales people and gives
   them SLA tasks. The plan also names a round-robin owner for every lead
   that reached warm or hot or that sales contacted; it is set only where
   triage left the lead without one (a cold referral that sales called).
9. **Working the queue.** Each working morning the two sellers open their
   queue, which marks the notices of leads turned hot as seen; each Friday
   afternoon they close the tasks more than STALE_AFTER overdue that nobody
   followed up ("no response after several attempts"), as a real team
   clears its queue. So ``now`` finds a few overdue tasks, not months of them.
10. **Requalification.** At ``now`` every lead is rescored once more: old
   behaviour has faded, and leads that cooled down leave the sales queue.

Every draw comes from one ``random.Random(seed)``; the same seed, ``now``,
number of leads and scoring model give the same plan.
"""

from __future__ import annotations

import math
import random
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction

from leadqual.core.bands import BAND_ORDER, Band
from leadqual.core.events import Event, EventType, JsonValue
from leadqual.core.lifecycle import (
    BantAnswer,
    BantQuestion,
    Decision,
    OutcomeKind,
    RejectionReason,
    TaskKind,
)
from leadqual.core.profile import LeadProfile, Urgency
from leadqual.core.scoring import ScoreTrigger, ScoringModel, score_lead
from leadqual.intake.cleaning import clean_lead_fields
from leadqual.intake.pipeline import Arrivals, EventInput, receive
from leadqual.leads.models import Lead
from leadqual.leads.services import ConsentInput, LeadInput
from leadqual.scoring.models import ScoringModelVersion
from leadqual.triage.models import Task, TaskCloseReason
from leadqual.triage.queries import ALL_OWNERS, unseen_hot_notices
from leadqual.triage.services import (
    answer_bant,
    close_tasks,
    mark_notices_seen,
    record_feedback,
    record_first_contact,
    record_outcome,
    rescore_and_triage,
)
from leadqual.users.roles import Role
from leadqual.users.services import create_user

HISTORY_DAYS = 180
DEFAULT_LEADS = 2000
DEMO_PASSWORD = "leadqual-demo"
DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("admin", Role.ADMIN),
    ("sanne", Role.SALES),
    ("daan", Role.SALES),
    ("marketing", Role.MARKETING),
)
SALES_USERNAMES = ("sanne", "daan")
DEMO_SOURCES = ("website", "google_ads", "linkedin", "event", "referral", "partner")
EVENT_SOURCE = "demo"
CONSENT = ConsentInput(given=True, text_version="2026-01")
SITE = "https://www.voorbeeld-software.nl"
COMPETITOR_DOMAIN = "concurrent-software.nl"
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")

FieldAnswer = str | int | None
_T = TypeVar("_T")


def external_id_prefix(seed: int) -> str:
    """The prefix of the external ids of every event a seed's demo data stores."""
    return f"demo-{seed}-"


# --- the plan: plain values --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    type: EventType
    occurred_at: datetime
    properties: Mapping[str, JsonValue]
    external_id: str


@dataclass(frozen=True, slots=True)
class EventBatch:
    """Events that reach leadqual together (one ``submit_events`` call)."""

    received_at: datetime
    events: tuple[PlannedEvent, ...]


@dataclass(frozen=True, slots=True)
class PlannedFeedback:
    """First contact and the verdict of sales, with BANT answers when accepted."""

    at: datetime
    decision: Decision
    reason: RejectionReason | None
    note: str
    bant: tuple[tuple[BantQuestion, BantAnswer], ...] = ()


@dataclass(frozen=True, slots=True)
class PlannedOutcome:
    at: datetime
    kind: OutcomeKind
    value_cents: int | None


@dataclass(frozen=True, slots=True)
class HiddenTruth:
    """What the lead really is; leadqual only ever sees its traces."""

    archetype: str
    fit: float
    intent_at_arrival: float


@dataclass(frozen=True, slots=True)
class PlannedLead:
    number: int
    email: str
    fields: Mapping[str, FieldAnswer]
    arrived_at: datetime
    truth: HiddenTruth
    batches: tuple[EventBatch, ...]
    owner: str | None
    owner_at: datetime | None
    feedback: PlannedFeedback | None
    outcomes: tuple[PlannedOutcome, ...]
    # What the plan's scoring model makes of the lead: its highest band and
    # score, and its score at ``now`` (after loading, the stored score equals it).
    peak_band: Band
    peak_score: int
    score_at_now: int

    @property
    def event_count(self) -> int:
        return sum(len(batch.events) for batch in self.batches)

    @property
    def events(self) -> list[PlannedEvent]:
        """All events of the lead, oldest first."""
        return sorted(
            (event for batch in self.batches for event in batch.events),
            key=lambda event: event.occurred_at,
        )


@dataclass(frozen=True, slots=True)
class DemoPlan:
    seed: int
    now: datetime
    leads: tuple[PlannedLead, ...]

    @property
    def event_count(self) -> int:
        return sum(lead.event_count for lead in self.leads)


# --- vocabulary ----------------------------------------------------------------------

FIRST_NAMES = (
    "Anna", "Bram", "Daan", "Emma", "Femke", "Gijs", "Hanna", "Iris", "Jeroen",
    "Joost", "Julia", "Kees", "Lieke", "Lotte", "Maarten", "Marloes", "Mila",
    "Niels", "Noor", "Pieter", "Roos", "Ruben", "Sanne", "Sem", "Sophie", "Stijn",
    "Thijs", "Tim", "Vera", "Wouter", "Yvonne", "Zoë", "Bas", "Esther", "Floor",
    "Hugo", "Ilse", "Jasper", "Karin", "Luuk", "Marieke", "Nina", "Olaf", "Petra",
    "Rik", "Saskia", "Tessa", "Willem",
)  # fmt: skip
SURNAMES_NL = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker",
    "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos",
    "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit",
    "Dijkstra", "de Graaf", "van der Meer", "Kok", "Jacobs", "van der Linden",
    "Koster", "Prins", "Huisman", "Kuiper", "Veenstra", "Post", "Schouten",
    "Vermeulen", "van Wijk", "Hoekstra", "Kramer", "Verhoeven", "Molenaar",
)  # fmt: skip
SURNAMES_BE = (
    "Peeters", "Janssens", "Maes", "Mertens", "Willems", "Claes", "Goossens",
    "Wouters", "De Smet", "Verstraete", "Van Damme", "Lambrechts",
)  # fmt: skip
BRAND_WORDS = (
    "Noordlicht", "Kwadraat", "Polderpunt", "Lindeboom", "Dijkzicht", "Vlietland",
    "Heuvelrand", "Zuidkade", "Brugwerk", "Eikenhof", "Waterkant", "Kompas",
)  # fmt: skip

SECTOR_TRADES: Mapping[str, tuple[str, ...]] = {
    "Software": ("Software", "Softwareontwikkeling", "Apps", "Digital"),
    "ICT": ("ICT", "IT Services", "Systeembeheer", "Netwerken"),
    "Zakelijke dienstverlening": (
        "Advies",
        "Administratiekantoor",
        "Consultancy",
        "Personeelsdiensten",
    ),
    "Groothandel": ("Groothandel", "Trading", "Import"),
    "Logistiek": ("Logistiek", "Transport", "Distributie", "Koeriersdiensten"),
    "Bouw": ("Bouw", "Installatietechniek", "Aannemersbedrijf", "Dakwerken"),
    "Industrie": ("Metaalbewerking", "Machinebouw", "Kunststoffen", "Productie"),
    "Detailhandel": ("Wonen", "Mode", "Fietsen", "Tuincentrum"),
    "Zorg": ("Thuiszorg", "Fysiotherapie", "Zorggroep", "Tandartsen"),
    "Horeca": ("Catering", "Eetcafé", "Hotel"),
    "Onderwijs": ("Opleidingen", "Trainingen", "Academie"),
    "Landbouw": ("Kwekerij", "Loonbedrijf", "Agro"),
    "Recreatie": ("Recreatiepark", "Camping", "Jachthaven"),
    "Financiële dienstverlening": ("Hypotheekadvies", "Verzekeringen", "Finance"),
}
CORE_SECTORS = (
    "Software",
    "ICT",
    "Zakelijke dienstverlening",
    "Groothandel",
    "Logistiek",
)
ADJACENT_SECTORS = ("Bouw", "Industrie", "Detailhandel", "Zorg")
OFF_TARGET_SECTORS = (
    "Horeca", "Onderwijs", "Landbouw", "Recreatie", "Financiële dienstverlening",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Archetype:
    name: str
    weight: float
    sectors: tuple[str, ...]
    employees: tuple[int, int]
    budget: tuple[int, int]
    fit: float


ARCHETYPES = (
    _Archetype("core", 0.28, CORE_SECTORS, (10, 250), (8_000, 60_000), 0.85),
    _Archetype("adjacent", 0.27, ADJACENT_SECTORS, (10, 250), (3_000, 25_000), 0.55),
    _Archetype(
        "small", 0.20, CORE_SECTORS + ADJACENT_SECTORS, (2, 9), (1_000, 8_000), 0.35
    ),
    _Archetype(
        "large",
        0.07,
        CORE_SECTORS + ADJACENT_SECTORS,
        (250, 2500),
        (20_000, 150_000),
        0.40,
    ),
    _Archetype("off_target", 0.18, OFF_TARGET_SECTORS, (5, 500), (500, 10_000), 0.15),
)

# (province, weight, how well the supplier serves it: 0-1). The supplier sits
# near Utrecht; Belgium converts less, although the default model scores it alike.
REGIONS_NL = (
    ("Utrecht", 14, 1.0), ("Noord-Holland", 16, 0.95), ("Zuid-Holland", 17, 0.95),
    ("Gelderland", 12, 0.95), ("Noord-Brabant", 13, 0.85), ("Overijssel", 6, 0.8),
    ("Flevoland", 3, 0.85), ("Limburg", 5, 0.7), ("Groningen", 3, 0.65),
    ("Friesland", 3, 0.65), ("Drenthe", 2, 0.65), ("Zeeland", 2, 0.65),
)  # fmt: skip
REGIONS_BE = (
    ("Antwerpen", 4, 0.55), ("Oost-Vlaanderen", 3, 0.5), ("Vlaams-Brabant", 2, 0.5),
    ("West-Vlaanderen", 2, 0.45), ("Limburg (BE)", 1, 0.45),
)  # fmt: skip

# (job title, weight, authority 0-1)
JOB_TITLES = (
    ("Eigenaar", 10, 1.0), ("Directeur", 10, 1.0), ("Algemeen directeur", 4, 1.0),
    ("Oprichter", 3, 1.0), ("CTO", 3, 0.95), ("Hoofd ICT", 6, 0.85),
    ("Operationeel manager", 7, 0.8), ("Financieel manager", 4, 0.75),
    ("Hoofd logistiek", 3, 0.7), ("Office manager", 6, 0.35),
    ("Projectleider", 7, 0.45), ("Teamleider planning", 5, 0.45),
    ("Planner", 5, 0.25), ("Medewerker ICT", 5, 0.3), ("Consultant", 4, 0.3),
    ("Administratief medewerker", 5, 0.2), ("Marketingmedewerker", 4, 0.2),
)  # fmt: skip
STUDENT_TITLES = ("Student bedrijfskunde", "Stagiair marketing", "Student HBO-ICT")

# (source, weight, intent at arrival multiplier, share of noise people)
SOURCES = (
    ("website", 32, 1.0, 0.16),
    ("google_ads", 22, 0.95, 0.22),
    ("linkedin", 16, 0.85, 0.08),
    ("event", 10, 0.9, 0.05),
    ("referral", 10, 1.35, 0.02),
    ("partner", 10, 1.25, 0.02),
)
FORM_BY_SOURCE: Mapping[str, str] = {
    "website": "contact",
    "google_ads": "offerte-aanvraag",
    "linkedin": "whitepaper",
    "event": "beursformulier",
    "referral": "contact",
    "partner": "partner-doorverwijzing",
}
FREE_MAIL_NL = ("gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl")
FREE_MAIL_BE = ("gmail.com", "telenet.be", "skynet.be", "hotmail.com")
DISPOSABLE_DOMAINS = ("mailinator.com", "yopmail.com", "guerrillamail.com")

PRICING_NL = ("/prijzen", "Prijzen")
PRICING_EN = ("/en/pricing", "Pricing")
PRODUCT_PAGES = (
    ("/product/planning", "Planning"),
    ("/product/facturatie", "Facturatie"),
    ("/product/koppelingen", "Koppelingen"),
    ("/product/rapportages", "Rapportages"),
)
INTEREST_PAGES = (
    ("/klantcases", "Klantcases"),
    ("/klantcases/logistiek", "Klantcase logistiek"),
    ("/demo-aanvragen", "Demo aanvragen"),
    ("/contact", "Contact"),
)
BROWSE_PAGES = (
    ("/", "Home"),
    ("/blog/vijf-tips-voor-een-betere-planning", "Vijf tips voor een betere planning"),
    ("/blog/wat-kost-maatwerksoftware", "Wat kost maatwerksoftware?"),
    ("/over-ons", "Over ons"),
)
JOBS_PAGE = ("/vacatures", "Vacatures")
DOWNLOADS = (
    "whitepaper-digitaal-plannen.pdf",
    "checklist-softwarekeuze.pdf",
    "klantcase-logistiek.pdf",
    "prijsoverzicht-2026.pdf",
)
INTENT_TOPICS = ("planningssoftware", "facturatiesoftware", "erp voor mkb", "crm")
CHAT_TOPICS = ("prijzen", "koppelingen", "implementatie", "support")
WEBINARS = ("Webinar: slimmer plannen", "Webinar: facturatie zonder gedoe")

ACCEPT_NOTES = ("Kennismaking ingepland", "Goede match, belt terug", "Wil een demo")
REJECT_NOTES: Mapping[RejectionReason, str] = {
    RejectionReason.NO_FIT: "Past niet bij ons aanbod",
    RejectionReason.NO_BUDGET: "Budget te klein voor een implementatie",
    RejectionReason.NO_NEED: "Geen concrete vraag",
    RejectionReason.BAD_TIMING: "Misschien volgend jaar",
    RejectionReason.UNREACHABLE: "Drie keer gebeld, geen gehoor",
    RejectionReason.DUPLICATE: "Collega is al in gesprek met ons",
    RejectionReason.SPAM: "Nepgegevens",
}


# --- drawing companies and people --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Company:
    name: str
    domain: str
    sector: str
    employees: int
    country: str
    region: str
    region_fit: float
    archetype: _Archetype


@dataclass(frozen=True, slots=True)
class _Person:
    """A drawn lead before its history: answers, hidden truth and quirks."""

    email: str
    fields: dict[str, FieldAnswer]
    arrived_at: datetime
    truth: HiddenTruth
    authority: float
    decay_days: float
    revival: tuple[date, float] | None
    kind: str  # "regular", "free_mail", "student", "competitor", "disposable"
    english: bool
    hard_bounce: bool


def _weighted(rng: random.Random, options: Sequence[tuple[_T, float]]) -> _T:
    values = [value for value, _weight in options]
    weights = [weight for _value, weight in options]
    return rng.choices(values, weights=weights)[0]


def _clip(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(high, max(low, value))


def _slug(text: str, separator: str = "-") -> str:
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    words = "".join(c if c.isalnum() else " " for c in ascii_text.casefold()).split()
    return separator.join(words)


def _log_uniform(rng: random.Random, low: int, high: int) -> int:
    return round(math.exp(rng.uniform(math.log(low), math.log(high))))


def _round_to(value: float, step: int) -> int:
    return max(step, round(value / step) * step)


def _draw_company(
    rng: random.Random, used_names: set[str], *, number: int | None = None
) -> _Company:
    """A company of a drawn archetype, its name unused in ``used_names`` if possible.

    With ``number`` (bulk mode, see demo.bulk) the number joins the name and
    the domain: past a few thousand companies the vocabulary repeats itself,
    and a million leads must not share a few thousand companies.
    """
    archetype = _weighted(rng, [(a, a.weight) for a in ARCHETYPES])
    in_belgium = rng.random() < 0.11
    regions = REGIONS_BE if in_belgium else REGIONS_NL
    region, region_fit = _weighted(rng, [((r, f), w) for r, w, f in regions])
    sector = rng.choice(archetype.sectors)
    for _attempt in range(20):
        surnames = SURNAMES_BE if in_belgium else SURNAMES_NL
        stem = (
            rng.choice(surnames).replace("van ", "Van ").replace("de ", "De ")
            if rng.random() < 0.65
            else rng.choice(BRAND_WORDS)
        )
        trade = rng.choice(SECTOR_TRADES[sector])
        base = f"{stem[0].upper()}{stem[1:]} {trade}"
        if base not in used_names:
            break
    used_names.add(base)
    if number is not None:
        base = f"{base} {number}"
    employees = _log_uniform(rng, *archetype.employees)
    if in_belgium:
        form = rng.choice(("BV", "NV", "BV", ""))
    elif employees < 10:
        form = rng.choice(("", "V.O.F.", "B.V."))
    else:
        form = "B.V."
    name = f"{base} {form}".strip()
    tld = "be" if in_belgium else "nl"
    return _Company(
        name=name,
        domain=f"{_slug(base)}.{tld}",
        sector=sector,
        employees=employees,
        country="BE" if in_belgium else "NL",
        region=region,
        region_fit=region_fit,
        archetype=archetype,
    )


COMPETITOR = _Company(
    name="Concurrent Software B.V.",
    domain=COMPETITOR_DOMAIN,
    sector="Software",
    employees=45,
    country="NL",
    region="Noord-Holland",
    region_fit=0.0,
    archetype=_Archetype("competitor", 0, ("Software",), (45, 45), (10_000, 10_000), 0),
)


def _arrival(rng: random.Random, now: datetime) -> datetime:
    """A moment in the last HISTORY_DAYS days: weekdays and office hours likelier."""
    today = now.astimezone(LOCAL_TIME).date()
    earliest = now - timedelta(days=HISTORY_DAYS)
    while True:
        days_ago = rng.uniform(0, HISTORY_DAYS)
        # The business grows: today is 1.6 times as likely as 180 days ago.
        if rng.random() * 1.6 > 1 + 0.6 * (1 - days_ago / HISTORY_DAYS):
            continue
        day = today - timedelta(days=int(days_ago))
        if day.weekday() >= 5 and rng.random() > 0.25:
            continue
        moment = _local_moment(rng, day)
        if earliest < moment < now - timedelta(minutes=10):
            return moment


# Relative chance per local hour 0-23 that someone is active: office hours.
_HOUR_WEIGHTS = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.2, 0.7, 1.0, 1.0, 1.0,
    0.8, 0.9, 1.0, 1.0, 0.9, 0.6, 0.3, 0.3, 0.35, 0.3, 0.15, 0.05,
)  # fmt: skip


def _local_moment(rng: random.Random, day: date) -> datetime:
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    local = datetime(
        day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60),
        tzinfo=LOCAL_TIME,
    )  # fmt: skip
    return local.astimezone(UTC)


def _local_at(day: date, hour: int, minute: int) -> datetime:
    return datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TIME
    ).astimezone(UTC)


def _email_local_part(rng: random.Random, first: str, last: str) -> str:
    first_slug = _slug(first, "")
    last_slug = _slug(last, "")
    pattern = rng.random()
    if pattern < 0.5:
        return f"{first_slug}.{last_slug}"
    if pattern < 0.8:
        return f"{first_slug[0]}.{last_slug}"
    return first_slug


def _unique_email(local: str, domain: str, used: set[str]) -> str:
    email = f"{local}@{domain}"
    number = 2
    while email in used:
        email = f"{local}{number}@{domain}"
        number += 1
    used.add(email)
    return email


def _phone(rng: random.Random, country: str) -> str:
    # Invented numbers (06-0... is not a Dutch mobile block); nobody to call.
    if country == "BE":
        return f"+32 470 00 {rng.randrange(100):02d} {rng.randrange(100):02d}"
    return f"+31 6 0{rng.randrange(10_000_000):07d}"


def _urgency(rng: random.Random, intent: float) -> str:
    reported = intent + rng.gauss(0, 0.15)
    if reported > 0.62:
        return Urgency.IMMEDIATE.value
    if reported > 0.42:
        return Urgency.WITHIN_3_MONTHS.value
    if reported > 0.24:
        return Urgency.WITHIN_12_MONTHS.value
    return Urgency.EXPLORING.value


def _draw_person(
    rng: random.Random,
    *,
    now: datetime,
    companies: list[_Company],
    used_names: set[str],
    used_emails: set[str],
    number: int | None = None,
) -> _Person:
    """One lead before its history.

    With ``number`` (bulk mode) the person's company and, at a shared domain
    (free mail, throw-away, the competitor), the email carry the number, so
    every email is unique without remembering all of them.
    """
    source, _w, intent_multiplier, noise_share = _weighted(
        rng, [(s, s[1]) for s in SOURCES]
    )
    arrived_at = _arrival(rng, now)
    kind = "regular"
    if rng.random() < noise_share:
        kind = _weighted(
            rng,
            [
                ("free_mail", 0.45),
                ("student", 0.3),
                ("disposable", 0.15),
                ("competitor", 0.12),
            ],
        )
    if kind == "competitor":
        company = COMPETITOR
    elif companies and rng.random() < 0.12:
        company = rng.choice(companies)  # a colleague of an earlier lead
    else:
        company = _draw_company(rng, used_names, number=number)
        companies.append(company)
    surnames = SURNAMES_BE if company.country == "BE" else SURNAMES_NL
    first, last = rng.choice(FIRST_NAMES), rng.choice(surnames)
    job_title, _jw, authority = _weighted(rng, [(j, j[1]) for j in JOB_TITLES])
    archetype = company.archetype
    budget = _round_to(_log_uniform(rng, *archetype.budget), 500)
    employees: int | None = company.employees
    sector: str | None = company.sector
    company_name: str | None = company.name
    domain = company.domain
    free_mail = rng.random() < (0.06 if archetype.name == "small" else 0.02)
    if kind == "free_mail":
        # A freelancer or one-person business without a company domain.
        free_mail = True
        employees = 1
        sector = rng.choice(("Bouw", "Zakelijke dienstverlening", "Detailhandel"))
        trade = rng.choice(("Klussen", "Advies", "Webdesign"))
        company_name = f"{last[0].upper()}{last[1:]} {trade}"
        job_title, authority = "Eigenaar", 1.0
        budget = _round_to(rng.uniform(300, 3_000), 100)
    elif kind == "student":
        free_mail = True
        employees, sector, company_name = None, "Onderwijs", None
        job_title, authority = rng.choice(STUDENT_TITLES), 0.0
        budget = rng.choice((0, 0, 100, 500))
    elif kind == "disposable":
        job_title, authority = rng.choice(("Test", "Medewerker", "Directeur")), 0.0
        budget = rng.choice((0, 1_000, 50_000))
    elif kind == "competitor":
        job_title, authority = rng.choice(("Productmanager", "Marketing manager")), 0.0
        budget = 10_000
    if kind == "disposable":
        digits = rng.randrange(10, 99) if number is None else number
        email = _unique_email(
            f"{_slug(first, '')}{digits}",
            rng.choice(DISPOSABLE_DOMAINS),
            used_emails,
        )
    elif free_mail:
        domains = FREE_MAIL_BE if company.country == "BE" else FREE_MAIL_NL
        digits = rng.randrange(1, 99) if number is None else number
        email = _unique_email(
            f"{_slug(first, '')}{_slug(last, '')}{digits}",
            rng.choice(domains),
            used_emails,
        )
    else:
        local = _email_local_part(rng, first, last)
        if number is not None and company is COMPETITOR:
            local = f"{local}{number}"
        email = _unique_email(local, domain, used_emails)

    budget_score = math.sqrt(min(1.0, budget / 20_000))
    fit = _clip(
        0.55 * archetype.fit
        + 0.2 * authority
        + 0.15 * budget_score
        + 0.1 * company.region_fit
        + rng.gauss(0, 0.07)
    )
    if kind in ("student", "disposable", "competitor"):
        fit = _clip(rng.uniform(0, 0.05))
    elif kind == "free_mail":
        fit = _clip(0.1 + rng.gauss(0, 0.05))
    intent = _clip(
        rng.betavariate(2, 4) * intent_multiplier
        + (0.05 if archetype.name == "core" else 0)
    )
    if kind == "disposable":
        intent = rng.uniform(0, 0.1)
    elif kind == "competitor":
        intent = rng.uniform(0.5, 0.8)  # interested in the prices, never buys
    elif kind == "student":
        intent = rng.uniform(0.05, 0.4)  # research for a paper, not a purchase

    revival = None
    if rng.random() < 0.17:
        later = rng.uniform(20, HISTORY_DAYS)
        revival = (
            (arrived_at + timedelta(days=later)).astimezone(LOCAL_TIME).date(),
            rng.uniform(0.4, 0.85),
        )
    fields: dict[str, FieldAnswer] = {
        "first_name": first,
        "last_name": last,
        "company": company_name,
        "job_title": job_title,
        "phone": _phone(rng, company.country) if rng.random() < 0.6 else None,
        "sector": sector,
        "employees": employees,
        "budget_euros": budget,
        "urgency": _urgency(rng, intent) if kind != "disposable" else "immediate",
        "country": company.country,
        "region": company.region,
        "source": source,
    }
    return _Person(
        email=email,
        fields=fields,
        arrived_at=arrived_at,
        truth=HiddenTruth(
            archetype=archetype.name if kind == "regular" else kind,
            fit=round(fit, 4),
            intent_at_arrival=round(intent, 4),
        ),
        authority=authority,
        decay_days=rng.uniform(7, 50),
        revival=revival,
        kind=kind,
        english=company.country == "BE" and rng.random() < 0.3,
        hard_bounce=rng.random() < (0.6 if kind == "disposable" else 0.03),
    )


# --- behaviour ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Draft:
    """An event before it has an external id; ``batch`` names the call it arrives in."""

    occurred_at: datetime
    type: EventType
    properties: dict[str, JsonValue]
    batch: str


@dataclass
class _Mailbox:
    subscribed: bool = True
    bounced: bool = False
    sent: int = 0
    last_demo_request: datetime | None = None


def _page(path: str, title: str) -> dict[str, JsonValue]:
    return {"url": f"{SITE}{path}", "title": title}


def _pick_page(rng: random.Random, person: _Person, intent: float) -> tuple[str, str]:
    fit = person.truth.fit
    group = _weighted(
        rng,
        [
            ("pricing", 0.05 + 1.0 * intent),
            ("product", 0.3 + 0.8 * fit + 0.6 * intent),
            ("interest", 0.1 + 0.8 * intent * fit),
            ("browse", 1.0),
            ("jobs", 0.8 if person.kind == "student" else 0.03),
        ],
    )
    prefix = "/en" if person.english else ""
    if group == "pricing":
        return PRICING_EN if person.english else PRICING_NL
    if group == "product":
        path, title = rng.choice(PRODUCT_PAGES)
        return f"{prefix}{path}", title
    if group == "interest":
        return rng.choice(INTEREST_PAGES)
    if group == "jobs":
        return JOBS_PAGE
    return rng.choice(BROWSE_PAGES)


def _session(
    rng: random.Random,
    person: _Person,
    *,
    intent: float,
    start: datetime,
    now: datetime,
    mailbox: _Mailbox,
    batch: str,
) -> list[_Draft]:
    """A visit to the website: pages, maybe a download, a chat or a demo request."""
    drafts: list[_Draft] = []
    pages = 1
    while pages < 8 and rng.random() < 0.5 + 0.2 * intent:
        pages += 1
    at = start
    for _page_number in range(pages):
        if at >= now:
            return drafts
        path, title = _pick_page(rng, person, intent)
        drafts.append(_Draft(at, EventType.PAGE_VIEW, _page(path, title), batch))
        at += timedelta(seconds=rng.uniform(20, 240))
    if at >= now:
        return drafts
    if rng.random() < 0.05 + 0.15 * intent:
        drafts.append(
            _Draft(at, EventType.DOWNLOAD, {"asset": rng.choice(DOWNLOADS)}, batch)
        )
        at += timedelta(seconds=30)
    if rng.random() < 0.02 + 0.08 * intent and at < now:
        drafts.append(
            _Draft(at, EventType.CHAT, {"topic": rng.choice(CHAT_TOPICS)}, batch)
        )
        at += timedelta(minutes=3)
    recent_demo = mailbox.last_demo_request is not None and (
        at - mailbox.last_demo_request < timedelta(days=30)
    )
    if not recent_demo and at < now and rng.random() < 0.12 * intent**2:
        drafts.append(
            _Draft(at, EventType.DEMO_REQUEST, {"form": "demo-aanvraag"}, batch)
        )
        mailbox.last_demo_request = at
    return drafts


def _moment_on(
    rng: random.Random, day: date, *, after: datetime, before: datetime
) -> datetime | None:
    for _attempt in range(4):
        moment = _local_moment(rng, day)
        if after < moment < before:
            return moment
    return None


def _newsletter(
    rng: random.Random,
    person: _Person,
    *,
    day: date,
    intent: float,
    now: datetime,
    mailbox: _Mailbox,
) -> list[_Draft]:
    """The Tuesday newsletter: a bounce, or maybe an open, a click, an unsubscribe."""
    sent_at = _local_at(day, 9, 30)
    if sent_at >= now:
        return []
    mailbox.sent += 1
    week = day.isocalendar()
    campaign = f"nieuwsbrief-{week.year}-w{week.week:02d}"
    batch = f"day-{day.isoformat()}"
    if person.hard_bounce and mailbox.sent == 1:
        mailbox.bounced = True
        properties: dict[str, JsonValue] = {"kind": "hard", "campaign": campaign}
        return [
            _Draft(sent_at + timedelta(minutes=1), EventType.BOUNCE, properties, batch)
        ]
    if rng.random() < 0.01:
        properties = {"kind": "soft", "campaign": campaign}
        return [
            _Draft(sent_at + timedelta(minutes=1), EventType.BOUNCE, properties, batch)
        ]
    engagement = 0.55 * intent + 0.35 * person.truth.fit
    if rng.random() >= 0.08 + 0.5 * engagement:
        return []
    opened_at = sent_at + timedelta(minutes=rng.uniform(3, 10 * 60))
    if opened_at >= now:
        return []
    drafts = [_Draft(opened_at, EventType.EMAIL_OPEN, {"campaign": campaign}, batch)]
    if rng.random() < 0.25:
        again = opened_at + timedelta(minutes=rng.uniform(10, 300))
        if again < now:
            drafts.append(
                _Draft(again, EventType.EMAIL_OPEN, {"campaign": campaign}, batch)
            )
    clicked_at = opened_at + timedelta(minutes=rng.uniform(1, 4))
    if clicked_at >= now:
        return drafts
    if rng.random() < 0.1 + 0.4 * intent:
        path, title = _pick_page(rng, person, intent)
        drafts.append(
            _Draft(
                clicked_at,
                EventType.EMAIL_CLICK,
                {"campaign": campaign, "url": f"{SITE}{path}"},
                batch,
            )
        )
        drafts.append(
            _Draft(
                clicked_at + timedelta(seconds=5),
                EventType.PAGE_VIEW,
                _page(path, title),
                batch,
            )
        )
    elif rng.random() < 0.015 + 0.05 * (1 - person.truth.fit) * (1 - intent):
        mailbox.subscribed = False
        drafts.append(
            _Draft(clicked_at, EventType.UNSUBSCRIBE, {"campaign": campaign}, batch)
        )
    return drafts


def _has_work_domain(person: _Person) -> bool:
    return person.kind in ("regular", "competitor") and not any(
        person.email.endswith(f"@{domain}") for domain in FREE_MAIL_NL + FREE_MAIL_BE
    )


def _behaviour(
    rng: random.Random, person: _Person, *, now: datetime
) -> tuple[list[_Draft], dict[date, float]]:
    """What the lead does from arrival until ``now``, and its intent on each day."""
    arrived = person.arrived_at
    first_day = arrived.astimezone(LOCAL_TIME).date()
    last_day = now.astimezone(LOCAL_TIME).date()
    source = str(person.fields["source"])
    fit = person.truth.fit
    intent = person.truth.intent_at_arrival
    mailbox = _Mailbox()
    batch = f"day-{first_day.isoformat()}"
    drafts = [
        _Draft(
            arrived,
            EventType.FORM_SUBMIT,
            {"form": FORM_BY_SOURCE[source], "url": f"{SITE}/contact"},
            batch,
        )
    ]
    at = arrived + timedelta(seconds=rng.uniform(20, 90))
    if source == "event":
        fair = {"name": "Vakbeurs Digitaal Ondernemen"}
        drafts.append(_Draft(arrived, EventType.WEBINAR, dict(fair), batch))
    if person.kind != "disposable" and rng.random() < 0.25 * intent**2:
        drafts.append(
            _Draft(at, EventType.DEMO_REQUEST, {"form": "demo-aanvraag"}, batch)
        )
        mailbox.last_demo_request = at
    if at < now:
        drafts += _session(
            rng, person, intent=intent, start=at + timedelta(seconds=40), now=now,
            mailbox=mailbox, batch=batch,
        )  # fmt: skip
    intents: dict[date, float] = {}
    with_domain = _has_work_domain(person)
    employees = person.fields["employees"]
    # Once per lead, not per day: bulk mode runs this loop for millions of leads.
    daily_decay = math.exp(-1 / person.decay_days)
    for offset in range((last_day - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        if offset > 0:
            intent = max(0.01, intent * daily_decay)
        if person.revival is not None and person.revival[0] == day:
            intent = max(intent, person.revival[1])
        intents[day] = intent
        if offset == 0:
            continue
        weekday = day.weekday()
        visit_chance = (0.015 + 0.3 * intent) * (1.0 if weekday < 5 else 0.3)
        if person.kind == "disposable":
            visit_chance *= 0.2
        if rng.random() < visit_chance:
            start = _moment_on(rng, day, after=arrived, before=now)
            if start is not None:
                drafts += _session(
                    rng, person, intent=intent, start=start, now=now,
                    mailbox=mailbox, batch=f"day-{day.isoformat()}",
                )  # fmt: skip
        if weekday == 1 and mailbox.subscribed and not mailbox.bounced:
            drafts += _newsletter(
                rng, person, day=day, intent=intent, now=now, mailbox=mailbox
            )
        if (
            weekday == 0
            and with_domain
            and isinstance(employees, int)
            and employees >= 10
            and rng.random() < 0.35 * intent**1.5
        ):
            seen_at = _local_at(day, 6, 0)
            if seen_at < now:
                topic = rng.choice(INTENT_TOPICS)
                strength = "high" if intent > 0.6 else "medium"
                properties: dict[str, JsonValue] = {
                    "topic": topic,
                    "strength": strength,
                    "provider": "demo-intent",
                }
                drafts.append(
                    _Draft(
                        seen_at,
                        EventType.INTENT_SIGNAL,
                        properties,
                        f"day-{day.isoformat()}",
                    )
                )
        if weekday == 3 and day.day <= 7:
            webinar_at = _local_at(day, 15, 0)
            chance = 0.03 + 0.25 * intent * fit
            if webinar_at < now and rng.random() < chance:
                name: dict[str, JsonValue] = {"name": WEBINARS[day.month % 2]}
                drafts.append(
                    _Draft(
                        webinar_at, EventType.WEBINAR, name, f"day-{day.isoformat()}"
                    )
                )
    return drafts, intents


# --- scoring as leadqual will, and sales --------------------------------------------


def lead_profile(
    email: str, fields: Mapping[str, FieldAnswer], *, arrived_at: datetime | None = None
) -> LeadProfile:
    """A planned lead's fields as the scoring engine reads them."""

    def text(name: str) -> str | None:
        value = fields.get(name)
        return str(value) if value not in (None, "") else None

    def number(name: str) -> int | None:
        value = fields.get(name)
        return value if isinstance(value, int) else None

    return LeadProfile(
        email=email,
        sector=text("sector"),
        employees=number("employees"),
        budget_euros=number("budget_euros"),
        urgency=text("urgency"),
        job_title=text("job_title"),
        country=text("country"),
        region=text("region"),
        source=text("source"),
        company_name=text("company"),
        phone=text("phone"),
        arrived_at=arrived_at,
    )


def _batches(
    drafts: Sequence[_Draft], *, seed: int, number: int
) -> tuple[EventBatch, ...]:
    """Group drafts into batches, oldest batch first, and give every event its id."""
    groups: dict[str, list[_Draft]] = {}
    for draft in drafts:
        groups.setdefault(draft.batch, []).append(draft)
    ordered = sorted(
        (sorted(group, key=lambda d: d.occurred_at) for group in groups.values()),
        key=lambda group: (group[-1].occurred_at, group[0].occurred_at),
    )
    batches: list[EventBatch] = []
    index = 0
    prefix = external_id_prefix(seed)
    for group in ordered:
        events: list[PlannedEvent] = []
        for draft in group:
            index += 1
            events.append(
                PlannedEvent(
                    type=draft.type,
                    occurred_at=draft.occurred_at,
                    properties=draft.properties,
                    external_id=f"{prefix}{number:05d}-{index:03d}",
                )
            )
        batches.append(
            EventBatch(received_at=group[-1].occurred_at, events=tuple(events))
        )
    return tuple(batches)


@dataclass(frozen=True, slots=True)
class _History:
    first_warm_at: datetime | None
    first_hot_at: datetime | None
    peak_band: Band
    peak_score: int
    score_at_now: int


def _score_history(
    profile: LeadProfile,
    batches: Sequence[EventBatch],
    *,
    arrived_at: datetime,
    model: ScoringModel,
    now: datetime,
) -> _History:
    """Replay leadqual's scores: at arrival, after every batch and at ``now``."""
    known: list[Event] = []
    first = score_lead(profile, known, model, now=arrived_at)
    moments: list[tuple[datetime, Band]] = [(arrived_at, first.band)]
    peak_score = first.total
    for batch in batches:
        known.extend(
            Event(
                type=event.type,
                occurred_at=event.occurred_at,
                properties=event.properties,
                received_at=batch.received_at,
            )
            for event in batch.events
        )
        score = score_lead(profile, known, model, now=batch.received_at)
        moments.append((batch.received_at, score.band))
        peak_score = max(peak_score, score.total)
    final = score_lead(profile, known, model, now=now)
    moments.append((now, final.band))
    peak_score = max(peak_score, final.total)
    first_warm = next((at for at, band in moments if band is not Band.COLD), None)
    first_hot = next((at for at, band in moments if band is Band.HOT), None)
    peak = max((band for _at, band in moments), key=lambda band: BAND_ORDER[band])
    return _History(first_warm, first_hot, peak, peak_score, final.total)


def _after_working_hours(rng: random.Random, start: datetime, hours: float) -> datetime:
    """``start`` plus ``hours`` of office time (Monday to Friday, 8:30-17:30)."""
    moment = start.astimezone(LOCAL_TIME)
    remaining = timedelta(hours=hours)
    while True:
        opens = moment.replace(hour=8, minute=30, second=0, microsecond=0)
        closes = moment.replace(hour=17, minute=30, second=0, microsecond=0)
        if moment.weekday() >= 5 or moment >= closes:
            next_day = (moment + timedelta(days=1)).date()
            moment = datetime(
                next_day.year, next_day.month, next_day.day, 8, 30, tzinfo=LOCAL_TIME
            )
            continue
        moment = max(moment, opens)
        if moment + remaining <= closes:
            moment += remaining
            # A person, not a timer: a few minutes of jitter.
            return (moment + timedelta(minutes=rng.uniform(0, 20))).astimezone(UTC)
        remaining -= closes - moment
        moment = closes


def _sigmoid(value: float) -> float:
    return 1 / (1 + math.exp(-value))


@dataclass(frozen=True, slots=True)
class _SalesStory:
    contacted_at: datetime | None
    feedback: PlannedFeedback | None
    outcomes: tuple[PlannedOutcome, ...]
    drafts: tuple[_Draft, ...]
    won_at: datetime | None


_NO_SALES = _SalesStory(None, None, (), (), None)


def _contact_moment(
    rng: random.Random, person: _Person, history: _History
) -> datetime | None:
    if history.first_hot_at is not None and rng.random() < 0.95:
        return _after_working_hours(rng, history.first_hot_at, rng.uniform(0.3, 24))
    if history.first_warm_at is not None and rng.random() < 0.85:
        return _after_working_hours(rng, history.first_warm_at, rng.uniform(2, 40))
    if person.fields["source"] in ("referral", "partner") and rng.random() < 0.35:
        return _after_working_hours(rng, person.arrived_at, rng.uniform(2, 40))
    return None


def _decide(
    rng: random.Random, person: _Person, intent: float
) -> tuple[Decision, RejectionReason | None]:
    fit = person.truth.fit
    if person.kind == "disposable":
        return Decision.REJECTED, RejectionReason.SPAM
    if person.kind in ("student", "competitor"):
        return Decision.REJECTED, RejectionReason.NO_FIT
    if rng.random() < 0.07:
        return Decision.REJECTED, RejectionReason.UNREACHABLE
    if rng.random() < 0.02:
        return Decision.REJECTED, RejectionReason.DUPLICATE
    if rng.random() < _sigmoid((0.45 * fit + 0.55 * intent - 0.45) * 10):
        return Decision.ACCEPTED, None
    if fit < 0.45:
        budget = person.fields["budget_euros"]
        small = isinstance(budget, int) and budget < 2_500
        return Decision.REJECTED, (
            RejectionReason.NO_BUDGET if small else RejectionReason.NO_FIT
        )
    if intent < 0.2:
        return Decision.REJECTED, RejectionReason.BAD_TIMING
    return Decision.REJECTED, rng.choice(
        (RejectionReason.NO_NEED, RejectionReason.BAD_TIMING)
    )


def _bant(
    rng: random.Random, person: _Person, intent: float
) -> tuple[tuple[BantQuestion, BantAnswer], ...]:
    """What sales learns in the first call, from the truth (some stays unknown)."""

    def answer(*, yes: bool, no: bool) -> BantAnswer:
        if rng.random() < 0.15:
            return BantAnswer.UNKNOWN
        return BantAnswer.YES if yes else BantAnswer.NO if no else BantAnswer.UNKNOWN

    budget = person.fields["budget_euros"]
    budget_euros = budget if isinstance(budget, int) else 0
    return (
        (
            BantQuestion.BUDGET,
            answer(yes=budget_euros >= 5_000, no=budget_euros < 2_500),
        ),
        (
            BantQuestion.AUTHORITY,
            answer(yes=person.authority >= 0.7, no=person.authority < 0.4),
        ),
        (
            BantQuestion.NEED,
            answer(yes=person.truth.fit >= 0.5, no=person.truth.fit < 0.3),
        ),
        (BantQuestion.TIMING, answer(yes=intent >= 0.4, no=intent < 0.15)),
    )


def _deal_value_cents(rng: random.Random, person: _Person) -> int:
    budget = person.fields["budget_euros"]
    euros = (budget if isinstance(budget, int) else 5_000) * rng.uniform(0.6, 1.3)
    return max(1_500, _round_to(euros, 100)) * 100


def _sales_story(
    rng: random.Random,
    person: _Person,
    history: _History,
    intents: Mapping[date, float],
    *,
    now: datetime,
) -> _SalesStory:
    """What sales does with the lead: contact, feedback, meetings, opportunity, deal."""
    contacted_at = _contact_moment(rng, person, history)
    if contacted_at is None or contacted_at >= now:
        return _NO_SALES
    contact_day = contacted_at.astimezone(LOCAL_TIME).date()
    intent = intents.get(contact_day, person.truth.intent_at_arrival)
    fit = person.truth.fit
    decision, reason = _decide(rng, person, intent)
    note = rng.choice(ACCEPT_NOTES) if reason is None else REJECT_NOTES[reason]
    if decision is Decision.REJECTED:
        feedback = PlannedFeedback(contacted_at, decision, reason, note)
        return _SalesStory(contacted_at, feedback, (), (), None)
    feedback = PlannedFeedback(
        contacted_at, decision, reason, note, _bant(rng, person, intent)
    )

    drafts: list[_Draft] = []
    outcomes: list[PlannedOutcome] = []

    def add(
        at: datetime, event_type: EventType, properties: dict[str, JsonValue]
    ) -> bool:
        if at >= now:
            return False
        drafts.append(_Draft(at, event_type, properties, f"sales-{len(drafts)}"))
        return True

    add(
        contacted_at + timedelta(hours=rng.uniform(1, 30)),
        EventType.EMAIL_REPLY,
        {"campaign": "opvolging-sales"},
    )
    met_at = _after_working_hours(rng, contacted_at, rng.uniform(8, 60))
    won_at = None
    if add(met_at, EventType.MEETING, {"kind": "kennismaking"}) and rng.random() < (
        _sigmoid((0.5 * fit + 0.5 * intent - 0.5) * 8)
    ):
        opened_at = _after_working_hours(rng, met_at, rng.uniform(1, 24))
        value_cents = _deal_value_cents(rng, person)
        if opened_at < now:
            outcomes.append(
                PlannedOutcome(opened_at, OutcomeKind.OPPORTUNITY, value_cents)
            )
            demo_at = _after_working_hours(rng, opened_at, rng.uniform(16, 100))
            if add(demo_at, EventType.MEETING, {"kind": "demo"}):
                path, title = PRICING_EN if person.english else PRICING_NL
                add(
                    demo_at + timedelta(hours=rng.uniform(2, 50)),
                    EventType.PAGE_VIEW,
                    _page(path, title),
                )
            won = rng.random() < _sigmoid((0.6 * fit + 0.4 * intent - 0.62) * 10)
            decided_on = (
                (opened_at + timedelta(days=rng.uniform(14, 70)))
                .astimezone(LOCAL_TIME)
                .date()
            )
            decided_at = _after_working_hours(
                rng, _local_at(decided_on, 8, 30), rng.uniform(0, 8)
            )
            if decided_at < now:
                kind = OutcomeKind.WON if won else OutcomeKind.LOST
                outcomes.append(PlannedOutcome(decided_at, kind, value_cents))
                won_at = decided_at if won else None
    return _SalesStory(contacted_at, feedback, tuple(outcomes), tuple(drafts), won_at)


def _plan_lead(
    rng: random.Random,
    number: int,
    person: _Person,
    *,
    seed: int,
    now: datetime,
    model: ScoringModel,
) -> PlannedLead:
    profile = lead_profile(person.email, person.fields)
    drafts, intents = _behaviour(rng, person, now=now)
    before_sales = _score_history(
        profile,
        _batches(drafts, seed=seed, number=number),
        arrived_at=person.arrived_at,
        model=model,
        now=now,
    )
    story = _sales_story(rng, person, before_sales, intents, now=now)
    if story.won_at is not None:
        # A customer now: its marketing behaviour is no longer a lead's.
        won_at = story.won_at
        drafts = [draft for draft in drafts if draft.occurred_at <= won_at]
    batches = _batches([*drafts, *story.drafts], seed=seed, number=number)
    history = before_sales
    if story.drafts or story.won_at is not None:
        history = _score_history(
            profile, batches, arrived_at=person.arrived_at, model=model, now=now
        )
    candidates = [
        moment
        for moment in (history.first_warm_at, story.contacted_at)
        if moment is not None and moment < now
    ]
    return PlannedLead(
        number=number,
        email=person.email,
        fields=person.fields,
        arrived_at=person.arrived_at,
        truth=person.truth,
        batches=batches,
        owner=None,
        owner_at=min(candidates) if candidates else None,
        feedback=story.feedback,
        outcomes=story.outcomes,
        peak_band=history.peak_band,
        peak_score=history.peak_score,
        score_at_now=history.score_at_now,
    )


def plan_demo_data(
    *, seed: int, now: datetime, leads: int, model: ScoringModel
) -> DemoPlan:
    """Invent the history of ``leads`` leads over the HISTORY_DAYS days before ``now``.

    Pure: no database, no clock, no global random state. ``model`` is the
    scoring model sales is assumed to follow (the active one when loading).
    Raises ValueError for a naive ``now`` or a negative number of leads.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    if leads < 0:
        raise ValueError(f"leads must be 0 or more, got {leads}")
    now = now.astimezone(UTC)
    rng = random.Random(seed)
    companies: list[_Company] = []
    used_names: set[str] = set()
    used_emails: set[str] = set()
    people = [
        _draw_person(
            rng,
            now=now,
            companies=companies,
            used_names=used_names,
            used_emails=used_emails,
        )
        for _index in range(leads)
    ]
    people.sort(key=lambda person: person.arrived_at)
    planned = [
        _plan_lead(rng, number, person, seed=seed, now=now, model=model)
        for number, person in enumerate(people, start=1)
    ]
    # Round robin over the two sales people, in the order leads needed an owner.
    needing = sorted(
        (lead for lead in planned if lead.owner_at is not None),
        key=lambda lead: (lead.owner_at, lead.number),
    )
    owners = {
        lead.number: SALES_USERNAMES[turn % len(SALES_USERNAMES)]
        for turn, lead in enumerate(needing)
    }
    return DemoPlan(
        seed=seed,
        now=now,
        leads=tuple(replace(lead, owner=owners.get(lead.number)) for lead in planned),
    )


# --- writing a plan through the services ----------------------------------------


@dataclass
class LoadSummary:
    """What ``load_plan`` stored."""

    leads_created: int = 0
    leads_skipped: int = 0
    events: int = 0
    accepted: int = 0
    rejected: int = 0
    opportunities: int = 0
    won: int = 0
    lost: int = 0
    won_value_cents: int = 0
    stale_tasks_closed: int = 0
    bands_now: dict[Band, int] = field(default_factory=lambda: dict.fromkeys(Band, 0))
    bands_reached: dict[Band, int] = field(
        default_factory=lambda: dict.fromkeys(Band, 0)
    )
    seconds: float = 0.0


def ensure_demo_users() -> dict[str, User]:
    """The demo users by name, created with DEMO_PASSWORD when missing.

    An existing user of the same name is kept as it is (password and role too).
    """
    users: dict[str, User] = {}
    for username, role in DEMO_USERS:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = create_user(
                username,
                role=role,
                email=f"{username}@voorbeeld-software.nl",
                password=DEMO_PASSWORD,
            )
        users[username] = user
    return users


def demo_leads_loaded(seed: int) -> int:
    """How many leads hold events of this seed's demo data (0: not loaded)."""
    return (
        Lead.objects.filter(events__external_id__startswith=external_id_prefix(seed))
        .distinct()
        .count()
    )


# Sellers open their queue every working morning at 09:00 and clear what
# nobody followed up every Friday at 16:00: tasks overdue for longer than this.
STALE_AFTER = timedelta(days=7)
QUEUE_OPENED_AT = (9, 0)
QUEUE_CLEARED_AT = (16, 0)
FRIDAY = 4


@dataclass(frozen=True, slots=True)
class _QueueReview:
    """The sellers look at their queue (mornings) or clear it (Friday afternoons)."""

    at: datetime
    clears_stale_tasks: bool


def _queue_reviews(start: datetime, end: datetime) -> list[_QueueReview]:
    """Every working-day queue look and Friday clear-up from ``start`` to ``end``."""
    reviews: list[_QueueReview] = []
    day = start.astimezone(LOCAL_TIME).date()
    while True:
        if day.weekday() < 5:
            moments = [(QUEUE_OPENED_AT, False)]
            if day.weekday() == FRIDAY:
                moments.append((QUEUE_CLEARED_AT, True))
            for (hour, minute), clears in moments:
                at = _local_at(day, hour, minute)
                if at > end:
                    return reviews
                if at >= start:
                    reviews.append(_QueueReview(at=at, clears_stale_tasks=clears))
        day += timedelta(days=1)


# What sales does: take a lead (a str: the username), feedback, an outcome.
_SalesStep = PlannedFeedback | PlannedOutcome | str
_Step = PlannedLead | EventBatch | _SalesStep | _QueueReview
# Order of things that happen at the same moment: the arrival, events, the
# owner (a str: the username), feedback, outcome.
_ORDER: Mapping[type, int] = {
    PlannedLead: 0,
    EventBatch: 1,
    str: 2,
    PlannedFeedback: 3,
    PlannedOutcome: 4,
    _QueueReview: 5,
}


def _steps(planned: PlannedLead) -> list[tuple[datetime, int, int, _Step]]:
    """Everything that happens to one lead, as (moment, order, lead number, step)."""
    items: list[tuple[datetime, _Step]] = [(planned.arrived_at, planned)]
    items.extend((batch.received_at, batch) for batch in planned.batches)
    if planned.owner is not None and planned.owner_at is not None:
        items.append((planned.owner_at, planned.owner))
    if planned.feedback is not None:
        items.append((planned.feedback.at, planned.feedback))
    items.extend((outcome.at, outcome) for outcome in planned.outcomes)
    return [(at, _ORDER[type(item)], planned.number, item) for at, item in items]


def _owner_of(lead: Lead, users: Mapping[str, User]) -> User | None:
    owner_id = Lead.objects.filter(pk=lead.pk).values_list("owner_id", flat=True)[0]
    if owner_id is None:
        return None
    by_id = {user.pk: user for user in users.values()}
    return by_id.get(owner_id) or User.objects.filter(pk=owner_id).first()


def _review_queue(
    review: _QueueReview, *, users: Mapping[str, User], summary: LoadSummary
) -> None:
    """What the sellers do with their queue at a review (see _queue_reviews).

    Only the demo's own sellers review: a plan loaded without them (``users``
    empty) leaves every queue as triage made it.
    """
    sellers = [users[username] for username in SALES_USERNAMES if username in users]
    for seller in sellers:
        notices = list(unseen_hot_notices(seller.pk).filter(created_at__lte=review.at))
        if notices:
            mark_notices_seen(notices, now=review.at)
    if not review.clears_stale_tasks:
        return
    stale = list(
        Task.objects.filter(
            done_at__isnull=True,
            due_at__lt=review.at - STALE_AFTER,
            created_at__lte=review.at,
        )
        .order_by("id")
        .values_list("id", "owner_id", "kind")
    )
    by_owner = {seller.pk: seller for seller in sellers}
    groups: dict[tuple[int, str], list[int]] = {}
    for task_id, owner_id, kind in stale:
        groups.setdefault((owner_id or 0, kind), []).append(task_id)
    for (owner_id, kind), task_ids in sorted(groups.items()):
        reason = (
            TaskCloseReason.NO_RESPONSE
            if kind == TaskKind.FIRST_CONTACT.value
            else TaskCloseReason.NO_LONGER_RELEVANT
        )
        # A seller closes their own; the admin closes the others' and unassigned.
        closer = by_owner.get(owner_id)
        closed = close_tasks(
            task_ids,
            reason=reason,
            by=closer or users["admin"],
            may_close=closer.pk if closer is not None else ALL_OWNERS,
            now=review.at,
        )
        summary.stale_tasks_closed += len(closed)


# Arrivals and event batches that happen within this span of each other go
# through the intake pipeline as one batch, as a busy day's imports would.
ARRIVAL_WINDOW = timedelta(hours=6)
MAX_ARRIVALS_PER_BATCH = 500
# Sales acts on a lead as it is at that moment, so a sales step on a lead whose
# arrival or events are waiting for their window needs them received first.
# In the last EXACT_HISTORY that happens at once (today's queue, recent SLAs and
# timelines are exact). Before it, the step waits for the window and is
# recorded when the window is received, at most ARRIVAL_WINDOW later than
# planned: one receive per window instead of one per sales step (about 1,400
# for 2,000 leads) keeps the load fast, and an hour's shift months ago shows
# nowhere.
EXACT_HISTORY = timedelta(days=14)


@dataclass
class _Arrivals:
    """Lead arrivals and event batches waiting to go through the pipeline together."""

    leads: list[PlannedLead] = field(default_factory=list)
    batches: list[tuple[PlannedLead, EventBatch]] = field(default_factory=list)
    first_at: datetime | None = None
    last_at: datetime | None = None
    numbers: set[int] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.leads) + len(self.batches)

    def holds(self, number: int) -> bool:
        """True when an arrival or event batch of lead ``number`` is waiting."""
        return number in self.numbers

    def fits(self, at: datetime) -> bool:
        return self.first_at is None or (
            at - self.first_at <= ARRIVAL_WINDOW and len(self) < MAX_ARRIVALS_PER_BATCH
        )

    def add(
        self, at: datetime, step: PlannedLead | tuple[PlannedLead, EventBatch]
    ) -> None:
        if isinstance(step, PlannedLead):
            self.leads.append(step)
            self.numbers.add(step.number)
        else:
            self.batches.append(step)
            self.numbers.add(step[0].number)
        self.first_at = self.first_at or at
        self.last_at = at


def _lead_input(planned: PlannedLead) -> LeadInput:
    cleaned = clean_lead_fields(planned.email, planned.fields)
    if cleaned.errors or cleaned.email is None:
        raise RuntimeError(
            f"Demo lead {planned.number} was refused ({cleaned.errors}). "
            "The generator is wrong."
        )
    return LeadInput(
        cleaned.email,
        cleaned.values,
        consent=replace(CONSENT, given_at=planned.arrived_at),
        created_at=planned.arrived_at,
    )


def _receive_arrivals(
    pending: _Arrivals,
    *,
    scoring_model: ScoringModelVersion,
    leads: dict[int, Lead],
    summary: LoadSummary,
) -> None:
    """Send the pending arrivals and event batches through ``intake.receive``."""
    if not len(pending):
        return
    assert pending.last_at is not None
    received = receive(
        Arrivals(
            source=EVENT_SOURCE,
            trigger=ScoreTrigger.DEMO,
            leads=[_lead_input(planned) for planned in pending.leads],
            events=[
                EventInput(
                    email=planned.email,
                    type=event.type,
                    occurred_at=event.occurred_at,
                    properties=dict(event.properties),
                    external_id=event.external_id,
                )
                for planned, batch in pending.batches
                for event in batch.events
            ],
        ),
        now=pending.last_at,
        scoring_model=scoring_model,
    )
    if received.events_without_lead:
        raise RuntimeError(
            f"Demo events {received.events_without_lead[:3]} have no lead. "
            "The generator is wrong."
        )
    for planned in pending.leads:
        leads[planned.number] = received.leads[planned.email].lead
    summary.leads_created += len(pending.leads)
    summary.events += len(received.stored_events)


def _apply_step(
    step: _SalesStep,
    lead: Lead,
    *,
    at: datetime,
    users: Mapping[str, User],
    summary: LoadSummary,
) -> None:
    """What sales does with a lead at ``at``: take it, give feedback, record an outcome."""
    if isinstance(step, str):
        # Triage gives warm and hot leads an owner itself; this covers leads
        # sales picks up while cold, and moments when every owner was full.
        Lead.objects.filter(pk=lead.pk, owner__isnull=True).update(owner=users[step])
    elif isinstance(step, PlannedFeedback):
        owner = _owner_of(lead, users)
        record_first_contact(lead, by=owner, now=at)
        record_feedback(
            lead,
            step.decision,
            reason=step.reason,
            note=step.note,
            given_by=owner,
            now=at,
        )
        for question, answer in step.bant:
            answer_bant(lead, question, answer, now=at)
        if step.decision is Decision.ACCEPTED:
            summary.accepted += 1
        else:
            summary.rejected += 1
    else:
        record_outcome(
            lead,
            step.kind,
            value_cents=step.value_cents,
            recorded_by=_owner_of(lead, users),
            now=at,
        )
        if step.kind is OutcomeKind.OPPORTUNITY:
            summary.opportunities += 1
        elif step.kind is OutcomeKind.WON:
            summary.won += 1
            summary.won_value_cents += step.value_cents or 0
        else:
            summary.lost += 1


def load_plan(
    plan: DemoPlan,
    *,
    scoring_model: ScoringModelVersion,
    users: Mapping[str, User],
    progress_every: int = 500,
    on_progress: Callable[[int, int], None] | None = None,
) -> LoadSummary:
    """Store a plan through the intake pipeline, scoring and triage services.

    Everything is replayed in the order it happened, across all leads, so
    every service sees the world as it was at that moment: arrivals and
    event batches go through ``intake.pipeline.receive`` together when they
    happen within ARRIVAL_WINDOW of each other (each score is the one
    leadqual computed then, and triage assigns owners and SLA tasks and
    tells the webhooks), and before each thing sales does (first contact,
    feedback, BANT answers, outcomes) to a lead whose arrivals are waiting;
    before the last EXACT_HISTORY that sales step waits for the window
    instead, and is recorded when it is received. Last, every lead is
    requalified at ``plan.now``. A lead whose email already exists is skipped
    untouched, so demo data never overwrites real leads.
    ``on_progress(arrived, total)`` is called every ``progress_every`` steps
    and at the end.
    """
    started = time.perf_counter()
    summary = LoadSummary()
    emails = [planned.email for planned in plan.leads]
    existing: set[str] = set()
    for start in range(0, len(emails), 500):
        existing.update(
            Lead.objects.filter(email__in=emails[start : start + 500]).values_list(
                "email", flat=True
            )
        )
    fresh = [planned for planned in plan.leads if planned.email not in existing]
    summary.leads_skipped = len(plan.leads) - len(fresh)
    all_steps = [step for planned in fresh for step in _steps(planned)]
    if all_steps:
        all_steps.extend(
            (review.at, _ORDER[_QueueReview], -1, review)
            for review in _queue_reviews(min(step[0] for step in all_steps), plan.now)
        )
    steps = sorted(all_steps, key=lambda step: step[:3])
    plans_by_number = {planned.number: planned for planned in fresh}
    leads: dict[int, Lead] = {}
    pending = _Arrivals()
    # Sales steps of old history waiting for ``pending`` (see EXACT_HISTORY).
    waiting: list[tuple[datetime, int, _SalesStep]] = []
    waiting_numbers: set[int] = set()
    exact_from = plan.now - EXACT_HISTORY

    def receive_pending() -> None:
        nonlocal pending
        received_at = pending.last_at
        _receive_arrivals(
            pending, scoring_model=scoring_model, leads=leads, summary=summary
        )
        pending = _Arrivals()
        for at, number, step in waiting:
            with transaction.atomic():
                _apply_step(
                    step,
                    leads[number],
                    at=max(at, received_at or at),
                    users=users,
                    summary=summary,
                )
        waiting.clear()
        waiting_numbers.clear()

    for steps_done, (at, _order, number, step) in enumerate(steps, start=1):
        if isinstance(step, _QueueReview):
            if step.clears_stale_tasks:
                # The clear-up sees every task that has arrived; a morning look
                # leaves the batch whole (its notices are seen the next morning).
                receive_pending()
            with transaction.atomic():
                _review_queue(step, users=users, summary=summary)
        elif isinstance(step, PlannedLead | EventBatch):
            # A lead's later arrivals come after the sales steps waiting for it.
            if not pending.fits(at) or number in waiting_numbers:
                receive_pending()
            planned = plans_by_number[number]
            pending.add(at, step if isinstance(step, PlannedLead) else (planned, step))
        elif at < exact_from and (waiting or pending.holds(number)):
            waiting.append((at, number, step))
            waiting_numbers.add(number)
        else:
            # Sales acts on what has arrived of its lead so far. Other leads'
            # arrivals may wait for their window: one receive per window, not
            # one per sales step (thousands), is what keeps the load fast.
            if waiting or pending.holds(number):
                receive_pending()
            with transaction.atomic():
                _apply_step(step, leads[number], at=at, users=users, summary=summary)
        if on_progress is not None and steps_done % progress_every == 0:
            on_progress(summary.leads_created, len(fresh))
    receive_pending()
    if on_progress is not None:
        on_progress(summary.leads_created, len(fresh))
    # Requalify at ``now``, as leadqual does for stale scores: behaviour fades,
    # and a lead that cooled down leaves the sales queue.
    for start in range(0, len(fresh), 500):
        with transaction.atomic():
            chunk = fresh[start : start + 500]
            current = list(
                Lead.objects.select_for_update(of=("self",))
                .select_related("company")
                .filter(pk__in=[leads[planned.number].pk for planned in chunk])
                .order_by("pk")
            )
            rescored, _triaged = rescore_and_triage(
                current,
                now=plan.now,
                trigger=ScoreTrigger.REQUALIFY,
                scoring_model=scoring_model,
            )
            for planned in chunk:
                result = rescored[leads[planned.number].pk]
                summary.bands_now[result.band] += 1
                summary.bands_reached[planned.peak_band] += 1
    summary.seconds = time.perf_counter() - started
    return summary
