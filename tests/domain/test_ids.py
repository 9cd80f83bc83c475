"""Ids from text: digits that fit the database's integer, or nothing."""
import pytest

from helpdesk.domain.ids import MAX_ID, parse_id, parse_number


@pytest.mark.parametrize(("text", "expected"), [
    ("1042", 1042), (" #1042 ", 1042), (str(MAX_ID), MAX_ID),
    (str(MAX_ID + 1), None), ("9" * 23, None), ("9" * 5000, None), ("0", None),
    ("-1", None), ("12a", None), ("", None), (None, None), ("١٢", None),
])
def test_parse_id(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("0", 0), ("3", 3), ("4", None), ("²", None), ("١", None), ("1e5", None), ("-1", None),
    (" 1", None), ("", None), (None, None), ("9" * 5000, None),
])
def test_parse_number_takes_ascii_digits_within_its_bounds(text, expected):
    assert parse_number(text, least=0, most=3) == expected
