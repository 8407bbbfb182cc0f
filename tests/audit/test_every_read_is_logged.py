"""Every page and API endpoint that returns personal data writes an audit entry.

The test walks every URL the node serves (the Django admin aside) and fails on one that is in
neither table below, so a new endpoint cannot ship unclassified: add it to ``PERSONAL_DATA``
with a request that reads something (and the user making it), or to ``NO_PERSONAL_DATA``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from firstline.accounts.models import User
from firstline.audit import heads
from firstline.audit.log import record
from firstline.audit.models import AuditEntry, Operation
from firstline.directory.models import Person

# url name -> (path to request, fixture name of the user who may read it)
PERSONAL_DATA: dict[str, tuple[str, str]] = {
    "audit:search": ("/audit/", "node_admin"),
    "audit:export": ("/audit/export.csv", "node_admin"),
    "audit:proof": ("/audit/entries/0/proof.json", "node_admin"),
    "audit:me": ("/audit/me/", "albanian_officer"),
    "api:entries": ("/api/v1/audit/entries?start=0&end=1", "node_admin"),
}
NO_PERSONAL_DATA = {
    "core:dashboard",
    "core:healthz",
    "core:readyz",
    "accounts:login",
    "accounts:logout",
    "accounts:verify",
    "accounts:account",  # the signed-in user's own account, shown to them
    "directory:organisations",
    "directory:organisation",
    "directory:networks",
    "set_language",
    "api:openapi-json",
    "api:openapi-view",
    "api:api-root",
    "api:list_organisations",
    "api:log_key",
    "api:log_keys",
    "api:tree_head",
    "api:inclusion_proof",
    "api:consistency_proof",
}


def url_names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            full = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from url_names(pattern.url_patterns, full)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_is_classified() -> None:
    served = {n for n in url_names(get_resolver().url_patterns) if not n.startswith("admin")}
    unclassified = served - PERSONAL_DATA.keys() - NO_PERSONAL_DATA
    assert not unclassified, f"say whether these return personal data: {sorted(unclassified)}"


@pytest.mark.parametrize("name", sorted(PERSONAL_DATA))
def test_each_read_of_personal_data_writes_an_entry(
    name: str,
    request: pytest.FixtureRequest,
    albanian_contact: Person,
    albanian_officer: User,
    signed_in: Callable[[User], Client],
) -> None:
    with transaction.atomic():  # something to read: someone looked the officer up
        record(
            actor=None,
            operation=Operation.CONSULT,
            object_type="directory.person",
            object_ids=[albanian_contact.pk],
            subjects=[albanian_contact],
        )
        record(actor=albanian_officer, operation=Operation.LOGIN)
    heads.sign_tree_head()
    path, user_fixture = PERSONAL_DATA[name]
    before = AuditEntry.objects.count()
    response = signed_in(request.getfixturevalue(user_fixture)).get(path)
    assert response.status_code == 200, response.content[:300]
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.operation in (Operation.CONSULT, Operation.EXPORT)
