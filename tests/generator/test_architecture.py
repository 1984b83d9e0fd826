"""generator/'s imports go one way: from the CLI down to the git and copier backend.

The layers, top to bottom, are those of docs/architecture.md. A module may import its
own layer and the layers below it, never one above; the command modules do not import
each other (only `fleet`, which runs `check` and `update` on many repositories, sits
above them). Every import counts, also one inside a function or under TYPE_CHECKING:
a type-only import is still a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GENERATOR = Path(__file__).resolve().parents[2] / "generator"

# Top to bottom; a module belongs to the first layer one of whose prefixes it starts with.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("generator.cli", "generator.__main__"),
    ("generator.reports",),
    ("generator.commands.fleet",),
    ("generator.commands",),
    ("generator.checks",),
    ("generator.policy",),
    ("generator.project",),
    ("generator.templates",),
    ("generator.backend",),
    ("generator.errors", "generator"),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(GENERATOR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == prefix or module.startswith(f"{prefix}.") for prefix in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer; add it to LAYERS and docs/architecture.md")


def _known_modules() -> set[str]:
    return {_module_name(path) for path in GENERATOR.rglob("*.py")}


def _imports(path: Path, known: set[str]) -> set[str]:
    """The generator modules `path` imports; `from generator.x import y` counts y if a module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("generator"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("generator"):
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return found


def _edges() -> list[tuple[str, str]]:
    known = _known_modules()
    return [
        (_module_name(path), imported)
        for path in sorted(GENERATOR.rglob("*.py"))
        for imported in sorted(_imports(path, known))
    ]


def _command(module: str) -> str | None:
    """`generator.commands.X` for a module of command X, else None."""
    parts = module.split(".")
    return (
        ".".join(parts[:3]) if parts[:2] == ["generator", "commands"] and len(parts) > 2 else None
    )


def test_every_module_has_a_layer() -> None:
    for module in _known_modules():
        _layer(module)


def test_imports_go_down_the_layers() -> None:
    upward = [
        f"{importer} imports {imported}"
        for importer, imported in _edges()
        if _layer(imported) < _layer(importer)
    ]
    assert not upward, "imports against the layer order:\n" + "\n".join(upward)


def test_commands_do_not_import_each_other() -> None:
    crossing = [
        f"{importer} imports {imported}"
        for importer, imported in _edges()
        if _command(importer) not in (None, "generator.commands.fleet")
        and _command(imported) not in (None, _command(importer))
    ]
    assert not crossing, "a command imports another command:\n" + "\n".join(crossing)


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("generator.checks.context", "generator.commands.new", False),
        ("generator.backend.copier", "generator.templates.location", False),
        ("generator.commands.fleet.ops", "generator.commands.update", True),
        ("generator.cli", "generator.reports.check", True),
    ],
)
def test_the_layer_order_is_the_documented_one(importer: str, imported: str, allowed: bool) -> None:
    """The rule itself: the checks above would pass vacuously with a wrong LAYERS."""
    assert (_layer(imported) >= _layer(importer)) is allowed


@pytest.mark.parametrize(
    ("libraries", "adapter"),
    [
        ({"copier", "plumbum"}, "generator.backend.copier"),
        ({"github"}, "generator.backend.github"),
    ],
)
def test_only_the_backend_imports_copier_and_plumbum(libraries: set[str], adapter: str) -> None:
    """One adapter per library: its calls, error translations and internals in one module
    (copier and plumbum; PyGithub, the GitHub API)."""
    outside = []
    for path in sorted(GENERATOR.rglob("*.py")):
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            roots = {name.split(".")[0] for name in names}
            if roots & libraries and module != adapter:
                outside.append(f"{module} imports {', '.join(sorted(roots))}")
    assert not outside, "\n".join(outside)
