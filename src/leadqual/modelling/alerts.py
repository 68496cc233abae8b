"""Tell the admins when the model in use drifted or treats a segment unfairly.

One mail per admin, in the admin's language, once per weekly run that needs
attention (``services.claim_alert``). Without LEADQUAL_EMAIL_URL nothing is
mailed; the model's page shows the same warning either way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from leadqual.core.lead_features import feature_words
from leadqual.core.scoring import ScoringModel
from leadqual.integrations.email import OutgoingEmail, send_email
from leadqual.modelling.models import MonitoringRun, PredictiveModelVersion
from leadqual.modelling.services import claim_alert, release_alert
from leadqual.scoring.models import ScoringModelVersion
from leadqual.scoring.services import parsed_model
from leadqual.triage.alert_delivery import language_of
from leadqual.triage.alerts import admins

logger = logging.getLogger(__name__)


def _list(value: object) -> list[Mapping[str, object]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


# The segments checked for bias (core.lead_features.SEGMENT_FIELDS), in words.
SEGMENT_LABELS = {
    "sector": gettext_lazy("Sector"),
    "size_band": gettext_lazy("Size band"),
    "region": gettext_lazy("Region"),
    "source": gettext_lazy("Source"),
}


def rules_model_of(version: PredictiveModelVersion) -> ScoringModel | None:
    """The scoring model whose rules ``version`` started from (for the rules'
    labels), or None when its card does not name one that exists."""
    number = version.card.get("scoring_model_version") if version.card else None
    row = (
        ScoringModelVersion.objects.filter(version=number).first()
        if isinstance(number, int)
        else None
    )
    return parsed_model(row) if row is not None else None


def feature_text(name: str, model: ScoringModel | None = None) -> str:
    """A feature in words in the active language, not its column name."""
    words = feature_words(name, model)
    return words.nl if (get_language() or "").startswith("nl") else words.en


def _number(value: object, places: int) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return number_format(value, places)


def _share(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return f"{number_format(value * 100, 0)}%"


def attention_lines(
    report: Mapping[str, object], model: ScoringModel | None = None
) -> list[str]:
    """What needs attention in a stored report, one line each, in the active
    language: drifted features (and the score) and biased segments; the rules'
    features are named by their labels in ``model``."""
    lines = []
    drifts = [*_list(report.get("features"))]
    score = report.get("score")
    if isinstance(score, dict):
        drifts.append(score)
    for drift in drifts:
        if drift.get("level") == "alert":
            lines.append(
                _(
                    "Drift in %(feature)s: population stability index %(psi)s (limit 0.25)"
                )
                % {
                    "feature": (
                        _("the predicted chance")
                        if drift is score
                        else feature_text(str(drift.get("name", "")), model)
                    ),
                    "psi": _number(drift.get("psi"), 2),
                }
            )
    for segment in _list(report.get("segments")):
        for value in _list(segment.get("values")):
            if value.get("is_biased"):
                lines.append(
                    _(
                        "Bias in %(segment)s %(value)s: predicted %(predicted)s, "
                        "observed %(observed)s over %(outcomes)s outcomes"
                    )
                    % {
                        "segment": SEGMENT_LABELS.get(
                            str(segment.get("segment")), segment.get("segment")
                        ),
                        "value": value.get("value"),
                        "predicted": _share(value.get("mean_predicted")),
                        "observed": _share(value.get("observed")),
                        "outcomes": value.get("outcomes"),
                    }
                )
    return lines


def monitoring_email(run: MonitoringRun, user: User) -> OutgoingEmail:
    """The warning for one admin, in the admin's language."""
    with translation.override(language_of(user)):
        version = run.model_version.version
        link = settings.BASE_URL + reverse("modelling:model-detail", args=[version])
        subject = _("Predictive model v%(version)s needs attention") % {
            "version": version
        }
        intro = _(
            "This week's check of the predictive model in use found the problems "
            "below. Its chances still count in every score as the ai group; read "
            "the model's page and train a new model or leave it as it is."
        )
        lines = attention_lines(run.report, rules_model_of(run.model_version))
        text = "\n".join([intro, "", *[f"- {line}" for line in lines], "", link])
        items = "".join(f"<li>{escape(line)}</li>" for line in lines)
        html = (
            f"<p>{escape(intro)}</p><ul>{items}</ul>"
            f'<p><a href="{escape(link)}">{escape(link)}</a></p>'
        )
        return OutgoingEmail(to=[user.email], subject=subject, text=text, html=html)


def tell_admins(run_id: int, *, now: datetime) -> int:
    """Mail every admin with an address about the run, once. Returns how many
    mails went out (0 when sent before, not needed or mail is not set up).

    A failed mail releases the claim and raises, so the task's retry sends
    again (an admin already mailed may get it twice, never none).
    """
    if not settings.EMAIL_URL:
        logger.info("LEADQUAL_EMAIL_URL is not set: no monitoring alert mailed")
        return 0
    if not claim_alert(run_id, now=now):
        return 0
    run = MonitoringRun.objects.select_related("model_version").get(pk=run_id)
    sent = 0
    try:
        for user in admins():
            if not user.email:
                continue
            send_email(
                monitoring_email(run, user),
                url=settings.EMAIL_URL,
                sender=settings.EMAIL_FROM,
            )
            sent += 1
    except Exception:
        release_alert(run_id)
        raise
    return sent
