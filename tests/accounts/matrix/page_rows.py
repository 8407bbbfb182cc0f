"""The authorisation matrix's rows for pages and for the admin site."""

from __future__ import annotations

from tests.accounts.matrix.expectations import NEW_KEY, ROLES, Expect, expect

# --- pages, one row per (method, URL name); GET of a POST-only page is 405 once signed in --------

PAGES: dict[tuple[str, str], Expect] = {
    ("GET", "core:dashboard"): expect(302, default=200),
    ("GET", "core:healthz"): expect(200, default=200),
    ("GET", "core:readyz"): expect(200, default=200),
    ("GET", "accounts:login"): expect(200, default=302),  # signed in: sent on
    ("GET", "accounts:logout"): expect(405, default=405),  # POST only
    ("GET", "accounts:verify"): expect(302, default=302),  # verified already: sent on
    ("GET", "accounts:enrol"): expect(302, default=302),  # has a device: sent to the account
    ("GET", "accounts:account"): expect(302, default=200),
    ("GET", "accounts:profile"): expect(302, default=405),
    ("GET", "accounts:password"): expect(302, default=405),
    ("GET", "accounts:recovery_codes"): expect(302, default=405),
    ("GET", "accounts:replace_authenticator"): expect(302, default=405),
    ("POST", "accounts:replace_authenticator"): expect(
        302, default=400, body={"password": "not the password"}
    ),
    ("GET", "accounts:api_keys"): expect(
        302, default=403, org_admin=200, node_admin=200, shows_other={"node_admin"}, marker="prefix"
    ),
    ("POST", "accounts:api_keys"): expect(302, default=403, org_admin=200, body=NEW_KEY),
    ("GET", "accounts:revoke_api_key"): expect(302, default=405),
    ("POST", "accounts:revoke_api_key"): expect(
        302, default=404, org_admin=(302, 404), node_admin=302
    ),
    ("GET", "accounts:users"): expect(
        302,
        default=403,
        org_admin=200,
        node_admin=200,
        shows_other={"node_admin"},
        marker="username",
    ),
    ("GET", "accounts:change_user_access"): expect(302, default=405),
    ("POST", "accounts:change_user_access"): expect(
        302, default=404, org_admin=(302, 404), node_admin=302
    ),
    ("GET", "directory:organisations"): expect(
        302, default=200, shows_other=set(ROLES), marker="key"
    ),
    ("GET", "directory:organisation"): expect(302, default=200),
    ("GET", "directory:networks"): expect(302, default=200),
    ("POST", "set_language"): expect(302, default=302, body={"language": "sq", "next": "/"}),
    ("GET", "api:openapi-json"): expect(200, default=200),
    ("GET", "api:openapi-view"): expect(200, default=200),
    ("GET", "api:api-root"): expect(404, default=404),
    ("GET", "admin:index"): expect(302, default=403, node_admin=200),
    # page writes whose refusal matters most: removing people, recalling messages, cancelling
    # someone's registration
    ("POST", "directory:person_delete"): expect(
        302, default=403, org_admin=(302, 403), node_admin=302
    ),
    ("POST", "directory:unit_delete"): expect(
        302, default=403, org_admin=(302, 403), node_admin=302
    ),
    ("POST", "exchange:recall"): expect(
        302,
        default=(302, 404),
        practitioner=(403, 404),  # unless they sent it themselves
        dpo=(403, 404),
        node_admin=404,
        body={"reason": "sent in error"},
    ),
    ("POST", "coordination:registration_cancel"): expect(
        302,
        default=404,
        coordinator=(302, 404),
        org_admin=(302, 404),
        node_admin=302,
        params={"pk": "registration_id"},
    ),
    ("POST", "coordination:feed_token"): expect(302, default=302),
    ("GET", "audit:export"): expect(302, default=403, dpo=200, node_admin=200),  # audit/export.csv
    ("GET", "audit:me"): expect(302, default=200),  # audit/me/
    ("GET", "audit:proof"): expect(
        302, default=404, dpo=(200, 404), node_admin=200
    ),  # audit/entries/<int:seq>/proof.json
    ("GET", "audit:search"): expect(302, default=403, dpo=200, node_admin=200),  # audit/
    ("GET", "coordination:action"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "action_id"}
    ),  # coordination/actions/<int:pk>/
    ("GET", "coordination:action_create"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"key": "plan"},
    ),  # coordination/plans/<slug:key>/actions/new/
    ("GET", "coordination:action_edit"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "action_id"},
    ),  # coordination/actions/<int:pk>/edit/
    ("GET", "coordination:attendance"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/attendance/
    ("GET", "coordination:badge"): expect(
        302,
        default=404,
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "registration_id"},
    ),  # coordination/registrations/<int:pk>/badge/
    ("GET", "coordination:calendar"): expect(
        302, default=200, marker="event_title"
    ),  # coordination/calendar/
    ("GET", "coordination:check_in"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id", "token": "check_in_token"},
    ),  # coordination/events/<int:pk>/check-in/<str:token>/
    ("GET", "coordination:dashboard"): expect(
        302,
        default=200,
        shows_other={"node_admin"},
        params={"ref": "abroad_ref"},
        marker="action_title",
    ),  # coordination/^dashboards/(?P<kind>countries|networks)/(?P<ref>[-\w]+)/$
    ("GET", "coordination:dashboards"): expect(
        302, default=200, marker="plan"
    ),  # coordination/dashboards/
    ("GET", "coordination:document"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "document"}
    ),  # coordination/documents/<int:pk>/
    ("GET", "coordination:document_create"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/documents/new/
    ("GET", "coordination:event"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "event_id"}
    ),  # coordination/events/<int:pk>/
    ("GET", "coordination:event_create"): expect(
        302, default=403, coordinator=200, org_admin=200, node_admin=200
    ),  # coordination/events/new/
    ("GET", "coordination:event_edit"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/edit/
    ("GET", "coordination:event_ics"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "event_id"}
    ),  # coordination/events/<int:pk>/event.ics
    ("GET", "coordination:events"): expect(
        302, default=200, shows_other={"node_admin"}, marker="event_title"
    ),  # coordination/events/
    ("GET", "coordination:evidence"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "progress"}
    ),  # coordination/progress/<int:pk>/document/
    ("GET", "coordination:feed_mine"): expect(
        200, default=200, params={"token": "feed_token"}
    ),  # coordination/feeds/<str:token>/mine.ics
    ("GET", "coordination:feed_network"): expect(
        200, default=200, params={"token": "feed_token", "key": "network"}
    ),  # coordination/feeds/<str:token>/networks/<slug:key>.ics
    ("GET", "coordination:feed_token"): expect(302, default=405),  # coordination/calendar/token/
    ("GET", "coordination:feed_token_revoke"): expect(
        302, default=405
    ),  # coordination/calendar/token/revoke/
    ("GET", "coordination:home"): expect(302, default=200, marker="event_title"),  # coordination/
    ("GET", "coordination:invitations"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/invitations/
    ("GET", "coordination:item_create"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "session_id"},
    ),  # coordination/sessions/<int:pk>/items/new/
    ("GET", "coordination:minutes_edit"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/minutes/
    ("GET", "coordination:minutes_history"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "minutes"}
    ),  # coordination/minutes/<int:pk>/
    ("GET", "coordination:network_calendar"): expect(
        302, default=200, params={"key": "network"}, marker="event_title"
    ),  # coordination/calendar/networks/<slug:key>/
    ("GET", "coordination:overdue"): expect(
        302, default=200, shows_other={"node_admin"}, marker="action_title"
    ),  # coordination/overdue/
    ("GET", "coordination:participants"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "event_id"}
    ),  # coordination/events/<int:pk>/participants/
    ("GET", "coordination:plan"): expect(
        302, default=(200, 404), node_admin=200, params={"key": "plan"}
    ),  # coordination/plans/<slug:key>/
    ("GET", "coordination:plan_create"): expect(
        302, default=403, coordinator=200, org_admin=200, node_admin=200
    ),  # coordination/plans/new/
    ("GET", "coordination:plan_export"): expect(
        302, default=(200, 404), node_admin=200, params={"key": "plan"}
    ),  # coordination/^plans/(?P<key>[-a-z0-9]+)/export\.(?P<fmt>csv|xlsx)$
    ("GET", "coordination:plan_import"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"key": "plan"},
    ),  # coordination/plans/<slug:key>/import/
    ("GET", "coordination:plans"): expect(
        302, default=200, shows_other={"node_admin"}, marker="plan"
    ),  # coordination/plans/
    ("GET", "coordination:recommendation"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "rec_id"}
    ),  # coordination/recommendations/<int:pk>/
    ("GET", "coordination:recommendation_action"): expect(
        302,
        default=(403, 404),  # a form only a plan's coordinators could submit
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "rec_id"},
    ),  # coordination/recommendations/<int:pk>/action/
    ("GET", "coordination:recommendation_create"): expect(
        302, default=403, coordinator=200, org_admin=200, node_admin=200
    ),  # coordination/recommendations/new/
    ("GET", "coordination:recommendations"): expect(
        302, default=200, shows_other={"node_admin"}, marker="rec_text"
    ),  # coordination/recommendations/
    ("GET", "coordination:register"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "event_id"}
    ),  # coordination/events/<int:pk>/register/
    ("GET", "coordination:registration_cancel"): expect(
        302, default=405, params={"pk": "registration_id"}
    ),  # coordination/registrations/<int:pk>/cancel/
    ("GET", "coordination:registrations"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/registrations/
    ("GET", "coordination:report"): expect(
        302,
        default=200,
        shows_other={"node_admin"},
        params={"ref": "abroad_ref"},
        marker="action_title",
    ),  # coordination/^reports/(?P<kind>countries|networks)/(?P<ref>[-\w]+)/$
    ("GET", "coordination:report_pdf"): expect(
        302, default=200
    ),  # coordination/^reports/(?P<kind>countries|networks)/(?P<ref>[-\w]+)/report\.pdf$
    ("GET", "coordination:session_create"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/sessions/new/
    ("GET", "directory:countries"): expect(302, default=200),  # directory/countries/
    ("GET", "directory:country_map"): expect(
        302, default=200
    ),  # directory/countries/<str:code>/map/
    ("GET", "directory:network"): expect(
        302, default=200, params={"key": "network"}
    ),  # directory/networks/<slug:key>/
    ("GET", "directory:organisation_add"): expect(
        302, default=403, node_admin=200
    ),  # directory/add-organisation/
    ("GET", "directory:organisation_edit"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/edit/
    ("GET", "directory:person_add"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/people/add/
    ("GET", "directory:person_delete"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/people/<slug:person_key>/delete/
    ("GET", "directory:person_edit"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/people/<slug:person_key>/edit/
    ("GET", "directory:unit_add"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/units/add/
    ("GET", "directory:unit_delete"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/units/<slug:unit_key>/delete/
    ("GET", "directory:unit_edit"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/units/<slug:unit_key>/edit/
    ("GET", "exchange:compose"): expect(302, default=200, node_admin=403),  # exchange/compose/
    ("GET", "exchange:forward"): expect(
        302, default=(200, 404), node_admin=404
    ),  # exchange/messages/<uuid:message_id>/forward/
    ("GET", "exchange:inbox"): expect(302, default=200),  # exchange/
    ("GET", "exchange:overdue"): expect(302, default=200),  # exchange/overdue/
    ("GET", "exchange:permissions"): expect(302, default=200),  # exchange/permissions/
    ("GET", "exchange:recall"): expect(
        302, default=(200, 404), practitioner=(403, 404), dpo=(403, 404), node_admin=404
    ),  # exchange/messages/<uuid:message_id>/recall/
    ("GET", "exchange:reply"): expect(
        302, default=(200, 404), node_admin=404
    ),  # exchange/messages/<uuid:message_id>/reply/
    ("GET", "exchange:search"): expect(
        302, default=200, marker="message_subject", query="q=message&justification=matrix"
    ),  # exchange/search/
    ("GET", "exchange:sent"): expect(302, default=200, marker="message_subject"),  # exchange/sent/
    ("GET", "exchange:signature"): expect(
        302, default=(200, 404), node_admin=404
    ),  # exchange/messages/<uuid:message_id>/signature/
    ("GET", "exchange:thread"): expect(
        302, default=(200, 404), node_admin=404
    ),  # exchange/threads/<str:reference>/
    ("GET", "knowledge:attach"): expect(
        302, default=405, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/attachments/
    ("GET", "knowledge:attachment"): expect(
        302, default=(200, 404), node_admin=404, params={"key": "knowledge_attachment"}
    ),  # knowledge/attachments/<str:key>/
    ("GET", "knowledge:choose_kind"): expect(
        302, default=200, dpo=403, node_admin=403
    ),  # knowledge/new/
    ("GET", "knowledge:create"): expect(
        302, default=200, dpo=403, node_admin=403, params={"kind": "practice"}
    ),  # knowledge/new/<slug:kind>/
    ("GET", "knowledge:detail"): expect(
        302, default=(200, 404), node_admin=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/
    ("GET", "knowledge:diff"): expect(
        302, default=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/diff/
    ("GET", "knowledge:edit"): expect(
        302, default=(200, 404), dpo=404, node_admin=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/edit/
    ("GET", "knowledge:export"): expect(
        302, default=(200, 404), node_admin=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/export.pdf
    ("GET", "knowledge:export_selection"): expect(302, default=302),  # knowledge/export.pdf
    ("GET", "knowledge:history"): expect(
        302, default=(200, 404), node_admin=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/history/
    ("GET", "knowledge:list"): expect(302, default=200, marker="item_title"),  # knowledge/
    ("GET", "knowledge:public_attachment"): expect(
        404, default=404, params={"key": "knowledge_attachment"}
    ),  # knowledge/public/attachments/<str:key>/
    ("GET", "knowledge:public_detail"): expect(
        404, default=404, params={"pk": "item_id"}
    ),  # knowledge/public/<int:pk>/
    ("GET", "knowledge:public_export"): expect(
        404, default=404, params={"pk": "item_id"}
    ),  # knowledge/public/<int:pk>/export.pdf
    ("GET", "knowledge:public_feed"): expect(200, default=200),  # knowledge/public/feed.atom
    ("GET", "knowledge:public_list"): expect(200, default=200),  # knowledge/public/
    ("GET", "knowledge:queue"): expect(302, default=200),  # knowledge/translations/<str:language>/
    ("GET", "knowledge:queue_default"): expect(302, default=302),  # knowledge/translations/
    ("GET", "knowledge:translate"): expect(
        302, default=(200, 404), dpo=404, node_admin=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/translate/<str:language>/
}

# --- the admin site: the node administrator's status on each registered model's list -------------
# (everyone else: 403 signed in, 302 to sign-in when anonymous). A model without a policy rule
# shows nothing, so its list is refused even to the node administrator.

ADMIN_MODELS: dict[str, int] = {
    "accounts.user": 200,
    "accounts.apikey": 200,
    "accounts.loginthrottle": 200,
    "otp_totp.totpdevice": 200,
    "otp_static.staticdevice": 200,
    "auth.group": 403,
    "django_tasks_database.dbtaskresult": 403,
}

# Admin URL names other than the model screens, reached only through the rows above.
ADMIN_OTHER_NAMES = {
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "app_list",
    "auth_user_password_change",
}
