"""Sensitive records ask for a justification first, and the justification goes into the entry.

The mechanism is tested here on a small page and API view mounted for the test, exactly as a
domain uses it (see the docstring of ``firstline.audit.justification``); the exchange's messages
carrying special categories are the product's case (tests/exchange/test_special_categories.py).
"""

from __future__ import annotations

import types
from collections.abc import Callable

import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client
from django.urls import path

from firstline.accounts.models import User
from firstline.audit.justification import justification_from_headers, require_justification
from firstline.audit.log import record
from firstline.audit.models import AuditEntry, Operation
from firstline.core.problems import Problem, render_problem
from firstline.directory.models import Person


def sensitive_page(request: HttpRequest, pk: int) -> HttpResponse:
    person = Person.objects.get(pk=pk)
    justification = require_justification(request, person, label="a protected contact")
    if isinstance(justification, HttpResponse):
        return justification
    with transaction.atomic():
        record(
            actor=request.user,
            operation=Operation.CONSULT,
            object_type="directory.person",
            object_ids=[person.pk],
            subjects=[person],
            justification=justification,
            request=request,
        )
        return HttpResponse(f"record of {person.family_name}")


def sensitive_api(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        justification = justification_from_headers(request)
    except Problem as problem:
        return render_problem(request, problem)
    with transaction.atomic():
        record(
            actor=request.user,
            operation=Operation.CONSULT,
            object_ids=[pk],
            subjects=[f"person:{pk}"],
            justification=justification,
        )
    return JsonResponse({"shown": pk})


@pytest.fixture
def sensitive_urls(settings: object) -> None:
    from firstline import urls

    module = types.ModuleType("sensitive_test_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("sensitive/<int:pk>/", sensitive_page),
        path("api/sensitive/<int:pk>", sensitive_api),
        *urls.urlpatterns,
    ]
    settings.ROOT_URLCONF = module  # type: ignore[attr-defined]


def test_a_sensitive_page_asks_why_before_showing_the_record(
    sensitive_urls: None,
    albanian_contact: Person,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(serbian_analyst)
    url = f"/sensitive/{albanian_contact.pk}/"
    form = client.get(url)
    assert "Justification required" in form.content.decode()
    assert "Hoxha" not in form.content.decode()
    assert not AuditEntry.objects.exists()

    rejected = client.post(url, {"justification_reason": "Because", "justification_text": "x"})
    assert rejected.status_code == 400
    assert not AuditEntry.objects.exists()

    accepted = client.post(
        url,
        {
            "justification_reason": "Request from a partner authority",
            "justification_text": "Albanian liaison asked on 3 May",
        },
    )
    assert accepted.status_code == 302 and accepted["Location"] == url
    shown = client.get(url)
    assert shown.content == b"record of Hoxha"
    entry = AuditEntry.objects.get()
    assert (
        entry.justification == "Request from a partner authority: Albanian liaison asked on 3 May"
    )
    assert entry.subjects == [f"person:{albanian_contact.pk}"]
    client.get(url)  # a reload within the grant is logged again, with the same reason
    assert AuditEntry.objects.filter(justification=entry.justification).count() == 2


def test_the_api_requires_the_justification_headers(
    sensitive_urls: None, serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(serbian_analyst)
    missing = client.get("/api/sensitive/5")
    assert missing.status_code == 428
    assert missing["Content-Type"] == "application/problem+json"
    assert "Threat or risk assessment" in missing.json()["detail"]
    assert {e["field"] for e in missing.json()["errors"]} == {
        "X-Justification-Reason",
        "X-Justification",
    }
    unknown = client.get(
        "/api/sensitive/5", HTTP_X_JUSTIFICATION_REASON="curiosity", HTTP_X_JUSTIFICATION="x"
    )
    assert unknown.status_code == 400
    assert not AuditEntry.objects.exists()
    ok = client.get(
        "/api/sensitive/5",
        HTTP_X_JUSTIFICATION_REASON="threat or risk assessment",
        HTTP_X_JUSTIFICATION="Rapport%20from%20Kumanovo%3A%20%C3%AB",
    )
    assert ok.status_code == 200
    assert AuditEntry.objects.get().justification == (
        "Threat or risk assessment: Rapport from Kumanovo: ë"
    )


def test_the_reasons_come_from_the_settings(
    sensitive_urls: None,
    settings: object,
    albanian_contact: Person,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    settings.AUDIT_JUSTIFICATION_REASONS = ["Court order"]  # type: ignore[attr-defined]
    form = signed_in(serbian_analyst).get(f"/sensitive/{albanian_contact.pk}/")
    assert "Court order" in form.content.decode()
    assert "Threat or risk assessment" not in form.content.decode()
