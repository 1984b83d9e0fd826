"""Import names a generated project's package must not take: its dependency closure.

A package named like a module the project imports (`joblib`, `typing_extensions`, ...)
shadows it: `src/<package>` comes first on the path and the project breaks in confusing
ways. `DEPENDENCY_IMPORT_NAMES` is every top-level import name installed in a generated
project's environment (runtime and dev dependencies, resolved by uv), computed by this
module, not typed by hand. Regenerate it after changing template/pyproject.toml.jinja:

    forgeml new /tmp/p --defaults && make -C /tmp/p setup
    /tmp/p/.venv/bin/python -m generator.project.reserved_names > /tmp/names.py
    mv /tmp/names.py generator/project/reserved_names.py

(run from a forgeml checkout, so `generator` is importable; tests/generator/
test_clean_failures.py checks the list against such an environment when one is available).
"""

from __future__ import annotations

DEPENDENCY_IMPORT_NAMES = frozenset(
    {
        "_cffi_backend",
        "_pytest",
        "_yaml",
        "alembic",
        "annotated_doc",
        "annotated_types",
        "anyio",
        "ast_serialize",
        "cachetools",
        "certifi",
        "cffi",
        "cfgv",
        "charset_normalizer",
        "click",
        "cloudpickle",
        "cryptography",
        "databricks",
        "dateutil",
        "distlib",
        "dotenv",
        "fastapi",
        "filelock",
        "ghp_import",
        "git",
        "gitdb",
        "google",
        "h11",
        "httpcore2",
        "httptools",
        "httpx2",
        "identify",
        "idna",
        "importlib_metadata",
        "iniconfig",
        "jinja2",
        "joblib",
        "librt",
        "mako",
        "markdown",
        "markdown_it",
        "markupsafe",
        "mdurl",
        "mergedeep",
        "mkdocs",
        "mkdocs_get_deps",
        "mlflow",
        "mypy",
        "mypy_extensions",
        "mypyc",
        "narwhals",
        "nodeenv",
        "numpy",
        "opentelemetry",
        "packaging",
        "pandas",
        "pandera",
        "pathspec",
        "platformdirs",
        "pluggy",
        "pre_commit",
        "pre_commit_hooks",
        "prettytable",
        "py",
        "pyarrow",
        "pyasn1",
        "pyasn1_modules",
        "pycparser",
        "pydantic",
        "pydantic_core",
        "pygments",
        "pytest",
        "python_discovery",
        "requests",
        "rich",
        "ruamel",
        "ruff",
        "scipy",
        "shellingham",
        "sklearn",
        "skops",
        "smmap",
        "sqlalchemy",
        "sqlparse",
        "starlette",
        "threadpoolctl",
        "truststore",
        "typeguard",
        "typer",
        "typing_extensions",
        "typing_inspect",
        "typing_inspection",
        "tzdata",
        "urllib3",
        "uvicorn",
        "uvloop",
        "virtualenv",
        "watchdog",
        "wcwidth",
        "yaml",
        "yaml_env_tag",
        "zipp",
    }
)

# Installers and build tools that are importable where the project is built or
# installed (pip, setuptools in a user's environment; hatchling builds the wheel),
# and the project's own top-level folders.
TOOLING_AND_LAYOUT_NAMES = frozenset(
    {
        "_distutils_hack",
        "hatchling",
        "pip",
        "pkg_resources",
        "setuptools",
        "src",
        "test",
        "tests",
        "wheel",
    }
)


def installed_import_names() -> list[str]:
    """Top-level import names of every distribution in the running environment."""
    import importlib.metadata  # only for regenerating the list: it costs every command 20 ms

    names: set[str] = set()
    for dist in importlib.metadata.distributions():
        top = dist.read_text("top_level.txt")
        if top:
            names.update(line.strip() for line in top.split())
            continue
        for file in dist.files or []:
            parts = file.parts
            if not parts or parts[0] == ".." or parts[0].endswith((".dist-info", ".data", ".pth")):
                continue
            if len(parts) > 1:
                names.add(parts[0])
            elif parts[0].endswith(".py"):
                names.add(parts[0][:-3])
            elif parts[0].endswith((".so", ".pyd")):
                names.add(parts[0].split(".")[0])
    return sorted(name for name in names if name.isidentifier())


def _module_source(names: list[str]) -> str:
    """This file, with `names` as the dependency list (the regeneration command above)."""
    from pathlib import Path

    text = Path(__file__).read_text(encoding="utf-8")
    head, _, rest = text.partition("DEPENDENCY_IMPORT_NAMES = frozenset(\n    {\n")
    _, _, tail = rest.partition("    }\n)\n")
    listed = "".join(f'        "{name}",\n' for name in names)
    return f"{head}DEPENDENCY_IMPORT_NAMES = frozenset(\n    {{\n{listed}    }}\n)\n{tail}"


if __name__ == "__main__":
    print(_module_source(installed_import_names()), end="")
