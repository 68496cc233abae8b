"""Factories with realistic defaults; a test sets only the fields it is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory
from django.contrib.auth.models import User
from factory.django import DjangoModelFactory

from leadqual.core.events import EventType
from leadqual.core.lifecycle import TaskKind
from leadqual.leads.models import Company, Event, Lead
from leadqual.leads.services import normalise_company_name
from leadqual.triage.models import Task
from leadqual.users.models import ApiToken
from leadqual.users.roles import Role
from leadqual.users.scopes import Scope
from leadqual.users.services import create_user, token_digest


class CompanyFactory(DjangoModelFactory[Company]):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Bakker ICT {n} B.V.")
    normalised_name = factory.LazyAttribute(
        lambda company: normalise_company_name(company.name)
    )
    domain = factory.Sequence(lambda n: f"bakker-ict-{n}.nl")


class LeadFactory(DjangoModelFactory[Lead]):
    """A plausible inbound lead of a Dutch SME; unscored until a service scores it."""

    class Meta:
        model = Lead

    first_name = "Jan"
    last_name = factory.Sequence(lambda n: f"de Vries {n}")
    email = factory.Sequence(lambda n: f"jan.devries{n}@bakker-ict.nl")
    company = factory.SubFactory(CompanyFactory)
    sector = "software"
    employees = 25
    budget_euros = 10_000
    urgency = "within_3_months"
    country = "NL"
    source = "website"


class EventFactory(DjangoModelFactory[Event]):
    class Meta:
        model = Event

    lead = factory.SubFactory(LeadFactory)
    type = EventType.PAGE_VIEW.value
    occurred_at = factory.LazyFunction(lambda: datetime.now(UTC))
    # Received when it happened, on the test's clock: a default of the real
    # clock would count the event as "not yet received" by a score as of a
    # fixed past moment once the real date passes it (#9).
    received_at = factory.LazyAttribute(lambda event: event.occurred_at)
    properties = factory.LazyFunction(lambda: {"url": "https://example.nl/product"})
    source = "api"
    external_id = factory.Sequence(lambda n: f"evt-{n}")


def make_user(
    username: str = "sanne",
    *,
    role: Role = Role.SALES,
    password: str = "correct horse battery",
) -> User:
    """A user in a role, created through the accounts service."""
    return create_user(
        username, role=role, email=f"{username}@example.nl", password=password
    )


class ApiTokenFactory(DjangoModelFactory[ApiToken]):
    """A token whose secret is ``secret`` (set it to know the bearer value).

    It holds every scope unless a test sets ``scopes``.
    """

    class Meta:
        model = ApiToken
        exclude = ("secret",)

    secret = factory.Sequence(lambda n: f"lq_test-token-{n:04d}-abcdefghijklmnop")
    name = factory.Sequence(lambda n: f"integration {n}")
    digest = factory.LazyAttribute(lambda token: token_digest(token.secret))
    prefix = factory.LazyAttribute(lambda token: token.secret[:10])
    scopes = factory.LazyFunction(lambda: [scope.value for scope in Scope])


class TaskFactory(DjangoModelFactory[Task]):
    """An open first-contact task; a test sets ``due_at`` (its clock) and the owner.

    Created a working day before it is due unless the test says when.
    """

    class Meta:
        model = Task

    lead = factory.SubFactory(LeadFactory)
    kind = TaskKind.FIRST_CONTACT.value
    # No default due_at: a task's deadline is always the test's own moment.
    created_at = factory.LazyAttribute(lambda task: task.due_at - timedelta(days=1))
