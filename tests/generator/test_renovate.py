"""Generated projects work with Renovate's copier manager (docs/rollout.md).

What Renovate reads (renovatebot/renovate, lib/modules/manager/copier): files matching
`(^|/)\\.copier-answers(\\..+)?\\.ya?ml`; in them `_src_path`, a URL or a `git@host:repo`
address, as a git-tags datasource, and `_commit` as the current version, compared under
PEP 440 versioning with the template's tags. To update it runs
`copier update --skip-answered --defaults --answers-file F --vcs-ref NEW`. These tests
check each of those on a real project and run Renovate's exact copier command.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml
from packaging.version import Version

from generator.backend.git import ls_remote_tags
from generator.project.answers import ANSWERS_FILE
from generator.templates.source import CANONICAL_TEMPLATE_URL
from tests.support.template_factory import generate_project, git

# Renovate's default managerFilePatterns for copier, and its `_src_path` schema.
ROOT = Path(__file__).resolve().parents[2]
RENOVATE_FILE_PATTERN = re.compile(r"(^|/)\.copier-answers(\..+)?\.ya?ml")
RENOVATE_SSH_URL = re.compile(r"^git@[^:]*:(?P<repository>.+)$")


def renovate_reads(answers: dict[str, object]) -> tuple[str, str]:
    """The (packageName, currentValue) Renovate extracts, or an AssertionError why not."""
    source, commit = answers["_src_path"], answers["_commit"]
    assert isinstance(source, str)
    assert isinstance(commit, str)
    assert re.match(r"^[a-z][a-z0-9+.-]*://\S+$", source) or RENOVATE_SSH_URL.match(source), (
        f"Renovate needs a URL or git@host:repo in _src_path, not {source!r}"
    )
    Version(commit)  # pep440 versioning: the recorded release is a PEP 440 version
    return source, commit


def test_the_answers_file_is_where_renovate_looks() -> None:
    assert RENOVATE_FILE_PATTERN.search(ANSWERS_FILE)
    assert RENOVATE_FILE_PATTERN.search(f"services/api/{ANSWERS_FILE}")


def test_the_bundled_template_records_a_url_renovate_can_list_tags_of() -> None:
    """Projects from an installed forgeml record the canonical git URL (not a `gh:`
    shorthand or a local path, which Renovate's git-tags datasource cannot list)."""
    assert renovate_reads({"_src_path": CANONICAL_TEMPLATE_URL, "_commit": "0.1.0"})


def test_renovate_finds_the_next_release_and_its_copier_command_applies_it(
    template: Path, tmp_path: Path
) -> None:
    """A project from a template at a git URL: Renovate's whole loop, with real tools."""
    project = generate_project(template, tmp_path / "project")
    answers_path = project / ANSWERS_FILE
    # What a project from a hosted template records: its URL (file:// here, served by git).
    hosted = tmp_path / "forgeml.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(template), str(hosted))
    text = answers_path.read_text()
    assert f"_src_path: {template}\n" in text
    answers_path.write_text(text.replace(str(template), hosted.as_uri()))
    git(project, "commit", "--quiet", "-am", "template at its URL")
    answers = yaml.safe_load(answers_path.read_text())

    source, current = renovate_reads(answers)

    # git-tags datasource: the tags of _src_path; pep440: the newest above _commit.
    tags = [tag for tag in ls_remote_tags(source) if _is_version(tag)]
    newer = sorted(Version(tag) for tag in tags if Version(tag) > Version(current))
    assert current in tags
    assert newer, "Renovate would find no update"
    target = str(newer[-1])
    # Renovate's command; it adds --trust only when self-hosted `allowScripts` is on and
    # the repository sets `ignoreScripts: false`. The fixture template has migrations.
    command = [
        sys.executable, "-m", "copier", "update", "--skip-answered", "--defaults",
        "--answers-file", ANSWERS_FILE, "--vcs-ref", target,
    ]  # fmt: skip
    refused = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    assert refused.returncode != 0
    assert "unsafe feature: migrations" in refused.stderr
    done = subprocess.run(
        [*command, "--trust"], cwd=project, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    updated = yaml.safe_load(answers_path.read_text())
    assert updated["_commit"] == target
    assert updated["_src_path"] == source


def test_forgeml_template_needs_no_trust_so_renovate_defaults_suffice() -> None:
    """Without tasks, migrations or Jinja extensions, Renovate's copier update runs
    without `--trust`, so no self-hosted `allowScripts` is needed."""
    settings = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    unsafe = {"_tasks", "_migrations", "_jinja_extensions"} & set(settings)
    assert not unsafe, f"document Renovate's allowScripts in docs/rollout.md: {unsafe}"


def _is_version(tag: str) -> bool:
    try:
        Version(tag)
    except ValueError:
        return False
    return True
