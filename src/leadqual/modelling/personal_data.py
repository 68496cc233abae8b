"""Personal data in modelling's models (see core/personal_data.py).

A model card, the training distributions and a monitoring report hold counts,
shares and bins over coarse fields (sector, region, source, size and budget
bins), never a lead's values one by one; the model file holds learned
weights and categories that at least a few leads share.
"""

from __future__ import annotations

from leadqual.core.personal_data import PersonalFields

PERSONAL_DATA = (
    PersonalFields(
        "modelling.PredictiveModelVersion",
        not_personal=(
            "status",
            "progress_step",
            "error",
            "artefact",
            "card",
            "reference",
            "decision_reason",
        ),
    ),
    PersonalFields("modelling.MonitoringRun", not_personal=("report",)),
)
