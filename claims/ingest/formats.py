"""Reading an import file row by row: CSV, NDJSON, a JSON array, or XLSX.

Each reader yields ``(number, row)`` pairs, one row at a time (a JSON array is parsed
whole: for a large file use NDJSON or CSV), so memory stays flat in the file's size. A
problem with the file itself (the wrong encoding, a broken quote, a line that is not
JSON) is a ``FileProblem`` naming the row where it was found; a line of NDJSON that is
not JSON is that row's error and reading goes on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from claims.ingest.rows import ROW_FIELDS

FORMATS = ("csv", "ndjson", "json", "xlsx")
SHEET_FORMATS = frozenset({"csv", "xlsx"})
# A field of a sheet may hold a long quote, not a whole file.
csv.field_size_limit(1_000_000)


class FileProblem(Exception):
    """The file cannot be read on from ``row`` (0: before the first row)."""

    def __init__(self, message: str, *, row: int = 0) -> None:
        super().__init__(message)
        self.row = row


class BadLine:
    """A row that could not be parsed at all (an NDJSON line that is not JSON)."""

    def __init__(self, message: str) -> None:
        self.message = message


def format_of(path: str | Path, given: str | None = None) -> str:
    """The file's format: ``given``, or its extension's (``.jsonl`` is NDJSON)."""
    if given:
        if given not in FORMATS:
            raise FileProblem(f'Unknown format "{given}": use one of {", ".join(FORMATS)}.')
        return given
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = {"jsonl": "ndjson"}.get(suffix, suffix)
    if suffix not in FORMATS:
        raise FileProblem(f'Cannot tell the format of "{Path(path).name}": name it .csv, .ndjson, .json or .xlsx.')
    return suffix


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read through it (for the progress bar)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # a workbook is a zip file, read from its end
        return bool(self.raw.seekable())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.consumed += len(data)
        return len(data)


def _lines(binary: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, decoded one by one, so that a byte that is not UTF-8 is
    found on its line (a spreadsheet's "CSV UTF-8" starts with a byte-order mark)."""
    first = True
    for line in binary:
        if first:
            line, first = line.removeprefix(b"\xef\xbb\xbf"), False
        yield line.decode("utf-8")


def _decode_problem(error: UnicodeDecodeError, row: int) -> FileProblem:
    return FileProblem(
        f"The file is not UTF-8 (byte 0x{error.object[error.start]:02x} cannot be read): "
        f"save it as UTF-8 and import it again.",
        row=row,
    )


def check_header(header: list[str]) -> None:
    unknown = [name for name in header if name not in ROW_FIELDS]
    if unknown:
        raise FileProblem(
            f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"The columns are: {', '.join(sorted(ROW_FIELDS - {'appearances'}))}."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FileProblem(f"Repeated column: {', '.join(repeated)}.")


def read_csv(binary: IO[bytes]) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(_lines(binary), strict=True)
    number = 0
    try:
        header = next(reader, None)
        if header is None:
            raise FileProblem("The file is empty: the first line names the columns.")
        header = [name.strip() for name in header]
        check_header(header)
        for cells in reader:
            number += 1
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) > len(header):
                yield number, BadLine(f"This row has {len(cells)} cells; the header names {len(header)} columns.")
                continue
            yield number, {name: cell for name, cell in zip(header, cells, strict=False) if cell != ""}
    except UnicodeDecodeError as error:
        raise _decode_problem(error, number + 1) from None
    except csv.Error as error:
        raise FileProblem(f"The CSV is malformed: {error}.", row=number + 1) from None


def read_ndjson(binary: IO[bytes]) -> Iterator[tuple[int, Any]]:
    number = 0
    for line in binary:
        number += 1
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line.strip():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _decode_problem(error, number) from None
        try:
            yield number, orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield number, BadLine(f"This line is not JSON: {error}.")


def read_json(binary: IO[bytes]) -> Iterator[tuple[int, Any]]:
    data = binary.read()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _decode_problem(error, 0) from None
    try:
        rows = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as error:
        raise FileProblem(f"The file is not JSON: {error}.") from None
    if not isinstance(rows, list):
        raise FileProblem("A JSON file holds an array of claims: [{...}, {...}].")
    yield from enumerate(rows, start=1)


def read_xlsx(binary: IO[bytes]) -> Iterator[tuple[int, Any]]:
    try:
        from openpyxl import load_workbook  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - openpyxl is in requirements.txt
        raise FileProblem("Reading XLSX needs openpyxl (pip install openpyxl).") from None
    try:
        book = load_workbook(binary, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise FileProblem(f"The file is not an XLSX workbook: {error}.") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header_cells = next(rows, None)
        if header_cells is None:
            raise FileProblem("The first sheet is empty: its first row names the columns.")
        header = ["" if cell is None else str(cell).strip() for cell in header_cells]
        while header and not header[-1]:
            header.pop()
        check_header(header)
        for number, cells in enumerate(rows, start=1):
            values = {
                name: sheet_cell(cell)
                for name, cell in zip(header, cells, strict=False)
                if cell is not None and cell != ""
            }
            if any(cells[len(header) :] if len(cells) > len(header) else ()):
                yield number, BadLine(f"This row has cells beyond the {len(header)} named columns.")
            elif values:
                yield number, values
    finally:
        book.close()


def sheet_cell(cell: Any) -> Any:
    """A spreadsheet cell as a CSV would hold it: a number as its text (ids and
    credibility read as text, as from a CSV); anything else as it is."""
    if isinstance(cell, bool) or not isinstance(cell, int | float):
        return cell
    return str(int(cell)) if float(cell).is_integer() else repr(cell)


READERS = {"csv": read_csv, "ndjson": read_ndjson, "json": read_json, "xlsx": read_xlsx}
