"""The three roles, each a Django group with its permissions."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class Role(StrEnum):
    SALES = "sales"
    MARKETING = "marketing"
    ADMIN = "admin"


ROLE_LABELS: Mapping[Role, StrOrPromise] = {
    Role.SALES: _("Sales"),
    Role.MARKETING: _("Marketing"),
    Role.ADMIN: _("Admin"),
}

# Permissions per role as "app_label.codename". Admins are superusers as well.
ROLE_PERMISSIONS: Mapping[Role, tuple[str, ...]] = {
    Role.SALES: (
        "leads.view_lead",
        "leads.change_lead",
        "leads.view_event",
        "leads.view_company",
        "scoring.view_score",
        "triage.view_task",
        "triage.change_task",
        "triage.add_feedback",
        "triage.view_feedback",
        "triage.add_outcome",
        "triage.view_outcome",
    ),
    Role.MARKETING: (
        "leads.view_lead",
        "leads.view_event",
        "leads.view_company",
        "scoring.view_score",
        "scoring.view_scoringmodelversion",
        "scoring.add_scoringmodelversion",
        "scoring.view_bandchange",
        "triage.view_task",
        "triage.view_feedback",
        "triage.view_outcome",
    ),
    Role.ADMIN: (),
}
