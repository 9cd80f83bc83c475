"""CSV for spreadsheets: cells that could run as formulas are made text."""
import csv
import io

import pytest

from helpdesk.domain.spreadsheet import csv_text, neutralise


@pytest.mark.parametrize("cell", ["=1+1", "+31 20 123 4567", "-2+3", "@SUM(A1)", "\tx", "\rx",
                                  '=HYPERLINK("http://evil.example")'])
def test_cells_starting_like_a_formula_get_a_leading_quote(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "Acme", "12", "71.4", "a=b", " =1",
                                  "2026-12-01T10:00:00+01:00"])
def test_other_cells_are_left_alone(cell):
    assert neutralise(cell) == cell


def test_csv_text_starts_with_a_byte_order_mark_and_neutralises_every_cell():
    text = csv_text([["Organisation", "Late"], ["=cmd|' /C calc'!A0", "3"]])
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [
        ["Organisation", "Late"], ["'=cmd|' /C calc'!A0", "3"]]
    assert text.endswith("\r\n")
