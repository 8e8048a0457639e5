"""Bulk imports of claims: one row per file or bulk request, and how far it got."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from project.db import choices_check


class ClaimImportOrigin(models.TextChoices):
    API = "api", "API bulk request"
    COMMAND = "command", "import_claims command"
    ADMIN = "admin", "Admin import"


class ClaimImportState(models.TextChoices):
    STAGING = "staging", "Staging"  # batches are being read and staged; resumable
    REFUSED = "refused", "Refused"  # some rows were wrong: nothing was written
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"  # the database refused the publish: nothing was written


class ClaimImport(models.Model):
    """One import of claims (a file, or a bulk API request), as staged and published.

    Rows are staged batch by batch (see ``claims.ingest``); ``rows_staged`` is committed with
    each batch, so an interrupted import resumes after it. Nothing reaches the claims until
    every row of the file has been read cleanly; then one transaction publishes them all.
    The history of every claim written records this import's id in its context.
    """

    Origin = ClaimImportOrigin
    State = ClaimImportState

    origin = models.CharField(max_length=10, choices=Origin.choices)
    file_name = models.CharField(max_length=500, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True, help_text="Of the file's bytes, to resume the same file.")
    file_format = models.CharField(max_length=10, blank=True)
    batch_size = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.STAGING)
    rows_read = models.PositiveIntegerField(default=0, help_text="Rows read so far, staged or refused.")
    rows_staged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first errors: row, field, code, message.")
    claims_created = models.PositiveIntegerField(default=0)
    sources_created = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(db_default=models.functions.Now())
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            choices_check("origin", ClaimImportOrigin, "claimimport"),
            choices_check("state", ClaimImportState, "claimimport"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="claimimport_finished_after_start",
            ),
        ]
        indexes = [
            # Resuming: the unfinished import of the same file.
            models.Index(fields=["file_sha256"], name="claimimport_resumable", condition=Q(state="staging")),
        ]

    def __str__(self) -> str:
        name = self.file_name or self.get_origin_display()
        return f"Import #{self.pk} of {name} ({self.get_state_display()})"

    @property
    def stage_name(self) -> str:
        """The name its staging tables start with (``claims.ingest.staging.Stage``)."""
        return f"cw_import_{self.pk}"
