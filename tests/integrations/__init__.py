"""Real local peers for integration tests: an SMTP server and a chat webhook.

``SmtpSink`` is aiosmtpd on 127.0.0.1 at a free port; ``ChatReceiver`` is a
stdlib HTTP server in a thread. Both can refuse their first deliveries, so
tests can show that a failed try is retried and still delivers once.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class ReceivedMail:
    """One mail the sink accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, content_type: str) -> str:
        """The decoded text of the first part with this content type."""
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return str(part.get_content())
        raise AssertionError(f"the mail has no {content_type} part")


@dataclass
class SmtpSink:
    """An aiosmtpd handler that keeps mails and refuses the first ``fail_first``."""

    fail_first: int = 0
    messages: list[ReceivedMail] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.refused < self.fail_first:
            self.refused += 1
            return "451 4.3.0 Temporary failure, try again later"
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(
            ReceivedMail(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                message=parsed,
            )
        )
        return "250 OK"


class _AnyPortController(Controller):
    """aiosmtpd's Controller on port 0: learns the port the system picked."""

    def _trigger_server(self) -> None:
        server = self.server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextmanager
def smtp_server(sink: SmtpSink) -> Iterator[str]:
    """Run ``sink`` on 127.0.0.1; yields the smtp:// URL to reach it."""
    controller = _AnyPortController(sink, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


@dataclass
class ChatReceiver:
    """What the chat webhook received, and how many requests it should refuse."""

    fail_first: int = 0
    payloads: list[dict[str, Any]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    refused: int = 0


@contextmanager
def chat_webhook(receiver: ChatReceiver) -> Iterator[str]:
    """Run an HTTP receiver on 127.0.0.1; yields the webhook URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if receiver.refused < receiver.fail_first:
                receiver.refused += 1
                self.send_response(503)
                self.end_headers()
                return
            receiver.content_types.append(self.headers.get("Content-Type", ""))
            receiver.payloads.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def assert_slack_shape(payload: dict[str, Any]) -> None:
    """The body Slack incoming webhooks accept: text plus Block Kit blocks."""
    assert isinstance(payload["text"], str) and payload["text"]
    blocks = payload["blocks"]
    assert isinstance(blocks, list) and blocks
    for block in blocks:
        assert block["type"] in {"header", "section", "actions", "context", "divider"}
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
        if block["type"] == "section":
            assert "text" in block or "fields" in block
        if block["type"] == "actions":
            for element in block["elements"]:
                assert element["type"] == "button"
                assert element["url"].startswith("http")


def assert_teams_shape(payload: dict[str, Any]) -> dict[str, Any]:
    """The body Teams webhooks accept: a message with one Adaptive Card; returns it."""
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["version"] == "1.4"
    for item in card["body"]:
        # Plain text only: TextRuns, never a TextBlock or FactSet (Markdown).
        assert item["type"] == "RichTextBlock"
        assert all(run["type"] == "TextRun" for run in item["inlines"])
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl"
        assert action["url"].startswith("http")
    assert isinstance(card, dict)
    return card
