"""The import rules of ../shared/style.md, read from the source: layers, capabilities, no cycles."""
import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "helpdesk"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


FILES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (imports inside functions count too).

    `from helpdesk.services import people` imports `helpdesk.services.people`, not the package.
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                qualified = f"{node.module}.{alias.name}"
                found.add(qualified if qualified in FILES else node.module)
    return found


MODULES = {module: _imports(path) for module, path in FILES.items()}


def _unit(module: str) -> str:
    """The part of the desk a module belongs to: a capability package, or a top-level part."""
    parts = module.split(".")
    if parts[:2] == ["helpdesk", "services"] and len(parts) > 2:
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def _helpdesk_imports(prefix: str) -> dict[str, set[str]]:
    return {module: {name for name in imports if name.startswith("helpdesk")}
            for module, imports in MODULES.items()
            if module == prefix or module.startswith(prefix + ".")}


def _offending(prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{module} imports {name}"
                  for module, imports in MODULES.items()
                  if module == prefix or module.startswith(prefix + ".")
                  for name in imports
                  if any(name == bad or name.startswith(bad + ".") for bad in forbidden))


def test_the_domain_is_pure():
    assert _offending("helpdesk.domain", ("flask", "flask_babel", "flask_login", "sqlalchemy",
                                          "helpdesk.models", "helpdesk.services",
                                          "helpdesk.web", "helpdesk.adapters",
                                          "helpdesk.extensions")) == []


def test_models_know_no_use_case_and_no_page():
    assert _offending("helpdesk.models", ("helpdesk.services", "helpdesk.web",
                                          "helpdesk.adapters")) == []


def test_adapters_know_no_ticket():
    assert _offending("helpdesk.adapters", ("helpdesk.services", "helpdesk.web",
                                            "helpdesk.models", "helpdesk.domain")) == []


def test_services_never_reach_up_into_the_web():
    assert _offending("helpdesk.services", ("helpdesk.web", "flask_login", "helpdesk.cli",
                                            "helpdesk.jobs")) == []


def test_no_part_imports_one_that_imports_it_back():
    depends_on: dict[str, set[str]] = defaultdict(set)
    for module, imports in _helpdesk_imports("helpdesk").items():
        for name in imports:
            if name in MODULES and _unit(name) != _unit(module):
                depends_on[_unit(module)].add(_unit(name))
    cycles = []

    def walk(unit: str, path: list[str]) -> None:
        for nxt in sorted(depends_on[unit]):
            if nxt == path[0]:
                cycles.append(" -> ".join([*path, nxt]))
            elif nxt not in path and nxt > path[0]:  # each cycle found once, from its smallest
                walk(nxt, [*path, nxt])

    for start in sorted(depends_on):
        walk(start, [start])
    assert cycles == []


@pytest.mark.parametrize("package", sorted(
    _module_name(init) for init in PACKAGE.rglob("__init__.py")
    if "translations" not in init.parts))
def test_every_package_says_what_it_owns(package):
    init = PACKAGE.parent.joinpath(*package.split("."), "__init__.py")
    assert ast.get_docstring(ast.parse(init.read_text())), f"{package} has no docstring"
