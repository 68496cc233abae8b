from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(**kwargs: Any) -> None:
    from leadqual.users.services import sync_role_groups

    sync_role_groups()


class UsersConfig(AppConfig):
    name = "leadqual.users"
    # The label stays "accounts", the app's name before it moved: it names
    # the database tables, migrations and permissions ("accounts.add_apitoken").
    label = "accounts"
    verbose_name = _("Users and access")

    def ready(self) -> None:
        # Like Django's own permissions: the role groups follow the code after
        # every migrate, so a new permission reaches its role without a data
        # migration. No sender filter: permissions are created app by app, and
        # only the last app's turn sees them all.
        post_migrate.connect(
            _sync_roles_after_migrate, dispatch_uid="leadqual_sync_roles"
        )
