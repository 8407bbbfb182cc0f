"""The site's navigation is rendered once per language and role (a cached fragment): it must
still differ where language or role differ, and never carry one person's details to another."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from firstline.accounts.models import User


def test_the_cached_navigation_follows_role_and_language(
    signed_in: Callable[[User], Client], albanian_officer: User, node_admin: User
) -> None:
    officer = signed_in(albanian_officer)
    admin = signed_in(node_admin)
    for _ in range(2):  # the second round is served from the cache
        assert 'href="/audit/"' not in officer.get("/").content.decode()
        assert 'href="/audit/"' in admin.get("/").content.decode()
    officer.cookies["firstline_language"] = "sq"
    albanian = officer.get("/").content.decode()
    assert ">Kutia hyrëse</a>" in albanian and ">Inbox</a>" not in albanian
    assert '<option value="sq" selected lang="sq">' in albanian
    english = admin.get("/").content.decode()
    assert ">Inbox</a>" in english
    assert '<option value="en" selected lang="en">' in english
    assert albanian_officer.username not in english and node_admin.username not in albanian
