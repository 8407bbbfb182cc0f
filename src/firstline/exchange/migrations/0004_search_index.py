"""Full-text index over SearchDocument: FTS5 on SQLite, a GIN tsvector index on PostgreSQL."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE exchange_search_fts USING fts5(
        text, content='exchange_searchdocument', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER exchange_search_ai AFTER INSERT ON exchange_searchdocument BEGIN
        INSERT INTO exchange_search_fts(rowid, text) VALUES (new.id, new.text); END""",
    """CREATE TRIGGER exchange_search_ad AFTER DELETE ON exchange_searchdocument BEGIN
        INSERT INTO exchange_search_fts(exchange_search_fts, rowid, text)
        VALUES ('delete', old.id, old.text); END""",
    """CREATE TRIGGER exchange_search_au AFTER UPDATE ON exchange_searchdocument BEGIN
        INSERT INTO exchange_search_fts(exchange_search_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
        INSERT INTO exchange_search_fts(rowid, text) VALUES (new.id, new.text); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS exchange_search_au",
    "DROP TRIGGER IF EXISTS exchange_search_ad",
    "DROP TRIGGER IF EXISTS exchange_search_ai",
    "DROP TABLE IF EXISTS exchange_search_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX exchange_search_tsv ON exchange_searchdocument "
    "USING GIN (to_tsvector('simple', text))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS exchange_search_tsv"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("exchange", "0003_search_document")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
