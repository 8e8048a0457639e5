"""manage.py import_claims: files of claims in, all or none, errors by row and field."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import orjson
import pghistory.models
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from claims.ingest import claim_import_file
from claims.models import Claim, ClaimChange, ClaimImport, ClaimSource, Contradiction, Entity
from sources.models import Party, Source
from tests import factories

COLUMNS = ["subject", "predicate", "object_entity", "polarity", "asserted_by", "asserted_at", "statement",
           "valid_from", "valid_until", "hedge", "credibility", "source_url", "excerpt"]  # fmt: skip


@pytest.fixture
def places(db: Any) -> dict[str, Any]:
    azerbaijan = factories.PartyFactory(name="Azerbaijan", kind="state")
    return {
        "aliyev": factories.PartyFactory(name="Ilham Aliyev", kind="person", parent=azerbaijan, aliases=["Aliyev"]),
        "mod": factories.PartyFactory(name="Armenian Ministry of Defence", kind="military", aliases=["MoD Armenia"]),
        "aghband": factories.EntityFactory(name="Aghband", kind="place", aliases=["Ağbənd"]),
        "forces": factories.EntityFactory(name="Azerbaijani armed forces", kind="organisation"),
    }


def sheet_row(number: int, **overrides: str) -> dict[str, str]:
    day = dt.date(2020, 1, 1) + dt.timedelta(days=(number // 2) % 1500)  # rows 2k and 2k+1 share a day
    return {
        "subject": "agbend", "predicate": "controlled-by", "object_entity": "Azerbaijani armed forces",
        "polarity": "affirms" if number % 2 else "denies", "asserted_by": "Aliyev" if number % 2 else "MoD Armenia",
        "asserted_at": f"{day.isoformat()}T12:00:00+04:00", "statement": f"Imported claim {number}",
        "valid_from": day.isoformat(), "valid_until": day.isoformat(), "hedge": "claimed", "credibility": "3",
        "source_url": f"https://sheet.example.org/report/{number % 50}", "excerpt": f"Row {number}, as reported",
        **overrides,
    }  # fmt: skip


def write_csv(path: Path, rows: list[dict[str, str]], *, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def staging_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'cw_import_%%'")
        return [row[0] for row in cursor.fetchall()]


def test_a_ten_thousand_row_csv_with_errors_reports_each_row_and_field_and_writes_nothing(
    places: dict[str, Any], analyst: User, tmp_path: Path
) -> None:
    rows = [sheet_row(n) for n in range(1, 10_001)]
    rows[99]["subject"] = "Atlantis"  # row 100: unknown entity
    rows[1999]["credibility"] = "high"  # row 2000: wrong type
    rows[4999] = dict(rows[2])  # row 5000 repeats row 3 (a later batch)
    rows[7999]["valid_from"] = "23/10/2020"  # row 8000: not a date
    rows[9999]["asserted_at"] = "2020-10-23 12:00"  # row 10000: no time zone
    path = write_csv(tmp_path / "claims.csv", rows)
    report = tmp_path / "errors.csv"
    before = (Claim.objects.count(), Source.objects.count(), ClaimChange.objects.count())
    with pytest.raises(CommandError, match="5 error"):
        call_command("import_claims", str(path), "--user", "analyst", "--batch-size", "2000",
                     "--errors", str(report), verbosity=0)  # fmt: skip
    errors = list(csv.DictReader(report.open(encoding="utf-8")))
    assert {(e["row"], e["field"], e["code"]) for e in errors} == {
        ("100", "subject", "unknown_name"),
        ("2000", "credibility", "invalid_choice"),
        ("5000", "row", "duplicate"),
        ("8000", "valid_from", "invalid"),
        ("10000", "asserted_at", "naive_datetime"),
    }
    assert "repeats row 3" in next(e["message"] for e in errors if e["code"] == "duplicate")
    assert (Claim.objects.count(), Source.objects.count(), ClaimChange.objects.count()) == before
    run = ClaimImport.objects.get()
    assert (run.state, run.rows_read, run.error_count, run.claims_created) == ("refused", 10_000, 5, 0)
    assert staging_tables() == []


def test_a_clean_csv_is_imported_with_history_change_feed_and_contradiction_check(
    places: dict[str, Any], analyst: User, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "claims.csv", [sheet_row(n) for n in range(1, 401)])
    out = io.StringIO()
    call_command(
        "import_claims", str(path), "--user", "analyst", "--batch-size", "150", stdout=out, stderr=io.StringIO()
    )
    assert "Imported 400 claims (50 new sources)" in out.getvalue()
    claims = Claim.objects.filter(statement__startswith="Imported claim")
    assert claims.count() == 400
    assert (
        claims.filter(asserted_by=places["aliyev"], polarity="affirms", hedge="claimed", credibility=3).count() == 200
    )
    assert claims.filter(created_by=analyst).count() == 400
    first = claims.get(statement="Imported claim 1")
    assert first.asserted_at == dt.datetime(2020, 1, 1, 8, tzinfo=dt.UTC)  # +04:00, stored in UTC
    assert ClaimSource.objects.filter(claim__in=claims).count() == 400
    assert ClaimChange.objects.filter(claim__in=claims).count() == 400
    run = ClaimImport.objects.get()
    events = pghistory.models.Events.objects.filter(pgh_model="claims.ClaimEvent")
    assert events.filter(pgh_context__claim_import=run.pk).count() == 400
    # Rows 2k (denies) and 2k+1 (affirms) are about the same day: the check flags each pair.
    flags = Contradiction.objects.filter(claim_a__in=claims)
    assert flags.count() == 199 and {flag.kind for flag in flags} == {"negation"}
    assert (run.state, run.claims_created, run.sources_created) == ("published", 400, 50)
    assert staging_tables() == []


def test_a_dry_run_checks_every_row_and_writes_nothing(places: dict[str, Any], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "claims.csv", [sheet_row(n) for n in range(1, 51)])
    out = io.StringIO()
    call_command("import_claims", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "Dry run: all 50 rows are valid" in out.getvalue()
    assert not Claim.objects.exists() and not ClaimImport.objects.exists() and staging_tables() == []


def test_an_interrupted_import_resumes_after_its_last_committed_batch(
    places: dict[str, Any], analyst: User, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "claims.csv", [sheet_row(n) for n in range(1, 351)])

    def stop_after_two_batches(phase: str, figures: dict[str, Any]) -> None:
        if phase == "staged" and figures["rows"] >= 200:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        claim_import_file(path, user=analyst, batch_size=100, progress=stop_after_two_batches)
    assert not Claim.objects.exists()  # staged, not published
    run = ClaimImport.objects.get()
    assert (run.state, run.rows_read, run.rows_staged) == ("staging", 200, 200)
    report = claim_import_file(path, user=analyst, batch_size=100)
    assert report.resumed_from == 200 and report.ok
    assert Claim.objects.count() == 350
    assert sorted(Claim.objects.values_list("statement", flat=True)) == sorted(
        f"Imported claim {n}" for n in range(1, 351)
    )
    assert ClaimImport.objects.get().state == "published"


def test_importing_the_same_file_again_is_refused(places: dict[str, Any], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "claims.csv", [sheet_row(n) for n in range(1, 11)])
    call_command("import_claims", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="imported already"):
        call_command("import_claims", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Claim.objects.count() == 10


def test_a_file_in_the_wrong_encoding_is_refused_naming_the_row(places: dict[str, Any], tmp_path: Path) -> None:
    rows = [sheet_row(n) for n in range(1, 6)]
    rows[3]["statement"] = "Le village est libéré"  # row 4, written as Latin-1
    path = write_csv(tmp_path / "claims.csv", rows, encoding="latin-1")
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_claims", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Claim.objects.exists()
    assert ClaimImport.objects.get().errors[0]["row"] == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"subject,colour\nAghband,red\n", "Unknown column: colour"),
        (b'subject,statement\nAghband,"never closed\n', "malformed"),
        (b"", "empty"),
    ],
)
def test_a_malformed_csv_is_a_clear_error(places: dict[str, Any], tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_claims", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Claim.objects.exists()


def test_ndjson_lines_are_rows_and_a_broken_line_is_its_rows_error(places: dict[str, Any], tmp_path: Path) -> None:
    good = {"subject": "Aghband", "predicate": "controlled-by", "object_entity": places["forces"].pk,
            "asserted_by": places["aliyev"].pk, "asserted_at": "2020-10-22T12:00:00Z",
            "statement": "Aghband was liberated", "appearances": [{"source": factories.SourceFactory().pk}]}  # fmt: skip
    path = tmp_path / "claims.ndjson"
    path.write_bytes(orjson.dumps(good) + b"\n{broken\n" + orjson.dumps({**good, "statement": "Another"}) + b"\n")
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_claims", str(path), stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert "row 2, row: This line is not JSON" in err.getvalue()
    path.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps({**good, "statement": "Another"}) + b"\n")
    call_command("import_claims", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Claim.objects.count() == 2


def test_an_xlsx_sheet_is_imported(places: dict[str, Any], tmp_path: Path) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for n in range(1, 4):
        row = sheet_row(n)
        sheet.append([row[name] if name != "credibility" else 2 for name in COLUMNS])
    path = tmp_path / "claims.xlsx"
    book.save(path)
    call_command("import_claims", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Claim.objects.filter(credibility=2).count() == 3


def test_an_unknown_party_and_entity_are_never_created(places: dict[str, Any], tmp_path: Path) -> None:
    counts = (Party.objects.count(), Entity.objects.count())
    path = write_csv(tmp_path / "claims.csv", [sheet_row(1, asserted_by="Nobody at all", subject="Nowhere")])
    with pytest.raises(CommandError):
        call_command("import_claims", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert (Party.objects.count(), Entity.objects.count()) == counts
