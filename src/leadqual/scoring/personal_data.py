"""Personal data in scoring's models (see core/personal_data.py).

An explanation quotes the values a rule matched ('job_title is "Directeur"',
"company_name is ..."), so the person's own scores are scrubbed; the points,
rules and model version stay for the KPIs and backtests.
"""

from __future__ import annotations

from leadqual.core.personal_data import Erasure, PersonalFields

PERSONAL_DATA = (
    # A draft's proposal holds per-rule counts, lifts and candidate rules over
    # coarse fields (sector, region, source, size and budget bands): no person.
    # The decision's reason is a marketer's note on the model, not on a lead.
    PersonalFields(
        "scoring.ScoringModelVersion",
        not_personal=(
            "name",
            "description",
            "source",
            "proposal",
            "decision",
            "decision_reason",
        ),
    ),
    # The digest is of rule names and points only, which erasure keeps.
    PersonalFields(
        "scoring.Score",
        personal=("explanation",),
        not_personal=("band", "trigger", "rule_points_digest"),
        lead="lead",
        erasure=Erasure.SCRUB,
    ),
    PersonalFields("scoring.BandChange", not_personal=("from_band", "to_band")),
)
