"""The KPI facts of each lead, and the daily sums the KPI page reads.

``lead_facts`` computes one ``core.kpis.LeadFacts`` row per lead from the
leads, band changes, feedback, outcomes, qualifications and tasks. The KPI
page does not run it over a period's leads: it adds up ``KpiDay`` rows, one
per arrival day, source, band and score bucket, and reads the times to first
contact from ``LeadKpiFact``; the rules behind "no fit" rejections are sums
too (``KpiNoFitRule``, a row per day, source and rule).
``refresh_kpi_facts(lead_ids)`` keeps them equal to ``lead_facts`` (and the
explanations sales saw) over every lead: every write that changes what a
lead's facts hold calls it with its batch of leads, in its transaction
(arrivals and every rescore through ``triage_band_changes``, feedback,
outcomes, first contacts, tasks, owners, merges, erasure and deletion).
``rebuild_kpi_facts`` computes both from scratch (``leadqual rebuild-kpis``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Least

from leadqual.core.bands import Band
from leadqual.core.kpis import (
    KPI_COUNT_FIELDS,
    LeadFacts,
    arrival_day,
    is_rejected_as_no_fit,
    kpi_band,
    lead_counts,
    microseconds_between,
    score_bucket,
    working_hours_to_first_contact,
)
from leadqual.core.lifecycle import (
    Decision,
    LeadStatus,
    OutcomeKind,
    RejectionReason,
    TaskKind,
)
from leadqual.core.sla import DUTCH_TIME
from leadqual.db import bulk_insert, bulk_update
from leadqual.leads.models import Lead
from leadqual.scoring.models import BandChange, Score
from leadqual.scoring.queries import ExplanationLine, explanation_lines
from leadqual.triage.models import (
    NO_SCORE_BUCKET,
    Feedback,
    KpiDay,
    KpiNoFitRule,
    LeadKpiFact,
    Outcome,
    Qualification,
    Task,
)

# The closing reason of a first-contact task closed by the contact itself.
CLOSED_BY_FIRST_CONTACT = "first contact made"

# Leads per query while refreshing or rebuilding: well below SQLite's limit
# on parameters, large enough that the six queries per chunk stay cheap.
KPI_CHUNK_SIZE = 2_000


@dataclass(frozen=True, slots=True)
class _Outcomes:
    opportunity_at: datetime | None = None
    won_at: datetime | None = None
    lost_at: datetime | None = None
    won_value_cents: int | None = None
    opportunity_value_cents: int | None = None
    # The band stored on the latest outcome that counts ("" before bands were).
    band: str = ""


def _first_hot_at(leads: QuerySet[Lead]) -> dict[int, datetime]:
    rows = (
        BandChange.objects.filter(lead__in=leads.values("pk"), to_band=Band.HOT.value)
        .order_by()
        .values("lead_id")
        .annotate(first_at=Min("changed_at"))
        .values_list("lead_id", "first_at")
    )
    return dict(rows)


@dataclass(frozen=True, slots=True)
class _Feedback:
    accepted: bool
    rejected_reason: str | None
    rating: int | None
    first_accepted_at: datetime | None
    band: str


def _latest_feedback(leads: QuerySet[Lead]) -> dict[int, _Feedback]:
    """Each lead's latest feedback, with the moment of its first acceptance."""
    rows = (
        Feedback.objects.filter(lead__in=leads.values("pk"))
        .order_by("lead_id", "given_at", "pk")
        .values_list("lead_id", "decision", "reason", "rating", "given_at", "band")
    )
    latest: dict[int, _Feedback] = {}
    # Ordered oldest first, so the last row of each lead wins and the first
    # acceptance is carried along.
    for lead_id, decision, reason, rating, given_at, band in rows:
        accepted = decision == Decision.ACCEPTED.value
        before = latest.get(lead_id)
        first_accepted_at = before.first_accepted_at if before is not None else None
        if accepted and first_accepted_at is None:
            first_accepted_at = given_at
        latest[lead_id] = _Feedback(
            accepted=accepted,
            rejected_reason=None if accepted else (reason or None),
            rating=rating,
            first_accepted_at=first_accepted_at,
            band=band,
        )
    return latest


def _outcomes(leads: QuerySet[Lead]) -> dict[int, _Outcomes]:
    """The first moment of each kind of outcome per lead, with the deal values.

    A won deal recorded without a value is worth its opportunity's value:
    the seller gave the value once, when the deal entered the pipeline.
    """
    rows = (
        # A reopened deal is open again: its won or lost outcome no longer counts.
        Outcome.objects.filter(lead__in=leads.values("pk"), reopened_at__isnull=True)
        .order_by("lead_id", "occurred_at", "pk")
        .values_list("lead_id", "kind", "occurred_at", "value_cents", "band")
    )
    first_at: dict[int, dict[str, datetime]] = {}
    latest_band: dict[int, str] = {}
    won_value: dict[int, int] = {}
    opportunity_value: dict[int, int] = {}
    # Ordered oldest first: the first moment of a kind stays, the latest
    # opportunity value wins (a seller may record the opportunity again).
    for lead_id, kind, occurred_at, value_cents, band in rows:
        first_at.setdefault(lead_id, {}).setdefault(kind, occurred_at)
        latest_band[lead_id] = band
        if value_cents is None:
            continue
        if kind == OutcomeKind.WON.value:
            won_value[lead_id] = won_value.get(lead_id, 0) + value_cents
        elif kind == OutcomeKind.OPPORTUNITY.value:
            opportunity_value[lead_id] = value_cents
    outcomes: dict[int, _Outcomes] = {}
    for lead_id, kinds in first_at.items():
        won_at = kinds.get(OutcomeKind.WON.value)
        outcomes[lead_id] = _Outcomes(
            opportunity_at=kinds.get(OutcomeKind.OPPORTUNITY.value),
            won_at=won_at,
            lost_at=kinds.get(OutcomeKind.LOST.value),
            won_value_cents=(
                won_value.get(lead_id, opportunity_value.get(lead_id))
                if won_at is not None
                else None
            ),
            opportunity_value_cents=opportunity_value.get(lead_id),
            band=latest_band.get(lead_id, ""),
        )
    return outcomes


def _first_contacts(leads: QuerySet[Lead]) -> dict[int, datetime]:
    rows = Qualification.objects.filter(
        lead__in=leads.values("pk"), first_contact_at__isnull=False
    ).values_list("lead_id", "first_contact_at")
    return {lead_id: moment for lead_id, moment in rows if moment is not None}


def _first_contact_due(leads: QuerySet[Lead]) -> dict[int, datetime]:
    """The due time of each lead's first first-contact task.

    A task closed before its due time without a contact (the lead cooled
    down, was rejected or became a deal) had no SLA left to miss: it does not
    count.
    """
    closed_early = Q(done_at__isnull=False, done_at__lt=F("due_at"))
    closed_early_without_contact = closed_early & ~Q(
        closed_reason=CLOSED_BY_FIRST_CONTACT
    )
    rows = (
        Task.objects.filter(
            lead__in=leads.values("pk"), kind=TaskKind.FIRST_CONTACT.value
        )
        .exclude(closed_early_without_contact)
        .order_by("lead_id", "created_at", "pk")
        .values_list("lead_id", "due_at")
    )
    due: dict[int, datetime] = {}
    for lead_id, due_at in rows:
        due.setdefault(lead_id, due_at)
    return due


def lead_facts(leads: QuerySet[Lead]) -> list[LeadFacts]:
    """One fact row per lead in ``leads``, ordered by arrival.

    Runs six queries whatever the number of leads: the leads themselves, and
    one aggregate each for band changes, feedback, outcomes, qualifications
    and first-contact tasks.
    """
    rows: Sequence[tuple[int, datetime, str, int | None, str, str, int | None]] = list(
        leads.order_by("created_at", "pk").values_list(
            "pk", "created_at", "source", "owner_id", "status", "band", "score_total"
        )
    )
    if not rows:
        return []
    first_hot = _first_hot_at(leads)
    feedback = _latest_feedback(leads)
    outcomes = _outcomes(leads)
    contacts = _first_contacts(leads)
    due = _first_contact_due(leads)
    no_outcome = _Outcomes()
    facts: list[LeadFacts] = []
    for lead_id, arrived_at, source, owner_id, status, band, score in rows:
        latest = feedback.get(lead_id)
        outcome = outcomes.get(lead_id, no_outcome)
        # The status says whether the deal is open now: an opportunity that
        # sales rejected afterwards keeps its outcome row but left the pipeline.
        is_open_opportunity = status == LeadStatus.OPPORTUNITY.value
        facts.append(
            LeadFacts(
                lead_id=lead_id,
                arrived_at=arrived_at,
                source=source,
                owner_id=owner_id,
                is_open_opportunity=is_open_opportunity,
                open_opportunity_value_cents=(
                    outcome.opportunity_value_cents if is_open_opportunity else None
                ),
                became_sales_ready_at=first_hot.get(lead_id),
                accepted=latest.accepted if latest is not None else None,
                rejected_reason=latest.rejected_reason if latest else None,
                opportunity_at=outcome.opportunity_at,
                won_at=outcome.won_at,
                lost_at=outcome.lost_at,
                won_value_cents=outcome.won_value_cents,
                first_contact_at=contacts.get(lead_id),
                first_contact_due_at=due.get(lead_id),
                band=band,
                score=score,
                rating=latest.rating if latest is not None else None,
                first_accepted_at=latest.first_accepted_at if latest else None,
                outcome_band=outcome.band or (latest.band if latest else ""),
            )
        )
    return facts


# --- the rules behind "no fit" rejections ----------------------------------------


def explanations_at_no_fit_rejection(lead_ids: Sequence[int]) -> dict[int, object]:
    """The explanation JSON of each lead's score when sales rejected it as no fit.

    Per lead, the latest score computed at or before its latest "no fit"
    rejection: the score sales saw when deciding. A lead scored only after
    its rejection is left out. Two queries whatever the number of leads
    (one when none of them was rejected as no fit).
    """
    score_then = (
        Score.objects.filter(
            lead=OuterRef("lead"), computed_at__lte=OuterRef("given_at")
        )
        .order_by("-computed_at", "-pk")
        .values("pk")[:1]
    )
    rows = (
        Feedback.objects.filter(
            lead_id__in=lead_ids,
            decision=Decision.REJECTED.value,
            reason=RejectionReason.NO_FIT.value,
        )
        .annotate(score_id=Subquery(score_then))
        .order_by("lead_id", "given_at", "pk")
        .values_list("lead_id", "score_id")
    )
    score_of_lead: dict[int, int | None] = {}
    # Oldest first: the latest rejection of each lead wins.
    for lead_id, score_id in rows:
        score_of_lead[lead_id] = score_id
    score_ids = [score_id for score_id in score_of_lead.values() if score_id]
    if not score_ids:
        return {}
    explanations = dict(
        Score.objects.filter(pk__in=score_ids).values_list("pk", "explanation")
    )
    return {
        lead_id: explanations[score_id]
        for lead_id, score_id in score_of_lead.items()
        if score_id is not None
    }


def rule_hits(
    explanation: object, language: str | None = None
) -> list[ExplanationLine]:
    """The lines of an explanation that the "no fit" rules count: the rules
    that gave points, without the caps' adjustments."""
    return [
        line
        for line in explanation_lines(explanation, language)
        if line.points > 0 and not line.is_adjustment
    ]


def _no_fit_rules(facts: Sequence[LeadFacts]) -> dict[int, list[str]]:
    """The sorted names of the rules that gave points to each lead rejected as
    no fit, in the score sales saw; leads scored only after it are absent."""
    ids = [fact.lead_id for fact in facts if is_rejected_as_no_fit(fact)]
    if not ids:
        return {}
    return {
        lead_id: sorted({line.rule for line in rule_hits(explanation, "en")})
        for lead_id, explanation in explanations_at_no_fit_rejection(ids).items()
    }


# --- the stored facts and the daily sums ------------------------------------------

_Key = tuple[date, str, str, int]  # (day, source, band, score bucket)
_RuleKey = tuple[date, str, str]  # (day, source, rule)

# What KpiDay sums: the KPI counts and the leads the no-fit rules are a share of.
_SUM_FIELDS = (*KPI_COUNT_FIELDS, "no_fit_explained")


def fact_row(fact: LeadFacts, *, no_fit_rules: list[str] | None = None) -> LeadKpiFact:
    """The stored KPI facts of one lead (not saved).

    ``no_fit_rules``: the rules that gave points in the score sales saw when
    rejecting it as no fit; None when not rejected as no fit or not scored then.
    """
    counts = lead_counts(fact)
    contact = fact.first_contact_at
    due = fact.first_contact_due_at
    bucket = score_bucket(fact.score)
    return LeadKpiFact(
        lead_id=fact.lead_id,
        arrival_day=arrival_day(fact, zone=DUTCH_TIME),
        source=fact.source,
        band=kpi_band(fact),
        score_bucket=NO_SCORE_BUCKET if bucket is None else bucket,
        microseconds_to_first_contact=(
            None if contact is None else microseconds_between(fact.arrived_at, contact)
        ),
        working_hours_to_first_contact=(
            None
            if contact is None
            else working_hours_to_first_contact(
                fact.arrived_at, contact, zone=DUTCH_TIME
            )
        ),
        waiting_due_at=due if due is not None and contact is None else None,
        no_fit_rules=no_fit_rules,
        no_fit_explained=int(no_fit_rules is not None),
        **{name: getattr(counts, name) for name in KPI_COUNT_FIELDS},
    )


def fact_rows(leads: QuerySet[Lead]) -> list[LeadKpiFact]:
    """The stored KPI facts of these leads (not saved), ordered by arrival.

    ``lead_facts`` (six queries) and, when some lead's latest feedback is a
    "no fit" rejection, two more for the scores sales saw.
    """
    facts = lead_facts(leads)
    rules = _no_fit_rules(facts)
    return [fact_row(fact, no_fit_rules=rules.get(fact.lead_id)) for fact in facts]


_FACT_FIELDS = tuple(
    field.attname
    for field in LeadKpiFact._meta.concrete_fields
    if not field.primary_key
)


def _same(old: LeadKpiFact, new: LeadKpiFact) -> bool:
    return all(getattr(old, name) == getattr(new, name) for name in _FACT_FIELDS)


def _key(row: LeadKpiFact) -> _Key:
    return (row.arrival_day, row.source, row.band, row.score_bucket)


def _add(sums: dict[_Key, list[int]], row: LeadKpiFact, sign: int) -> None:
    totals = sums.setdefault(_key(row), [0] * len(_SUM_FIELDS))
    for index, name in enumerate(_SUM_FIELDS):
        totals[index] += sign * getattr(row, name)


def _rule_keys(row: LeadKpiFact | None) -> set[_RuleKey]:
    if row is None or row.no_fit_rules is None:
        return set()
    return {(row.arrival_day, row.source, rule) for rule in row.no_fit_rules}


@dataclass(slots=True)
class _RuleDelta:
    leads: int = 0
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)


def _add_rules(
    deltas: dict[_RuleKey, _RuleDelta],
    lead_id: int,
    before: LeadKpiFact | None,
    after: LeadKpiFact | None,
) -> None:
    """Count the rule rows the lead leaves and joins (a rule it stays in is
    left alone, so its lowest lead needs no new look-up)."""
    old, new = _rule_keys(before), _rule_keys(after)
    for key in old - new:
        delta = deltas.setdefault(key, _RuleDelta())
        delta.leads -= 1
        delta.removed.append(lead_id)
    for key in new - old:
        delta = deltas.setdefault(key, _RuleDelta())
        delta.leads += 1
        delta.added.append(lead_id)


def refresh_kpi_facts(lead_ids: Iterable[int]) -> int:
    """Make the stored KPI facts and daily sums of these leads match their rows.

    Per chunk of leads: their facts again (``lead_facts``, six queries), the
    stored ones, and for each lead whose facts changed the old share
    subtracted from its ``KpiDay`` row and the new one added; a lead that no
    longer exists (merged away, erased, deleted) is subtracted only. The
    ``KpiDay`` rows are locked in key order. Must run inside the transaction
    of the write, after it. Returns the number of leads whose facts changed.
    """
    ids = sorted(set(lead_ids))
    changed = 0
    for start in range(0, len(ids), KPI_CHUNK_SIZE):
        changed += _refresh_chunk(ids[start : start + KPI_CHUNK_SIZE])
    return changed


def refresh_score_buckets(lead_ids: Iterable[int]) -> None:
    """``refresh_kpi_facts`` for leads whose score changed and nothing else.

    A new score in the same band changes one fact: the calibration bucket.
    So instead of computing every fact again (six queries), this reads the
    stored rows and the leads' scores and moves only the leads whose bucket
    changed to their new ``KpiDay`` row: two queries when none did, which is
    most events. A lead without stored facts gets the full refresh. Callers
    pass only leads whose band did not change (a band change can start the
    time to sales-ready, tasks and owners: ``refresh_kpi_facts``).
    """
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), KPI_CHUNK_SIZE):
        chunk = ids[start : start + KPI_CHUNK_SIZE]
        stored = LeadKpiFact.objects.in_bulk(chunk)
        scores = dict(
            Lead.objects.filter(pk__in=stored).values_list("pk", "score_total")
        )
        deltas: dict[_Key, list[int]] = {}
        moved: list[LeadKpiFact] = []
        for lead_id, row in sorted(stored.items()):
            if lead_id not in scores:
                continue  # gone: the full refresh below subtracts it
            bucket = score_bucket(scores[lead_id])
            bucket = NO_SCORE_BUCKET if bucket is None else bucket
            if row.score_bucket == bucket:
                continue
            _add(deltas, row, -1)
            row.score_bucket = bucket
            _add(deltas, row, 1)
            moved.append(row)
        if moved:
            bulk_update(moved, ["score_bucket"])
        _apply(deltas)
        rest = [lead_id for lead_id in chunk if lead_id not in scores]
        if rest:
            refresh_kpi_facts(rest)


def _refresh_chunk(ids: Sequence[int]) -> int:
    old = LeadKpiFact.objects.in_bulk(ids)
    new = {row.lead_id: row for row in fact_rows(Lead.objects.filter(pk__in=ids))}
    deltas: dict[_Key, list[int]] = {}
    rule_deltas: dict[_RuleKey, _RuleDelta] = {}
    gone: list[int] = []
    fresh: list[LeadKpiFact] = []
    for lead_id in ids:
        before, after = old.get(lead_id), new.get(lead_id)
        if before is not None and after is not None and _same(before, after):
            continue
        _add_rules(rule_deltas, lead_id, before, after)
        if before is not None:
            _add(deltas, before, -1)
            gone.append(lead_id)
        if after is not None:
            _add(deltas, after, 1)
            fresh.append(after)
    if gone:
        LeadKpiFact.objects.filter(lead_id__in=gone).delete()
    if fresh:
        bulk_insert(fresh)
    _apply(deltas)
    _apply_rules(rule_deltas)
    return len(set(gone) | {row.lead_id for row in fresh})


def _apply(deltas: dict[_Key, list[int]]) -> None:
    """Add the deltas to their KpiDay rows, creating the rows that are missing.

    Each row is changed by one ``UPDATE ... SET x = x + delta``, in key
    order: only the rows this batch changes are locked, and two batches lock
    them in the same order. A row whose last lead left stays, with zeros (the
    page skips it): deleting it could lose another batch's delta waiting on
    its lock. ``rebuild_kpi_facts`` drops such rows.
    """
    keys = sorted(key for key, delta in deltas.items() if any(delta))
    if not keys:
        return
    KpiDay.objects.bulk_create(
        [
            KpiDay(day=day, source=source, band=band, score_bucket=bucket)
            for day, source, band, bucket in keys
        ],
        ignore_conflicts=True,
    )
    for key in keys:
        day, source, band, bucket = key
        changes = {
            name: F(name) + delta
            for name, delta in zip(_SUM_FIELDS, deltas[key], strict=True)
            if delta
        }
        updated = KpiDay.objects.filter(
            day=day, source=source, band=band, score_bucket=bucket
        ).update(**changes)
        if updated != 1:
            raise RuntimeError(
                f"The KPI sums of {day} {source!r} {band!r} bucket {bucket} were "
                "not found after creating them; run `leadqual rebuild-kpis`."
            )


def _apply_rules(deltas: dict[_RuleKey, _RuleDelta]) -> None:
    """Add the rule deltas to their KpiNoFitRule rows, in key order, as
    ``_apply`` does for KpiDay (after it: the same order in every batch).

    A lead joining a row lowers its ``first_lead_id`` to the lead's id when
    smaller. When a lead leaves, the row is updated first (which locks it)
    and its lowest lead is then looked up again among the day's no-fit leads
    of its source: rarely, as leads seldom leave a rejection's rules.
    """
    keys = sorted(key for key, delta in deltas.items() if delta.added or delta.removed)
    if not keys:
        return
    KpiNoFitRule.objects.bulk_create(
        [KpiNoFitRule(day=day, source=source, rule=rule) for day, source, rule in keys],
        ignore_conflicts=True,
    )
    for key in keys:
        day, source, rule = key
        delta = deltas[key]
        rows = KpiNoFitRule.objects.filter(day=day, source=source, rule=rule)
        if delta.removed:
            updated = rows.update(leads=F("leads") + delta.leads)
            rows.update(first_lead_id=_first_lead_with(key))
        else:
            first = Value(min(delta.added), output_field=BigIntegerField())
            updated = rows.update(
                leads=F("leads") + delta.leads,
                first_lead_id=Coalesce(Least("first_lead_id", first), first),
            )
        if updated != 1:
            raise RuntimeError(
                f"The no-fit rule {rule!r} of {day} {source!r} was not found after "
                "creating it; run `leadqual rebuild-kpis`."
            )


def _first_lead_with(key: _RuleKey) -> int | None:
    """The lowest id of the stored leads of the key's day and source whose
    no-fit rules hold its rule; None when none does."""
    day, source, rule = key
    rows = (
        LeadKpiFact.objects.filter(
            arrival_day=day, source=source, rejected_no_fit=1, no_fit_explained=1
        )
        .order_by("lead_id")
        .values_list("lead_id", "no_fit_rules")
    )
    for lead_id, rules in rows.iterator(chunk_size=500):
        if rules is not None and rule in rules:
            return int(lead_id)
    return None


def rebuild_kpi_facts(
    *,
    chunk_size: int = KPI_CHUNK_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Compute every lead's KPI facts and every daily sum from scratch.

    One transaction: the old rows go, every lead is read in id order,
    ``chunk_size`` leads per round of six queries, and the daily sums are
    written at the end. Memory holds one chunk and the daily sums.
    ``on_progress(done, total)`` after every chunk. Returns the leads counted.
    """
    total = Lead.objects.count()
    sums: dict[_Key, list[int]] = {}
    # Per (day, source, rule): [leads, lowest lead id].
    rules: dict[_RuleKey, list[int]] = {}
    done = 0
    with transaction.atomic():
        LeadKpiFact.objects.all().delete()
        KpiDay.objects.all().delete()
        KpiNoFitRule.objects.all().delete()
        after_id = 0
        while True:
            ids = list(
                Lead.objects.filter(pk__gt=after_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:chunk_size]
            )
            if not ids:
                break
            rows = fact_rows(Lead.objects.filter(pk__in=ids))
            bulk_insert(rows)
            for row in rows:
                _add(sums, row, 1)
                for key in _rule_keys(row):
                    counted = rules.setdefault(key, [0, row.lead_id])
                    counted[0] += 1
                    counted[1] = min(counted[1], row.lead_id)
            after_id = ids[-1]
            done += len(ids)
            if on_progress is not None:
                on_progress(done, max(total, done))
        KpiDay.objects.bulk_create(
            [
                KpiDay(
                    day=day,
                    source=source,
                    band=band,
                    score_bucket=bucket,
                    **dict(zip(_SUM_FIELDS, totals, strict=True)),
                )
                for (day, source, band, bucket), totals in sorted(sums.items())
                if totals[0] > 0
            ],
            batch_size=500,
        )
        KpiNoFitRule.objects.bulk_create(
            [
                KpiNoFitRule(
                    day=day, source=source, rule=rule, leads=leads, first_lead_id=first
                )
                for (day, source, rule), (leads, first) in sorted(rules.items())
            ],
            batch_size=500,
        )
    return done
