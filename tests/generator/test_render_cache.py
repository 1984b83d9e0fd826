"""render_cache: a release rendered once per (source, commit, answers), and never stale."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.backend import copier as copier_calls
from generator.project.drift import find_drift
from generator.templates import render_cache
from generator.templates.trust import load_trust
from tests.support.template_factory import (
    build_template,
    clone_project,
    commit_and_tag,
    generate_project,
    git,
)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return build_template(tmp_path / "tpl")


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every copier rendering made, by the ref it rendered (copier still does the work)."""
    made: list[str] = []
    real: Callable[..., Any] = copier_calls.render

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(kwargs["vcs_ref"])
        return real(*args, **kwargs)

    monkeypatch.setattr(copier_calls, "render", counted)
    return made


def test_a_fleet_on_one_release_is_rendered_once(
    template: Path, tmp_path: Path, renders: list[str]
) -> None:
    origin = generate_project(template, tmp_path / "origin")
    fleet = [clone_project(origin, tmp_path / f"repo-{n}") for n in range(3)]
    readme = fleet[1] / "README.md"
    readme.write_text(readme.read_text() + "edited\n")

    drifted = [[f.path for f in find_drift(repo).files] for repo in fleet]

    assert drifted == [[], ["README.md"], []]
    assert renders == ["1.0.0"]


def test_different_answers_are_different_renderings(
    template: Path, tmp_path: Path, renders: list[str]
) -> None:
    one = generate_project(template, tmp_path / "one")
    other = generate_project(template, tmp_path / "other", project_name="Other Project")

    assert not find_drift(one).drifted
    assert not find_drift(other).drifted
    assert len(renders) == 2


def test_a_fresh_process_reads_the_disk_cache(
    template: Path, tmp_path: Path, renders: list[str]
) -> None:
    find_drift(generate_project(template, tmp_path / "origin"))
    render_cache.forget()  # what a new process starts with
    project = clone_project(tmp_path / "origin", tmp_path / "project")
    (project / "Makefile").write_text("all:\n")

    assert [f.path for f in find_drift(project).files] == ["Makefile"]
    assert renders == ["1.0.0"]
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from generator.project.drift import find_drift\n"
        f"drift = find_drift(Path({str(project)!r}))\n"
        "print([f.path for f in drift.files], 'copier' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["['Makefile']", "False"]


def test_a_moved_tag_is_rendered_again(template: Path, tmp_path: Path, renders: list[str]) -> None:
    project = generate_project(template, tmp_path / "project")
    assert not find_drift(project).drifted
    # The release is re-tagged on a commit with another README: the project now differs.
    git(template, "checkout", "--quiet", "1.0.0")
    (template / "template" / "README.md.jinja").write_text("Re-released.\n")
    git(template, "tag", "--delete", "1.0.0")
    commit_and_tag(template, "1.0.0")

    assert [f.path for f in find_drift(project).files] == ["README.md"]
    assert renders == ["1.0.0", "1.0.0"]


def test_a_template_that_sees_its_folder_is_rendered_per_folder(
    template: Path, tmp_path: Path, renders: list[str]
) -> None:
    git(template, "checkout", "--quiet", "2.0.0")
    (template / "template" / "folder.txt.jinja").write_text("{{ _folder_name }}\n")
    commit_and_tag(template, "3.0.0")
    projects = [generate_project(template, tmp_path / name, version="3.0.0") for name in ("a", "b")]

    # Each rendering has its own folder's name. (`forgeml new` itself renders into a
    # staging folder, so the generated files name that one: both projects drift.)
    diffs = [find_drift(project).files[0].diff for project in projects]
    assert ["\n-a\n" in diffs[0], "\n-b\n" in diffs[1]] == [True, True]
    assert renders == ["3.0.0", "3.0.0"]


def test_head_is_rendered_every_time(template: Path, tmp_path: Path, renders: list[str]) -> None:
    location = render_cache.TemplateLocation(str(template))
    first = render_cache.rendered(location, "p", vcs_ref="HEAD", answers={}, trust=load_trust())
    (template / "template" / "README.md.jinja").write_text("Uncommitted.\n")
    second = render_cache.rendered(location, "p", vcs_ref="HEAD", answers={}, trust=load_trust())

    assert (second.path / "README.md").read_text() == "Uncommitted.\n"
    assert first != second
    assert renders == ["HEAD", "HEAD"]


@pytest.mark.parametrize(
    ("text", "sees"),
    [
        ("{{ _folder_name }}", True),
        ("{{ _copier_conf.dst_path }}", True),
        ('{{ _copier_conf["dst_path"] }}', True),
        ("{{ _copier_conf | tojson }}", True),
        ("{{ _copier_conf.answers_file }}", False),
        ("download(dst_path=scratch)", False),
    ],
)
def test_what_lets_a_template_see_its_folder(template: Path, text: str, sees: bool) -> None:
    (template / "template" / "extra.txt.jinja").write_text(text + "\n")
    (template / "template" / f"named {text}.txt").write_text("in the name\n")
    commit_and_tag(template, "9.0.0")
    location = render_cache.TemplateLocation(str(template))
    commit = git(template, "rev-parse", "9.0.0").strip()

    assert render_cache._template_sees_folder(location, commit) is sees


def test_a_folder_variable_in_a_file_name_counts(template: Path) -> None:
    (template / "template" / "{{ _folder_name }}.txt").write_text("plain\n")
    commit_and_tag(template, "9.0.0")
    commit = git(template, "rev-parse", "9.0.0").strip()

    assert render_cache._template_sees_folder(render_cache.TemplateLocation(str(template)), commit)
