"""Template code (copier `_tasks`, `_migrations`) runs only from sources the operator trusts.

The hostile template below writes a marker file from a task (on copy) and from a
migration (on update): a marker that exists after a refused command means code ran.
Every refusal must be exit 2, name the source and a flag that exists, and change nothing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.templates.trust import Trust, load_trust, normalise
from tests.support.template_factory import git, tagged_template

runner = CliRunner()

COPIER_YML = """\
_subdirectory: template
_answers_file: .copier-answers.yml
_templates_suffix: .jinja
_tasks:
  - "touch {marker}-task"
_migrations:
  - version: "2.0.0"
    command: "touch {marker}-migration"
project_name:
  type: str
  default: Hostile
"""


def hostile_template(root: Path, marker: Path) -> Path:
    """A template with a task and a 2.0.0 migration, releases 1.0.0 and 2.0.0."""
    readme = {"README.md.jinja": "# {{ project_name }}\n"}
    return tagged_template(
        root,
        COPIER_YML.format(marker=marker),
        {"1.0.0": {**readme, "VERSION": "1.0.0\n"}, "2.0.0": {"VERSION": "2.0.0\n"}},
    )


@pytest.fixture
def untrusting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator whose configuration trusts nothing beyond the bundled template."""
    config = tmp_path / "config.toml"
    config.write_text("[trust]\nsources = []\n")
    monkeypatch.setenv("FORGEML_CONFIG", str(config))
    return config


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "ran"


def ran(marker: Path) -> list[str]:
    return sorted(p.name for p in marker.parent.glob(f"{marker.name}-*"))


def project_at_1(tmp_path: Path, template: Path) -> Path:
    """A project of release 1.0.0, generated with the template trusted, tasks' marker removed."""
    dest = tmp_path / "project"
    result = runner.invoke(
        app,
        [
            "new",
            str(dest),
            "--template",
            str(template),
            "--vcs-ref",
            "1.0.0",
            "--defaults",
            "--trust",
        ],
    )
    assert result.exit_code == 0, result.output
    for leftover in tmp_path.glob("ran-*"):
        leftover.unlink()
    return dest


def test_new_refuses_an_untrusted_template_with_tasks_and_names_a_real_flag(
    tmp_path: Path, untrusting: Path, marker: Path
) -> None:
    template = hostile_template(tmp_path / "hostile", marker)
    dest = tmp_path / "project"

    result = runner.invoke(app, ["new", str(dest), "--template", str(template), "--defaults"])

    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1
    assert "Traceback" not in message
    assert str(template) in message
    assert "--trust" in message
    assert "tasks" in message
    assert ran(marker) == []
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # The flag the message names exists and does what it says.
    trusted = runner.invoke(
        app, ["new", str(dest), "--template", str(template), "--defaults", "--trust"]
    )
    assert trusted.exit_code == 0, trusted.output
    assert ran(marker) == ["ran-task"]


@pytest.mark.parametrize("dry_run", [False, True])
def test_update_refuses_untrusted_migrations_and_changes_nothing(
    tmp_path: Path, untrusting: Path, marker: Path, dry_run: bool
) -> None:
    template = hostile_template(tmp_path / "hostile", marker)
    project = project_at_1(tmp_path, template)
    before = git(project, "rev-parse", "HEAD"), git(project, "status", "--porcelain")

    result = runner.invoke(app, ["update", str(project), *(["--dry-run"] if dry_run else [])])

    assert result.exit_code == 2, result.output
    assert "--trust" in result.output
    assert "migrations" in result.output
    assert str(template) in result.output
    assert ran(marker) == []
    assert (git(project, "rev-parse", "HEAD"), git(project, "status", "--porcelain")) == before

    trusted = runner.invoke(
        app, ["update", str(project), "--trust", *(["--dry-run"] if dry_run else [])]
    )
    assert trusted.exit_code == 0, trusted.output
    assert "ran-migration" in ran(marker)


def test_a_configured_prefix_trusts_sources_below_it_only(
    tmp_path: Path, untrusting: Path, marker: Path
) -> None:
    template = hostile_template(tmp_path / "org" / "hostile", marker)
    project = project_at_1(tmp_path, template)
    untrusting.write_text(f'[trust]\nsources = ["{tmp_path / "or"}"]\n')  # not a segment
    assert runner.invoke(app, ["update", str(project)]).exit_code == 2
    assert ran(marker) == []

    untrusting.write_text(f'[trust]\nsources = ["{tmp_path / "org"}/"]\n')
    result = runner.invoke(app, ["update", str(project)])
    assert result.exit_code == 0, result.output
    assert ran(marker) == ["ran-migration", "ran-task"]


def test_fleet_reports_untrusted_repositories_instead_of_running_their_code(
    tmp_path: Path, untrusting: Path, marker: Path
) -> None:
    template = hostile_template(tmp_path / "hostile", marker)
    origin = project_at_1(tmp_path, template)
    repos = tmp_path / "repos"
    for name in ("a", "b"):
        subprocess.run(["git", "clone", "--quiet", str(origin), str(repos / name)], check=True)

    result = runner.invoke(app, ["fleet", "update", str(repos), "--jobs", "2"])

    assert result.exit_code == 1, result.output
    assert result.output.count("not trusted") == 2
    assert "--trust-source" in result.output
    assert ran(marker) == []
    for name in ("a", "b"):
        assert git(repos / name, "branch", "--list", "forgeml/*") == ""

    trusted = runner.invoke(
        app, ["fleet", "update", str(repos), "--jobs", "2", "--trust-source", str(template)]
    )
    assert trusted.exit_code == 0, trusted.output
    assert "ran-migration" in ran(marker)


def test_the_bundled_template_is_trusted_and_nothing_else_by_default(untrusting: Path) -> None:
    trust = load_trust()
    from generator.templates import source as template_source

    assert trust.trusts(str(template_source.CHECKOUT_ROOT))
    assert trust.trusts(template_source.CANONICAL_TEMPLATE_URL)
    assert trust.trusts("git+https://GitHub.com/forgeml/forgeml.git/")
    # Exact, not a prefix: a template inside the checkout is not the bundled template.
    assert not trust.trusts(str(template_source.CHECKOUT_ROOT / "tests"))
    assert not trust.trusts("https://github.com/forgeml/forgeml-evil")


@pytest.mark.parametrize(
    ("source", "trusted"),
    [
        ("gh:acme/ml-template", True),
        ("https://github.com/acme/ml-template.git", True),
        ("git+https://github.com/acme/sub/group/t", True),
        ("https://user:token@GITHUB.com/acme/t", True),
        ("https://github.com/acme", True),
        ("https://github.com/acme-evil/t", False),
        ("https://github.com/acme/../evil/t", False),
        ("https://github.com.evil.example/acme/t", False),
        ("http://github.com/acme/t", False),
        ("git@github.com:acme/t.git", False),
    ],
)
def test_prefixes_match_whole_segments_of_normalised_urls(source: str, trusted: bool) -> None:
    trust = Trust(prefixes=(normalise("https://github.com/acme/"),))
    assert trust.trusts(source) is trusted


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ("[trust]\nsources = 'x'\n", "trust.sources"),
        ("[trusts]\nsources = []\n", "[trusts]"),
        ("[trust]\nsource = []\n", "sources"),
        ("[trust\n", "not valid TOML"),
    ],
)
def test_an_invalid_configuration_is_one_line_exit_2(
    tmp_path: Path, untrusting: Path, config: str, named: str
) -> None:
    untrusting.write_text(config)
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults"])
    assert result.exit_code == 2
    assert named in result.output
    assert str(untrusting) in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()


def test_diff_of_an_untrusted_template_with_extensions_names_only_the_configuration(
    tmp_path: Path, untrusting: Path, marker: Path
) -> None:
    """`diff` renders without tasks, but Jinja extensions are Python the template
    imports; `diff` has no --trust, so the refusal names the configuration only."""
    template = hostile_template(tmp_path / "hostile", marker)
    copier_yml = template / "copier.yml"
    copier_yml.write_text(copier_yml.read_text() + "_jinja_extensions:\n  - jinja2.ext.do\n")
    git(template, "commit", "--quiet", "-am", "extensions")
    project = tmp_path / "project"
    made = runner.invoke(
        app,
        [
            "new",
            str(project),
            "--template",
            str(template),
            "--vcs-ref",
            "HEAD",
            "--defaults",
            "--trust",
        ],
    )
    assert made.exit_code == 0, made.output

    result = runner.invoke(app, ["diff", str(project)])

    assert result.exit_code == 2, result.output
    assert "jinja_extensions" in result.output
    assert "--trust" not in result.output
    assert str(untrusting) in result.output
