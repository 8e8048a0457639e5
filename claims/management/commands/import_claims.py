"""Import claims from a file: CSV, NDJSON, a JSON array or XLSX (see claims.ingest).

    python manage.py import_claims claims.csv --user analyst [--dry-run] [--errors report.csv]

Every row is read and checked; if any is wrong, nothing is written and every error is
reported with its row and field. Batches are staged and committed one by one, so running
the same command again on the same file after an interruption resumes where it stopped.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.ingest import DEFAULT_BATCH_SIZE, RowError, claim_import_file
from claims.ingest.formats import FORMATS, FileProblem

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import claims from a CSV, NDJSON, JSON or XLSX file: all of them, or none if a row is wrong."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The file to import.")
        parser.add_argument("--format", choices=FORMATS, help="Default: from the file's extension.")
        parser.add_argument("--user", help="The analyst importing (recorded as the claims' creator and in history).")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Rows per staged batch.")
        parser.add_argument("--dry-run", action="store_true", help="Read and check every row; write nothing.")
        parser.add_argument("--no-check", action="store_true", help="Leave the contradiction check to the scan.")
        parser.add_argument("--errors", help="Write every error (row, field, code, message) to this CSV file.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f'No user is named "{options["user"]}".')
        report_file = open(options["errors"], "w", newline="", encoding="utf-8") if options["errors"] else None  # noqa: SIM115
        writer = csv.writer(report_file) if report_file else None
        if writer:
            writer.writerow(["row", "field", "code", "message"])
        started = time.perf_counter()
        verbose = options["verbosity"] > 0
        tty = sys.stderr.isatty()

        def progress(phase: str, figures: dict[str, Any]) -> None:
            if not verbose:
                return
            seconds = time.perf_counter() - started
            if phase == "staged":
                share = figures["bytes"] / figures["size"] if figures["size"] else 1.0
                bar = "#" * int(share * 30)
                rate = figures["rows"] / seconds if seconds else 0.0
                line = f"[{bar:<30}] {share:4.0%}  {figures['rows']:,} rows read  {rate:,.0f} rows/s"
                self.stderr.write(("\r" + line) if tty else line, ending="" if tty else "\n")
            else:
                if tty:
                    self.stderr.write("")
                details = ", ".join(f"{value:,} {name}" for name, value in figures.items())
                self.stderr.write(f"{phase}: {details} at {seconds:.1f} s")

        def errors_found(errors: list[RowError]) -> None:
            if writer:
                writer.writerows([error.row, error.field, error.code, error.message] for error in errors)

        try:
            report = claim_import_file(
                path, user=user, file_format=options["format"], batch_size=options["batch_size"],
                dry_run=options["dry_run"], check=not options["no_check"], progress=progress, on_errors=errors_found,
            )  # fmt: skip
        except FileProblem as problem:
            raise CommandError(str(problem)) from None
        finally:
            if report_file:
                report_file.close()
        if tty and verbose:
            self.stderr.write("")
        seconds = time.perf_counter() - started
        if report.resumed_from:
            self.stdout.write(
                f"Resumed import #{report.run.pk if report.run else '?'} after row {report.resumed_from:,}."
            )
        if not report.ok:
            for error in report.errors[:SHOWN_ERRORS]:
                self.stderr.write(f"  {error}")
            if report.error_count > SHOWN_ERRORS:
                self.stderr.write(f"  … and {report.error_count - SHOWN_ERRORS:,} more" + (
                    f" (all in {options['errors']})" if options["errors"] else " (--errors FILE lists them all)"))  # fmt: skip
            first = f" The first: {report.errors[0]}." if report.errors else ""
            raise CommandError(
                f"{report.error_count:,} error(s) in {report.rows_read:,} rows: nothing was imported.{first} "
                "Fix the file and run the command again."
            )
        if report.dry_run:
            self.stdout.write(self.style.SUCCESS(
                f"Dry run: all {report.rows_staged:,} rows are valid; nothing was written ({seconds:.1f} s)."))  # fmt: skip
            return
        flags = ", ".join(f"{value:,} {name}" for name, value in report.flags.items() if value) or "no flag changed"
        self.stdout.write(self.style.SUCCESS(
            f"Imported {report.claims_created:,} claims ({report.sources_created:,} new sources) as import "
            f"#{report.run.pk if report.run else '?'} in {seconds:.1f} s "
            f"({report.claims_created / seconds if seconds else 0:,.0f} claims/s); contradictions: {flags}."
        ))  # fmt: skip
