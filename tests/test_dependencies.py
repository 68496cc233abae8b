"""The app imports only what `pip install leadqual` installs.

`make demo` installs the app without the development tools (pytest,
Playwright, mypy, ...), so an import of one of those anywhere under
src/leadqual would break the demo and every production install.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

import leadqual

SOURCE = Path(leadqual.__file__).parent
PYPROJECT = SOURCE.parent.parent / "pyproject.toml"


def _normalised(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _requirement_name(requirement: str) -> str:
    for separator in "[=<>!~; ":
        requirement = requirement.split(separator, 1)[0]
    return _normalised(requirement)


def _runtime_imports(node: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, top-level module) of every import that runs, not those for mypy only."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield node.lineno, alias.name.split(".")[0]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        yield node.lineno, node.module.split(".")[0]
    for_mypy_only = (
        node.body
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        else []
    )
    for child in ast.iter_child_nodes(node):
        if child not in for_mypy_only:
            yield from _runtime_imports(child)


def test_every_import_of_the_app_is_a_declared_dependency() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    declared = {_requirement_name(item) for item in project["dependencies"]}
    distributions = packages_distributions()
    undeclared: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in _runtime_imports(tree):
            if module == "leadqual" or module in sys.stdlib_module_names:
                continue
            owners = {_normalised(name) for name in distributions.get(module, [])}
            if not owners & declared:
                where = path.relative_to(SOURCE.parent)
                undeclared.append(
                    f"{where}:{line} imports {module} "
                    f"(from {', '.join(sorted(owners)) or 'no installed package'})"
                )
    assert undeclared == [], (
        "Not in [project].dependencies of pyproject.toml: " + "; ".join(undeclared)
    )


def test_a_development_tool_import_would_be_found() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import pytest\n"
        "if TYPE_CHECKING:\n"
        "    import mypy\n"
    )
    assert list(_runtime_imports(tree)) == [(1, "typing"), (2, "pytest")]
