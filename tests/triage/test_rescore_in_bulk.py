"""`leadqual rescore` scores column-wise in chunks, exactly as the real-time path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.core import scoring as core
from leadqual.core.batch_scoring import window_max_age_us
from leadqual.core.events import JsonValue
from leadqual.core.scoring import ScoreTrigger
from leadqual.leads.models import Event, Lead
from leadqual.leads.queries import every_event, lead_profile
from leadqual.scoring.models import BandChange, Score, rule_points_digest
from leadqual.scoring.services import (
    COLUMN_WISE_FROM,
    active_scoring_model,
    default_model_source,
    explanation_json,
    load_scoring_model,
    parsed_model,
    rescore_leads,
)
from leadqual.triage.models import Task
from leadqual.triage.requalification import (
    requalify_stale_leads,
    rescore_every_lead,
)
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def expected_scores(now: datetime) -> dict[int, core.Score]:
    """Every lead scored one by one by score_lead over all its events."""
    model = parsed_model(active_scoring_model())
    leads = list(Lead.objects.select_related("company").order_by("id"))
    events = every_event([lead.pk for lead in leads])
    return {
        lead.pk: core.score_lead(
            lead_profile(lead), events.get(lead.pk, ()), model, now=now
        )
        for lead in leads
    }


def fingerprint(rule_points: object, score: core.Score | Score) -> tuple[object, ...]:
    band = score.band.value if isinstance(score, core.Score) else score.band
    return (
        score.fit,
        score.intent,
        score.engagement,
        score.ai,
        score.total,
        band,
        rule_points,
    )


def newest_scores() -> dict[int, Score]:
    newest: dict[int, Score] = {}
    for score in Score.objects.order_by("lead_id", "computed_at", "id"):
        newest[score.lead_id] = score
    return newest


def assert_stored_as_real_time(now: datetime) -> None:
    """Every lead's newest score and score fields are what score_lead gives."""
    expected = expected_scores(now)
    stored = newest_scores()
    assert stored.keys() == expected.keys()
    for lead_id, score in expected.items():
        row = stored[lead_id]
        record = explanation_json(score)
        assert fingerprint(
            [(hit["rule"], hit["points"]) for hit in row.explanation], row
        ) == fingerprint([(hit["rule"], hit["points"]) for hit in record], score)
        if row.computed_at == now:
            assert row.explanation == record
            assert row.model_version == score.model_version
            assert row.rule_points_digest == rule_points_digest(
                (hit["rule"], hit["points"]) for hit in record
            )
    for lead in Lead.objects.all():
        assert (lead.score_total, lead.band) == (
            expected[lead.pk].total,
            expected[lead.pk].band.value,
        )


@time_machine.travel(NOW, tick=False)
def test_the_demo_leads_are_rescored_exactly_as_one_by_one() -> None:
    call_command(
        "demo_data",
        "--leads",
        "60",
        "--seed",
        "4",
        "--now",
        (NOW - timedelta(days=20)).isoformat(),
        stdout=StringIO(),
    )
    rows_before = Score.objects.count()
    before = {
        lead_id: fingerprint(
            [(hit["rule"], hit["points"]) for hit in score.explanation], score
        )
        for lead_id, score in newest_scores().items()
    }
    expected = expected_scores(NOW)
    will_change = {
        lead_id
        for lead_id, score in expected.items()
        if before.get(lead_id)
        != fingerprint(
            [(hit["rule"], hit["points"]) for hit in explanation_json(score)], score
        )
    }
    out = StringIO()

    call_command("rescore", stdout=out)

    assert out.getvalue() == (
        f"Rescored {len(expected):,} leads, {len(will_change):,} scores changed.\n"
    )
    assert Score.objects.count() == rows_before + len(will_change)
    assert (
        set(Score.objects.filter(computed_at=NOW).values_list("lead_id", flat=True))
        == will_change
    )
    assert will_change, "twenty days on, some demo scores must have faded"
    assert_stored_as_real_time(NOW)


def test_a_second_rescore_at_the_same_moment_changes_nothing() -> None:
    LeadFactory.create_batch(5, company=None)
    rescore_every_lead(now=NOW, batch_size=2)
    rows = Score.objects.count()

    assert rescore_every_lead(now=NOW, batch_size=2) == (5, 0)

    assert Score.objects.count() == rows == 5


def test_an_unchanged_score_is_recognised_by_its_stored_digest() -> None:
    """The digest of the points per rule decides, not the stored explanation;
    a row without a digest (written before it existed) is decoded instead."""
    with_digest, without_digest = LeadFactory.create_batch(
        2, company=None, job_title="Directeur", sector="software"
    )
    rescore_every_lead(now=NOW)
    scores = newest_scores()
    assert all(scores[lead.pk].explanation for lead in (with_digest, without_digest))
    # The explanations no longer match the points: only a decoded one shows it.
    Score.objects.filter(lead=with_digest).update(explanation=[])
    Score.objects.filter(lead=without_digest).update(
        explanation=[], rule_points_digest=""
    )

    assert rescore_every_lead(now=NOW) == (2, 1)

    assert Score.objects.filter(lead=with_digest).count() == 1
    assert Score.objects.filter(lead=without_digest).count() == 2
    with transaction.atomic():
        lead = Lead.objects.get(pk=with_digest.pk)
        (rescored,) = rescore_leads(
            [lead], now=NOW, trigger=ScoreTrigger.EVENT
        ).values()
    assert not rescored.changed


def test_a_new_lead_is_triaged_like_any_band_change() -> None:
    lead = LeadFactory.create(company=None, job_title="Directeur", phone="0201234567")
    Event.objects.create(
        lead=lead, type="demo_request", occurred_at=NOW, received_at=NOW
    )
    Event.objects.create(
        lead=lead, type="email_reply", occurred_at=NOW, received_at=NOW
    )

    rescore_every_lead(now=NOW + timedelta(hours=1))

    lead.refresh_from_db()
    assert lead.band == "hot"
    change = BandChange.objects.get(lead=lead)
    assert (change.from_band, change.to_band) == ("", "hot")
    assert change.handled_at is not None
    assert Task.objects.filter(lead=lead, done_at__isnull=True).count() == 1


# --- random models and data --------------------------------------------------------

TEXTS = ["software", "ICT", "retail", "immediate", "Directeur", "student", "NL", ""]
URLS = ["/", "/prijzen", "/pricing/team", "/producten/crm", "/PRIJZEN/x"]
PROPERTY_VALUES: list[JsonValue] = [*URLS, None, True, 3, 2.5, ["/prijzen"], {"a": 1}]
days = st.sampled_from([0.5, 1, 2.25, 7, 14, 30, 90]) | st.floats(0.01, 120)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, object]:
    kind = draw(
        st.sampled_from(
            ["equals", "in", "range", "contains", "missing", "event", "recent", "quiet"]
        )
    )
    text_field = draw(st.sampled_from(["sector", "job_title", "country", "urgency"]))
    if kind == "equals":
        return {"field": text_field, "equals": draw(st.sampled_from(TEXTS[:-1]))}
    if kind == "in":
        return {
            "field": text_field,
            "in": draw(st.lists(st.sampled_from(TEXTS[:-1]), min_size=1, max_size=3)),
        }
    if kind == "range":
        low, high = sorted(draw(st.integers(0, 300)) for _ in range(2))
        return {
            "field": draw(
                st.sampled_from(["employees", "budget_euros", "ai_probability"])
            ),
            "min": low,
            "max": high,
        }
    if kind == "contains":
        return {
            "field": text_field,
            "contains": draw(st.sampled_from(["ic", "dir", "s"])),
        }
    if kind == "missing":
        return {
            "field": draw(st.sampled_from(["sector", "employees", "has_phone"])),
            "missing": True,
        }
    if kind == "event":
        condition: dict[str, object] = {
            "event": draw(st.sampled_from(["page_view", "download", "form_submit"])),
            "at_least": draw(st.integers(1, 3)),
        }
        if draw(st.booleans()):
            condition["within_days"] = draw(days)
        if draw(st.booleans()):
            condition["property"] = draw(st.sampled_from(["url", "kind"]))
            if draw(st.booleans()):
                condition["matches"] = draw(st.sampled_from(["*/prijzen*", "*", "/"]))
        return condition
    recency = (
        "last_event_within_days" if kind == "recent" else "last_event_older_than_days"
    )
    condition = {recency: draw(days)}
    if draw(st.booleans()):
        condition["event_types"] = draw(
            st.lists(
                st.sampled_from(["page_view", "download"]), max_size=2, unique=True
            )
        )
    return condition


@st.composite
def model_sources(draw: st.DrawFn) -> str:
    fit, intent, engagement = sorted(draw(st.integers(0, 100)) for _ in range(3))
    caps = {
        "fit": fit,
        "intent": intent - fit,
        "engagement": engagement - intent,
        "ai": 100 - engagement,
    }
    lines = [
        "format = 1",
        "[model]",
        'name = "Random"',
        "[bands]",
        "warm = 30",
        "hot = 60",
    ]
    for group, cap in caps.items():
        lines += [f"[groups.{group}]", f"cap = {cap}"]
        if draw(st.booleans()):
            lines.append(f"half_life_days = {draw(days)!r}")
    for index in range(draw(st.integers(1, 8))):
        when = draw(conditions())
        lines += [
            "[[rules]]",
            f'name = "rule_{index}"',
            f"group = {_toml(draw(st.sampled_from(list(caps))))}",
            f"points = {draw(st.integers(-30, 30))}",
            f'label = "Rule {index}"',
            "when = { "
            + ", ".join(f"{k} = {_toml(v)}" for k, v in when.items())
            + " }",
        ]
    return "\n".join(lines) + "\n"


@st.composite
def lead_rows(draw: st.DrawFn) -> tuple[dict[str, object], list[dict[str, object]]]:
    fields: dict[str, object] = {
        "sector": draw(st.sampled_from(TEXTS)),
        "job_title": draw(st.sampled_from(TEXTS)),
        "country": draw(st.sampled_from(["NL", "BE", "nl", ""])),
        "urgency": draw(st.sampled_from(["immediate", "exploring", ""])),
        "employees": draw(st.none() | st.integers(0, 300)),
        "budget_euros": draw(st.none() | st.integers(0, 300)),
        "ai_probability": draw(st.none() | st.integers(0, 100)),
        "phone": draw(st.sampled_from(["", "0201234567"])),
        "created_at": NOW
        - timedelta(microseconds=draw(st.integers(0, 200 * 86_400_000_000))),
    }
    events = []
    for _ in range(draw(st.integers(0, 8))):
        occurred_at = NOW - timedelta(
            microseconds=draw(st.integers(-86_400_000_000, 150 * 86_400_000_000))
        )
        properties = {
            name: draw(st.sampled_from(PROPERTY_VALUES))
            for name in draw(st.lists(st.sampled_from(["url", "kind"]), unique=True))
        }
        events.append(
            {
                "type": draw(
                    st.sampled_from(["page_view", "download", "form_submit", "meeting"])
                ),
                "occurred_at": occurred_at,
                "received_at": occurred_at
                + timedelta(microseconds=draw(st.integers(0, 3 * 86_400_000_000))),
                "properties": properties,
            }
        )
    return fields, events


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    source=model_sources(),
    leads=st.lists(lead_rows(), min_size=1, max_size=7),
    batch_size=st.integers(1, 4),
    later=st.integers(0, 40 * 86_400_000_000),
)
def test_random_leads_are_rescored_exactly_as_one_by_one(
    source: str,
    leads: list[tuple[dict[str, object], list[dict[str, object]]]],
    batch_size: int,
    later: int,
) -> None:
    with transaction.atomic():
        load_scoring_model(source, activate=True, now=NOW)
        for fields, events in leads:
            lead = LeadFactory.create(company=None, **fields)
            Event.objects.bulk_create(Event(lead=lead, **event) for event in events)

        rescore_every_lead(now=NOW, batch_size=batch_size)
        assert_stored_as_real_time(NOW)
        # Later, only the leads whose points per rule changed get a new row.
        before = newest_scores()
        moment = NOW + timedelta(microseconds=later)
        expected = expected_scores(moment)
        changing = sum(
            fingerprint(
                [(h["rule"], h["points"]) for h in before[lead_id].explanation],
                before[lead_id],
            )
            != fingerprint(
                [(h["rule"], h["points"]) for h in explanation_json(score)], score
            )
            for lead_id, score in expected.items()
        )
        assert rescore_every_lead(now=moment, batch_size=batch_size) == (
            len(leads),
            changing,
        )
        assert_stored_as_real_time(moment)
        transaction.set_rollback(True)


@pytest.mark.parametrize("within_days", [7, 1 / 3])
def test_events_on_a_window_edge_count_as_in_real_time(within_days: float) -> None:
    """To the microsecond, also where the edge falls on a whole second."""
    load_scoring_model(
        default_model_source().replace(
            'when = { event = "download", within_days = 60 }',
            f'when = {{ event = "download", within_days = {within_days!r} }}',
        ),
        activate=True,
        now=NOW,
    )
    limit = window_max_age_us(within_days)
    assert limit is not None
    for offset in (-1, 0, 1):
        lead = LeadFactory.create(company=None)
        occurred_at = NOW - timedelta(microseconds=limit + offset)
        Event.objects.create(
            lead=lead, type="download", occurred_at=occurred_at, received_at=NOW
        )

    rescore_every_lead(now=NOW)

    assert_stored_as_real_time(NOW)
    downloads = [
        any(hit["rule"] == "download" for hit in score.explanation)
        for score in Score.objects.order_by("lead_id")
    ]
    assert downloads == [True, True, False]


def test_requalifying_a_large_batch_scores_column_wise_as_one_by_one() -> None:
    """From COLUMN_WISE_FROM leads a batch of rescore_leads uses the kernel."""
    kinds = ["page_view", "email_open", "demo_request", "download", "bounce"]
    for index in range(COLUMN_WISE_FROM + 6):
        lead = LeadFactory.create(
            company=None, employees=index * 5, job_title=TEXTS[index % len(TEXTS)]
        )
        Event.objects.bulk_create(
            Event(
                lead=lead,
                type=kinds[(index + offset) % len(kinds)],
                occurred_at=NOW - timedelta(hours=index * 7 + offset * 31),
                received_at=NOW - timedelta(hours=index * 7),
                properties={"url": URLS[offset % len(URLS)], "kind": "hard"},
            )
            for offset in range(index % 6)
        )

    result = requalify_stale_leads(
        now=NOW, cycle_days=30, include_all=True, batch_size=200
    )

    assert result.checked == COLUMN_WISE_FROM + 6
    assert_stored_as_real_time(NOW)
