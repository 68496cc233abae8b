"""``leadqual create-user NAME --role ROLE``: add a user in one role."""

from __future__ import annotations

import getpass
import sys
from typing import Any, TextIO

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leadqual.core.errors import LeadqualError
from leadqual.users.roles import Role
from leadqual.users.services import create_user

ROLE_NAMES = ", ".join(role.value for role in Role)


class Command(BaseCommand):
    help = (
        "Create a user in the sales, marketing or admin role. Without --password "
        "you are asked for one on a terminal; elsewhere the user gets no password "
        "until you run: leadqual changepassword NAME"
    )
    # call_command(stdin=...) lets tests stand in for a terminal.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", metavar="NAME", help="the login name")
        parser.add_argument("--role", required=True, help=f"one of {ROLE_NAMES}")
        parser.add_argument("--email", default="", help="the user's email address")
        parser.add_argument(
            "--password",
            help="the password (visible in your shell history: prefer the prompt)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"].strip()
        if not username:
            raise CommandError("The user name is empty. Give a name, e.g. sanne.")
        try:
            role = Role(options["role"].strip().casefold())
        except ValueError:
            raise CommandError(
                f'"{options["role"]}" is not a role. Use one of {ROLE_NAMES}.'
            ) from None
        email: str = options["email"].strip()
        password: str | None = options["password"]
        stdin: TextIO = options.get("stdin") or sys.stdin
        if password is None and stdin.isatty():
            password = self._ask_password()
        if password:
            self._check_password(password, username=username, email=email)
        try:
            user = create_user(username, role=role, email=email, password=password)
        except LeadqualError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f'Created {role.value} user "{user.username}".')
        if not user.has_usable_password():
            self.stdout.write(
                "The user has no password yet and cannot log in. Set one with: "
                f"leadqual changepassword {user.username}"
            )

    def _ask_password(self) -> str | None:
        password = getpass.getpass("Password (leave empty to set one later): ")
        if not password:
            return None
        if getpass.getpass("Password (again): ") != password:
            raise CommandError("The two passwords differ. Nothing was created.")
        return password

    def _check_password(self, password: str, *, username: str, email: str) -> None:
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as error:
            raise CommandError(
                "The password is too weak: " + " ".join(error.messages)
            ) from None
