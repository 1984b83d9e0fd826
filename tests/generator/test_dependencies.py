"""forgeml declares what it imports, and its copier floor is one with the trust fixes.

- Every third-party distribution a module of generator/ imports is a dependency in
  pyproject.toml: an undeclared one works here only because copier happens to pull it in.
- The copier floor (pyproject.toml) and copier.yml's `_min_copier_version` agree, are at
  least 9.15.2 (a trust bypass through path traversal is fixed there), and the installed
  copier satisfies them. `-m slow` installs exactly the floor and generates a project.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions, version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
TRUST_FIX = Version("9.15.2")


def _requirements() -> dict[str, Requirement]:
    """The dependencies, and the optional ones generator/ imports lazily (the `github` extra)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["github"]]
    parsed = (Requirement(line) for line in lines)
    return {canonicalize_name(requirement.name): requirement for requirement in parsed}


def _imported_roots() -> set[str]:
    roots: set[str] = set()
    for path in (ROOT / "generator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
    return roots - set(sys.stdlib_module_names) - {"generator", "__future__"}


def _copier_floor() -> Version:
    (spec,) = [s for s in _requirements()["copier"].specifier if s.operator == ">="]
    return Version(spec.version)


def test_every_imported_distribution_is_declared() -> None:
    providers = packages_distributions()
    declared = set(_requirements())
    undeclared = sorted(
        f"{root} (from {', '.join(providers.get(root, ['?']))})"
        for root in _imported_roots()
        if not {canonicalize_name(d) for d in providers.get(root, [root])} & declared
    )
    assert not undeclared, f"generator/ imports undeclared distributions: {undeclared}"


def test_the_declaration_check_sees_the_imports() -> None:
    """The check above would pass vacuously if it found no imports."""
    assert {"copier", "plumbum", "packaging", "yaml", "typer"} <= _imported_roots()


def test_copier_floor_has_the_trust_fix_and_matches_copier_yml() -> None:
    floor = _copier_floor()
    assert floor >= TRUST_FIX
    settings = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    assert Version(str(settings["_min_copier_version"])) == floor


def test_installed_copier_satisfies_the_requirement() -> None:
    requirement = _requirements()["copier"]
    assert requirement.specifier.contains(version("copier")), (
        f"copier {version('copier')} is installed; forgeml requires {requirement}"
    )


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is needed to install forgeml")
def test_forgeml_works_with_the_lowest_copier_it_allows(tmp_path: Path) -> None:
    """forgeml installed with exactly its copier floor generates and checks a project."""
    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "--quiet", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    floor = f"copier=={_copier_floor()}"
    subprocess.run(
        ["uv", "pip", "install", "--quiet", "--python", python, str(ROOT), floor], check=True
    )
    installed = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('copier'))"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert installed.stdout.strip() == str(_copier_floor())
    forgeml = str(venv / "bin" / "forgeml")
    dest = tmp_path / "demo"
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([forgeml, "new", str(dest), "--defaults"], check=True, cwd=tmp_path, env=env)
    checked = subprocess.run(
        [forgeml, "check", str(dest)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
