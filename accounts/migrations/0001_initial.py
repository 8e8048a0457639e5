"""UserAPIKey moves here from ``claims``: the same rows, in a table renamed to
``accounts_userapikey``. Its content type moves too, so the admin's history of keys and
any permission on keys carry over."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, source="claims", target="accounts"):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label=target, model="userapikey").exists():
        content_type.objects.filter(app_label=source, model="userapikey").update(app_label=target)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="accounts", target="claims")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("claims", "0011_verdict_holds_from"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table exists (claims' migration 0007 made it): take it over as it is...
            state_operations=[
                migrations.CreateModel(
                    name="UserAPIKey",
                    fields=[
                        ("id", models.CharField(editable=False, max_length=150, primary_key=True, serialize=False, unique=True)),
                        ("prefix", models.CharField(editable=False, max_length=8, unique=True)),
                        ("hashed_key", models.CharField(editable=False, max_length=150)),
                        ("created", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("name", models.CharField(default=None, help_text="A free-form name for the API key. Need not be unique. 50 characters max.", max_length=50)),
                        ("revoked", models.BooleanField(blank=True, default=False, help_text="If the API key is revoked, clients cannot use it anymore. (This cannot be undone.)")),
                        ("expiry_date", models.DateTimeField(blank=True, help_text="Once API key expires, clients cannot use it anymore.", null=True, verbose_name="Expires")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="api_keys", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "API key",
                        "verbose_name_plural": "API keys",
                        "ordering": ("-created",),
                        "abstract": False,
                        "db_table": "claims_userapikey",
                    },
                ),
            ],
            database_operations=[],
        ),
        # ...then give it this app's table name.
        migrations.AlterModelTable(name="userapikey", table=None),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
