"""Does an email domain accept mail? One short DNS lookup that never blocks intake.

The answer only adds a warning to a lead; it never refuses one. A timeout, a
missing network or a broken resolver is ``MxStatus.UNKNOWN``. Answers are
remembered per process, so an import asks once per domain.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

import dns.exception
import dns.resolver

from leadqual.core.hygiene import MxStatus

logger = logging.getLogger(__name__)

# A form submit or API call waits at most this long for DNS.
MX_TIMEOUT_SECONDS = 1.0
_DNS_PORT = 53


def _resolver(
    nameservers: Sequence[str], timeout_seconds: float
) -> dns.resolver.Resolver:
    """A resolver with a hard deadline; ``nameservers`` as "host" or "host:port"."""
    if not nameservers:
        try:
            resolver = dns.resolver.Resolver(configure=True)
        except (dns.resolver.NoResolverConfiguration, OSError):
            resolver = dns.resolver.Resolver(configure=False)
    else:
        resolver = dns.resolver.Resolver(configure=False)
        hosts: list[str] = []
        port = _DNS_PORT
        for server in nameservers:
            host, _colon, port_text = server.rpartition(":")
            if host and port_text.isdigit() and "]" not in port_text:
                hosts.append(host.strip("[]"))
                port = int(port_text)
            else:
                hosts.append(server.strip("[]"))
        resolver.nameservers = hosts
        resolver.port = port
    resolver.timeout = timeout_seconds
    resolver.lifetime = timeout_seconds
    return resolver


@lru_cache(maxsize=4096)
def _cached_status(
    domain: str, nameservers: tuple[str, ...], timeout_seconds: float
) -> MxStatus:
    resolver = _resolver(nameservers, timeout_seconds)
    try:
        answer = resolver.resolve(domain, "MX", raise_on_no_answer=False)
        exchanges = [str(record.exchange) for record in answer]
        if exchanges:
            # A "null MX" (RFC 7505) says the domain accepts no mail at all.
            return MxStatus.MISSING if exchanges == ["."] else MxStatus.FOUND
        address = resolver.resolve(domain, "A", raise_on_no_answer=False)
        return MxStatus.FOUND if len(address) else MxStatus.MISSING
    except dns.resolver.NXDOMAIN:
        return MxStatus.MISSING
    except (dns.exception.DNSException, OSError) as error:
        logger.info("MX lookup gave no answer: %s", type(error).__name__)
        return MxStatus.UNKNOWN


def mx_status(
    domain: str,
    *,
    nameservers: Sequence[str] = (),
    timeout_seconds: float = MX_TIMEOUT_SECONDS,
) -> MxStatus:
    """Whether ``domain`` (normalised, ASCII) has a mail server, within the timeout.

    ``nameservers`` overrides the system resolver ("127.0.0.1:5353"). Never
    raises for DNS trouble: it returns MxStatus.UNKNOWN instead.
    """
    return _cached_status(domain, tuple(nameservers), timeout_seconds)
