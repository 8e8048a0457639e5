"""IdempotentRequest: the answers to POSTs sent with an Idempotency-Key, kept for their retries."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="IdempotentRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("who", models.CharField(max_length=64)),
                ("key", models.CharField(max_length=255)),
                ("method", models.CharField(max_length=10)),
                ("path", models.TextField()),
                ("body_hash", models.CharField(help_text="SHA-256 of the request body.", max_length=64)),
                ("status", models.PositiveSmallIntegerField()),
                ("content_type", models.CharField(blank=True, max_length=255)),
                ("body", models.BinaryField()),
                ("location", models.TextField(blank=True)),
                ("etag", models.CharField(blank=True, max_length=255)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "indexes": [models.Index(fields=["created_at"], name="accounts_idempotency_created")],
                "constraints": [
                    models.UniqueConstraint(fields=("who", "key"), name="accounts_idempotentrequest_once_per_who"),
                    models.CheckConstraint(
                        condition=models.Q(("status__gte", 100), ("status__lt", 500)),
                        name="accounts_idempotentrequest_status_valid",
                    ),
                ],
            },
        ),
    ]
