"""In Chromium: sign in with password and TOTP, see the dashboard, switch to Albanian, browse."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from firstline.accounts.models import User
from firstline.directory.models import Membership, MembershipRole, Network, NetworkLevel

pytestmark = pytest.mark.browser


def test_an_officer_signs_in_with_totp_switches_to_albanian_and_opens_an_organisation_and_its_map(
    browser_page: Any, sign_in: Any, albanian_officer: User
) -> None:
    network = Network.objects.create(
        key="wbcti",
        name="Western Balkans Counter-Terrorism initiative",
        acronym="WBCTi",
        level=NetworkLevel.OPERATIONAL,
    )
    Membership.objects.create(
        network=network, organisation=albanian_officer.organisation, role=MembershipRole.MEMBER
    )
    page = browser_page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # not signed in yet

    sign_in(page, albanian_officer)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # the live server serves static files (from the apps, through the staticfiles finders)
    stylesheet = page.request.get(page.locator("link[rel=stylesheet]").get_attribute("href"))
    assert stylesheet.ok
    assert ".htmx-indicator" in stylesheet.text()

    # the switcher submits itself on change (site.js; no inline script under the CSP)
    page.get_by_label("Language").select_option("sq")
    expect(page.locator("html")).to_have_attribute("lang", "sq")
    expect(page.get_by_role("heading", level=1)).to_have_text("Paneli i treguesve")
    expect(page.get_by_label("Gjuha")).to_have_value("sq")

    page.get_by_role("link", name="Albanian State Police, Counter-Terrorism Unit").click()
    expect(page).to_have_url(re.compile(r"/directory/organisations/al-asp-ctu/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Albanian State Police, Counter-Terrorism Unit"
    )
    expect(page.locator("html")).to_have_attribute("lang", "sq")  # the choice is kept

    # from the organisation to its country's stakeholder map: a diagram and the same as a table
    page.get_by_role("main").get_by_role("link", name="Shqipëria").first.click()
    expect(page).to_have_url(re.compile(r"/directory/countries/AL/map/$"))
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_contain_text("Shqipëria")
    expect(main.locator("figure svg")).to_be_visible()
    expect(main.locator("figure svg")).to_contain_text("WBCTi")
    table = main.get_by_role("table")
    expect(table.get_by_role("columnheader", name="WBCTi")).to_be_visible()
    expect(table.get_by_role("rowheader")).to_contain_text(
        "Albanian State Police, Counter-Terrorism Unit"
    )
