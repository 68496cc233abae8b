"""Chat messages through an incoming webhook: Slack or Microsoft Teams.

Slack incoming webhooks take ``{"text": ..., "blocks": [...]}`` (the text is
the notification and the fallback; the blocks are what the channel shows).
Microsoft Teams takes a message with one Adaptive Card attachment, the shape
that both the retiring Office 365 "Incoming Webhook" connector and the
Workflows (Power Automate) "Post to a channel when a webhook request is
received" template accept. Both are posted as JSON with a timeout; any
answer but 2xx raises ChatDeliveryFailed, so the caller can retry.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, assert_never

from django.core.exceptions import ImproperlyConfigured

from leadqual.core.errors import LeadqualError

CHAT_TIMEOUT_SECONDS = 10
# Adaptive Card 1.4 is the newest version Teams renders in webhook messages.
ADAPTIVE_CARD_VERSION = "1.4"
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


class ChatFormat(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"


class ChatDeliveryFailed(LeadqualError):
    code = "chat_delivery_failed"


def parse_chat_format(
    value: str, *, variable: str = "LEADQUAL_CHAT_FORMAT"
) -> ChatFormat:
    """``slack`` or ``teams`` (any case); ImproperlyConfigured naming ``variable`` else."""
    try:
        return ChatFormat(value.strip().lower())
    except ValueError:
        raise ImproperlyConfigured(
            f'{variable} must be slack or teams, got "{value}". Use slack for a '
            "Slack incoming webhook, teams for a Microsoft Teams webhook or "
            "Workflows webhook."
        ) from None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """What a chat alert says: a title, a line of text, facts and a link."""

    title: str
    text: str
    facts: Sequence[tuple[str, str]] = field(default_factory=tuple)
    link_url: str = ""
    link_label: str = ""


def slack_payload(message: ChatMessage) -> dict[str, Any]:
    """The message as a Slack incoming-webhook body with Block Kit blocks."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": message.text}},
    ]
    if message.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{name}*\n{value}"}
                    for name, value in message.facts
                ],
            }
        )
    if message.link_url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": message.link_label},
                        "url": message.link_url,
                    }
                ],
            }
        )
    return {"text": f"{message.title}: {message.text}", "blocks": blocks}


def teams_payload(message: ChatMessage) -> dict[str, Any]:
    """The message as a Teams webhook body: one Adaptive Card in a message."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "TextBlock", "text": message.text, "wrap": True},
    ]
    if message.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [
                    {"title": name, "value": value} for name, value in message.facts
                ],
            }
        )
    card: dict[str, Any] = {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
    }
    if message.link_url:
        card["actions"] = [
            {
                "type": "Action.OpenUrl",
                "title": message.link_label,
                "url": message.link_url,
            }
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def chat_payload(message: ChatMessage, chat_format: ChatFormat) -> dict[str, Any]:
    """The webhook body for ``chat_format``."""
    match chat_format:
        case ChatFormat.SLACK:
            return slack_payload(message)
        case ChatFormat.TEAMS:
            return teams_payload(message)
        case _:
            assert_never(chat_format)


def post_chat_message(
    message: ChatMessage,
    *,
    url: str,
    chat_format: ChatFormat,
    timeout_seconds: float = CHAT_TIMEOUT_SECONDS,
) -> None:
    """POST the message to the webhook at ``url``.

    Raises ChatDeliveryFailed when the webhook cannot be reached, times out
    or answers anything but 2xx. The message never includes the URL, which
    is a secret for Slack and Teams webhooks.
    """
    body = json.dumps(chat_payload(message, chat_format)).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "leadqual",
        },
    )
    if request.type not in {"http", "https"}:
        raise ChatDeliveryFailed(
            f'The chat webhook URL must start with https:// (or http://), got "'
            f'{request.type}:". Check LEADQUAL_CHAT_WEBHOOK_URL.'
        )
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise ChatDeliveryFailed(
            f"The {chat_format} chat webhook answered HTTP {error.code} "
            f"({error.reason}). It is tried again later; check "
            "LEADQUAL_CHAT_WEBHOOK_URL if this persists."
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ChatDeliveryFailed(
            f"The {chat_format} chat webhook could not be reached ({reason}). "
            "It is tried again later."
        ) from None
    if not 200 <= status < 300:
        raise ChatDeliveryFailed(
            f"The {chat_format} chat webhook answered HTTP {status}. "
            "It is tried again later."
        )
