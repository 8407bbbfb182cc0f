"""A thread's subject is searchable in the message that opened the thread only.

Before, every message's search text began with its thread's subject, so a reader who may see a
later message of a thread (but not the TLP:RED or higher-classified message that opened it)
found it by the subject's words. ``search.document_text`` writes the subject as the first line;
this takes it off the messages that did not open their thread (and puts it back when reversed).
"""

from django.db import migrations
from django.db.models import Min

BATCH = 1000


def _later_documents(apps):
    SearchDocument = apps.get_model("exchange", "SearchDocument")
    Message = apps.get_model("exchange", "Message")
    # a thread's first message is the one that created it: the lowest id of the thread
    first = Message.objects.values("thread_id").annotate(first=Min("id")).values("first")
    return SearchDocument, (
        SearchDocument.objects.exclude(message_id__in=first)
        .select_related("message__thread")
        .order_by("id")
    )


def _rewrite(apps, change):
    SearchDocument, later = _later_documents(apps)
    changed = []
    for doc in later.iterator(chunk_size=BATCH):
        text = change(doc.text, doc.message.thread.subject)
        if text != doc.text:
            doc.text = text
            changed.append(doc)
        if len(changed) >= BATCH:
            SearchDocument.objects.bulk_update(changed, ["text"])
            changed = []
    if changed:
        SearchDocument.objects.bulk_update(changed, ["text"])


def _without_subject(text, subject):
    if subject and text == subject:
        return ""  # a recalled message's text is its subject alone
    if subject and text.startswith(subject + "\n"):
        return text[len(subject) + 1 :]
    return text


def _with_subject(text, subject):
    return "\n".join(part for part in (subject, text) if part)


def forward(apps, schema_editor):
    _rewrite(apps, _without_subject)


def backward(apps, schema_editor):
    _rewrite(apps, _with_subject)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0008_attachment_source")]

    operations = [migrations.RunPython(forward, backward)]
