"""Webhook URLs are typed in by users: no loopback, private or link-local targets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from leadqual.integrations.delivery import deliver
from leadqual.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from leadqual.integrations.outbound_webhooks import UnsafeWebhookUrl, check_url
from leadqual.integrations.outbox import emit
from tests.factories import LeadFactory
from tests.integrations.http_receiver import running

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "address", "kind"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1", "loopback"),
        ("http://[::1]/hook", "::1", "loopback"),
        ("https://10.1.2.3/hook", "10.1.2.3", "private-network"),
        ("http://192.168.1.10/hook", "192.168.1.10", "private-network"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local"),
        ("http://[::ffff:127.0.0.1]/hook", "127.0.0.1", "loopback"),
        ("http://0.0.0.0/hook", "0.0.0.0", "unspecified"),
        ("http://224.0.0.1/hook", "224.0.0.1", "multicast"),
    ],
)
def test_a_url_into_a_private_network_is_refused_naming_the_address(
    url: str, address: str, kind: str
) -> None:
    with pytest.raises(UnsafeWebhookUrl) as caught:
        check_url(url, allow_private_network=False)
    assert (
        address in caught.value.message
        or address.split(":")[-1] in caught.value.message
    )
    assert kind in caught.value.message
    assert "allow private networks" in caught.value.message


def test_a_host_name_is_checked_by_the_addresses_it_resolves_to() -> None:
    with pytest.raises(UnsafeWebhookUrl, match=r"127\.0\.0\.1|::1"):
        check_url("http://localhost:9000/hook", allow_private_network=False)


def test_an_admin_may_allow_a_private_network_for_one_endpoint() -> None:
    target = check_url("http://127.0.0.1:8000/hook?x=1", allow_private_network=True)
    assert (target.address, target.port, target.path) == (
        "127.0.0.1",
        8000,
        "/hook?x=1",
    )


@pytest.mark.parametrize(
    "url", ["ftp://example.nl/hook", "file:///etc/passwd", "http://user:pw@example.nl/"]
)
def test_only_plain_http_and_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(UnsafeWebhookUrl):
        check_url(url, allow_private_network=True)


@pytest.mark.django_db
def test_saving_an_endpoint_with_a_private_url_fails_validation() -> None:
    endpoint = WebhookEndpoint(name="Intern", url="http://10.0.0.8/hook")
    with pytest.raises(ValidationError) as caught:
        endpoint.full_clean()
    assert "10.0.0.8" in str(caught.value.message_dict["url"])


@pytest.mark.django_db
def test_the_address_is_checked_again_at_delivery_time() -> None:
    """An endpoint saved while allowed, then disallowed, sends nothing."""
    with running() as receiver:
        endpoint = WebhookEndpoint.objects.create(
            name="CRM", url=f"{receiver.url}/hook", allow_private_network=True
        )
        endpoint.allow_private_network = False
        endpoint.save()
        (delivery,) = emit("lead.created", LeadFactory.create(), {}, now=NOW)
        deliver(delivery.pk, now=NOW)
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "127.0.0.1" in delivery.last_error and "loopback" in delivery.last_error
