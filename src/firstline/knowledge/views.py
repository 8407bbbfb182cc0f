"""Knowledge pages: thin views over the services, the search and the readable queryset."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from firstline import policy
from firstline.core.problems import Problem
from firstline.knowledge import diff, reading, services
from firstline.knowledge.content import fields_for
from firstline.knowledge.export import export_pdf
from firstline.knowledge.forms import (
    KIND_HELP,
    ItemForm,
    SearchForm,
    TranslationForm,
    apply_problem,
    initial_for,
)
from firstline.knowledge.models import Attachment, Item, Kind, Translation, language_choices
from firstline.knowledge.policy import is_law_enforcement, public_items, readable
from firstline.knowledge.search import Filters, search

PAGE_SIZE = 20
FACET_TITLES = [
    ("kind", _("Kind")),
    ("approach", _("Approach")),
    ("target_group", _("Target group")),
    ("country", _("Country")),
    ("language", _("Language")),
    ("year", _("Year")),
]


def _language_names() -> dict[str, str]:
    return dict(language_choices())


def _search_context(request: HttpRequest, actor: Any) -> dict[str, Any]:
    form = SearchForm(request.GET or None)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    page = data.get("page") or 1
    filters = Filters(
        kind=data.get("kind", ""),
        approach=data.get("approach", ""),
        target_group=data.get("target_group", ""),
        country=data.get("country", ""),
        language=data.get("language", ""),
        year=data.get("year"),
    )
    result = search(
        actor, data.get("q", ""), filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    titles = reading.titles_for(result.items, actor, request.GET.get("lang", ""), request)
    rows = [(item, *titles[item.pk]) for item in result.items]
    params = request.GET.copy()
    params.pop("page", None)
    pages = (result.count + PAGE_SIZE - 1) // PAGE_SIZE
    return {
        "form": form,
        "result": result,
        "rows": rows,
        "page": page,
        "pages": pages,
        "query_string": params.urlencode(),
        "facet_groups": [
            (name, title, result.facets.get(name, []))
            for name, title in FACET_TITLES
            if result.facets.get(name)
        ],
        "language_names": _language_names(),
    }


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    """Search and browse the items the reader may read, with facet counts."""
    context = _search_context(request, request.user)
    return render(request, "knowledge/list.html", context)


def public_list(request: HttpRequest) -> HttpResponse:
    """The public catalogue: TLP:CLEAR public items, readable without an account."""
    context = _search_context(request, None)
    context["public"] = True
    return render(request, "knowledge/public_list.html", context)


def _detail_context(request: HttpRequest, read: reading.ItemRead) -> dict[str, Any]:
    version = read.version
    specs = fields_for(read.item.kind)
    return {
        "read": read,
        "item": read.item,
        "version": version,
        "sections": [
            (spec.label, version.fields.get(spec.name, ""))
            for spec in specs
            if version.fields.get(spec.name)
        ],
        "language_names": _language_names(),
    }


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    read = reading.read_item(actor, pk, language=request.GET.get("lang", ""), request=request)
    context = _detail_context(request, read)
    item = read.item
    context.update(
        {
            "can_edit": policy.can(actor, policy.CHANGE, item),
            "can_translate": policy.can(actor, "translate", item),
            "attachments": list(Attachment.objects.filter(item=item)),
            "related": _related_rows(actor, item, request),
            "translate_languages": [
                (code, name) for code, name in language_choices() if code != item.original_language
            ],
        }
    )
    return render(request, "knowledge/detail.html", context)


def _related_rows(actor: Any, item: Item, request: HttpRequest) -> list[tuple[Item, str, str]]:
    items = list(readable(actor).filter(pk__in=item.related.values("pk")))
    titles = reading.titles_for(items, actor, request.GET.get("lang", ""), request)
    return [(i, *titles[i.pk]) for i in items]


def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    read = reading.read_item(None, pk, language=request.GET.get("lang", ""), request=request)
    context = _detail_context(request, read)
    context["public"] = True
    return render(request, "knowledge/public_detail.html", context)


@login_required
def choose_kind(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, policy.ADD, Item):
        raise PermissionDenied
    kinds = [(value, label, KIND_HELP[value]) for value, label in Kind.choices]
    if not is_law_enforcement(request.user):
        kinds = [k for k in kinds if k[0] != Kind.MODUS_OPERANDI]
    return render(request, "knowledge/choose_kind.html", {"kinds": kinds})


@login_required
@require_http_methods(["GET", "POST"])
def item_create(request: HttpRequest, kind: str) -> HttpResponse:
    actor = request.user
    if kind not in Kind.values:
        raise Http404
    if not policy.can(actor, policy.ADD, Item):
        raise PermissionDenied
    initial = {"language": (get_language() or "en").lower()}
    form = ItemForm(request.POST or None, kind=kind, actor=actor, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                item = services.create_item(actor, form.to_input(), request=request)
            except Problem as problem:
                apply_problem(form, problem)
            else:
                return redirect("knowledge:detail", pk=item.pk)
        status = 400
    return render(
        request,
        "knowledge/form.html",
        {"form": form, "kind": Kind(kind), "creating": True},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the item's text in one language (?lang=, default the original) and its marking."""
    actor = request.user
    item = policy.get_visible_or_404(actor, Item, policy.CHANGE, pk=pk)
    language = request.GET.get("lang") or item.original_language
    current = (
        Translation.objects.filter(item=item, language=language).select_related("version").first()
    )
    if current is None:
        current = Translation.objects.select_related("version").get(
            item=item, language=item.original_language
        )
    initial = initial_for(item, current.version)
    form = ItemForm(request.POST or None, kind=item.kind, actor=actor, item=item, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.edit_item(
                    actor,
                    item.pk,
                    form.cleaned_data["base_version"],
                    form.to_input(language),
                    request=request,
                )
            except Problem as problem:
                apply_problem(form, problem)
                status = problem.status
            else:
                return HttpResponseRedirect(
                    reverse("knowledge:detail", args=[item.pk]) + f"?lang={language}"
                )
        else:
            status = 400
    return render(
        request,
        "knowledge/form.html",
        {
            "form": form,
            "kind": Kind(item.kind),
            "item": item,
            "language": language,
            "language_names": _language_names(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_translate(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    actor = request.user
    item = policy.get_visible_or_404(actor, Item, "translate", pk=pk)
    if language not in _language_names() or language == item.original_language:
        raise Http404
    original = Translation.objects.select_related("version").get(
        item=item, language=item.original_language
    )
    existing = (
        Translation.objects.filter(item=item, language=language).select_related("version").first()
    )
    initial: dict[str, Any] = {"base_version": item.version}
    if existing is not None:
        initial.update({"title": existing.version.title, **existing.version.fields})
    form = TranslationForm(request.POST or None, kind=item.kind, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.translate_item(
                    actor,
                    item.pk,
                    language,
                    form.cleaned_data["base_version"],
                    title=form.cleaned_data["title"],
                    fields=form.text_values(),
                    note=form.cleaned_data.get("note") or "",
                    request=request,
                )
            except Problem as problem:
                apply_problem(form, problem)
                status = problem.status
            else:
                return HttpResponseRedirect(
                    reverse("knowledge:detail", args=[item.pk]) + f"?lang={language}"
                )
        else:
            status = 400
    return render(
        request,
        "knowledge/translate.html",
        {
            "form": form,
            "item": item,
            "language": language,
            "language_name": _language_names()[language],
            "original": original.version,
            "original_sections": [
                (spec.label, original.version.fields.get(spec.name, ""))
                for spec in fields_for(item.kind)
            ],
        },
        status=status,
    )


@login_required
def item_history(request: HttpRequest, pk: int) -> HttpResponse:
    item, versions = reading.history(request.user, pk, request=request)
    titles = reading.titles_for([item], request.user, request.GET.get("lang", ""), request)
    return render(
        request,
        "knowledge/history.html",
        {
            "item": item,
            "versions": versions,
            "title": titles[item.pk][0],
            "language_names": _language_names(),
        },
    )


@login_required
def item_diff(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        old, new = int(request.GET.get("old", "")), int(request.GET.get("new", ""))
    except ValueError:
        raise Http404 from None
    item, a, b = reading.version_pair(request.user, pk, old, new, request=request)
    return render(
        request,
        "knowledge/diff.html",
        {"item": item, "old": a, "new": b, "table": diff.render_table(a, b)},
    )


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise Problem.field("file", "choose a file")
        services.add_attachment(request.user, pk, upload, request=request)
    except Problem as problem:
        messages.error(request, problem.detail)
    return redirect("knowledge:detail", pk=pk)


@login_required
def attachment_download(request: HttpRequest, key: str) -> FileResponse:
    attachment = policy.get_visible_or_404(request.user, Attachment, key=key)
    with transaction.atomic():
        reading.audit_read(request.user, [Item.objects.get(pk=attachment.item_id)], request)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    return response


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def export_item(request: HttpRequest, pk: int) -> HttpResponse:
    pdf = export_pdf(request.user, [pk], language=request.GET.get("lang", ""), request=request)
    return _pdf_response(pdf, f"knowledge-{pk}.pdf")


@login_required
def export_selection(request: HttpRequest) -> HttpResponse:
    try:
        ids = [int(v) for v in request.GET.getlist("ids")]
        pdf = export_pdf(request.user, ids, language=request.GET.get("lang", ""), request=request)
    except (ValueError, Problem):
        messages.error(request, _("Choose between 1 and 100 items to export."))
        return redirect("knowledge:list")
    return _pdf_response(pdf, "knowledge-selection.pdf")


def public_export(request: HttpRequest, pk: int) -> HttpResponse:
    pdf = export_pdf(None, [pk], language=request.GET.get("lang", ""), request=request)
    return _pdf_response(pdf, f"knowledge-{pk}.pdf")


@login_required
def queue_default(request: HttpRequest) -> HttpResponse:
    codes = _language_names()
    preferred = [getattr(request.user, "language", ""), (get_language() or "").lower()]
    for code in preferred:
        if code in codes:
            return redirect("knowledge:queue", language=code)
    return redirect("knowledge:queue", language="en")


@login_required
def queue(request: HttpRequest, language: str) -> HttpResponse:
    """The items that need a translation into ``language`` (missing or outdated)."""
    names = _language_names()
    if language not in names:
        raise Http404
    actor = request.user
    items = list(reading.translation_queue(actor, language).select_related("owner")[:200])
    existing = {
        t.item_id: t
        for t in Translation.objects.filter(item__in=[i.pk for i in items], language=language)
    }
    titles = reading.titles_for(items, actor, "", request)
    rows = [(item, titles[item.pk][0], titles[item.pk][1], existing.get(item.pk)) for item in items]
    return render(
        request,
        "knowledge/queue.html",
        {
            "rows": rows,
            "language": language,
            "language_name": names[language],
            "queue_languages": list(names.items()),
        },
    )


def public_attachment(request: HttpRequest, key: str) -> FileResponse:
    """A file of a public item, for readers without an account."""
    attachment = Attachment.objects.filter(key=key, item__in=public_items().values("pk")).first()
    if attachment is None:
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
