"""Layers point down (docs/architecture.md): the import-linter contract in pyproject.toml holds,
it catches an upward import, and no app's migrations depend on an app above it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# The floor of each app label (migrations name apps by label; enablement has four).
FLOOR = {
    "tenancy": 0,
    "partners": 1,
    "lms": 2,
    "live": 2,
    "certs": 2,
    "assets": 2,
    "onboarding": 3,
    "dealreg": 4,
    "mdf": 5,
    "analytics": 5,
    "integrations": 6,
}


def _lint_imports(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} is missing: install the dev dependencies (import-linter)")
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layer_contract_holds():
    result = _lint_imports(cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_contract_fails_on_an_upward_import_and_names_it(tmp_path):
    """The same contract, over a copy of two floors where tenancy imports partners."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for package in ("tenancy", "partners"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "partners" / "models.py").write_text("from tenancy import base\n")
    (tmp_path / "tenancy" / "base.py").write_text("")
    (tmp_path / "tenancy" / "bad.py").write_text("from partners import models\n")
    # A test importing upward is allowed.
    (tmp_path / "tenancy" / "tests").mkdir()
    (tmp_path / "tenancy" / "tests" / "__init__.py").write_text("")
    (tmp_path / "tenancy" / "tests" / "test_x.py").write_text("import partners.models\n")
    contract = config["contracts"][0]
    layers = ", ".join(f'"{layer}"' for layer in contract["layers"])
    ignores = ", ".join(f'"{rule}"' for rule in contract["ignore_imports"])
    (tmp_path / "pyproject.toml").write_text(
        "[tool.importlinter]\n"
        'root_packages = ["tenancy", "partners"]\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "layers"\n'
        'type = "layers"\n'
        f"layers = [{layers}]\n"
        "containers = []\n"
        f"ignore_imports = [{ignores}]\n"
        'unmatched_ignore_imports_alerting = "none"\n'
        "exhaustive = false\n"
    )
    # Layers missing from the copy are fine for import-linter only when marked optional.
    text = (tmp_path / "pyproject.toml").read_text()
    for layer in contract["layers"]:
        if layer not in ("tenancy", "partners"):
            names = " | ".join(f"({name.strip()})" for name in layer.split("|"))
            text = text.replace(f'"{layer}"', f'"{names}"')
    (tmp_path / "pyproject.toml").write_text(text)
    result = _lint_imports(cwd=tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "tenancy.bad -> partners.models" in result.stdout
    assert "tenancy.tests" not in result.stdout


def test_no_migration_depends_on_an_app_above_its_own():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    upward = []
    for (label, name), migration in loader.disk_migrations.items():
        if label not in FLOOR:
            continue
        for dep_label, dep_name in migration.dependencies:
            if dep_label == "__setting__":  # swappable: AUTH_USER_MODEL is tenancy's
                continue
            if FLOOR.get(dep_label, -1) > FLOOR[label]:
                upward.append(f"{label}.{name} -> {dep_label}.{dep_name}")
    assert upward == []


def test_every_app_of_ours_is_in_the_contract_and_has_a_floor():
    from django.apps import apps

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    packages = set(config["root_packages"])
    ours = {c.label for c in apps.get_app_configs() if c.name.split(".")[0] in packages}
    assert ours == set(FLOOR)


def test_tenancy_reaches_the_project_celery_app_from_any_thread():
    """tenancy/health.py uses celery.current_app instead of importing prm: in a web server's
    worker thread it must still be the project's app (prm/celery.py sets it as the default)."""
    import threading

    from celery import current_app

    seen = []
    thread = threading.Thread(target=lambda: seen.append(current_app.main))
    thread.start()
    thread.join()
    assert seen == ["prm"]


@pytest.mark.parametrize("package", ["tenancy", "partners", "enablement", "onboarding", "dealreg"])
def test_each_app_declares_only_its_own_menu_items(package):
    """Menus are assembled in prm/navigation.py from each app's items; an app's navigation.py
    names only its own pages (tenancy no longer lists every app's URLs)."""
    from importlib import import_module

    from django.urls import resolve, reverse

    from prm import navigation as assembled
    from tenancy.navigation import NavGroup, NavItem, flatten

    module = import_module(f"{package}.navigation")
    declared = [v for v in vars(module).values() if isinstance(v, NavItem | NavGroup | tuple)]
    items = [
        item
        for value in declared
        for item in flatten(value if isinstance(value, tuple) else (value,))
        if isinstance(item, NavItem)
    ]
    assert items
    for item in items:
        view_module = resolve(reverse(item.url_name)).func.__module__
        assert view_module.split(".")[0] == package, (item.url_name, view_module)
    placed = {i.url_name for i in flatten(assembled.CONSOLE) + flatten(assembled.PORTAL)}
    hub = {i.url_name for i in flatten(getattr(module, "PROGRAM", ()))}
    assert {i.url_name for i in items} <= placed | hub
