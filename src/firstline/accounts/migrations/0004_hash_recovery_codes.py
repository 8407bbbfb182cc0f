"""Recovery codes were stored as written; keep only their keyed digests from now on."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def hash_codes(apps: Any, schema_editor: Any) -> None:
    from firstline.accounts.services import recovery_code_digest

    token_model = apps.get_model("otp_static", "StaticToken")
    for token in token_model.objects.all():
        if len(token.token) < 16:  # a code as written (8 characters), not yet a digest
            token.token = recovery_code_digest(token.token)
            token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_login_throttle_api_key"),
        ("otp_static", "__latest__"),
    ]

    operations = [migrations.RunPython(hash_codes, migrations.RunPython.noop)]
