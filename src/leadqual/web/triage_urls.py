from django.urls import URLPattern, path

from leadqual.web import lead_actions, queue

# The namespace names the area: the sales queue and actions of triage.
app_name = "triage"

# Mounted at "" (config/urls.py): the paths are written out in full.
urlpatterns: list[URLPattern] = [
    path("queue/", queue.queue, name="queue"),
    # "Next lead": /queue/next/?after=<lead id> redirects to the lead after
    # that one in the user's queue order (the lead page's action bar links here).
    path("queue/next/", queue.next_lead, name="next-lead"),
    path("queue/close/", queue.close_selected_tasks, name="queue-close"),
    path(
        "leads/<int:lead_id>/feedback/",
        lead_actions.lead_feedback,
        name="lead-feedback",
    ),
    path(
        "leads/<int:lead_id>/feedback/rating/",
        lead_actions.lead_feedback_rating,
        name="lead-feedback-rating",
    ),
    path("leads/<int:lead_id>/bant/", lead_actions.lead_bant, name="lead-bant"),
    path(
        "leads/<int:lead_id>/first-contact/",
        lead_actions.lead_first_contact,
        name="lead-first-contact",
    ),
    path(
        "leads/<int:lead_id>/outcome/", lead_actions.lead_outcome, name="lead-outcome"
    ),
    path("leads/<int:lead_id>/reopen/", lead_actions.lead_reopen, name="lead-reopen"),
    path(
        "leads/<int:lead_id>/reopen/<int:action_id>/undo/",
        lead_actions.lead_reopen_undo,
        name="lead-reopen-undo",
    ),
    path("leads/<int:lead_id>/notes/", lead_actions.lead_note, name="lead-note"),
    path(
        "leads/<int:lead_id>/owner/", lead_actions.lead_reassign, name="lead-reassign"
    ),
    path(
        "leads/<int:lead_id>/correct/", lead_actions.lead_correct, name="lead-correct"
    ),
]
