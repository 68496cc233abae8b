"""``leadqual create-token NAME``: issue an API token and show its secret once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leadqual.core.errors import LeadqualError
from leadqual.users.scopes import DEFAULT_SCOPES, Scope, parse_scopes
from leadqual.users.services import create_token


class Command(BaseCommand):
    help = (
        "Issue an API token for an integration. The secret is printed once on "
        "standard output, alone on its line; only its digest is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "name", metavar="NAME", help='what the token is for, e.g. "website form"'
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help=(
                "let the token act for this user, with at most their rights (their "
                "leads, their role's scopes); default: a machine token"
            ),
        )
        parser.add_argument(
            "--expires-in-days",
            metavar="N",
            help="let the token expire after N days (default: never)",
        )
        parser.add_argument(
            "--scope",
            action="append",
            metavar="SCOPE",
            help=(
                "what the token may do; repeat for more than one: "
                f"{', '.join(scope.value for scope in Scope)} (admin includes the "
                f"others). Default: {', '.join(s.value for s in DEFAULT_SCOPES)}"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["name"].strip()
        if not name:
            raise CommandError('The token name is empty. Give one, e.g. "website".')
        user = self._user(options["user"])
        try:
            scopes = (
                parse_scopes(options["scope"])
                if options["scope"]
                else list(DEFAULT_SCOPES)
            )
        except LeadqualError as error:
            raise CommandError(f"--scope: {error.message}") from None
        now = timezone.now()
        expires_at = None
        if options["expires_in_days"] is not None:
            expires_at = now + timedelta(days=self._days(options["expires_in_days"]))
        try:
            issued = create_token(name, user=user, expires_at=expires_at, scopes=scopes)
        except LeadqualError as error:
            raise CommandError(error.message) from None
        self.stdout.write(issued.secret)
        until = (
            f"until {timezone.localtime(expires_at):%Y-%m-%d %H:%M}"
            if expires_at
            else "without expiry"
        )
        self.stderr.write(
            f'Created API token "{name}" ({issued.token.prefix}…), valid {until}, '
            f"with the scopes {', '.join(scope.value for scope in scopes)}. "
            "Copy the secret above now: it is not shown again.",
            style_func=lambda text: text,
        )

    def _user(self, username: str | None) -> User | None:
        if username is None:
            return None
        user = User.objects.filter(username__iexact=username.strip()).first()
        if user is None:
            raise CommandError(
                f'There is no user named "{username}". Create one first with: '
                f"leadqual create-user {username} --role sales"
            )
        return user

    def _days(self, raw: str) -> int:
        try:
            days = int(raw)
        except ValueError:
            days = 0
        if days < 1:
            raise CommandError(
                "--expires-in-days must be a whole number of days, 1 or more, "
                f'got "{raw}".'
            )
        return days
