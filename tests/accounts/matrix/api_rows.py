"""The authorisation matrix's rows for the API: one per operation of the OpenAPI schema."""

from __future__ import annotations

from tests.accounts.matrix.expectations import (
    ACTION,
    EVENT,
    EVERYONE_SIGNED_IN,
    HOME,
    ITEM,
    KNOWLEDGE_ITEM,
    MESSAGE,
    NEW_KEY,
    SESSION,
    Expect,
    expect,
)

# --- the API, one row per operation of the OpenAPI schema ------------------------------------------

API: dict[tuple[str, str], Expect] = {
    ("GET", "/api/v1/directory/organisations"): expect(
        401, default=200, shows_other=EVERYONE_SIGNED_IN, marker="key"
    ),
    ("GET", "/api/v1/accounts/me"): expect(401, default=200),
    ("GET", "/api/v1/accounts/keys"): expect(
        401, default=403, org_admin=200, node_admin=200, shows_other={"node_admin"}, marker="prefix"
    ),
    ("POST", "/api/v1/accounts/keys"): expect(401, default=403, org_admin=201, body=NEW_KEY),
    ("GET", "/api/v1/accounts/keys/{prefix}"): expect(
        401, default=404, org_admin=(200, 404), node_admin=200
    ),
    ("POST", "/api/v1/accounts/keys/{prefix}/revoke"): expect(
        401, default=404, org_admin=(200, 404), node_admin=200
    ),
    ("PATCH", "/api/v1/accounts/users/{user_id}/access"): expect(
        401, default=404, org_admin=(200, 404), node_admin=200, body={"role": "coordinator"}
    ),
    # directory: read by every signed-in actor; changed by a node administrator, and by an
    # organisation administrator (or its key) within their organisation; networks: node only
    ("DELETE", "/api/v1/directory/focal-points/{focal_point_id}"): expect(
        401, default=403, org_admin=(204, 403), node_admin=204, apikey_write=(204, 403)
    ),
    ("DELETE", "/api/v1/directory/memberships/{membership_id}"): expect(
        401, default=403, org_admin=(204, 403), node_admin=204, apikey_write=(204, 403)
    ),
    ("DELETE", "/api/v1/directory/networks/{key}"): expect(
        401, default=403, node_admin=204, params={"key": "network"}
    ),
    ("DELETE", "/api/v1/directory/organisations/{key}"): expect(401, default=403, node_admin=409),
    ("DELETE", "/api/v1/directory/people/{key}"): expect(
        401,
        default=403,
        org_admin=(204, 403),
        node_admin=204,
        apikey_write=(204, 403),
        params={"key": "person_key"},
    ),
    ("DELETE", "/api/v1/directory/units/{key}"): expect(
        401,
        default=403,
        org_admin=(204, 403),
        node_admin=204,
        apikey_write=(204, 403),
        params={"key": "unit_key"},
    ),
    # audit: heads and proofs for any signed-in actor; entries answer everyone but show the
    # canonical form only of those the oversight policy allows (the rest as leaf hashes)
    ("GET", "/api/v1/audit/entries"): expect(401, default=200, query="start=0&end=1"),
    ("GET", "/api/v1/audit/key"): expect(200, default=200),
    ("GET", "/api/v1/audit/keys"): expect(200, default=200),
    ("GET", "/api/v1/audit/proof/consistency"): expect(401, default=200, query="first=1"),
    ("GET", "/api/v1/audit/proof/inclusion"): expect(401, default=200, query="leaf_index=0"),
    ("GET", "/api/v1/audit/tree-head"): expect(401, default=200),
    # coordination (TLP:AMBER objects): the organisations involved see them, node administrators
    # all; organisers (coordinator, org_admin) change them; the rest of the organisation 403
    ("GET", "/api/v1/coordination/actions"): expect(
        401, default=200, shows_other={"node_admin"}, marker="action_title"
    ),
    ("GET", "/api/v1/coordination/actions/{action_id}"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/actions/{action_id}/progress"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/dashboards/countries/{code}"): expect(
        401, default=200, marker="action_title"
    ),
    ("GET", "/api/v1/coordination/dashboards/networks/{key}"): expect(
        401, default=200, params={"key": "network"}, marker="action_title"
    ),
    ("GET", "/api/v1/coordination/events"): expect(
        401, default=200, shows_other={"node_admin"}, marker="event_title"
    ),
    ("GET", "/api/v1/coordination/events/{event_id}"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/events/{event_id}/event.ics"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/events/{event_id}/participants"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/events/{event_id}/registrations"): expect(
        401,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
    ),
    ("GET", "/api/v1/coordination/plans"): expect(
        401, default=200, shows_other={"node_admin"}, marker="plan"
    ),
    ("GET", "/api/v1/coordination/plans/{key}"): expect(
        401, default=(200, 404), node_admin=200, params={"key": "plan"}
    ),
    ("GET", "/api/v1/coordination/plans/{key}/export"): expect(
        401, default=(200, 404), node_admin=200, params={"key": "plan"}
    ),
    ("GET", "/api/v1/coordination/recommendations"): expect(
        401, default=200, shows_other={"node_admin"}, marker="rec_text"
    ),
    ("GET", "/api/v1/coordination/recommendations/{rec_id}"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/recommendations/{rec_id}/history"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/directory/countries"): expect(401, default=200),
    ("GET", "/api/v1/directory/countries/{code}"): expect(401, default=200),
    ("GET", "/api/v1/directory/focal-points"): expect(401, default=200),
    ("GET", "/api/v1/directory/focal-points/{focal_point_id}"): expect(401, default=200),
    ("GET", "/api/v1/directory/memberships"): expect(401, default=200),
    ("GET", "/api/v1/directory/memberships/{membership_id}"): expect(401, default=200),
    ("GET", "/api/v1/directory/networks"): expect(401, default=200),
    ("GET", "/api/v1/directory/networks/{key}"): expect(
        401, default=200, params={"key": "network"}
    ),
    ("GET", "/api/v1/directory/organisations/{key}"): expect(401, default=200),
    ("GET", "/api/v1/directory/people"): expect(
        401, default=200, shows_other=EVERYONE_SIGNED_IN, marker="person_key"
    ),
    ("GET", "/api/v1/directory/people/{key}"): expect(
        401, default=200, params={"key": "person_key"}
    ),
    ("GET", "/api/v1/directory/units"): expect(401, default=200),
    ("GET", "/api/v1/directory/units/{key}"): expect(401, default=200, params={"key": "unit_key"}),
    # exchange: only the sender and recipient organisations see a message (others 404); the node
    # administrator belongs to no organisation, so sees none and sends none
    ("GET", "/api/v1/exchange/keys/{org_key}"): expect(401, default=200),
    ("GET", "/api/v1/exchange/messages"): expect(
        401, default=200, marker="message_id", query="folder=sent"
    ),
    ("GET", "/api/v1/exchange/messages/{message_id}"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("GET", "/api/v1/exchange/messages/{message_id}/attachments/{attachment_id}"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("GET", "/api/v1/exchange/messages/{message_id}/envelope"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("GET", "/api/v1/exchange/permission-requests"): expect(401, default=200),
    ("GET", "/api/v1/exchange/search"): expect(
        401, default=200, marker="message_id", query="q=message&justification=matrix"
    ),
    ("GET", "/api/v1/exchange/threads/{reference}"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("PATCH", "/api/v1/coordination/actions/{action_id}"): expect(
        401,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
        body={"title": "Changed action"},
    ),
    ("PATCH", "/api/v1/coordination/events/{event_id}"): expect(
        401,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
        body={"title": "Changed workshop"},
    ),
    ("PATCH", "/api/v1/coordination/recommendations/{rec_id}"): expect(
        401,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
        body={"text": "Changed recommendation"},
    ),
    ("PATCH", "/api/v1/directory/focal-points/{focal_point_id}"): expect(
        401,
        default=403,
        org_admin=(200, 403),
        node_admin=200,
        apikey_write=(200, 403),
        body={"topic": "CVE"},
    ),
    ("PATCH", "/api/v1/directory/memberships/{membership_id}"): expect(
        401,
        default=403,
        org_admin=(200, 403),
        node_admin=200,
        apikey_write=(200, 403),
        body={"role": "observer"},
    ),
    ("PATCH", "/api/v1/directory/networks/{key}"): expect(
        401,
        default=403,
        node_admin=200,
        body={"name": "Renamed network"},
        params={"key": "network"},
    ),
    ("PATCH", "/api/v1/directory/organisations/{key}"): expect(
        401,
        default=403,
        org_admin=(200, 403),
        node_admin=200,
        apikey_write=(200, 403),
        body={"acronym": "MX"},
    ),
    ("PATCH", "/api/v1/directory/people/{key}"): expect(
        401,
        default=403,
        org_admin=(200, 403),
        node_admin=200,
        apikey_write=(200, 403),
        body={"role": "Analyst"},
        params={"key": "person_key"},
    ),
    ("PATCH", "/api/v1/directory/units/{key}"): expect(
        401,
        default=403,
        org_admin=(200, 403),
        node_admin=200,
        apikey_write=(200, 403),
        body={"name": "Renamed unit"},
        params={"key": "unit_key"},
    ),
    # multipart uploads: the matrix sends JSON, so validation answers first (who may report
    # progress or import is tested in tests/coordination)
    ("POST", "/api/v1/coordination/actions/{action_id}/progress"): expect(401, default=422),
    ("POST", "/api/v1/coordination/events"): expect(
        401,
        default=403,
        coordinator=201,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body=EVENT,
    ),
    ("POST", "/api/v1/coordination/events/{event_id}/attendance"): expect(
        401,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
        body={"attended": {}},
    ),
    ("POST", "/api/v1/coordination/events/{event_id}/invitations"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body={"organisations": ["mk-kumanovo"]},
    ),
    ("POST", "/api/v1/coordination/events/{event_id}/minutes"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body={"text": "New minutes."},
    ),
    ("POST", "/api/v1/coordination/events/{event_id}/registrations"): expect(
        401, default=(201, 404), node_admin=201, apikey_read=(400, 404), apikey_write=(400, 404)
    ),
    ("POST", "/api/v1/coordination/events/{event_id}/sessions"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body=SESSION,
    ),
    ("POST", "/api/v1/coordination/plans"): expect(
        401,
        default=403,
        coordinator=201,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={
            "key": "matrix-plan",
            "kind": "national_action_plan",
            "title": "Matrix plan",
            "coordinator": HOME,
            "country": "AL",
        },
    ),
    ("POST", "/api/v1/coordination/plans/{key}/actions"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body=ACTION,
        params={"key": "plan"},
    ),
    ("POST", "/api/v1/coordination/plans/{key}/import"): expect(
        401, default=422, params={"key": "plan"}
    ),
    ("POST", "/api/v1/coordination/plans/{key}/objectives"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body={"code": "2", "title": "Resilience"},
        params={"key": "plan"},
    ),
    ("POST", "/api/v1/coordination/recommendations"): expect(
        401,
        default=403,
        coordinator=201,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={"text": "Matrix recommendation", "level": "operational"},
    ),
    ("POST", "/api/v1/coordination/recommendations/{rec_id}/actions"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body={"plan": "own-plan", "objective": "1", "code": "1.3", "owner": HOME},
    ),
    ("POST", "/api/v1/coordination/registrations/{registration_id}/cancel"): expect(
        401,
        default=404,
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
    ),
    ("POST", "/api/v1/coordination/sessions/{session_id}/items"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body=ITEM,
    ),
    ("POST", "/api/v1/directory/focal-points"): expect(
        401,
        default=403,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={"country": "AL", "topic": "CVE", "person": "own-person"},
    ),
    ("POST", "/api/v1/directory/memberships"): expect(
        401,
        default=403,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={"network": "other-net", "organisation": HOME, "role": "observer"},
    ),
    ("POST", "/api/v1/directory/networks"): expect(
        401,
        default=403,
        node_admin=201,
        body={"key": "matrix-net", "name": "Matrix network", "level": "operational"},
    ),
    ("POST", "/api/v1/directory/organisations"): expect(
        401,
        default=403,
        node_admin=201,
        body={
            "key": "matrix-org",
            "name": "Matrix organisation",
            "sector": "police",
            "level": "national",
            "country": "AL",
        },
    ),
    ("POST", "/api/v1/directory/people"): expect(
        401,
        default=403,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={
            "key": "matrix-person",
            "organisation": HOME,
            "given_name": "Ana",
            "family_name": "Matrix",
        },
    ),
    ("POST", "/api/v1/directory/units"): expect(
        401,
        default=403,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={"key": "matrix-unit", "name": "Matrix unit", "organisation": HOME},
    ),
    ("POST", "/api/v1/exchange/attachments"): expect(
        401, default=201, node_admin=403, apikey_read=403, query="name=notes.txt"
    ),
    ("POST", "/api/v1/exchange/messages"): expect(
        401, default=201, node_admin=403, apikey_read=403, body=MESSAGE
    ),
    # recall, correction and H2 decisions: not a practitioner who did not send it, not the DPO
    ("POST", "/api/v1/exchange/messages/{message_id}/entities/{position}/correction"): expect(
        401,
        default=(200, 404),
        practitioner=(403, 404),
        dpo=(403, 404),
        node_admin=404,
        apikey_read=(403, 404),
        body={"reason": "wrong date of birth"},
    ),
    # the own message was sent by the own organisation: only a recipient forwards (403)
    ("POST", "/api/v1/exchange/messages/{message_id}/forward"): expect(
        401, default=(403, 404), node_admin=404, body={"recipients": ["rs-moi"]}
    ),
    ("POST", "/api/v1/exchange/messages/{message_id}/recall"): expect(
        401,
        default=(200, 404),
        practitioner=(403, 404),
        dpo=(403, 404),
        node_admin=404,
        apikey_read=(403, 404),
        body={"reason": "sent in error"},
    ),
    ("POST", "/api/v1/exchange/permission-requests/{request_id}/decision"): expect(
        401,
        default=(200, 404),
        practitioner=(403, 404),
        dpo=(403, 404),
        node_admin=404,
        body={"approve": True},
    ),
    # knowledge (a TLP:AMBER practice for its national platform): the owner's country sees it,
    # the node administrator (no organisation, no country) does not; a DPO does not write
    ("GET", "/api/v1/knowledge/attachments/{key}"): expect(
        401, default=(200, 404), node_admin=404, params={"key": "knowledge_attachment"}
    ),
    ("GET", "/api/v1/knowledge/export.pdf"): expect(401, default=422),
    ("GET", "/api/v1/knowledge/items"): expect(401, default=200, marker="item_title"),
    ("GET", "/api/v1/knowledge/items/{item_id}"): expect(401, default=(200, 404), node_admin=404),
    ("GET", "/api/v1/knowledge/items/{item_id}/diff"): expect(401, default=422),
    ("GET", "/api/v1/knowledge/items/{item_id}/export.pdf"): expect(
        401,
        default=(200, 404),
        node_admin=404,
        apikey_read=404,  # needs knowledge.export
    ),
    ("GET", "/api/v1/knowledge/items/{item_id}/versions"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("GET", "/api/v1/knowledge/items/{item_id}/versions/{number}"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("GET", "/api/v1/knowledge/translation-queue/{language}"): expect(401, default=200),
    ("POST", "/api/v1/knowledge/items"): expect(
        401, default=201, dpo=403, node_admin=403, apikey_read=403, body=KNOWLEDGE_ITEM
    ),
    ("POST", "/api/v1/knowledge/items/{item_id}/attachments"): expect(401, default=422),
    ("PUT", "/api/v1/knowledge/items/{item_id}"): expect(
        401,
        default=(200, 404),
        dpo=404,
        node_admin=404,
        apikey_read=404,
        body={**KNOWLEDGE_ITEM, "base_version": 1},
    ),
    ("PUT", "/api/v1/knowledge/items/{item_id}/translations/{language}"): expect(
        401,
        default=(200, 404),
        dpo=404,
        node_admin=404,
        apikey_read=404,
        apikey_write=404,
        body={"base_version": 1, "title": "Praktike", "fields": KNOWLEDGE_ITEM["fields"]},
    ),
}
