"""Bulk writes of claims: a bulk API request and the import of a file, by one pipeline.

Each batch of rows is **read** (``rows``: types, choices, lengths, dates, without a
query), **resolved** (``resolve``: names, ids and URLs of the whole batch in a few
queries), checked for **repeats** (a row stating the same claim as an earlier one), and
**staged** with COPY (``staging``). Only when every row is clean is the stage
**published**, in one transaction and a few set-based statements, and the new claims
are **checked** for contradictions in one statement per batch
(``claims.detection.claims_check``).

- ``claims_bulk_create``: up to ``BULK_MAX_ROWS`` rows in one transaction, all or none
  (``POST /api/v1/claims/bulk/``).
- ``claim_import_file``: a file of any size, staged batch by batch (each batch committed,
  so an interrupted import resumes where it stopped), then published all at once
  (``manage.py import_claims``). A dry run reads, resolves and checks everything and
  writes nothing.

Bad input is never half-written: a refused row refuses the whole request or file, with
every error naming its row and field.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pghistory
from django.contrib.auth.models import AbstractBaseUser
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from claims.ingest.formats import READERS, SHEET_FORMATS, BadLine, CountingReader, FileProblem, format_of
from claims.ingest.resolve import Resolver
from claims.ingest.rows import ClaimRow, Key, RowError, read_row, row_names
from claims.ingest.staging import Stage, claim_ids_reserve, row_digest
from claims.models import ClaimImport

logger = logging.getLogger(__name__)

BULK_MAX_ROWS = 10_000
DEFAULT_BATCH_SIZE = 10_000
ERRORS_KEPT = 1000  # on the import's record; every error is counted
CHECK_BATCH = 50_000  # claims per statement of the contradiction check after an import

__all__ = [
    "BULK_MAX_ROWS",
    "BulkRefused",
    "BulkWritten",
    "FileProblem",
    "ImportReport",
    "RowError",
    "claim_import_file",
    "claims_bulk_create",
]


class BulkRefused(Exception):
    """Some rows are wrong; nothing was written."""

    def __init__(self, errors: Sequence[RowError], *, rows: int) -> None:
        super().__init__(f"{len({error.row for error in errors})} of {rows} rows refused")
        self.errors = list(errors)
        self.rows = rows


@dataclass(frozen=True)
class BulkWritten:
    claim_ids: list[int]
    sources_created: int
    import_id: int


class _Batches:
    """Reads, resolves, de-duplicates and stages batch after batch into one ``Stage``."""

    def __init__(self, stage: Stage, *, sheet: bool) -> None:
        self.stage = stage
        self.sheet = sheet
        self.resolver = Resolver()

    def add(
        self, cursor: Any, raw_rows: Sequence[tuple[int, Any]], *, stage_if_errors: bool
    ) -> tuple[list[int], list[RowError]]:
        """Stage the clean rows of ``raw_rows`` (``(number, row)`` pairs). Returns the
        claim ids they will have and every error. With errors, clean rows are staged only
        if ``stage_if_errors`` (so that later batches find the rows they repeat)."""
        rows: list[ClaimRow] = []
        errors: list[RowError] = []
        names: list[tuple[int, str, Key]] = []  # of rows that did not read whole
        for number, raw in raw_rows:
            if isinstance(raw, BadLine):
                errors.append(RowError(number, "row", "parse_error", raw.message))
                continue
            read = read_row(raw, number=number, sheet=self.sheet)
            if isinstance(read, list):
                errors.extend(read)
                names.extend(row_names(raw, number=number, sheet=self.sheet, errors=read))
            else:
                rows.append(read)
        errors.extend(self.resolver.resolve(rows))
        errors.extend(self.resolver.name_errors(names))
        refused = {error.row for error in errors}
        first_of: dict[int, int] = {}
        clean: list[tuple[ClaimRow, int]] = []
        for row in rows:
            if row.number in refused:
                continue
            digest = row_digest(row)
            if digest in first_of:
                errors.append(_repeat(row.number, first_of[digest]))
                continue
            first_of[digest] = row.number
            clean.append((row, digest))
        if clean:
            earlier = self.stage.repeated(cursor, list(first_of))
            if earlier:
                errors.extend(_repeat(row.number, earlier[digest]) for row, digest in clean if digest in earlier)
                clean = [(row, digest) for row, digest in clean if digest not in earlier]
        if errors and not stage_if_errors:
            return [], sorted(errors, key=lambda error: error.row)
        ids = claim_ids_reserve(cursor, len(clean))
        self.stage.add(cursor, [(row, claim_id, digest) for (row, digest), claim_id in zip(clean, ids, strict=True)])
        return ids, sorted(errors, key=lambda error: error.row)


def _repeat(row: int, earlier: int) -> RowError:
    return RowError(
        row, "row", "duplicate",
        f"This row repeats row {earlier}: the same party, proposition, period, time and statement.",
    )  # fmt: skip


def _enqueue_check(claim_ids: list[int]) -> None:
    """After commit, one task checks the whole batch (set-based)."""

    def publish() -> None:
        from claims.tasks import claims_check_contradictions

        try:
            claims_check_contradictions.apply_async(args=(claim_ids,), retry=False)
        except Exception:  # the broker is down: the claims are saved, the next scan checks them
            logger.warning("could not enqueue the contradiction check of %s claims", len(claim_ids), exc_info=True)

    if claim_ids:
        transaction.on_commit(publish)


def _user_id(user: AbstractBaseUser | None) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


@transaction.atomic
def claims_bulk_create(rows: Sequence[Any], *, created_by: AbstractBaseUser | None, sheet: bool = False) -> BulkWritten:
    """Create every claim of ``rows`` (API-shaped mappings), with its appearances, or none.

    Raises ``BulkRefused`` with every row's errors. The number of queries does not depend
    on the number of rows. The contradiction check of the batch is enqueued after commit.
    """
    if len(rows) > BULK_MAX_ROWS:
        raise BulkRefused(
            [RowError(0, "rows", "max_length", f"At most {BULK_MAX_ROWS:,} claims per request.")], rows=len(rows)
        )
    run = ClaimImport.objects.create(
        origin=ClaimImport.Origin.API, rows_read=len(rows), created_by_id=_user_id(created_by)
    )
    stage = Stage(f"cw_bulk_{run.pk}", temporary=True)
    with connection.cursor() as cursor:
        stage.create(cursor)
        ids, errors = _Batches(stage, sheet=sheet).add(cursor, list(enumerate(rows, start=1)), stage_if_errors=False)
        if errors:
            raise BulkRefused(errors, rows=len(rows))
        with pghistory.context(claim_import=run.pk):
            claims, sources = stage.publish(cursor, created_by=_user_id(created_by))
        stage.drop(cursor)
    ClaimImport.objects.filter(pk=run.pk).update(
        state=ClaimImport.State.PUBLISHED, rows_staged=len(ids), claims_created=claims, sources_created=sources,
        finished_at=timezone.now(),
    )  # fmt: skip
    _enqueue_check(ids)
    return BulkWritten(claim_ids=ids, sources_created=sources, import_id=run.pk)


# --- Files ----------------------------------------------------------------------------


@dataclass
class ImportReport:
    """Where an import of a file got to."""

    run: ClaimImport | None
    rows_read: int = 0
    rows_staged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    claims_created: int = 0
    sources_created: int = 0
    resumed_from: int = 0
    dry_run: bool = False
    flags: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0


Progress = Callable[[str, dict[str, Any]], None]


def _quiet(phase: str, figures: dict[str, Any]) -> None:
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _batched(rows: Iterable[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    batch: list[tuple[int, Any]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def claim_import_file(
    path: str | Path,
    *,
    user: AbstractBaseUser | None,
    file_format: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    check: bool = True,
    origin: str = ClaimImport.Origin.COMMAND,
    progress: Progress = _quiet,
    on_errors: Callable[[list[RowError]], None] | None = None,
) -> ImportReport:
    """Import the claims of the file at ``path``: all of them, or, if any row is wrong,
    none (the report lists the errors, each naming its row and field).

    Batches of ``batch_size`` rows are staged and committed one by one; an import of the
    same file (same bytes) that stopped while staging resumes after its last committed
    batch. When every row is staged cleanly, one transaction publishes them all and the
    new claims are checked for contradictions (``check``), in one statement per
    ``CHECK_BATCH`` claims. ``dry_run``: read, resolve and check every row, write nothing.

    ``progress(phase, figures)`` hears of each batch ("staged": rows, bytes, size) and of
    each later phase ("published", "checked"); ``on_errors`` gets every error as found
    (the report keeps the first ``ERRORS_KEPT``). Call it outside a transaction.
    """
    path = Path(path)
    fmt = format_of(path, file_format)
    sha256 = _sha256(path)
    size = path.stat().st_size
    run = None
    if not dry_run:
        run = (
            ClaimImport.objects.filter(file_sha256=sha256, state=ClaimImport.State.STAGING, batch_size=batch_size)
            .order_by("-started_at")
            .first()
        )
    done = ClaimImport.objects.filter(file_sha256=sha256, state=ClaimImport.State.PUBLISHED).first()
    if done is not None:
        raise FileProblem(
            f"This file was imported already (import #{done.pk}, {done.claims_created:,} claims, "
            f"on {done.finished_at or done.started_at:%Y-%m-%d %H:%M} UTC); importing it again would repeat them."
        )
    resumed_from = run.rows_read if run is not None else 0
    if run is None and not dry_run:
        run = ClaimImport.objects.create(
            origin=origin, file_name=path.name[:500], file_sha256=sha256, file_format=fmt, batch_size=batch_size,
            created_by_id=_user_id(user),
        )  # fmt: skip
    report = ImportReport(run=run, resumed_from=resumed_from, dry_run=dry_run)
    if run is not None:
        report.rows_read, report.rows_staged, report.error_count = run.rows_read, run.rows_staged, run.error_count
        report.errors = [RowError(**error) for error in run.errors]
    stage = Stage(run.stage_name if run is not None else "cw_dry_run", temporary=run is None)
    batches = _Batches(stage, sheet=fmt in SHEET_FORMATS)
    try:
        if dry_run:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    stage.create(cursor)
                _stage_file(
                    path, fmt, batches, report, batch_size=batch_size, size=size, progress=progress, on_errors=on_errors
                )
                transaction.set_rollback(True)  # a dry run writes nothing
            return report
        if run is None:  # pragma: no cover - made above unless a dry run
            raise RuntimeError("no import record")
        if resumed_from == 0:
            with connection.cursor() as cursor:
                stage.drop(cursor)  # an earlier attempt that died before its first batch
                stage.create(cursor)
        _stage_file(
            path,
            fmt,
            batches,
            report,
            batch_size=batch_size,
            size=size,
            progress=progress,
            run=run,
            on_errors=on_errors,
        )
    except FileProblem as problem:
        error = RowError(problem.row, "file", "file_error", str(problem))
        report.errors.append(error)
        report.error_count += 1
        if on_errors is not None:
            on_errors([error])
    if dry_run or run is None:
        return report
    if report.error_count:
        _finish(run, stage, report, state=ClaimImport.State.REFUSED)
        return report
    try:
        with transaction.atomic(), pghistory.context(claim_import=run.pk), connection.cursor() as cursor:
            report.claims_created, report.sources_created = stage.publish(cursor, created_by=_user_id(user))
            ClaimImport.objects.filter(pk=run.pk).update(
                state=ClaimImport.State.PUBLISHED, claims_created=report.claims_created,
                sources_created=report.sources_created, finished_at=timezone.now(),
            )  # fmt: skip
            if not check:
                stage.drop(cursor)
    except (IntegrityError, DataError) as error:
        # A constraint the row checks do not know refused a row: nothing was published.
        report.errors.append(RowError(0, "file", "refused_by_database", f"The database refused the import: {error}"))
        report.error_count += 1
        _finish(run, stage, report, state=ClaimImport.State.FAILED)
        return report
    progress("published", {"claims": report.claims_created, "sources": report.sources_created})
    if check:
        from claims import detection

        # The new claims' ids come from the stage a chunk at a time (memory stays flat), and
        # the stage goes once they are all checked. Should this process die first, the
        # claims are published all the same and the periodic scan checks them.
        totals: dict[str, int] = {}
        checked = 0
        with connection.cursor() as cursor:
            stage.index_claim_ids(cursor)
            for chunk in stage.claim_id_chunks(cursor, size=CHECK_BATCH):
                outcome = detection.claims_check(claim_ids=chunk)
                for name, value in outcome.__dict__.items():
                    totals[name] = totals.get(name, 0) + value
                checked += len(chunk)
                progress("checked", {"claims": checked, **totals})
            stage.drop(cursor)
        report.flags = totals
    run.refresh_from_db()
    return report


def _stage_file(
    path: Path,
    fmt: str,
    batches: _Batches,
    report: ImportReport,
    *,
    batch_size: int,
    size: int,
    progress: Progress,
    on_errors: Callable[[list[RowError]], None] | None,
    run: ClaimImport | None = None,
) -> None:
    """Read the file and stage it batch by batch, skipping the rows an earlier attempt
    already read. Each batch and the run's progress commit together."""
    with path.open("rb") as raw:
        counting = CountingReader(raw)
        buffered = io.BufferedReader(counting, buffer_size=1 << 16)
        rows = (item for item in READERS[fmt](buffered) if item[0] > report.resumed_from)
        for batch in _batched(rows, batch_size):
            with transaction.atomic(), connection.cursor() as cursor:
                ids, errors = batches.add(cursor, batch, stage_if_errors=True)
                report.rows_read = batch[-1][0]
                report.rows_staged += len(ids)
                report.error_count += len(errors)
                report.errors.extend(errors[: max(0, ERRORS_KEPT - len(report.errors))])
                if errors and on_errors is not None:
                    on_errors(errors)
                if run is not None:
                    ClaimImport.objects.filter(pk=run.pk).update(
                        rows_read=report.rows_read, rows_staged=report.rows_staged, error_count=report.error_count,
                        errors=[error.__dict__ for error in report.errors],
                    )  # fmt: skip
            progress("staged", {"rows": report.rows_read, "bytes": counting.consumed, "size": size})


def _finish(run: ClaimImport, stage: Stage, report: ImportReport, *, state: str) -> None:
    """Close a refused or failed import: drop what it staged, keep its record."""
    with transaction.atomic(), connection.cursor() as cursor:
        stage.drop(cursor)
        ClaimImport.objects.filter(pk=run.pk).update(
            state=state, error_count=report.error_count, errors=[error.__dict__ for error in report.errors[:ERRORS_KEPT]],
            finished_at=timezone.now(),
        )  # fmt: skip
