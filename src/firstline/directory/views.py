"""Directory pages: thin views over the policy door."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from firstline import policy
from firstline.directory.models import Network, Organisation


@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    orgs = policy.visible_to(request.user, Organisation).select_related("country")
    return render(request, "directory/organisations.html", {"organisations": orgs})


@login_required
def organisation(request: HttpRequest, key: str) -> HttpResponse:
    org = policy.get_visible_or_404(request.user, Organisation, key=key)
    return render(request, "directory/organisation.html", {"organisation": org})


@login_required
def networks(request: HttpRequest) -> HttpResponse:
    nets = policy.visible_to(request.user, Network)
    return render(request, "directory/networks.html", {"networks": nets})
