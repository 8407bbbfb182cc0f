"""The actor behind management commands run at the node's console."""

from __future__ import annotations

from django.conf import settings

from firstline.accounts.models import Role


class ConsoleActor:
    """The operator at the node's console (``firstline directory import``, ``firstline demo``).

    Whoever can run management commands already holds the database, so the console acts as a
    node administrator; the audit log names it ``console:<label>``.
    """

    is_authenticated = True
    is_active = True
    organisation_id: int | None = None
    role = Role.NODE_ADMIN
    pk = None

    def __init__(self, label: str = "cli") -> None:
        self.actor_label = f"console:{label}"
        self.clearance = str(settings.CLASSIFICATION_LEVELS[-1])

    def has_scope(self, scope: str) -> bool:
        return True
