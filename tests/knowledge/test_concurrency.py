"""Two editors saving the same base version at the same moment: one wins, one gets 409.

PostgreSQL only: it takes the row lock the service relies on (SQLite serialises writers with
its IMMEDIATE transactions instead, which the other version tests cover).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from firstline.accounts.models import User
from firstline.core.problems import Problem
from firstline.knowledge import services
from firstline.knowledge.models import Item, ItemVersion

from .conftest import PRACTICE_FIELDS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_edits_of_one_version_let_exactly_one_through(
    albanian_officer: User, albanian_org_admin: User, write_item: Callable[..., Item]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    item = write_item(albanian_officer)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(actor: User, title: str) -> None:
        try:
            barrier.wait()
            services.edit_item(
                actor,
                item.pk,
                1,
                services.ItemInput(
                    title=title,
                    fields=PRACTICE_FIELDS,
                    tlp="GREEN",
                    classification="UNCLASSIFIED",
                    scope="public",
                ),
            )
            outcomes.append("saved")
        except Problem as problem:
            outcomes.append(str(problem.status))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=edit, args=(albanian_officer, "Officer's title")),
        threading.Thread(target=edit, args=(albanian_org_admin, "Admin's title")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409", "saved"]
    item.refresh_from_db()
    assert item.version == 2
    assert ItemVersion.objects.filter(item=item).count() == 2
