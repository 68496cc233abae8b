"""Webhook payloads shaped as the mail tools' public documentation shows them.

Sources (see docs/webhooks.md):
- Mailchimp audience webhooks: the unsubscribe and cleaned examples of Mailchimp's
  webhook reference (https://mailchimp.com/developer/marketing/guides/
  sync-audience-data-webhooks/), form-encoded.
- Mailchimp Transactional: https://mailchimp.com/developer/transactional/docs/webhooks/
  (mandrill_events, a JSON array of message events).
- Brevo: https://developers.brevo.com/docs/transactional-webhooks and
  https://developers.brevo.com/docs/marketing-webhooks.
- Mautic: https://mautic-developer.readthedocs.io/en/latest/webhooks/events/
  (email_on_open carries the email Stat; lead_channel_subscription_changed).
Only the addresses are ours, so the tests can create matching leads.
"""

from __future__ import annotations

import json
from typing import Any


def mailchimp_unsubscribe(email: str) -> dict[str, str]:
    return {
        "type": "unsubscribe",
        "fired_at": "2009-03-26 21:40:57",
        "data[action]": "unsub",
        "data[reason]": "manual",
        "data[id]": "8a25ff1d98",
        "data[list_id]": "a6b5da1054",
        "data[email]": email,
        "data[email_type]": "html",
        "data[merges][EMAIL]": email,
        "data[merges][FNAME]": "Mailchimp",
        "data[merges][LNAME]": "API",
        "data[merges][INTERESTS]": "Group1,Group2",
        "data[ip_opt]": "10.20.10.30",
        "data[campaign_id]": "cb398d21d2",
    }


def mailchimp_cleaned(email: str) -> dict[str, str]:
    return {
        "type": "cleaned",
        "fired_at": "2009-03-26 22:01:00",
        "data[list_id]": "a6b5da1054",
        "data[campaign_id]": "4fjk2ma9xd",
        "data[reason]": "hard",
        "data[email]": email,
    }


def mandrill_events(email: str) -> str:
    """A mandrill_events value: an open, a click and a hard bounce."""
    message = {
        "ts": 1365109999,
        "subject": "This an example webhook message",
        "email": email,
        "sender": "example.sender@mandrillapp.com",
        "tags": ["webhook-example"],
        "state": "sent",
        "metadata": {"user_id": 111},
        "_id": "exampleaaaaaaaaaaaaaaaaaaaaaaaaa",
        "_version": "exampleaaaaaaaaaaaaaaa",
    }
    events: list[dict[str, Any]] = [
        {
            "event": "open",
            "msg": message,
            "_id": "exampleaaaaaaaaaaaaaaaaaaaaaaaaa",
            "ip": "127.0.0.1",
            "location": None,
            "user_agent": "Mozilla/5.0",
            "ts": 1384954004,
        },
        {
            "event": "click",
            "msg": message,
            "_id": "exampleaaaaaaaaaaaaaaaaaaaaaaaaa",
            "ip": "127.0.0.1",
            "url": "https://mandrill.com",
            "ts": 1384954005,
        },
        {
            "event": "hard_bounce",
            "msg": {
                **message,
                "state": "bounced",
                "_id": "exampleaaaaaaaaaaaaaaaaaaaaaaaaa2",
                "bounce_description": "bad_mailbox",
                "bgtools_code": 10,
                "diag": "smtp;550 5.1.1 The email account that you tried to reach "
                "does not exist.",
            },
            "_id": "exampleaaaaaaaaaaaaaaaaaaaaaaaaa2",
            "ts": 1384954006,
        },
    ]
    return json.dumps(events)


def brevo_transactional(event: str, email: str, **extra: Any) -> dict[str, Any]:
    """A Brevo transactional email event (request, click, hard_bounce, ...)."""
    return {
        "event": event,
        "email": email,
        "id": 1234,
        "date": "2020-10-09 00:00:00",
        "ts": 1604933619,
        "message-id": "201798300811.5787683@relay.domain.com",
        "ts_event": 1604933654,
        "subject": "My first Transactional",
        "X-Mailin-custom": "some_custom_header",
        "sending_ip": "185.41.28.109",
        "ts_epoch": 1604933654,
        "template_id": 22,
        "tags": ["transac_messages"],
        **extra,
    }


def brevo_marketing(event: str, email: str, **extra: Any) -> dict[str, Any]:
    """A Brevo marketing (campaign) email event."""
    return {
        "id": 123456,
        "camp_id": 12,
        "email": email,
        "campaign name": "My First Campaign ",
        "date_sent": "2020-10-09 00:00:00",
        "date_event": "2020-10-09 00:00:00",
        "event": event,
        "tag": "",
        "ts_sent": 1604933619,
        "ts_event": 1604933737,
        "ts": 1604937337,
        **extra,
    }


def _mautic_contact(email: str) -> dict[str, Any]:
    return {
        "id": 47,
        "isPublished": True,
        "dateAdded": "2024-05-14T09:11:37+00:00",
        "points": 25,
        "color": None,
        "fields": {
            "core": {
                "email": {
                    "id": 6,
                    "group": "core",
                    "label": "Email",
                    "alias": "email",
                    "type": "email",
                    "properties": [],
                    "value": email,
                    "normalizedValue": email,
                },
            },
        },
        "doNotContact": [],
    }


def mautic_email_on_open(email: str) -> dict[str, Any]:
    return {
        "mautic.email_on_open": [
            {
                "stat": {
                    "id": 9182,
                    "emailAddress": email,
                    "ipAddress": {"id": 3, "ipAddress": "203.0.113.9"},
                    "dateSent": "2024-05-14T09:12:00+00:00",
                    "isRead": True,
                    "isFailed": False,
                    "dateRead": "2024-05-14T10:02:11+00:00",
                    "retryCount": 0,
                    "source": "campaign.event",
                    "openCount": 1,
                    "lastOpened": "2024-05-14T10:02:11+00:00",
                    "sourceId": 4,
                    "trackingHash": "6643293b1d2c8281465013",
                    "viewedInBrowser": False,
                    "lead": _mautic_contact(email),
                    "email": {"id": 12, "name": "Mei nieuwsbrief", "subject": "Nieuw"},
                },
                "timestamp": "2024-05-14T10:02:11+00:00",
            }
        ]
    }


def mautic_unsubscribed(email: str) -> dict[str, Any]:
    return {
        "mautic.lead_channel_subscription_changed": [
            {
                "contact": _mautic_contact(email),
                "channel": "email",
                "old_status": "contactable",
                "new_status": "unsubscribed",
                "timestamp": "2024-05-15T08:00:00+00:00",
            }
        ]
    }
