"""How fast the rules score leads: one lead over and over, and a batch of 100,000.

Run with ``.venv/bin/python benchmarks/bench_scoring.py`` (no Django, no
database). The leads are synthetic but shaped like real intake: sectors,
company sizes, budgets, free-mail addresses and 0-40 events each of mixed
types over the last 120 days. Everything is seeded, so two runs score the
same leads. Add ``--profile`` to print where score_lead spends its time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import random
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources

from leadqual.core.events import Event, EventType, JsonValue
from leadqual.core.model_file import parse_scoring_model
from leadqual.core.profile import LeadProfile, Urgency
from leadqual.core.scoring import ScoringModel, score_lead

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HISTORY_DAYS = 120
BATCH_SIZE = 100_000
SEED = 20261127

SECTORS = [
    "software",
    "ICT",
    "zakelijke dienstverlening",
    "groothandel",
    "logistiek",
    "bouw",
    "industrie",
    "retail",
    "zorg",
    "onderwijs",
    "horeca",
    "overheid",
    None,
]
JOB_TITLES = [
    "Directeur",
    "Eigenaar",
    "CEO",
    "CTO",
    "Operationeel manager",
    "Hoofd ICT",
    "Office manager",
    "Marketeer",
    "Inkoper",
    "Student bedrijfskunde",
    "Stagiair",
    None,
]
COMPANY_DOMAINS = [f"bedrijf{number}.nl" for number in range(200)]
FREE_DOMAINS = ["gmail.com", "hotmail.nl", "outlook.com", "ziggo.nl"]
URLS = [
    "https://example.nl/",
    "https://example.nl/prijzen",
    "https://example.nl/pricing",
    "https://example.nl/producten/crm",
    "https://example.nl/producten/planning",
    "https://example.nl/blog/tips",
    "https://example.nl/over-ons",
    "https://example.nl/contact",
]
# Event types weighted roughly as they arrive: mostly page views and email.
EVENT_WEIGHTS: dict[EventType, int] = {
    EventType.PAGE_VIEW: 50,
    EventType.EMAIL_OPEN: 20,
    EventType.EMAIL_CLICK: 8,
    EventType.DOWNLOAD: 4,
    EventType.FORM_SUBMIT: 3,
    EventType.EMAIL_REPLY: 2,
    EventType.WEBINAR: 2,
    EventType.DEMO_REQUEST: 1,
    EventType.MEETING: 1,
    EventType.CHAT: 2,
    EventType.INTENT_SIGNAL: 3,
    EventType.UNSUBSCRIBE: 1,
    EventType.BOUNCE: 1,
}


def load_default_model() -> ScoringModel:
    """The scoring model shipped with leadqual."""
    source = (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )
    return parse_scoring_model(source, version=1)


# Properties per event type. Events share these dicts (they are never changed),
# which keeps two million events cheap to build.
PROPERTIES: dict[EventType, list[dict[str, JsonValue]]] = {
    EventType.PAGE_VIEW: [{"url": url} for url in URLS],
    EventType.EMAIL_CLICK: [{"url": url, "campaign": "nieuwsbrief"} for url in URLS],
    EventType.BOUNCE: [{"kind": "hard"}, {"kind": "soft"}],
    EventType.DOWNLOAD: [
        {"asset": asset} for asset in ("prijslijst", "whitepaper", "checklist")
    ],
}
NO_PROPERTIES: list[dict[str, JsonValue]] = [{}]


def _moments() -> list[tuple[datetime, datetime]]:
    """(occurred_at, received_at) every 10 minutes over the history.

    Most events arrive within seconds; a few (email opens) hours later.
    """
    moments = []
    for minutes in range(0, HISTORY_DAYS * 1440, 10):
        occurred_at = NOW - timedelta(minutes=minutes)
        for delay_seconds in (1, 5, 30, 7200):
            moments.append(
                (occurred_at, occurred_at + timedelta(seconds=delay_seconds))
            )
    return moments


def _events(
    rng: random.Random, moments: Sequence[tuple[datetime, datetime]]
) -> list[Event]:
    types = list(EVENT_WEIGHTS)
    weights = list(EVENT_WEIGHTS.values())
    events = []
    for event_type in rng.choices(types, weights, k=rng.randint(0, 40)):
        occurred_at, received_at = rng.choice(moments)
        properties = rng.choice(PROPERTIES.get(event_type, NO_PROPERTIES))
        events.append(Event(event_type, occurred_at, properties, received_at))
    return events


def _profile(rng: random.Random, index: int) -> LeadProfile:
    domain = rng.choice(FREE_DOMAINS if rng.random() < 0.25 else COMPANY_DOMAINS)
    budget = rng.choice([None, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000])
    return LeadProfile(
        email=f"lead{index}@{domain}",
        sector=rng.choice(SECTORS),
        employees=rng.choice([None, 1, 3, 8, 15, 40, 120, 400, 2_000]),
        budget_euros=budget,
        urgency=rng.choice([None, *(urgency.value for urgency in Urgency)]),
        job_title=rng.choice(JOB_TITLES),
        country=rng.choice(["NL", "NL", "NL", "BE", "DE", None]),
        source=rng.choice(["website", "webinar", "import", "api"]),
        phone=rng.choice([None, "+31 20 123 4567"]),
    )


def build_leads(count: int, *, seed: int) -> list[tuple[LeadProfile, list[Event]]]:
    """``count`` seeded synthetic leads with their events."""
    rng = random.Random(seed)
    moments = _moments()
    return [(_profile(rng, index), _events(rng, moments)) for index in range(count)]


def bench_single(
    model: ScoringModel,
    lead: tuple[LeadProfile, Sequence[Event]],
    *,
    rounds: int = 30,
    calls_per_round: int = 500,
) -> tuple[float, float]:
    """Median wall-clock and CPU microseconds per score_lead call on one lead."""
    profile, events = lead
    per_call: list[float] = []
    per_call_cpu: list[float] = []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(calls_per_round):
            score_lead(profile, events, model, now=NOW)
        per_call.append((time.perf_counter() - started) / calls_per_round * 1e6)
        per_call_cpu.append((time.process_time() - started_cpu) / calls_per_round * 1e6)
    return statistics.median(per_call), statistics.median(per_call_cpu)


def bench_batch(
    model: ScoringModel, leads: Sequence[tuple[LeadProfile, Sequence[Event]]]
) -> tuple[float, float]:
    """Wall-clock and CPU seconds to score every lead, one score_lead each.

    CPU time is printed too: on a shared machine it is the steadier number.
    """
    gc.collect()
    started, started_cpu = time.perf_counter(), time.process_time()
    for profile, events in leads:
        score_lead(profile, events, model, now=NOW)
    return time.perf_counter() - started, time.process_time() - started_cpu


def profile_score_lead(
    model: ScoringModel, leads: Sequence[tuple[LeadProfile, Sequence[Event]]]
) -> None:
    """Print the functions score_lead spends most time in."""
    profiler = cProfile.Profile()
    profiler.enable()
    for profile, events in leads:
        score_lead(profile, events, model, now=NOW)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=BATCH_SIZE)
    parser.add_argument("--profile", action="store_true")
    arguments = parser.parse_args()

    model = load_default_model()
    print(f"Scoring model: {model.name} ({len(model.rules)} rules)")

    started = time.perf_counter()
    leads = build_leads(arguments.leads, seed=SEED)
    event_count = sum(len(events) for _, events in leads)
    print(
        f"Built {len(leads):,} leads with {event_count:,} events "
        f"({event_count / max(1, len(leads)):.1f} per lead) "
        f"in {time.perf_counter() - started:.1f} s"
    )

    # A typical lead: the one whose event count is closest to the average.
    average = event_count / max(1, len(leads))
    typical = min(leads[:1000], key=lambda lead: abs(len(lead[1]) - average))
    micros, cpu_micros = bench_single(model, typical)
    print(
        f"Single lead ({len(typical[1])} events): median {micros:.1f} µs per call, "
        f"{1e6 / micros:,.0f} calls/s (CPU {cpu_micros:.1f} µs, "
        f"{1e6 / cpu_micros:,.0f} calls/s)"
    )

    seconds, cpu_seconds = bench_batch(model, leads)
    print(
        f"Batch of {len(leads):,} leads via score_leads: {seconds:.2f} s, "
        f"{len(leads) / seconds:,.0f} leads/s "
        f"(CPU {cpu_seconds:.2f} s, {len(leads) / cpu_seconds:,.0f} leads/s)"
    )

    if arguments.profile:
        profile_score_lead(model, leads[:10_000])


if __name__ == "__main__":
    main()
