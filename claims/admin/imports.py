"""The admin's claim import (django-import-export): a sheet previewed, then written, through
the same pipeline as the bulk API and ``manage.py import_claims`` (``claims.ingest``).

django-import-export drives the pages: upload a CSV, XLSX or JSON file, see the preview
(every row that would be created, or every row's errors by field, and nothing written),
then confirm. Instead of saving model instances one by one, the resource hands the whole
sheet to ``claims_bulk_create``: all rows or none, in a fixed number of queries, with
history (under the analyst's name) and the change feed, and the contradiction check of
the batch after commit. Larger files than ``BULK_MAX_ROWS`` go through the command.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from import_export import resources
from import_export.results import Result, RowResult

from claims.ingest import BULK_MAX_ROWS, BulkRefused, claims_bulk_create
from claims.ingest.formats import FileProblem, check_header, sheet_cell
from claims.ingest.rows import CLAIM_FIELDS, FLAT_APPEARANCE
from claims.models import Claim

# The columns a sheet may have, in the order the import page lists them.
SHEET_COLUMNS = (*CLAIM_FIELDS, *FLAT_APPEARANCE)


class ClaimSheetResource(resources.ModelResource):  # type: ignore[type-arg]
    """A sheet of claims, one per row, in the columns of ``import_claims`` (names or ids
    for places and parties, one source per row by id or URL)."""

    class Meta:
        model = Claim
        fields = ("statement",)  # the columns are SHEET_COLUMNS; this resource reads no model field
        name = "Claims (one per row: the columns of manage.py import_claims)"

    def get_user_visible_fields(self) -> list[Any]:
        return [resources.Field(column_name=name, attribute=name) for name in SHEET_COLUMNS]

    def import_data(  # type: ignore[override]
        self, dataset: Any, dry_run: bool = False, raise_errors: bool = False, use_transactions: Any = None,
        collect_failed_rows: bool = False, rollback_on_validation_errors: bool = False, **kwargs: Any,
    ) -> Result:  # fmt: skip
        user = kwargs.get("user")
        result = Result()
        headers = [str(header or "").strip() for header in (dataset.headers or [])]
        result.diff_headers = headers
        result.total_rows = len(dataset)
        try:
            check_header(headers)
            if len(dataset) > BULK_MAX_ROWS:
                raise FileProblem(
                    f"At most {BULK_MAX_ROWS:,} claims per import here; this file has {len(dataset):,}. "
                    "Split it, or use manage.py import_claims."
                )
        except FileProblem as problem:
            result.append_invalid_row(0, {}, ValidationError(str(problem)))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
            return result
        rows = [
            {name: sheet_cell(value) for name, value in zip(headers, values, strict=False) if value not in (None, "")}
            for values in dataset
        ]
        try:
            with transaction.atomic():
                written = claims_bulk_create(rows, created_by=user, sheet=True)
                if dry_run:
                    transaction.set_rollback(True)  # the preview writes nothing
        except BulkRefused as refused:
            by_row: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            for error in refused.errors:
                by_row[error.row][error.field].append(error.message)
            for number, fields in sorted(by_row.items()):
                row = rows[number - 1] if 0 < number <= len(rows) else {}
                result.append_invalid_row(number, row, ValidationError({k: v for k, v in fields.items()}))
                result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
            return result
        for row, claim_id in zip(rows, written.claim_ids, strict=True):
            row_result = RowResult()
            row_result.import_type = RowResult.IMPORT_TYPE_NEW
            row_result.object_id = None if dry_run else claim_id
            row_result.object_repr = str(row.get("statement", ""))[:200]
            row_result.row_values = row
            row_result.diff = [row.get(header, "") for header in headers]
            result.append_row_result(row_result)
            result.increment_row_result_total(row_result)
        return result
