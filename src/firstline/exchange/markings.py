"""The markings that travel with every message: TLP 2.0, handling codes, evaluation, types.

Explanations are written for the marking pickers of the compose page; they follow
docs in ``REFERENCE.md`` (FIRST TLP 2.0, SIENA handling codes, Europol 4x4, Admiralty scale).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class TLP(models.TextChoices):
    RED = "RED", "TLP:RED"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    AMBER = "AMBER", "TLP:AMBER"
    GREEN = "GREEN", "TLP:GREEN"
    CLEAR = "CLEAR", "TLP:CLEAR"


TLP_HELP = {
    TLP.RED: _("Named recipients only; no further disclosure."),
    TLP.AMBER_STRICT: _("The recipient organisation only."),
    TLP.AMBER: _("The recipient organisation and those it must inform, on a need-to-know basis."),
    TLP.GREEN: _("The community the message was shared in; never public channels."),
    TLP.CLEAR: _("No limit on disclosure."),
}


class Handling(models.TextChoices):
    H0 = "H0", "H0"
    H1 = "H1", "H1"
    H2 = "H2", "H2"
    H3 = "H3", "H3"


HANDLING_HELP = {
    Handling.H0: _("Use only for preventing and combating crime, under the applicable law."),
    Handling.H1: _("Not to be used in judicial proceedings without the provider's permission."),
    Handling.H2: _("Not to be disseminated further without the provider's permission."),
    Handling.H3: _("Other restrictions, stated in the text below."),
}


class MessageType(models.TextChoices):
    REQUEST = "request", _("Request for information")
    REPLY = "reply", _("Reply")
    SPONTANEOUS = "spontaneous", _("Spontaneous information")
    EARLY_WARNING = "early_warning", _("Early warning")
    NOTIFICATION = "notification", _("Notification")


class Urgency(models.TextChoices):
    """Directive (EU) 2023/977, Art. 5: how fast a request must be answered."""

    URGENT_DIRECT = "urgent_direct", _("Urgent, data directly accessible (8 hours)")
    URGENT_INDIRECT = "urgent_indirect", _("Urgent, data indirectly accessible (3 days)")
    OTHER = "other", _("Not urgent (7 days)")


# Hours are elapsed time; days are calendar days on the node's wall clock (DST-aware).
TIME_LIMITS: dict[str, dt.timedelta] = {
    Urgency.URGENT_DIRECT: dt.timedelta(hours=8),
    Urgency.URGENT_INDIRECT: dt.timedelta(days=3),
    Urgency.OTHER: dt.timedelta(days=7),
}


class EvaluationScheme(models.TextChoices):
    EUROPOL = "europol", _("Europol 4x4")
    ADMIRALTY = "admiralty", _("Admiralty (NATO) scale")


SOURCE_GRADES: dict[str, dict[str, Any]] = {
    EvaluationScheme.EUROPOL: {
        "A": _("No doubt of authenticity, reliability, competence"),
        "B": _("In most instances reliable"),
        "C": _("In most instances unreliable"),
        "X": _("Cannot be assessed"),
    },
    EvaluationScheme.ADMIRALTY: {
        "A": _("Completely reliable"),
        "B": _("Usually reliable"),
        "C": _("Fairly reliable"),
        "D": _("Not usually reliable"),
        "E": _("Unreliable"),
        "F": _("Reliability cannot be judged"),
    },
}

INFORMATION_GRADES: dict[str, dict[str, Any]] = {
    EvaluationScheme.EUROPOL: {
        "1": _("Accuracy not in doubt"),
        "2": _("Known personally to the source, not to the official passing it on"),
        "3": _("Not known personally to the source, corroborated by information on record"),
        "4": _("Not known personally to the source, cannot be corroborated"),
    },
    EvaluationScheme.ADMIRALTY: {
        "1": _("Confirmed by other sources"),
        "2": _("Probably true"),
        "3": _("Possibly true"),
        "4": _("Doubtful"),
        "5": _("Improbable"),
        "6": _("Truth cannot be judged"),
    },
}


class SubjectCategory(models.TextChoices):
    """Law Enforcement Directive Art. 6, plus First Line's person at risk (not a suspect)."""

    SUSPECT = "suspect", _("Suspect")
    CONVICTED = "convicted", _("Convicted")
    VICTIM = "victim", _("Victim or potential victim")
    OTHER_PARTY = "other_party", _("Other party (witness, informant, contact, associate)")
    PERSON_AT_RISK = "person_at_risk", _("Person at risk (prevention; not a suspect)")


class SpecialCategory(models.TextChoices):
    """Law Enforcement Directive Art. 10."""

    ETHNIC_ORIGIN = "ethnic_origin", _("Racial or ethnic origin")
    POLITICAL_OPINIONS = "political_opinions", _("Political opinions")
    RELIGIOUS_BELIEFS = "religious_beliefs", _("Religious or philosophical beliefs")
    TRADE_UNION = "trade_union", _("Trade-union membership")
    GENETIC = "genetic", _("Genetic data")
    BIOMETRIC = "biometric", _("Biometric data")
    HEALTH = "health", _("Health")
    SEX_LIFE = "sex_life", _("Sex life or sexual orientation")


class EntityKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")
    LOCATION = "location", _("Location")
    EVENT = "event", _("Event")
    DOCUMENT = "document", _("Document")
    VEHICLE = "vehicle", _("Vehicle")
    COMMUNICATION = "communication", _("Communication identifier")
