"""Personal data in insights' models (see core/personal_data.py).

Campaign costs name a lead source and an amount: marketing's spending, about
no person. The weekly report's bookkeeping holds only a week and a user id.
"""

from __future__ import annotations

from leadqual.core.personal_data import PersonalFields

PERSONAL_DATA = (PersonalFields("insights.CampaignCost", not_personal=("source",)),)
