"""Replacing a person's name, address and phone number in text by their pseudonym (pure)."""
import json
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """What identifies one person in free text, and what stands for them once erased."""

    pseudonym: str
    terms: tuple[str, ...]  # the address, the name as written, the phone number


def person(pseudonym: str, *values: str | None) -> Person:
    terms = tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    return Person(pseudonym, terms)


class Redactor:
    """One pass over a text replaces every person's terms, case-insensitively and as whole
    words (a short name must not eat the middle of another word), longest first."""

    def __init__(self, people: list[Person]):
        self.by_term = {}
        for one in people:
            for term in one.terms:
                self.by_term.setdefault(term.lower(), one.pseudonym)
        alternatives = sorted(self.by_term, key=len, reverse=True)
        self.pattern = re.compile(
            "|".join(rf"(?<!\w){re.escape(term)}(?!\w)" for term in alternatives),
            re.IGNORECASE) if alternatives else None

    def lowered_terms(self) -> list[str]:
        """Each term lower-cased, and as JSON escapes it (a non-ASCII name in a JSON column)."""
        found = []
        for term in self.by_term:
            found.append(term)
            escaped = json.dumps(term)[1:-1].lower()
            if escaped != term:
                found.append(escaped)
        return found

    def text(self, value: str | None) -> str | None:
        if not value or self.pattern is None:
            return value
        return self.pattern.sub(lambda match: self.by_term[match.group(0).lower()], value)

    def data(self, value):
        """Every string inside JSON-like data (dicts, lists), keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(item) for item in value]
        if isinstance(value, dict):
            return {self.data(key): self.data(item) for key, item in value.items()}
        return value
