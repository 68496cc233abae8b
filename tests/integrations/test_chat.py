"""Chat alerts reach a webhook in Slack's and Teams' shapes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from leadqual.integrations.chat import (
    ChatDeliveryFailed,
    ChatFormat,
    ChatMessage,
    parse_chat_format,
    post_chat_message,
)
from tests.integrations import (
    ChatReceiver,
    assert_slack_shape,
    assert_teams_shape,
    chat_webhook,
)

MESSAGE = ChatMessage(
    title="A lead became hot",
    text="Bakker ICT B.V.",
    facts=[("Score", "82"), ("Band", "Hot")],
    link_url="https://leads.example.nl/leads/7/",
    link_label="Open lead",
)


def test_slack_gets_text_and_blocks_with_the_facts_and_a_button() -> None:
    receiver = ChatReceiver()
    with chat_webhook(receiver) as url:
        post_chat_message(MESSAGE, url=url, chat_format=ChatFormat.SLACK)

    (payload,) = receiver.payloads
    assert_slack_shape(payload)
    assert receiver.content_types == ["application/json; charset=utf-8"]
    assert "A lead became hot" in payload["text"]
    fields = next(block for block in payload["blocks"] if "fields" in block)
    score = {"type": "mrkdwn", "text": "*Score*\n82", "verbatim": True}
    assert score in fields["fields"]
    (actions,) = [block for block in payload["blocks"] if block["type"] == "actions"]
    assert actions["elements"][0]["url"] == "https://leads.example.nl/leads/7/"


def test_teams_gets_an_adaptive_card_in_a_message() -> None:
    receiver = ChatReceiver()
    with chat_webhook(receiver) as url:
        post_chat_message(MESSAGE, url=url, chat_format=ChatFormat.TEAMS)

    (payload,) = receiver.payloads
    card = assert_teams_shape(payload)
    texts = [[run["text"] for run in item["inlines"]] for item in card["body"]]
    assert texts[0] == ["A lead became hot"]
    assert ["Score: ", "82"] in texts
    assert card["actions"][0]["url"] == "https://leads.example.nl/leads/7/"


def test_a_webhook_that_answers_an_error_raises_for_the_caller_to_retry() -> None:
    receiver = ChatReceiver(fail_first=1)
    with (
        chat_webhook(receiver) as url,
        pytest.raises(ChatDeliveryFailed, match="HTTP 503"),
    ):
        post_chat_message(MESSAGE, url=url, chat_format=ChatFormat.SLACK)
    assert receiver.payloads == []


def test_a_webhook_that_is_down_raises_without_quoting_the_url() -> None:
    with chat_webhook(ChatReceiver()) as url:
        pass  # the receiver is stopped again: nothing listens on its port
    with pytest.raises(ChatDeliveryFailed) as error:
        post_chat_message(MESSAGE, url=url, chat_format=ChatFormat.TEAMS)
    assert "could not be reached" in str(error.value)
    assert url not in str(error.value)


def test_only_http_webhook_urls_are_posted_to() -> None:
    with pytest.raises(ChatDeliveryFailed, match="LEADQUAL_CHAT_WEBHOOK_URL"):
        post_chat_message(
            MESSAGE, url="file:///etc/passwd", chat_format=ChatFormat.SLACK
        )


@pytest.mark.parametrize(
    ("value", "expected"), [("slack", "slack"), ("Teams", "teams")]
)
def test_the_chat_format_is_slack_or_teams(value: str, expected: str) -> None:
    assert parse_chat_format(value) == expected


def test_another_chat_format_is_refused_naming_the_variable() -> None:
    with pytest.raises(ImproperlyConfigured, match=r'LEADQUAL_CHAT_FORMAT .*"discord"'):
        parse_chat_format("discord")


def test_markup_in_slack_facts_is_escaped_including_ampersands() -> None:
    message = ChatMessage(
        title="A lead became hot",
        text="R&D B.V.",
        facts=[("Owner", "<@U024BE7LH> & <!here>")],
    )
    receiver = ChatReceiver()
    with chat_webhook(receiver) as url:
        post_chat_message(message, url=url, chat_format=ChatFormat.SLACK)

    (payload,) = receiver.payloads
    fields = next(block for block in payload["blocks"] if "fields" in block)
    owner = fields["fields"][0]["text"]
    assert owner == "*Owner*\n&lt;@U024BE7LH&gt; &amp; &lt;!here&gt;"
    assert payload["blocks"][1]["text"]["text"] == "R&amp;D B.V."
