"""The tracker's background job: stitching a visitor after a signed identify.

Its own module, not intake/tasks.py: it stores through the pipeline, which
imports intake.tasks. IntakeConfig.ready() imports it, so the worker knows it.
"""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_task

from leadqual.intake.tracker import stitch_identified_visitor


@db_task(retries=3, retry_delay=60, retry_backoff=2)  # type: ignore[misc]
def stitch_identified_visitor_task(visitor_id: int, lead_id: int | None) -> None:
    """Stitch the visitor (by pk) to the lead (by id) a signed identify named.

    Queued after every valid identify, also when no lead had the email
    (``lead_id`` None: nothing to do), so the request does the same work
    either way. Safe to run twice: copied events are not copied again.
    """
    stitch_identified_visitor(visitor_id, lead_id, now=timezone.now())
