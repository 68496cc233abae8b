"""``leadqual demo-data`` loads once, prints the logins and never duplicates."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from leadqual.leads.models import Lead
from leadqual.users.services import role_of

pytestmark = pytest.mark.django_db

NOW = "2026-06-01T09:00:00+02:00"


def run_demo_data(*args: str) -> str:
    out = StringIO()
    call_command("demo_data", *args, stdout=out)
    return out.getvalue()


def test_the_command_loads_leads_and_prints_the_demo_logins() -> None:
    output = run_demo_data("--leads", "12", "--seed", "9", "--now", NOW)
    assert Lead.objects.count() == 12
    assert (
        "Demo logins (password leadqual-demo): admin (admin), sanne (sales), "
        "daan (sales), marketing (marketing) — open http://127.0.0.1:8000/"
    ) in output
    sanne = User.objects.get(username="sanne")
    assert sanne.check_password("leadqual-demo")
    assert role_of(sanne) == "sales"


def test_a_second_run_adds_no_leads_and_says_so() -> None:
    run_demo_data("--leads", "12", "--seed", "9", "--now", NOW)
    leads, users = Lead.objects.count(), User.objects.count()
    output = run_demo_data("--leads", "12", "--seed", "9")
    assert "Demo data already loaded for seed 9" in output
    assert "Demo logins" in output
    assert (Lead.objects.count(), User.objects.count()) == (leads, users)


def test_existing_demo_users_are_kept() -> None:
    run_demo_data("--leads", "3", "--seed", "1", "--now", NOW)
    admin = User.objects.get(username="admin")
    admin.set_password("changed by the owner")
    admin.save()
    run_demo_data("--leads", "3", "--seed", "2", "--now", NOW)
    admin.refresh_from_db()
    assert admin.check_password("changed by the owner")


def test_a_now_without_time_zone_is_refused() -> None:
    with pytest.raises(CommandError, match="--now must be a date and time"):
        run_demo_data("--leads", "3", "--now", "2026-06-01 09:00")
