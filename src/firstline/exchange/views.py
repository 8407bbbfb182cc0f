"""Exchange pages (thin): folders, thread, compose, reply, signature. Reads via the policy."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from firstline import policy
from firstline.audit.justification import require_justification
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.exchange import attachments, deadlines, followup, listing, services
from firstline.exchange.forms import (
    ForwardForm,
    MessageForm,
    OtherEntityFormSet,
    PersonFormSet,
    SearchForm,
    place_errors,
)
from firstline.exchange.models import ForwardRequest, Message, OrganisationKey, Thread
from firstline.exchange.policy import cleared_levels, shown_subject
from firstline.exchange.queries import (
    annotate_for,
    carries_special_categories,
    content_hidden,
    envelope_problem,
    folder_page,
    recipients_of,
    shown_entities,
)
from firstline.exchange.search import Filters, search_messages

PAGE_SIZE = 50


def _folder(request: HttpRequest, folder: str, title: str) -> HttpResponse:
    """One page of a folder (keyset: ``?after=`` the last row shown), built from plain rows.

    The busiest page of the node: it reads a few columns, not model instances, and the rows
    are written by ``listing.rows`` rather than by template tags per cell (docs/decisions.md).
    """
    now = clock.now()
    actor = request.user
    after = request.GET.get("after", "")
    status = 200
    try:
        found, next_after = folder_page(actor, folder, now, after=after, size=PAGE_SIZE)
    except Problem:
        found, next_after = folder_page(actor, folder, now, size=PAGE_SIZE)
        status, after = 400, ""
    recipients = recipients_of([r["id"] for r in found]) if folder == "sent" else {}
    return render(
        request,
        "exchange/folder.html",
        {
            "rows": listing.rows(found, folder, now, recipients),
            "folder": folder,
            "title": title,
            "after": after,
            "next_after": next_after,
            "bad_position": status == 400,
        },
        status=status,
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return _folder(request, "inbox", _("Inbox"))


@login_required
def sent(request: HttpRequest) -> HttpResponse:
    return _folder(request, "sent", _("Sent"))


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    return _folder(request, "overdue", _("Overdue requests"))


@login_required
def thread(request: HttpRequest, reference: str) -> HttpResponse:
    """A thread's visible messages; showing them is logged and sets read receipts.

    A thread holding special categories of personal data (LED Art. 10) is shown only once the
    reader said why (the justification form posts back here); the consultation carries it.
    """
    actor = request.user
    found = policy.get_visible_or_404(actor, Thread, reference=reference)
    now = clock.now()
    messages = list(
        annotate_for(actor, Message.objects.visible_to(actor).filter(thread=found))
        .select_related("sender", "originator", "forwarded_from")
        .prefetch_related("entities", "receipts__organisation", "attachments")
        .order_by("sent_at", "id")
    )
    justification = ""
    if any(carries_special_categories(m, actor) for m in messages):
        asked = require_justification(request, found)
        if isinstance(asked, HttpResponse):
            return asked  # nothing read yet: no receipt, no entry
        justification = asked
    services.consult_messages(
        actor, messages, request=request, now=now, justification=justification
    )
    for m in messages:
        m.is_overdue = deadlines.is_overdue(  # type: ignore[attr-defined]
            getattr(m, "my_due_at", None),
            getattr(m, "my_replied_at", None),
            now,
            recalled_at=m.recalled_at,
        )
        m.hidden = content_hidden(m, actor)  # type: ignore[attr-defined]
        # no link to an envelope the API would refuse (recalled, or an entity restricted)
        m.envelope_shown = envelope_problem(m, actor) is None  # type: ignore[attr-defined]
        m.shown = shown_entities(m, actor)  # type: ignore[attr-defined]
        m.may_recall = followup.may_recall(actor, m)  # type: ignore[attr-defined]
        m.own_receipts = [  # type: ignore[attr-defined]
            r
            for r in m.receipts.all()
            if m.sender_id == actor.organisation_id or r.organisation_id == actor.organisation_id  # type: ignore[union-attr]
        ]
    links = policy.visible_to(actor, found.links.all())
    # the same for every message of the thread: the reader sees its opener, or not
    subject = getattr(messages[0], "shown_subject", "") if messages else ""
    return render(
        request,
        "exchange/thread.html",
        {"thread": found, "subject": subject, "messages_list": messages, "links": links},
    )


def _send_page(request: HttpRequest, parent: Message | None) -> HttpResponse:
    actor: Any = request.user
    if not policy.can(actor, policy.ADD, Message):
        raise PermissionDenied(_("Only members of an organisation send messages."))
    reply = parent is not None
    form_kwargs = {"sender_id": actor.organisation_id, "reply": reply}
    problems: list[str] = []
    if request.method == "POST":
        form = MessageForm(request.POST, request.FILES, **form_kwargs)
        persons = PersonFormSet(request.POST, prefix="person")
        others = OtherEntityFormSet(request.POST, prefix="entity")
        adding = "add_person" in request.POST or "add_entity" in request.POST
        refused = attachments.refused_upload(request)
        if refused is not None:  # the file was refused as it arrived: nothing is sent
            form.is_valid()
            form.add_error("attachment", refused.detail)
        elif not adding and form.is_valid() and persons.is_valid() and others.is_valid():
            entities = [f.entity() for f in persons.forms] + [f.entity() for f in others.forms]
            fields = form.service_fields()
            fields["entities"] = [e for e in entities if e]
            if parent is not None:
                fields["in_reply_to"] = parent.uuid
            upload = form.cleaned_data.get("attachment")
            stored = None
            try:
                if isinstance(upload, attachments.SealedFile):
                    stored = upload.attachment  # encrypted to disk while it arrived
                    fields["attachments"] = [stored.uuid]
                elif upload is not None:
                    stored = attachments.store_upload(
                        actor,
                        upload,
                        name=upload.name or "",
                        content_type=upload.content_type or "",
                    )
                    fields["attachments"] = [stored.uuid]
                message = services.send_message(actor, request=request, **fields)
            except Problem as exc:
                if stored is not None:
                    attachments.discard(stored)
                problems = place_errors(exc.errors, form, persons, others)
                if any(e["field"] in ("name", "size") for e in exc.errors):
                    form.add_error("attachment", exc.detail)
            else:
                return redirect("exchange:thread", reference=message.thread.reference)
        if adding:
            data = request.POST.copy()
            key = "person" if "add_person" in request.POST else "entity"
            data[f"{key}-TOTAL_FORMS"] = str(int(data.get(f"{key}-TOTAL_FORMS", "0")) + 1)
            form = MessageForm(data, **form_kwargs)
            persons = PersonFormSet(data, prefix="person")
            others = OtherEntityFormSet(data, prefix="entity")
            form.errors.clear()  # adding a row is not a submission: no errors yet
    else:
        initial: dict[str, Any] = {"classification": actor.clearance}
        if parent is not None:
            initial.update(
                tlp=parent.tlp, handling=parent.handling, classification=parent.classification
            )
        form = MessageForm(initial=initial, **form_kwargs)
        persons = PersonFormSet(prefix="person")
        others = OtherEntityFormSet(prefix="entity")
    return render(
        request,
        "exchange/compose.html",
        {
            "form": form,
            "persons": persons,
            "others": others,
            "problems": problems,
            "parent": parent,
        },
    )


@login_required
@attachments.sealing_uploads
def compose(request: HttpRequest) -> HttpResponse:
    return _send_page(request, None)


@login_required
@attachments.sealing_uploads
def reply(request: HttpRequest, message_id: str) -> HttpResponse:
    parent = policy.get_visible_or_404(
        request.user, Message.objects.select_related("thread", "sender"), uuid=message_id
    )
    return _send_page(request, parent)


@login_required
def signature(request: HttpRequest, message_id: str) -> HttpResponse:
    """Who signed what, when, with which key; for whom the envelope was encrypted."""
    message = policy.get_visible_or_404(
        request.user, Message.objects.select_related("thread", "sender"), uuid=message_id
    )
    signing = OrganisationKey.objects.filter(kid=message.signing_kid).first()
    kids = [r.get("header", {}).get("kid", "") for r in message.envelope.get("recipients", [])]
    recipient_keys = OrganisationKey.objects.filter(kid__in=kids).select_related("organisation")
    return render(
        request,
        "exchange/signature.html",
        {"message": message, "signing": signing, "recipient_keys": recipient_keys},
    )


@login_required
def forward(request: HttpRequest, message_id: str) -> HttpResponse:
    """Pass a received message on; an H2 message becomes a request to its originator."""
    actor: Any = request.user
    message = policy.get_visible_or_404(
        actor, Message.objects.select_related("thread", "originator"), uuid=message_id
    )
    form = ForwardForm(request.POST or None, sender_id=actor.organisation_id)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = followup.forward_message(
                actor,
                message,
                recipients=[o.key for o in form.cleaned_data["recipients"]],
                note=form.cleaned_data["note"],
                request=request,
            )
        except Problem as exc:
            problems = [f"{e['field']}: {e['reason']}" for e in exc.errors] or [exc.detail]
        else:
            if isinstance(result, ForwardRequest):
                notice = _("H2: the originator has been asked; the message goes on once approved.")
                django_messages.info(request, notice)
                return redirect("exchange:permissions")
            return redirect("exchange:thread", reference=result.thread.reference)
    return render(
        request,
        "exchange/forward.html",
        {"form": form, "message": message, "problems": problems},
    )


@login_required
def permissions(request: HttpRequest) -> HttpResponse:
    """H2 permission requests: asked by my organisation, or waiting for its decision."""
    actor: Any = request.user
    if request.method == "POST":
        ask = policy.get_visible_or_404(
            actor,
            ForwardRequest.objects.select_related("message__thread"),
            pk=request.POST.get("request_id", "0"),
        )
        try:
            followup.decide_forward(
                actor,
                ask,
                approve=request.POST.get("decision") == "approve",
                note=request.POST.get("note", ""),
                request=request,
            )
        except Problem as exc:
            django_messages.error(request, exc.detail)
        return redirect("exchange:permissions")
    asks = (
        policy.visible_to(actor, ForwardRequest)
        .select_related("message__thread", "message__originator", "requester")
        .annotate(shown_subject=shown_subject(actor, via="message"))
    )
    return render(request, "exchange/permissions.html", {"asks": asks})


@login_required
def recall(request: HttpRequest, message_id: str) -> HttpResponse:
    """The sender withdraws a message or restricts one entity (LED Art. 7(3))."""
    actor: Any = request.user
    message = policy.get_visible_or_404(
        actor, Message.objects.select_related("thread", "sender"), uuid=message_id
    )
    if message.sender_id != actor.organisation_id:
        raise PermissionDenied(_("Only the sending organisation recalls or corrects."))
    if not followup.may_recall(actor, message):
        raise PermissionDenied(
            _(
                "Only the user who sent it, or an analyst, coordinator or administrator of the "
                "sending organisation, recalls or corrects a message."
            )
        )
    problems: list[str] = []
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        position = request.POST.get("entity", "")
        try:
            if position:
                entity = message.entities.filter(position=int(position)).first()
                if entity is None:
                    raise Problem.field("entity", "no such entity")
                followup.correct_entity(actor, entity, reason=reason, request=request)
            else:
                followup.recall_message(actor, message, reason=reason, request=request)
        except (Problem, ValueError) as exc:
            problems = [getattr(exc, "detail", str(exc))]
        else:
            return redirect("exchange:thread", reference=message.thread.reference)
    # a copy whose source was recalled upstream is this organisation's only by forwarding:
    # its entities are restricted for it as for any recipient, so the form names none
    hidden = content_hidden(message, actor)
    entities = [] if hidden else list(message.entities.all())
    if not hidden:
        # the form names each entity (a person's name): showing them is a read of personal data
        services.consult_messages(actor, [message], request=request)
    return render(
        request,
        "exchange/recall.html",
        {"message": message, "entities": entities, "problems": problems},
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Search the visible messages; a justification is asked for and logged."""
    actor: Any = request.user
    form = SearchForm(request.GET or None, levels=cleared_levels(actor))
    results: list[Message] = []
    searched = False
    if request.GET and form.is_valid():
        data = form.cleaned_data
        filters = Filters(
            thread=data["thread"],
            organisation=data["organisation"],
            message_type=data["type"],
            tlp=data["tlp"],
            handling=data["handling"],
            classification=data["classification"],
            since=data["since"],
            until=data["until"],
            category=data["category"],
        )
        try:
            results = search_messages(
                actor,
                data["q"],
                justification=data["justification"],
                filters=filters,
                request=request,
            )
            searched = True
        except Problem as exc:
            for error in exc.errors:
                field_name = {"type": "type"}.get(error["field"], error["field"])
                if field_name in form.fields:
                    form.add_error(field_name, error["reason"])
    return render(
        request, "exchange/search.html", {"form": form, "results": results, "searched": searched}
    )
