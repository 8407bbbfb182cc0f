"""Full-text search over knowledge items, the same on SQLite and PostgreSQL.

Every translation of an item is folded (``folding.fold``: lowercase, Cyrillic to Latin, accents
stripped) into one ``SearchDocument``. The vendor index over it:

- SQLite: the FTS5 table ``knowledge_fts`` (tokenizer ``unicode61 remove_diacritics 2``),
  rowid = the document's id, written here by the service layer in its transaction;
- PostgreSQL: the generated column ``document`` (tsvector: 'simple' for every language, plus
  'english' and 'serbian' stems where they apply) under a GIN index.

``search()`` restricts by the reader's ``readable`` queryset and the filters *in SQL*, before
ranking and pagination, so an invisible item is never counted, ranked or shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, QuerySet
from django.db.models.expressions import RawSQL

from firstline.directory.models import Country
from firstline.knowledge import folding
from firstline.knowledge.content import field_names
from firstline.knowledge.models import (
    Approach,
    Item,
    ItemTargetGroup,
    Kind,
    SearchDocument,
    TargetGroup,
    Translation,
    language_choices,
)
from firstline.knowledge.policy import readable

MAX_TERMS = 8


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- writing the index --------------------------------------------------------------------


def document_text(title: str, fields: dict[str, str], kind: str) -> str:
    """The folded text of one translation: its title and its text fields, in order."""
    parts = [title, *(str(fields.get(name, "")) for name in field_names(kind))]
    return folding.fold("\n".join(p for p in parts if p))


def index_items(item_ids: Iterable[int]) -> int:
    """Rebuild the search documents of these items from their translations; returns the count.

    Runs inside the caller's transaction: the index changes with the item or not at all.
    """
    ids = list(item_ids)
    if not ids:
        return 0
    kinds = dict(Item.objects.filter(pk__in=ids).values_list("pk", "kind"))
    wanted: dict[tuple[int, str], str] = {}
    for tr in Translation.objects.filter(item_id__in=ids).select_related("version"):
        wanted[(tr.item_id, tr.language)] = document_text(
            tr.version.title, tr.version.fields, kinds[tr.item_id]
        )
    existing = {(d.item_id, d.language): d for d in SearchDocument.objects.filter(item_id__in=ids)}
    stale = [d.pk for key, d in existing.items() if key not in wanted]
    changed: list[SearchDocument] = []
    created: list[SearchDocument] = []
    for key, text in wanted.items():
        doc = existing.get(key)
        if doc is None:
            created.append(SearchDocument(item_id=key[0], language=key[1], text=text))
        elif doc.text != text:
            doc.text = text
            changed.append(doc)
    if stale:
        _fts_delete(stale)
        SearchDocument.objects.filter(pk__in=stale).delete()
    if changed:
        SearchDocument.objects.bulk_update(changed, ["text"])
        _fts_delete([d.pk for d in changed])
    if created:
        created = SearchDocument.objects.bulk_create(created)
        if created and created[0].pk is None:  # backends without RETURNING
            created = list(
                SearchDocument.objects.filter(
                    item_id__in={d.item_id for d in created},
                    language__in={d.language for d in created},
                )
            )
    _fts_insert(changed + created)
    return len(changed) + len(created)


def _fts_delete(doc_ids: list[int]) -> None:
    if is_postgres() or not doc_ids:
        return  # PostgreSQL's generated column follows the row
    with connection.cursor() as cursor:
        for start in range(0, len(doc_ids), 500):
            chunk = doc_ids[start : start + 500]
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM knowledge_fts WHERE rowid IN ({marks})", chunk)  # noqa: S608


def _fts_insert(docs: list[SearchDocument]) -> None:
    if is_postgres() or not docs:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO knowledge_fts(rowid, text) VALUES (%s, %s)",
            [(d.pk, d.text) for d in docs],
        )


# --- querying -----------------------------------------------------------------------------


def _fts5_expression(words: list[str]) -> str:
    # Each folded word (letters, digits, underscore only) becomes a quoted prefix query, so the
    # user's text can never inject FTS5 syntax.
    return " ".join(f'"{w}"*' for w in words)


def _pg_tsquery(words: list[str]) -> tuple[str, str]:
    return " & ".join(f"{w}:*" for w in words), " & ".join(words)


def _matching_sql(words: list[str]) -> tuple[str, list[Any]]:
    """SQL selecting the ids of items with a document matching every word."""
    if is_postgres():
        prefix, plain = _pg_tsquery(words)
        return (
            "SELECT d.item_id FROM knowledge_searchdocument d WHERE d.document @@ ("
            "to_tsquery('simple', %s) || to_tsquery('english', %s) "
            "|| to_tsquery('serbian', %s))",
            [prefix, plain, plain],
        )
    return (
        "SELECT d.item_id FROM knowledge_fts f JOIN knowledge_searchdocument d "
        "ON d.id = f.rowid WHERE knowledge_fts MATCH %s",
        [_fts5_expression(words)],
    )


def _ranked_ids(words: list[str], matched: QuerySet[Item], limit: int, offset: int) -> list[int]:
    """One page of ``matched`` ids, best match first (BM25 on SQLite, ts_rank on PostgreSQL)."""
    # the inner query is Django's own compiled SQL for ``matched`` with its parameters kept
    # apart, so no user text is ever formatted into the statement
    inner_sql, inner_params = matched.values("pk").query.sql_with_params()
    if is_postgres():
        prefix, plain = _pg_tsquery(words)
        template = (
            "SELECT d.item_id FROM knowledge_searchdocument d, "
            "(SELECT to_tsquery('simple', %s) || to_tsquery('english', %s) "
            "|| to_tsquery('serbian', %s) AS q) query "
            "WHERE d.document @@ query.q AND d.item_id IN ({inner}) "
            "GROUP BY d.item_id ORDER BY max(ts_rank(d.document, query.q)) DESC, d.item_id "
            "LIMIT %s OFFSET %s"
        )
        params = [prefix, plain, plain, *inner_params, limit, offset]
    else:
        template = (
            "SELECT d.item_id FROM knowledge_fts f JOIN knowledge_searchdocument d "
            "ON d.id = f.rowid WHERE knowledge_fts MATCH %s AND d.item_id IN ({inner}) "
            "GROUP BY d.item_id ORDER BY min(f.rank), d.item_id LIMIT %s OFFSET %s"
        )
        params = [_fts5_expression(words), *inner_params, limit, offset]
    sql = template.format(inner=inner_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


@dataclass
class Filters:
    """Search filters; empty values filter nothing. ``language``: a translation exists in it."""

    kind: str = ""
    approach: str = ""
    target_group: str = ""
    country: str = ""  # ISO code
    language: str = ""
    year: int | None = None

    def apply(self, qs: QuerySet[Item]) -> QuerySet[Item]:
        if self.kind:
            qs = qs.filter(kind=self.kind)
        if self.approach:
            qs = qs.filter(approach=self.approach)
        if self.target_group:
            qs = qs.filter(
                pk__in=ItemTargetGroup.objects.filter(group=self.target_group).values("item_id")
            )
        if self.country:
            qs = qs.filter(country__code=self.country.upper())
        if self.language:
            qs = qs.filter(
                pk__in=Translation.objects.filter(language=self.language).values("item_id")
            )
        if self.year is not None:
            qs = qs.filter(year=self.year)
        return qs


@dataclass
class Facet:
    value: str
    label: str
    count: int


@dataclass
class SearchResult:
    items: list[Item]
    count: int
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)


def _label_facets(counts: Counter[Any], labels: dict[Any, Any]) -> list[Facet]:
    facets = [
        Facet(value=str(value), label=str(labels.get(value, value)), count=n)
        for value, n in counts.items()
        if value not in (None, "")
    ]
    return sorted(facets, key=lambda f: (-f.count, f.label))


def facets_for(matched: QuerySet[Item]) -> tuple[int, dict[str, list[Facet]]]:
    """Counts per kind, approach, target group, country, language and year; and the total."""
    kinds: Counter[str] = Counter()
    approaches: Counter[str] = Counter()
    countries: Counter[int] = Counter()
    years: Counter[int] = Counter()
    # one grouped query for the item's own columns; the total is the sum over kinds
    combos = matched.order_by().values_list("kind", "approach", "country_id", "year")
    for kind, approach, country_id, year, n in combos.annotate(n=Count("pk")):
        kinds[kind] += n
        approaches[approach] += n
        countries[country_id] += n
        years[year] += n
    total = sum(kinds.values())
    ids = matched.order_by().values("pk")
    groups = Counter(
        dict(
            ItemTargetGroup.objects.filter(item_id__in=ids)
            .order_by()
            .values_list("group")
            .annotate(n=Count("pk"))
        )
    )
    languages = Counter(
        dict(
            Translation.objects.filter(item_id__in=ids)
            .order_by()
            .values_list("language")
            .annotate(n=Count("pk"))
        )
    )
    country_labels = {
        c.pk: str(c) for c in Country.objects.filter(pk__in=[k for k in countries if k])
    }
    country_codes = dict(
        Country.objects.filter(pk__in=list(country_labels)).values_list("pk", "code")
    )
    country_facets = [
        Facet(value=country_codes[f_id], label=country_labels[f_id], count=n)
        for f_id, n in countries.items()
        if f_id
    ]
    facets = {
        "kind": _label_facets(kinds, dict(Kind.choices)),
        "approach": _label_facets(approaches, dict(Approach.choices)),
        "target_group": _label_facets(groups, dict(TargetGroup.choices)),
        "country": sorted(country_facets, key=lambda f: (-f.count, f.label)),
        "language": _label_facets(languages, dict(language_choices())),
        "year": sorted(
            (Facet(str(y), str(y), n) for y, n in years.items() if y), key=lambda f: f.value
        )[::-1],
    }
    return total, facets


def search(
    actor: Any,
    query: str = "",
    filters: Filters | None = None,
    *,
    limit: int = 20,
    offset: int = 0,
    with_facets: bool = True,
) -> SearchResult:
    """Items ``actor`` may read matching ``query`` and ``filters``, one page, with facets."""
    words = folding.terms(query)[:MAX_TERMS]
    matched = (filters or Filters()).apply(readable(actor))
    if words:
        sql, params = _matching_sql(words)
        matched = matched.filter(pk__in=RawSQL(sql, params))  # noqa: S611  params are bound
    if with_facets:
        total, facets = facets_for(matched)
    else:
        total, facets = matched.count(), {}
    if words:
        page_ids = _ranked_ids(words, matched, limit, offset)
    else:
        page_ids = list(
            matched.order_by("-updated_at", "-pk").values_list("pk", flat=True)[
                offset : offset + limit
            ]
        )
    by_id = Item.objects.select_related("country", "owner").in_bulk(page_ids)
    items = [by_id[i] for i in page_ids if i in by_id]
    return SearchResult(items=items, count=total, facets=facets, terms=words)
