"""Personal data in triage's models (see core/personal_data.py).

Decisions, reasons, outcomes, tasks and BANT answers stay for the KPIs;
free-text notes go.
"""

from __future__ import annotations

from leadqual.core.personal_data import Erasure, PersonalFields

PERSONAL_DATA = (
    PersonalFields(
        "triage.Feedback",
        personal=("note",),
        not_personal=("decision", "reason", "band"),
        lead="lead",
        erasure=Erasure.CLEAR,
    ),
    PersonalFields(
        "triage.Outcome",
        personal=("note",),
        not_personal=("kind", "band"),
        lead="lead",
        erasure=Erasure.CLEAR,
    ),
    # Notes and call logs are what sales wrote about the person: they go.
    PersonalFields(
        "triage.Note",
        personal=("body",),
        not_personal=("kind", "call_result"),
        lead="lead",
        erasure=Erasure.DELETE,
    ),
    PersonalFields(
        "triage.SalesAction", not_personal=("kind", "detail", "previous_status")
    ),
    PersonalFields("triage.Task", not_personal=("kind", "closed_reason")),
    PersonalFields("triage.Notice", not_personal=("kind",)),
    # The KPI sums per day, source, band and score bucket, and each lead's
    # share of them: counts, a channel name and a band, no person. An erased
    # person stays counted, as in every other KPI.
    PersonalFields("triage.KpiDay", not_personal=("source", "band")),
    PersonalFields(
        "triage.LeadKpiFact", not_personal=("source", "band", "no_fit_rules")
    ),
    # Rule names of the scoring model, counted per day and source.
    PersonalFields("triage.KpiNoFitRule", not_personal=("source", "rule")),
    PersonalFields(
        "triage.Qualification",
        not_personal=(
            "budget",
            "authority",
            "need",
            "timing",
            "metrics",
            "economic_buyer",
            "decision_criteria",
            "decision_process",
            "identify_pain",
            "champion",
        ),
    ),
    # A mail server's or chat tool's error text may quote what was sent.
    PersonalFields(
        "triage.Alert",
        personal=("last_error",),
        not_personal=("kind", "channel", "dedupe_key", "status"),
        lead="lead",
        erasure=Erasure.SCRUB,
    ),
)
