"""Chat messages through an incoming webhook: Slack or Microsoft Teams.

Slack incoming webhooks take ``{"text": ..., "blocks": [...]}`` (the text is
the notification and the fallback; the blocks are what the channel shows).
Microsoft Teams takes a message with one Adaptive Card attachment, the shape
that both the retiring Office 365 "Incoming Webhook" connector and the
Workflows (Power Automate) "Post to a channel when a webhook request is
received" template accept. Both are posted as JSON with a timeout; any
answer but 2xx raises ChatDeliveryFailed, so the caller can retry.

Texts come from leads (a company name) and users, so they are never markup:
Slack's mrkdwn gets ``&``, ``<`` and ``>`` escaped, Teams gets TextRuns, which
Adaptive Cards show without reading Markdown.
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
    """What a chat alert says: a title, a line of text, facts and a link.

    Every field is plain text: a company name such as ``<!channel>`` or
    ``[Open](https://evil.example)`` is shown as written, never as markup
    (the payload builders escape or avoid each format's markup).
    """

    title: str
    text: str
    facts: Sequence[tuple[str, str]] = field(default_factory=tuple)
    link_url: str = ""
    link_label: str = ""


def slack_escape(text: str) -> str:
    """``text`` for Slack mrkdwn: ``&``, ``<`` and ``>`` as Slack's HTML entities.

    Slack reads ``<...>`` as a link or mention (``<!channel>``,
    ``<https://x|label>``) and asks for exactly these three to be escaped.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: no auto-linking of bare URLs, channel names or mentions.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def slack_payload(message: ChatMessage) -> dict[str, Any]:
    """The message as a Slack incoming-webhook body with Block Kit blocks.

    Text in mrkdwn fields is escaped; ``plain_text`` fields (header, button)
    are not parsed for markup by Slack and are sent as they are.
    """
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title}},
        {"type": "section", "text": _slack_mrkdwn(slack_escape(message.text))},
    ]
    if message.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    _slack_mrkdwn(f"*{slack_escape(name)}*\n{slack_escape(value)}")
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
    # The top-level text is the notification and fallback, read as mrkdwn.
    fallback = slack_escape(f"{message.title}: {message.text}")
    return {"text": fallback, "blocks": blocks}


def _teams_text(*runs: dict[str, Any], spacing: str = "Default") -> dict[str, Any]:
    # A RichTextBlock of TextRuns: Adaptive Cards read no Markdown in a
    # TextRun, unlike a TextBlock or a FactSet, where "[x](url)" is a link.
    return {"type": "RichTextBlock", "inlines": list(runs), "spacing": spacing}


def _teams_run(text: str, **style: str) -> dict[str, Any]:
    return {"type": "TextRun", "text": text, **style}


def teams_payload(message: ChatMessage) -> dict[str, Any]:
    """The message as a Teams webhook body: one Adaptive Card in a message.

    Every text is a TextRun, which Teams shows as plain text.
    """
    body: list[dict[str, Any]] = [
        _teams_text(_teams_run(message.title, weight="Bolder", size="Medium")),
        _teams_text(_teams_run(message.text)),
    ]
    body.extend(
        _teams_text(
            _teams_run(f"{name}: ", weight="Bolder"), _teams_run(value), spacing="None"
        )
        for name, value in message.facts
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
