"""The dead-letter list: jobs that failed their last try, kept for admins to retry.

The test settings run Huey in immediate mode: enqueueing runs the task at
once, in the test. A failure with retries left and no ``retry_delay`` is
queued again and so runs again at once; with a ``retry_delay`` it goes to
Huey's schedule, which never runs in immediate mode. The tasks below are
real Huey tasks, so every failure goes through Huey's own error signal.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import db_task

from leadqual.config.background import (
    RETRY_TASK_ID_PREFIX,
    RetryRefusedError,
    retry_failed_job,
)
from leadqual.config.models import FailedJob
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 3, 9, 30, tzinfo=dt.UTC)

# What the tasks below did, by name: the ids they were called with.
RUNS: dict[str, list[int]] = {"always_fails": [], "flaky": [], "delayed": []}
# ``flaky`` fails while this is true.
FLAKY = {"failing": True}


@db_task(retries=2)  # type: ignore[misc]
def always_fails(lead_id: int) -> None:
    """Fails every try; two retries, queued again at once."""
    RUNS["always_fails"].append(lead_id)
    raise RuntimeError(f"the CRM did not answer for lead {lead_id}")


@db_task()  # type: ignore[misc]
def flaky(lead_id: int, *, note: str = "") -> None:
    """Fails while ``FLAKY["failing"]``; no retries."""
    RUNS["flaky"].append(lead_id)
    if FLAKY["failing"]:
        raise ConnectionError("connection refused")


@db_task(retries=3, retry_delay=60, retry_backoff=2)  # type: ignore[misc]
def delayed(lead_id: int) -> None:
    """Fails; its retries wait on Huey's schedule."""
    RUNS["delayed"].append(lead_id)
    raise RuntimeError("try again later")


@db_task()  # type: ignore[misc]
def fails_with_a_date(when: dt.datetime) -> None:
    """Fails with an argument that JSON cannot hold."""
    raise RuntimeError("failed")


@pytest.fixture(autouse=True)
def _reset_tasks() -> None:
    for runs in RUNS.values():
        runs.clear()
    FLAKY["failing"] = True


@pytest.fixture
def admin_user() -> User:
    return make_user("ada", role=Role.ADMIN)


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def failed_flaky_job() -> FailedJob:
    flaky(7, note="first try")
    return FailedJob.objects.get()


# --- keeping failed jobs --------------------------------------------------------------


def test_a_task_that_always_fails_is_kept_once_after_its_last_try() -> None:
    result = always_fails(42)

    assert RUNS["always_fails"] == [42, 42, 42]  # the first try and two retries
    job = FailedJob.objects.get()
    assert job.task_name == "tests.config.test_failed_jobs.always_fails"
    assert job.short_task_name == "always_fails"
    assert job.task_id == result.id
    assert job.args == [42]
    assert job.kwargs == {}
    assert job.error == "RuntimeError: the CRM did not answer for lead 42"
    assert "Traceback (most recent call last)" in job.traceback
    assert job.traceback.rstrip().endswith(
        "RuntimeError: the CRM did not answer for lead 42"
    )
    assert job.attempts == 3
    assert job.retried_at is None
    assert job.retried_task_id == ""
    assert not job.resolved


def test_a_failure_with_retries_left_keeps_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="leadqual.config.background"):
        delayed(5)

    assert RUNS["delayed"] == [5]  # the retry waits on the schedule
    assert not FailedJob.objects.exists()
    assert "failed, 3 tries left" in caplog.text


def test_keyword_arguments_are_kept() -> None:
    job = failed_flaky_job()

    assert job.args == [7]
    assert job.kwargs == {"note": "first try"}
    assert job.error == "ConnectionError: connection refused"
    assert job.attempts == 1


def test_a_long_error_is_cut_to_fit() -> None:
    from leadqual.config.background import keep_failed_job

    class Task:
        id = "t-1"
        name = "long"
        args = ()
        kwargs: dict[str, object] = {}  # noqa: RUF012

    try:
        raise ValueError("x" * 5000)
    except ValueError as error:
        keep_failed_job(Task(), error)

    job = FailedJob.objects.get()
    assert len(job.error) == 1000
    assert job.error.startswith("ValueError: xxx")
    assert job.error.endswith("\u2026")


def test_a_job_that_cannot_be_stored_is_logged_and_never_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="leadqual.config.background"):
        fails_with_a_date(NOW)

    assert not FailedJob.objects.exists()
    assert "could not be kept in the dead-letter list" in caplog.text


# --- retrying -------------------------------------------------------------------------


def test_a_retry_runs_the_same_task_with_the_same_arguments() -> None:
    job = failed_flaky_job()
    FLAKY["failing"] = False

    task_id = retry_failed_job(job, now=NOW)

    assert RUNS["flaky"] == [7, 7]  # immediate mode: the retry has run
    assert task_id.startswith(RETRY_TASK_ID_PREFIX)
    job.refresh_from_db()
    assert job.retried_at == NOW
    assert job.retried_task_id == task_id
    assert job.resolved  # the retry ran without an error
    assert FailedJob.objects.count() == 1


def test_a_job_is_retried_only_once() -> None:
    job = failed_flaky_job()
    FLAKY["failing"] = False
    task_id = retry_failed_job(job, now=NOW)

    with pytest.raises(RetryRefusedError) as refused:
        retry_failed_job(job, now=NOW)
    # A stale copy of the row is refused as well, by the conditional update.
    stale = FailedJob.objects.get()
    stale.retried_at = None
    with pytest.raises(RetryRefusedError):
        retry_failed_job(stale, now=NOW)

    assert str(refused.value) == (
        f"This job was retried already (as task {task_id}). If that retry failed "
        "too, it is in this list as a new job."
    )
    assert RUNS["flaky"] == [7, 7]


def test_a_retry_that_fails_again_is_kept_as_a_new_job() -> None:
    always_fails(3)
    job = FailedJob.objects.get()

    task_id = retry_failed_job(job, now=NOW)

    assert RUNS["always_fails"] == [3] * 6
    again = FailedJob.objects.exclude(pk=job.pk).get()
    assert again.task_id == task_id
    assert again.args == [3]
    job.refresh_from_db()
    assert not job.resolved


def test_a_task_that_no_longer_exists_is_refused() -> None:
    job = FailedJob.objects.create(
        task_name="leadqual.gone.tasks.old_job", task_id="t-1", error="E: gone"
    )

    with pytest.raises(RetryRefusedError, match="no longer exists"):
        retry_failed_job(job, now=NOW)

    job.refresh_from_db()
    assert job.retried_at is None


def test_a_periodic_job_of_the_app_can_be_retried() -> None:
    job = FailedJob.objects.create(
        task_name="leadqual.triage.jobs.requalify_leads",
        task_id="t-1",
        error="OperationalError: database is locked",
    )

    retry_failed_job(job, now=NOW)

    job.refresh_from_db()
    assert job.resolved  # no leads: the requalification ran without an error


# --- the admin ------------------------------------------------------------------------


def test_admins_see_the_dead_letter_list(admin_client: Client) -> None:
    always_fails(42)

    response = admin_client.get(reverse("admin:leadqual_config_failedjob_changelist"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "always_fails" in content
    assert "RuntimeError: the CRM did not answer for lead 42" in content
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Background jobs" in index


@pytest.mark.parametrize("role", [Role.MARKETING, Role.SALES])
def test_other_roles_cannot_see_or_retry_failed_jobs(role: Role) -> None:
    job = failed_flaky_job()
    client = Client()
    client.force_login(make_user("kim", role=role))

    pages = [
        client.get(reverse("admin:leadqual_config_failedjob_changelist")),
        client.get(reverse("admin:leadqual_config_failedjob_change", args=[job.pk])),
        client.post(reverse("admin:leadqual_config_failedjob_retry", args=[job.pk])),
    ]

    for response in pages:
        if role is Role.SALES:  # not staff: the admin's login page
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")
        else:
            assert response.status_code == 403
    job.refresh_from_db()
    assert job.retried_at is None


def test_the_retry_action_queues_the_selected_jobs(admin_client: Client) -> None:
    job = failed_flaky_job()
    FLAKY["failing"] = False

    response = admin_client.post(
        reverse("admin:leadqual_config_failedjob_changelist"),
        {"action": "retry_selected", "_selected_action": [job.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 jobs were queued again." in response.content.decode()
    assert RUNS["flaky"] == [7, 7]
    job.refresh_from_db()
    assert job.is_retried
    assert job.resolved


def test_the_retry_action_names_jobs_retried_already(admin_client: Client) -> None:
    job = failed_flaky_job()
    retry_failed_job(job, now=NOW)

    response = admin_client.post(
        reverse("admin:leadqual_config_failedjob_changelist"),
        {"action": "retry_selected", "_selected_action": [job.pk]},
        follow=True,
    )

    assert "This job was retried already" in response.content.decode()
    assert RUNS["flaky"] == [7, 7]


def test_the_mark_resolved_action_closes_jobs(admin_client: Client) -> None:
    job = failed_flaky_job()

    admin_client.post(
        reverse("admin:leadqual_config_failedjob_changelist"),
        {"action": "mark_resolved", "_selected_action": [job.pk]},
    )

    job.refresh_from_db()
    assert job.resolved
    assert not job.is_retried


def test_the_job_page_has_a_retry_button_that_works_once(admin_client: Client) -> None:
    job = failed_flaky_job()
    FLAKY["failing"] = False
    change_url = reverse("admin:leadqual_config_failedjob_change", args=[job.pk])
    retry_url = reverse("admin:leadqual_config_failedjob_retry", args=[job.pk])

    page = admin_client.get(change_url).content.decode()
    assert f'action="{retry_url}"' in page
    assert "csrfmiddlewaretoken" in page
    assert 'name="_save"' not in page  # read-only

    response = admin_client.post(retry_url)
    assert response.status_code == 302
    assert response["Location"] == change_url
    job.refresh_from_db()
    assert RUNS["flaky"] == [7, 7]
    assert job.resolved

    again = admin_client.post(retry_url, follow=True).content.decode()
    assert "This job was retried already" in again
    assert f'action="{retry_url}"' not in again  # the button is gone
    assert RUNS["flaky"] == [7, 7]


def test_the_retry_button_needs_a_post_with_a_csrf_token(admin_user: User) -> None:
    job = failed_flaky_job()
    retry_url = reverse("admin:leadqual_config_failedjob_retry", args=[job.pk])
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    assert client.get(retry_url).status_code == 405
    assert client.post(retry_url).status_code == 403

    job.refresh_from_db()
    assert job.retried_at is None


def test_failed_jobs_are_not_added_by_hand(admin_client: Client) -> None:
    response = admin_client.get(reverse("admin:leadqual_config_failedjob_add"))
    assert response.status_code == 403


def test_retried_at_uses_the_clock_given() -> None:
    job = failed_flaky_job()
    later = timezone.now() + dt.timedelta(days=1)
    retry_failed_job(job, now=later)
    job.refresh_from_db()
    assert job.retried_at == later
