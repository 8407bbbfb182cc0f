"""Who may read the audit log: data protection officers and node administrators."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from firstline import policy
from firstline.accounts.models import Role
from firstline.audit.models import AuditEntry


def _can_audit(actor: Any, action: str, obj: Any) -> bool:
    return action == policy.VIEW and actor.role in (Role.DPO, Role.NODE_ADMIN)


def _visible_audit(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    if action == policy.VIEW and actor.role in (Role.DPO, Role.NODE_ADMIN):
        return qs
    return qs.none()


policy.register(AuditEntry, can=_can_audit, visible=_visible_audit)
