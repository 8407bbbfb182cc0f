"""The full-text index over SearchDocument.text, one per database vendor.

- SQLite: an FTS5 table, rowid = knowledge_searchdocument.id, tokenizer unicode61 with
  diacritics removed; the service layer writes it in the same transaction as the document.
- PostgreSQL: a generated tsvector column ('simple' for every language, plus English and
  Serbian stems for documents in those languages) under a GIN index.

The text is already folded (lowercase, Cyrillic transliterated, accents stripped) by
firstline.knowledge.folding, so both vendors index the same words. Reversible.
"""

from django.db import migrations


class VendorRunSQL(migrations.RunSQL):
    """RunSQL that runs only on one database vendor (and is a no-op elsewhere)."""

    def __init__(self, vendor, *args, **kwargs):
        self.vendor = vendor
        super().__init__(*args, **kwargs)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


SQLITE_FORWARD = """
CREATE VIRTUAL TABLE knowledge_fts USING fts5(
    text,
    tokenize = 'unicode61 remove_diacritics 2'
)
"""

POSTGRES_FORWARD = [
    """
    ALTER TABLE knowledge_searchdocument ADD COLUMN document tsvector
    GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, text)
        || CASE
            WHEN language = 'en' THEN to_tsvector('english'::regconfig, text)
            WHEN language IN ('sr', 'sr-latn', 'bs', 'hr', 'cnr')
                THEN to_tsvector('serbian'::regconfig, text)
            ELSE ''::tsvector
        END
    ) STORED
    """,
    "CREATE INDEX knowledge_searchdocument_document_gin "
    "ON knowledge_searchdocument USING gin (document)",
]

POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_searchdocument_document_gin",
    "ALTER TABLE knowledge_searchdocument DROP COLUMN IF EXISTS document",
]


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_items_versions_translations")]

    operations = [
        VendorRunSQL("sqlite", SQLITE_FORWARD, "DROP TABLE IF EXISTS knowledge_fts"),
        VendorRunSQL("postgresql", POSTGRES_FORWARD, POSTGRES_BACKWARD),
    ]
