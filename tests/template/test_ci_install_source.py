"""Where the generated project's CI installs forgeml from, and unreleased template commits.

The policy and template-update jobs run `make install-forgeml`
(scripts/forgeml_source.py): the organisation's FORGEML_SPEC, else the template commit
the project records, never a bare package name on a public index. A project generated
from a checkout without release tags records a bare commit hash: its own policy allows
that (`allow_unreleased = true`), an organisation's policy may refuse it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.templates.releases import parse_release
from tests.support.generated import REPO_ROOT

runner = CliRunner()


def write_answers(project: Path, src: str, commit: str) -> None:
    project.mkdir(parents=True, exist_ok=True)
    (project / ".copier-answers.yml").write_text(
        f"# Changes here will be overwritten by Copier\n_commit: {commit}\n_src_path: {src}\n"
        "project_name: Demo\n"
    )


def source(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = REPO_ROOT / "template" / "scripts" / "forgeml_source.py"
    clean = {k: v for k, v in os.environ.items() if k not in {"FORGEML_SPEC", "GITHUB_OUTPUT"}}
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=project,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("src", "commit", "expected"),
    [
        (
            "https://github.com/forgeml/forgeml.git",
            "0.1.0",
            "forgeml @ git+https://github.com/forgeml/forgeml.git@0.1.0",
        ),
        (
            "gh:acme/forgeml",
            "'0.2.0-3-g1a2b3c4'",
            "forgeml @ git+https://github.com/acme/forgeml@1a2b3c4",
        ),
        (
            "git@github.com:acme/forgeml.git",
            "'959d5fc'",
            "forgeml @ git+ssh://git@github.com/acme/forgeml.git@959d5fc",
        ),
    ],
)
def test_the_recorded_template_commit_is_the_default_source(
    tmp_path: Path, src: str, commit: str, expected: str
) -> None:
    write_answers(tmp_path, src, commit)
    found = source(tmp_path)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == expected


def test_the_organisations_spec_wins(tmp_path: Path) -> None:
    write_answers(tmp_path, "https://github.com/forgeml/forgeml.git", "0.1.0")
    spec = "forgeml @ git+https://git.acme.example/platform/forgeml@v9"
    assert source(tmp_path, FORGEML_SPEC=spec).stdout.strip() == spec


def test_a_local_template_path_is_no_source_and_the_jobs_skip_visibly(tmp_path: Path) -> None:
    write_answers(tmp_path, "/home/someone/forgeml", "'959d5fc'")
    found = source(tmp_path)
    assert found.returncode == 3
    assert "FORGEML_SPEC" in found.stderr

    output = tmp_path / "github-output"
    installing = source(tmp_path, "--install", GITHUB_OUTPUT=str(output))
    assert installing.returncode == 0, installing.stderr
    assert installing.stdout.startswith("::warning title=forgeml not installed::")
    assert output.read_text() == "installed=false\n"


def test_the_generated_workflows_install_through_the_script(default_project: object) -> None:
    project = default_project.path  # type: ignore[attr-defined]
    for name in ("ci", "template-update"):
        text = (project / ".github" / "workflows" / f"{name}.yml").read_text()
        assert "run: make install-forgeml" in text
        assert "forgeml==" not in text
    assert "install-forgeml:" in (project / "Makefile").read_text()
    assert (project / "scripts" / "forgeml_source.py").is_file()


# --- Unreleased template commits ----------------------------------------------------------


def test_an_abbreviated_commit_hash_is_never_a_release() -> None:
    assert parse_release("7473678") is None
    assert parse_release("959d5fc") is None
    assert parse_release("0.1.0") is not None
    assert parse_release("0.1.0-3-g959d5fc") is not None


def test_a_project_from_an_untagged_checkout_passes_its_own_check(tmp_path: Path) -> None:
    template = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-tags", str(REPO_ROOT), str(template)], check=True
    )
    project = tmp_path / "project"
    made = runner.invoke(app, ["new", str(project), "--template", str(template), "--defaults"])
    assert made.exit_code == 0, made.output

    checked = runner.invoke(app, ["check", str(project), "--format", "json"])
    assert checked.exit_code == 0, checked.output

    strict = tmp_path / "org-policy.toml"
    strict.write_text('[template]\noldest_release = "0.1.0"\nallow_unreleased = false\n')
    refused = runner.invoke(app, ["check", str(project), "--policy", str(strict)])
    assert refused.exit_code == 1, refused.output
    assert "FML201" in refused.output
