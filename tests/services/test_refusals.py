"""One way to refuse: every refusal is a literal English sentence, translated when shown."""
import ast
import re

from babel.messages.pofile import read_po
from flask_babel import force_locale

from helpdesk import ROOT
from helpdesk.services import Refusal
from tests.test_translations import CATALOGUE, OPERATOR_ONLY

PLACEHOLDER = re.compile(r"%\((\w+)\)")
SOURCES = sorted((ROOT / "helpdesk").rglob("*.py"))


def _trees():
    return [(path, ast.parse(path.read_text(), str(path))) for path in SOURCES]


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _refusal_classes(trees) -> set[str]:
    """Refusal and its subclasses, found by name; a class that builds its own message (an
    `__init__` of its own, like InvalidSubmission's per-field texts) is not raised by sentence."""
    classes, grew = {"Refusal"}, True
    own_init = set()
    while grew:
        grew = False
        for _, tree in trees:
            for node in ast.walk(tree):
                if (isinstance(node, ast.ClassDef) and node.name not in classes
                        and any(_name(base) in classes for base in node.bases)):
                    classes.add(node.name)
                    grew = True
                    if any(isinstance(item, ast.FunctionDef) and item.name == "__init__"
                           for item in node.body):
                        own_init.add(node.name)
    return classes - own_init


def _raised_refusals():
    trees = _trees()
    classes = _refusal_classes(trees)
    for path, tree in trees:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                    and _name(node.exc.func) in classes):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.exc


def test_refusal_subclasses_are_found():
    assert {"NotFound", "UploadRejected", "ReadOnly"} <= _refusal_classes(_trees())


def test_every_refusal_is_a_literal_sentence_with_its_placeholders_given_and_translated():
    with open(CATALOGUE, "rb") as catalogue_file:
        catalogue = {m.id: m for m in read_po(catalogue_file) if m.id}
    problems, seen = [], 0
    for where, call in _raised_refusals():
        seen += 1
        first = call.args[0] if call.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            problems.append(f"{where}: the message is not a string literal")
            continue
        message = first.value
        if set(PLACEHOLDER.findall(message)) != {k.arg for k in call.keywords}:
            problems.append(f"{where}: placeholders and keyword arguments differ")
        if message in OPERATOR_ONLY:
            continue
        if not (message[:1].isupper() or message.startswith("%(")) or message[-1] != ".":
            problems.append(f"{where}: {message!r} is not a sentence")
        entry = catalogue.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            problems.append(f"{where}: {message!r} has no Dutch translation")
    assert seen > 50 and problems == []


def test_a_refusal_reads_dutch_in_a_dutch_request_and_english_under_force_locale(app):
    refusal = Refusal("There is no ticket with that number.")
    with app.test_request_context("/"):
        assert str(refusal) == "Er is geen ticket met dat nummer."
        with force_locale("en"):
            assert str(refusal) == "There is no ticket with that number."


def test_a_refusal_fills_its_placeholders_after_translating(app):
    refusal = Refusal("%(email)r is not an email address.", email="ann@")
    with app.test_request_context("/"):
        assert str(refusal) == "'ann@' is geen e-mailadres."
        assert refusal.message == "%(email)r is not an email address."
