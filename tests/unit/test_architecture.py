"""matching/ is the pure domain: it never imports the web framework, the ORM or the app."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import matching

FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "sqlalchemy", "werkzeug", "app")
MATCHING = Path(matching.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_matching_sources_import_no_web_or_orm_module():
    offenders = {
        str(path.relative_to(MATCHING)): sorted(_imports(path) & set(FORBIDDEN))
        for path in MATCHING.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) > 5  # the walk really saw the package


def test_importing_every_matching_module_loads_no_web_or_orm_module():
    code = (
        "import importlib, pkgutil, sys, matching\n"
        "for m in pkgutil.walk_packages(matching.__path__, 'matching.'):\n"
        "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


APP = MATCHING.parent / "app"


def _app_modules(path: Path) -> set[str]:
    """The app modules a file imports, as dotted names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "app" or node.module.startswith("app."):
                names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("app."))
    return names


def test_domain_packages_never_import_a_role_space():
    # Role spaces are ways into the domains: a domain operation that imported a view or a
    # form would tie the business rules to one screen.
    offenders = {}
    seen = 0
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP)
        if relative.parts[0] == "spaces":
            continue
        seen += 1
        bad = sorted(m for m in _app_modules(path) if m.startswith("app.spaces"))
        if bad and relative.parts[0] != "__init__.py":  # create_app registers the spaces
            offenders[str(relative)] = bad
    assert offenders == {}
    assert seen > 20  # the walk really saw the domain packages
