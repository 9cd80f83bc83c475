"""CSV that spreadsheets open safely: a cell that could be read as a formula is neutralised."""
import csv
import io
from collections.abc import Iterable, Sequence

# Spreadsheets start a formula (or a DDE call) with these; a leading quote makes the cell text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows as CSV with a byte-order mark, so spreadsheet programs read it as UTF-8."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return buffer.getvalue()
