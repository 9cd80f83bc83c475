"""The corpus tests never pass silently: a missing corpus is a named skip, or a failure in CI."""
import re

import pytest

from tests.fixtures.corpus import require_corpus


def test_a_missing_corpus_skips_naming_the_folder_looked_in(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    missing = tmp_path / "mail-corpus"
    with pytest.raises(pytest.skip.Exception, match=re.escape(f"not found at {missing}")):
        require_corpus(missing)


def test_a_missing_corpus_fails_when_ci_is_true(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    missing = tmp_path / "mail-corpus"
    with pytest.raises(pytest.fail.Exception, match=re.escape(f"not found at {missing}")):
        require_corpus(missing)


def test_a_present_corpus_is_the_folder_the_tests_read(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert require_corpus(tmp_path) == tmp_path
