"""Every action the audit trail is written with has a label, in English and in Dutch, so no
history table shows a raw action name."""
import ast
import importlib
from pathlib import Path

from flask_babel import force_locale

import helpdesk
from helpdesk.web.labels import AUDIT_ACTION_LABELS, audit_action_label

PACKAGE = Path(helpdesk.__file__).parent
# The audit trail's writers, by the name they are called with, and where their action goes.
ACTION_ARGUMENT = {"add_entry": 0, "record": 1, "audit": 1, "_audit": 3, "_resolve": 3}
WRITER_MODULES = {"audit", "audit_trail"}  # what the writers are imported as


def _written_actions() -> set[str]:
    """The action of every call of an audit writer in the package, resolved to its value."""
    actions = set()
    for path in PACKAGE.rglob("*.py"):
        module_name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            parameters = {arg.arg for arg in function.args.args + function.args.kwonlyargs}
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                name = _writer_name(call.func)
                if name is None or len(call.args) <= ACTION_ARGUMENT[name]:
                    continue
                action = call.args[ACTION_ARGUMENT[name]]
                if isinstance(action, ast.Name) and action.id in parameters:
                    continue  # a writer passing its caller's action on
                actions.add(_value(action, importlib.import_module(module_name)))
    return actions


def _writer_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.value.id in WRITER_MODULES and func.attr in ACTION_ARGUMENT:
            return func.attr
    elif isinstance(func, ast.Name) and func.id in ACTION_ARGUMENT:
        return func.id
    return None


def _value(node: ast.expr, module) -> str:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return getattr(module, node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return getattr(getattr(module, node.value.id), node.attr)
    raise AssertionError(f"{module.__name__}: an audit action that is not a name: "
                         f"{ast.unparse(node)}")


def test_every_action_written_to_the_audit_trail_has_a_label():
    written = _written_actions()
    assert len(written) > 30  # the scan finds the writers
    assert sorted(written - AUDIT_ACTION_LABELS.keys()) == []


def test_every_audit_action_label_is_in_dutch(app):
    with app.test_request_context(), force_locale("nl"):
        untranslated = [action for action, label in AUDIT_ACTION_LABELS.items()
                        if audit_action_label(action) == label._args[0]]
    assert untranslated == []
