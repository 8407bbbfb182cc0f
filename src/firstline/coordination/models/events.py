"""Events: workshops and meetings, their agenda, invitations, registrations and papers."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from firstline.coordination.models.common import Marked, translated
from firstline.directory.models import Country, Network, Organisation, Person


class EventKind(models.TextChoices):
    NATIONAL_WORKSHOP = "national_workshop", _("National workshop")
    REGIONAL_MEETING = "regional_meeting", _("Regional meeting")
    TRAINING = "training", _("Training")
    CONFERENCE = "conference", _("Conference")


class Topic(models.TextChoices):
    """The themes the source document names for workshops; free tags cover the rest."""

    ROOT_CAUSES = "root_causes", _("Root causes and trigger factors")
    VULNERABLE_GROUPS = "vulnerable_groups", _("Vulnerable groups")
    RETURNEES = "returnees", _("Returnees")
    LOCAL_POLICING = "local_policing", _("Local policing")
    INDICATORS = "indicators", _("Indicators and their contextualisation")
    PRACTICAL_CASES = "practical_cases", _("Practical cases")


def default_timezone() -> str:
    return str(settings.TIME_ZONE)


class Event(Marked):
    """A workshop, meeting, training or conference.

    ``start`` and ``end`` are aware datetimes (stored in UTC); ``timezone`` is the IANA zone the
    event is held in, used to show times and to write the iCalendar TZID.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=255)
    title_translations = models.JSONField(_("title in other languages"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_translations = models.JSONField(
        _("description in other languages"), default=dict, blank=True
    )
    organisers = models.ManyToManyField(
        Organisation, related_name="organised_events", verbose_name=_("organisers")
    )
    networks = models.ManyToManyField(
        Network, related_name="events", blank=True, verbose_name=_("networks")
    )
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="events", null=True, blank=True
    )
    venue = models.CharField(_("venue"), max_length=255, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    timezone = models.CharField(_("time zone"), max_length=64, default=default_timezone)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty for no limit.")
    )
    waitlist_enabled = models.BooleanField(_("waiting list when full"), default=True)
    registration_deadline = models.DateTimeField(_("registration deadline"), null=True, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: raised on every change of the event"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="event_end_after_start")
        ]
        indexes = [models.Index(fields=["start"])]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return translated(self.title, self.title_translations)

    @property
    def display_description(self) -> str:
        return translated(self.description, self.description_translations)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def local_start(self) -> dt.datetime:
        """Wall-clock time in the event's zone, naive so that templates show it unconverted."""
        return self.start.astimezone(self.zone).replace(tzinfo=None)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.zone).replace(tzinfo=None)

    @property
    def local_deadline(self) -> dt.datetime | None:
        if self.registration_deadline is None:
            return None
        return self.registration_deadline.astimezone(self.zone).replace(tzinfo=None)


class Topical(models.Model):
    """Topics from the fixed list plus free tags."""

    topics = models.JSONField(_("topics"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)

    class Meta:
        abstract = True

    @property
    def topic_labels(self) -> list[str]:
        labels = dict(Topic.choices)
        return [str(labels.get(t, t)) for t in self.topics]


class Session(Topical):
    """A block of the agenda; its times lie within the event's."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("title"), max_length=255)
    title_translations = models.JSONField(default=dict, blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    room = models.CharField(_("room"), max_length=128, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start")
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return translated(self.title, self.title_translations)

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.event.zone).replace(tzinfo=None)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.event.zone).replace(tzinfo=None)


class AgendaItem(Topical):
    """A talk, panel or discussion within a session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="items")
    title = models.CharField(_("title"), max_length=255)
    title_translations = models.JSONField(default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="item_end_after_start")
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return translated(self.title, self.title_translations)

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.session.event.zone).replace(tzinfo=None)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.session.event.zone).replace(tzinfo=None)


class Speaker(models.Model):
    """Someone speaking at an agenda item: a person of the directory, or a named guest."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="speakers")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="talks", null=True, blank=True
    )
    guest_name = models.CharField(_("guest name"), max_length=255, blank=True)
    guest_affiliation = models.CharField(_("guest affiliation"), max_length=255, blank=True)
    role = models.CharField(_("role"), max_length=64, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(guest_name=""))
                | (Q(person__isnull=True) & ~Q(guest_name="")),
                name="speaker_person_xor_guest",
            )
        ]

    def __str__(self) -> str:
        return str(self.person) if self.person_id else self.guest_name


class Invitation(models.Model):
    """An invitation of an organisation or of a person to an event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations", null=True, blank=True
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="invitations", null=True, blank=True
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    invited_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invited_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(person__isnull=True))
                | (Q(organisation__isnull=True) & Q(person__isnull=False)),
                name="invitation_org_xor_person",
            ),
            models.UniqueConstraint(
                fields=["event", "organisation"], name="invitation_once_per_organisation"
            ),
            models.UniqueConstraint(fields=["event", "person"], name="invitation_once_per_person"),
        ]

    def __str__(self) -> str:
        return str(self.organisation or self.person)


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


class Registration(models.Model):
    """A person's registration. Personal data: organisers' reads are logged (CONSULT).

    Accessibility and dietary needs are kept only to organise the event; the participant list
    shows a registration only when ``consent_to_list`` is true.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="event_registrations",
        null=True,
        blank=True,
    )
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, related_name="registrations", null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=255)
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Empty: no e-mail is sent."))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RegistrationStatus.choices, db_index=True
    )
    accessibility_needs = models.TextField(_("accessibility needs"), blank=True)
    dietary_needs = models.TextField(_("dietary needs"), blank=True)
    consent_to_list = models.BooleanField(_("appear on the participant list"), default=False)
    registered_at = models.DateTimeField()
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(_("attended"), default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notified_status = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["registered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=~Q(status="cancelled"),
                name="registration_once_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def subject_id(self) -> str:
        """The data subject's internal id, for audit entries (never a name)."""
        return f"user:{self.user_id}" if self.user_id else f"registration:{self.pk}"


class EventDocument(models.Model):
    """A paper attached to an event or one of its sessions."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="documents")
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="documents", null=True, blank=True
    )
    title = models.CharField(_("title"), max_length=255)
    file = models.FileField(_("file"), upload_to="coordination/events/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=128, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.title


class Minutes(models.Model):
    """The minutes of an event (``session`` empty) or of one session; text lives in versions."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="minutes")
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="minutes", null=True, blank=True
    )

    class Meta:
        verbose_name_plural = "minutes"
        constraints = [
            models.UniqueConstraint(
                fields=["event"], condition=Q(session__isnull=True), name="minutes_once_per_event"
            ),
            models.UniqueConstraint(
                fields=["event", "session"],
                condition=Q(session__isnull=False),
                name="minutes_once_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"Minutes of {self.session or self.event}"

    @property
    def current(self) -> MinutesVersion | None:
        return self.versions.order_by("-number").first()


class MinutesVersion(models.Model):
    """One version of the minutes; versions are never changed, only added."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField(_("text"))
    note = models.CharField(_("what changed"), max_length=255, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["minutes", "number"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "number"], name="minutes_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.minutes} v{self.number}"


class CalendarFeedToken(models.Model):
    """A secret in a calendar feed's URL; only its SHA-256 is kept. Revocable."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"calendar token of user {self.user_id}"
