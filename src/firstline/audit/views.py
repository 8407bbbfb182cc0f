"""Oversight pages (DPOs, node administrators) and every user's own access history.

Reading the log shows personal data (who looked at whom, and why), so these pages log their
own reads: one CONSULT entry naming the entries shown, one EXPORT entry per CSV export.
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from firstline import policy
from firstline.audit import heads, proofs, store
from firstline.audit.forms import SearchForm
from firstline.audit.log import record
from firstline.audit.models import ENTRY_COLUMNS, AuditEntry, Operation
from firstline.audit.policy import EXPORT, VIEW_OWN
from firstline.audit.reads import consulted
from firstline.audit.search import apply_filters, keyset_page, rows_for

CSV_COLUMNS = [c for c in ENTRY_COLUMNS if c != "canonical"]


def _log_read(request: HttpRequest, entries: list[AuditEntry]) -> None:
    consulted(request, entries, object_type="audit.entry")


def _search(request: HttpRequest, action: str) -> tuple[SearchForm, Any]:
    if not policy.can(request.user, action, AuditEntry):
        raise PermissionDenied("only data protection officers and node administrators")
    form = SearchForm(request.GET or None, actor=request.user)
    qs = policy.visible_to(request.user, AuditEntry, action)
    if form.is_bound:
        qs = apply_filters(qs, form.cleaned_data) if form.is_valid() else qs.none()
    return form, qs


def _filters_query(request: HttpRequest) -> str:
    return urlencode([(k, str(v)) for k, v in request.GET.items() if k != "before" and v])


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Search the log by subject, user, organisation, operation and period."""
    form, qs = _search(request, policy.VIEW)
    with transaction.atomic():
        page = keyset_page(qs, request.GET.get("before"))
        _log_read(request, page.entries)
    return render(
        request,
        "audit/search.html",
        {
            "form": form,
            "page": page,
            "rows": rows_for(page.entries),
            "filters": _filters_query(request),
        },
    )


def _csv_safe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)
    # a cell starting with = + - @ would run as a formula in a spreadsheet
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def export(request: HttpRequest) -> StreamingHttpResponse:
    """The search's results as CSV (streamed); the export itself is logged as EXPORT.

    The rows are streamed after the EXPORT entry is committed, outside any transaction, so
    they are bounded by the log's size as the entry saw it: the entry names the search and
    ``seq<N`` (it covers exactly the entries before itself, N being its own seq), and the
    person searched for, if any, as its data subject. Entries written while the file streams
    are not in it.
    """
    form, qs = _search(request, EXPORT)
    subject = form.cleaned_data.get("subject", "") if form.is_bound and form.is_valid() else ""
    with transaction.atomic():
        # the log's row is locked from here to the commit: nothing is appended in between, so
        # the bound is the export entry's own seq
        bound = store.lock_state().size
        record(
            actor=request.user,
            operation=Operation.EXPORT,
            object_type="audit.entry",
            object_ids=[f"search?{_filters_query(request)}", f"seq<{bound}"],
            subjects=[subject] if subject else [],
            request=request,
        )
    exported = qs.filter(seq__lt=bound).order_by("seq")
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for values in exported.values_list(*CSV_COLUMNS).iterator(chunk_size=2000):
            cells = list(values)
            cells[1] = cells[1].isoformat()
            cells[-1] = base64.b64encode(bytes(cells[-1])).decode()
            yield writer.writerow([_csv_safe(c) for c in cells])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@login_required
def entry_proof(request: HttpRequest, seq: int) -> JsonResponse:
    """A download: one entry, its inclusion proof and the signed tree head it leads to."""
    entry = policy.get_visible_or_404(request.user, AuditEntry, seq=seq)
    head = heads.latest()
    if head is None or head.tree_size <= seq:
        head = heads.sign_tree_head()
    with transaction.atomic():
        proof = proofs.inclusion(seq, head.tree_size)
        _log_read(request, [entry])
    proof["canonical"] = entry.canonical
    proof["tree_head"] = heads.as_json(head)
    response = JsonResponse(proof, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="audit-entry-{seq}-proof.json"'
    return response


@login_required
def my_history(request: HttpRequest) -> HttpResponse:
    """The access history of the signed-in user's own account: what they did, who saw them."""
    qs = policy.visible_to(request.user, AuditEntry, VIEW_OWN)
    with transaction.atomic():
        page = keyset_page(qs, request.GET.get("before"))
        _log_read(request, page.entries)
    return render(
        request,
        "audit/me.html",
        {"page": page, "rows": rows_for(page.entries)},
    )
