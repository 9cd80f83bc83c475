"""CSV that spreadsheets open safely: a cell that could be read as a formula is neutralised."""
import csv
import io
from collections.abc import Iterable, Sequence
from typing import TextIO

# Spreadsheets start a formula (or a DDE call) with these; a leading quote makes the cell text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def write_csv(handle: TextIO, rows: Iterable[Sequence[object]]) -> None:
    """Rows as CSV with a byte-order mark, so spreadsheet programs read it as UTF-8; row by row,
    so a long table is never held whole. None is an empty cell."""
    handle.write("\ufeff")
    writer = csv.writer(handle, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise("" if cell is None else str(cell)) for cell in row])


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """`write_csv` into a string, for a table small enough to send in one piece."""
    buffer = io.StringIO()
    write_csv(buffer, rows)
    return buffer.getvalue()
