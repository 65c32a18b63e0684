"""What import-linter cannot see: no module uses another app's private (``_name``) functions or
constants. (The layers themselves are import-linter's contract in pyproject.toml, run in CI.)"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "jiuye"


def _app(module: str) -> str:
    """``jiuye.standards.indicators.base`` → ``standards``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _private_uses(path: Path) -> list[str]:
    here = _app(".".join(("jiuye", *path.relative_to(SRC).with_suffix("").parts)))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    foreign_modules: dict[str, str] = {}  # local name → the other app's module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jiuye."):
            app = _app(node.module)
            for alias in node.names:
                if app != here and alias.name.startswith("_"):
                    found.append(f"{path.name}:{node.lineno} imports {node.module}.{alias.name}")
                elif app != here:
                    # ``from jiuye.registry import classification``: a module of another app.
                    foreign_modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("jiuye.") and _app(alias.name) != here:
                    foreign_modules[alias.asname or alias.name.split(".")[0]] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in foreign_modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr != "_meta"  # Django's public model API
        ):
            found.append(
                f"{path.name}:{node.lineno} uses {foreign_modules[node.value.id]}.{node.attr}"
            )
    return found


def test_no_app_uses_another_apps_private_names():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found += [f"{path.relative_to(SRC)}: {use}" for use in _private_uses(path)]
    assert found == []
