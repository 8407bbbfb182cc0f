from django.urls import path, re_path

from firstline.coordination import views
from firstline.coordination.views import calendars, events, plans, reports

app_name = "coordination"
urlpatterns = [
    path("", views.home, name="home"),
    # events
    path("events/", events.event_list, name="events"),
    path("events/new/", events.event_create, name="event_create"),
    path("events/<int:pk>/", events.event_detail, name="event"),
    path("events/<int:pk>/edit/", events.event_edit, name="event_edit"),
    path("events/<int:pk>/event.ics", events.event_ics, name="event_ics"),
    path("events/<int:pk>/sessions/new/", events.session_create, name="session_create"),
    path("sessions/<int:pk>/items/new/", events.item_create, name="item_create"),
    path("events/<int:pk>/invitations/", events.invitations, name="invitations"),
    path("events/<int:pk>/register/", events.register, name="register"),
    path("events/<int:pk>/registrations/", events.registration_list, name="registrations"),
    path("events/<int:pk>/attendance/", events.attendance, name="attendance"),
    path("events/<int:pk>/check-in/<str:token>/", events.check_in, name="check_in"),
    path("events/<int:pk>/participants/", events.participants, name="participants"),
    path("events/<int:pk>/documents/new/", events.document_create, name="document_create"),
    path("events/<int:pk>/minutes/", events.minutes_edit, name="minutes_edit"),
    path("registrations/<int:pk>/cancel/", events.registration_cancel, name="registration_cancel"),
    path("registrations/<int:pk>/badge/", events.badge, name="badge"),
    path("documents/<int:pk>/", events.document_download, name="document"),
    path("minutes/<int:pk>/", events.minutes_history, name="minutes_history"),
    # calendars
    path("calendar/", calendars.my_calendar, name="calendar"),
    path("calendar/networks/<slug:key>/", calendars.network_calendar, name="network_calendar"),
    path("calendar/token/", calendars.feed_token, name="feed_token"),
    path("calendar/token/revoke/", calendars.feed_token_revoke, name="feed_token_revoke"),
    path("feeds/<str:token>/mine.ics", calendars.feed_mine, name="feed_mine"),
    path("feeds/<str:token>/networks/<slug:key>.ics", calendars.feed_network, name="feed_network"),
    # recommendations, plans, actions
    path("recommendations/", plans.recommendation_list, name="recommendations"),
    path("recommendations/new/", plans.recommendation_create, name="recommendation_create"),
    path("recommendations/<int:pk>/", plans.recommendation_detail, name="recommendation"),
    path(
        "recommendations/<int:pk>/action/",
        plans.recommendation_to_action,
        name="recommendation_action",
    ),
    path("plans/", plans.plan_list, name="plans"),
    path("plans/new/", plans.plan_create, name="plan_create"),
    path("plans/<slug:key>/", plans.plan_detail, name="plan"),
    path("plans/<slug:key>/actions/new/", plans.action_create, name="action_create"),
    path("plans/<slug:key>/import/", plans.plan_import, name="plan_import"),
    re_path(
        r"^plans/(?P<key>[-a-z0-9]+)/export\.(?P<fmt>csv|xlsx)$",
        plans.plan_export,
        name="plan_export",
    ),
    path("actions/<int:pk>/", plans.action_detail, name="action"),
    path("actions/<int:pk>/edit/", plans.action_edit, name="action_edit"),
    path("progress/<int:pk>/document/", plans.evidence_download, name="evidence"),
    path("overdue/", plans.overdue, name="overdue"),
    # dashboards and reports
    path("dashboards/", reports.dashboards, name="dashboards"),
    re_path(
        r"^dashboards/(?P<kind>countries|networks)/(?P<ref>[-\w]+)/$",
        reports.dashboard,
        name="dashboard",
    ),
    re_path(
        r"^reports/(?P<kind>countries|networks)/(?P<ref>[-\w]+)/$", reports.report, name="report"
    ),
    re_path(
        r"^reports/(?P<kind>countries|networks)/(?P<ref>[-\w]+)/report\.pdf$",
        reports.report_pdf,
        name="report_pdf",
    ),
]
