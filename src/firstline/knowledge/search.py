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
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import RawSQL

from firstline.directory.models import Country
from firstline.knowledge import folding
from firstline.knowledge.content import field_names
from firstline.knowledge.models import (
    SLOTS_PER_ITEM,
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


def quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- writing the index --------------------------------------------------------------------


def document_text(title: str, fields: dict[str, str], kind: str) -> str:
    """The folded text of one translation: its title and its text fields, in order."""
    parts = [title, *(str(fields.get(name, "")) for name in field_names(kind))]
    return folding.fold("\n".join(p for p in parts if p))


def index_items(item_ids: Iterable[int]) -> int:
    """Rebuild the search documents and facet codes of these items; returns documents written.

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
    _refresh_facet_codes(ids, wanted)
    existing = {(d.item_id, d.language): d for d in SearchDocument.objects.filter(item_id__in=ids)}
    used: dict[int, set[int]] = {}
    for old in existing.values():
        used.setdefault(old.item_id, set()).add(old.pk % SLOTS_PER_ITEM)
    stale = [d.pk for key, d in existing.items() if key not in wanted]
    changed: list[SearchDocument] = []
    created: list[SearchDocument] = []
    for key, text in wanted.items():
        doc = existing.get(key)
        if doc is None:
            taken = used.setdefault(key[0], set())
            slot = next(n for n in range(SLOTS_PER_ITEM) if n not in taken)
            taken.add(slot)
            created.append(
                SearchDocument(
                    id=key[0] * SLOTS_PER_ITEM + slot, item_id=key[0], language=key[1], text=text
                )
            )
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
        SearchDocument.objects.bulk_create(created)
    _fts_insert(changed + created)
    return len(changed) + len(created)


def _refresh_facet_codes(ids: list[int], languages: Iterable[tuple[int, str]]) -> None:
    """Item.facet_codes: the target groups and languages of each item, as words."""
    codes: dict[int, list[str]] = {pk: [] for pk in ids}
    for item_id, group in (
        ItemTargetGroup.objects.filter(item_id__in=ids)
        .order_by("group")
        .values_list("item_id", "group")
    ):
        codes[item_id].append(f"tg:{group}")
    for item_id, language in sorted(languages):
        codes[item_id].append(f"lang:{language}")
    items = list(Item.objects.filter(pk__in=ids).only("pk", "facet_codes"))
    for item in items:
        item.facet_codes = " ".join(codes[item.pk])
    Item.objects.bulk_update(items, ["facet_codes"])


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
    # Each folded word (letters and digits only) becomes a quoted prefix query, so the user's
    # text can never inject FTS5 syntax.
    return " ".join(f'"{w}"*' for w in words)


def _pg_query(words: list[str]) -> tuple[str, list[str]]:
    """A tsquery expression: every word as a prefix, or (where stems apply) every stem."""
    prefix = " & ".join(f"{w}:*" for w in words)
    plain = " & ".join(words)
    return (
        "(to_tsquery('simple', %s) || to_tsquery('english', %s) || to_tsquery('serbian', %s))",
        [prefix, plain, plain],
    )


def _candidate_sql(words: list[str], stride: int = 1) -> tuple[str, list[Any]]:
    """SQL selecting the ids of items with a document matching every word; with ``stride``
    > 1 only every stride-th item id (an evenly spread sample)."""
    if is_postgres():
        query, params = _pg_query(words)
        sql = f"SELECT item_id FROM knowledge_searchdocument WHERE document @@ {query}"  # noqa: S608
        item = "item_id"
    else:
        params = [_fts5_expression(words)]
        # the document id encodes its item: no lookup of the document row per hit
        item = f"rowid / {SLOTS_PER_ITEM}"
        sql = f"SELECT {item} FROM knowledge_fts WHERE knowledge_fts MATCH %s"  # noqa: S608
    if stride > 1:
        sql += f" AND {item} %% {int(stride)} = 0"  # "%%": a literal % beside bound parameters
    return sql, params


def _candidate_count(words: list[str]) -> int:
    """How many documents match: a cheap count, straight from the index."""
    sql, params = _candidate_sql(words)
    if is_postgres():
        sql = sql.replace("SELECT item_id", "SELECT count(*)", 1)
    else:
        sql = sql.replace(f"SELECT rowid / {SLOTS_PER_ITEM}", "SELECT count(*)", 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (count,) = cursor.fetchone()
    return int(count)


def _ranked_ids(words: list[str], matched: QuerySet[Item], limit: int, offset: int) -> list[int]:
    """One page of ``matched`` ids, best match first (BM25 on SQLite, ts_rank on PostgreSQL)."""
    # the inner query is Django's own compiled SQL for ``matched``, its parameters kept apart,
    # so no user text is ever formatted into the statement
    inner_sql, inner_params = matched.values("pk").query.sql_with_params()
    if is_postgres():
        query, query_params = _pg_query(words)
        template = (
            "SELECT d.item_id FROM knowledge_searchdocument d, (SELECT {query} AS q) query "
            "WHERE d.document @@ query.q AND d.item_id IN ({inner}) "
            "GROUP BY d.item_id ORDER BY max(ts_rank(d.document, query.q)) DESC, d.item_id "
            "LIMIT %s OFFSET %s"
        )
        params = [*query_params, *inner_params, limit, offset]
    else:
        query = ""
        template = (
            "SELECT rowid / {slots} AS item_id FROM knowledge_fts "
            "WHERE knowledge_fts MATCH %s AND rowid / {slots} IN ({inner}) "
            "GROUP BY 1 ORDER BY min(rank), 1 LIMIT %s OFFSET %s"
        )
        params = [_fts5_expression(words), *inner_params, limit, offset]
    sql = template.format(query=query, inner=inner_sql, slots=SLOTS_PER_ITEM)
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

    @property
    def active(self) -> bool:
        return any((self.kind, self.approach, self.target_group, self.country, self.language)) or (
            self.year is not None
        )

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
    ranked: bool = False  # by relevance; else newest first
    estimated: bool = False  # count and facets estimated from a sample (see EXACT_COUNT_LIMIT)


def _label_facets(counts: Counter[Any], labels: dict[Any, Any]) -> list[Facet]:
    facets = [
        Facet(value=str(value), label=str(labels.get(value, value)), count=n)
        for value, n in counts.items()
        if value not in (None, "")
    ]
    return sorted(facets, key=lambda f: (-f.count, f.label))


def facets_for(matched: QuerySet[Item]) -> tuple[int, dict[str, list[Facet]]]:
    """Counts per kind, approach, target group, country, language and year; and the total.

    One query over the matching items: their own columns plus ``facet_codes`` (target groups
    and languages as words), so the count costs one pass however many facets there are.
    """
    columns = matched.order_by().values_list(
        "kind", "approach", "country_id", "year", "facet_codes"
    )
    sql, params = columns.query.sql_with_params()
    # plain cursor rows: on tens of thousands of matches, building Django rows would cost more
    # than the database's work
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counters: dict[str, Counter[Any]] = {
        "kind": Counter(row[0] for row in rows),
        "approach": Counter(row[1] for row in rows),
        "country": Counter(row[2] for row in rows),
        "year": Counter(row[3] for row in rows),
    }
    codes = Counter(code for row in rows for code in row[4].split())
    counters["target_group"] = Counter({c[3:]: n for c, n in codes.items() if c.startswith("tg:")})
    counters["language"] = Counter({c[5:]: n for c, n in codes.items() if c.startswith("lang:")})
    total = sum(counters["kind"].values())
    countries = {
        c.pk: c for c in Country.objects.filter(pk__in=[k for k in counters["country"] if k])
    }
    country_facets = [
        Facet(value=countries[pk].code, label=str(countries[pk]), count=n)
        for pk, n in counters["country"].items()
        if pk in countries
    ]
    facets = {
        "kind": _label_facets(counters["kind"], dict(Kind.choices)),
        "approach": _label_facets(counters["approach"], dict(Approach.choices)),
        "target_group": _label_facets(counters["target_group"], dict(TargetGroup.choices)),
        "country": sorted(country_facets, key=lambda f: (-f.count, f.label)),
        "language": _label_facets(counters["language"], dict(language_choices())),
        "year": sorted(
            (Facet(str(y), str(y), n) for y, n in counters["year"].items() if y),
            key=lambda f: f.value,
            reverse=True,
        ),
    }
    return total, facets


# Up to this many matching documents, results are ranked by relevance. Beyond it the query is
# as unspecific as a stop word, relevance says little, and scoring every hit would cost more
# than the whole search may: such results come newest first (and the page says so).
RANK_LIMIT = 2000

# Counting every match of a stop-word-like query, or of a broad browse, is the one cost that
# grows with the corpus. Above this many candidates, the total and the facet counts are
# estimated from an evenly spread sample (every n-th item id) and marked as estimates, as long
# as the sample holds at least MIN_SAMPLE readable items (else everything is counted: a small
# result is cheap to count exactly and an estimate of it would be coarse). The items listed
# are always exact.
EXACT_COUNT_LIMIT = 5000
MIN_SAMPLE = 300


def _scale(facets: dict[str, list[Facet]], stride: int) -> dict[str, list[Facet]]:
    return {
        name: [Facet(f.value, f.label, f.count * stride) for f in values]
        for name, values in facets.items()
    }


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
    filters = filters or Filters()
    base = filters.apply(readable(actor))
    matched = base
    population = 0
    if words:
        population = _candidate_count(words)
        if population == 0:
            return SearchResult(items=[], count=0, facets={}, terms=words, ranked=True)
        sql, params = _candidate_sql(words)
        matched = base.filter(pk__in=RawSQL(sql, params))  # noqa: S611  params are bound
    else:
        # an upper bound, cheap through the indexes: the filtered items before visibility
        population = filters.apply(Item.objects.all()).count()
    total, estimated = 0, False
    facets: dict[str, list[Facet]] = {}
    if population > EXACT_COUNT_LIMIT:
        stride = -(-population // EXACT_COUNT_LIMIT)
        if words:
            sql, params = _candidate_sql(words, stride)
            sample = base.filter(pk__in=RawSQL(sql, params))  # noqa: S611  params are bound
        else:
            sample = base.alias(sample_slot=F("pk") % stride).filter(sample_slot=0)
        if with_facets:
            total, facets = facets_for(sample)
        else:
            total = sample.count()
        estimated = total >= MIN_SAMPLE
        if estimated:
            total, facets = total * stride, _scale(facets, stride)
    if not estimated:
        if with_facets:
            total, facets = facets_for(matched)
        else:
            total = matched.count()
    ranked = bool(words) and population <= RANK_LIMIT
    if ranked:
        page_ids = _ranked_ids(words, matched, limit, offset)
    else:
        newest = matched
        if words:
            # Many matches, newest first. Written as "(id + 0) IN (...)" so that no index can
            # serve it: the database then walks the items newest first and stops after one
            # page, instead of probing the date index once for each of thousands of matches.
            item_id = f"{quote('knowledge_item')}.{quote('id')}"
            sql, params = _candidate_sql(words)
            newest = base.filter(
                RawSQL(f"({item_id} + 0) IN ({sql})", params, output_field=BooleanField())  # noqa: S611
            )
        page_ids = list(
            newest.order_by("-updated_at", "-pk").values_list("pk", flat=True)[
                offset : offset + limit
            ]
        )
    by_id = Item.objects.select_related("country", "owner").in_bulk(page_ids)
    items = [by_id[i] for i in page_ids if i in by_id]
    return SearchResult(
        items=items,
        count=total,
        facets=facets,
        terms=words,
        ranked=ranked,
        estimated=estimated,
    )
