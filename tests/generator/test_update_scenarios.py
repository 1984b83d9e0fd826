"""`forgeml update` scenarios on a project generated at 1.0.0 of the fixture template.

Each test clones one project generated per module (generating takes longer than the
update itself), edits and commits it the way a team would, then updates it to 2.0.0.
"""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from generator.commands.update import PartialUpdateError, update_project
from generator.errors import EXIT_PROBLEMS, EXIT_REFUSED, ForgemlError
from tests.support.template_factory import (
    add_failing_release,
    build_template,
    commit_all,
    generate_project,
    git,
    tree_digest,
)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def is_executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def recorded(project: Path) -> dict[str, object]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


def test_update_keeps_local_edit_and_brings_template_change(project: Path) -> None:
    edit(project / "notes.md", "notes line 5\n", "notes line 5, edited by the team\n")
    edit(project / "README.md", "Ask the platform team.", "Ask #ml-support on chat.")
    commit_all(project)

    result = update_project(project)

    assert result.exit_code == 0
    assert (result.from_version, result.to_version) == ("1.0.0", "2.0.0")
    readme = (project / "README.md").read_text()
    assert "Ask #ml-support on chat." in readme, "the local edit was lost"
    assert "Run `make run ARGS=--verbose`." in readme, "the template change did not arrive"
    assert "notes line 5, edited by the team\n" in (project / "notes.md").read_text()
    assert "README.md" in result.changes.updated
    assert "notes.md" not in result.changes.updated
    assert result.changes.conflicts == ()
    assert recorded(project)["_commit"] == "2.0.0"


def test_update_reports_every_kind_of_template_change(project: Path) -> None:
    result = update_project(project)

    assert result.changes.updated == (
        ".copier-answers.yml",
        "README.md",
        "scripts/lint.sh",
        "scripts/run.sh",
    )
    assert result.changes.added == ("CONTRIBUTING.md", "docs/guide.md", "scripts/release.sh")
    assert result.changes.removed == ("docs/old-guide.md", "legacy.cfg")
    assert result.changes.conflicts == ()
    assert result.migrations == ("2.0.0",)
    assert not (project / "legacy.cfg").exists()
    assert (project / "CONTRIBUTING.md").is_file()


def test_update_same_line_edit_is_a_reported_conflict_with_markers(project: Path) -> None:
    edit(project / "README.md", "Run `make run`.", "Run `make run PROFILE=prod`.")
    commit_all(project)

    result = update_project(project)

    assert result.exit_code == EXIT_PROBLEMS
    assert [c.path for c in result.changes.conflicts] == ["README.md"]
    assert "README.md" not in result.changes.updated
    readme = (project / "README.md").read_text()
    assert "<<<<<<< before updating" in readme
    assert "Run `make run PROFILE=prod`." in readme
    assert "Run `make run ARGS=--verbose`." in readme
    assert ">>>>>>> after updating" in readme
    assert "README.md" in git(project, "ls-files", "--unmerged")


def test_update_conflict_rej_leaves_rej_files_and_reports_them(project: Path) -> None:
    edit(project / "README.md", "Run `make run`.", "Run `make run PROFILE=prod`.")
    commit_all(project)

    result = update_project(project, conflict="rej")

    assert result.exit_code == EXIT_PROBLEMS
    (conflict,) = result.changes.conflicts
    assert conflict.path == "README.md"
    assert "README.md.rej" in conflict.reason
    assert (project / "README.md.rej").is_file()
    assert not any(path.endswith(".rej") for path in result.changes.added)


def test_update_reports_rej_files_hidden_by_an_ignore_rule(project: Path) -> None:
    (project / ".gitignore").write_text("*.rej\n")
    edit(project / "README.md", "Run `make run`.", "Run `make run PROFILE=prod`.")
    commit_all(project)

    result = update_project(project, conflict="rej")

    assert [c.path for c in result.changes.conflicts] == ["README.md"]


@pytest.mark.parametrize(
    "make_dirty",
    [
        pytest.param(lambda p: edit(p / "notes.md", "notes line 1", "uncommitted"), id="modified"),
        pytest.param(lambda p: (p / "scratch.txt").write_text("new\n"), id="untracked"),
        pytest.param(
            lambda p: (edit(p / "Makefile", "install:", "setup:"), git(p, "add", "Makefile")),
            id="staged",
        ),
    ],
)
def test_update_refuses_a_dirty_tree_and_changes_nothing(
    project: Path, make_dirty: Callable[[Path], object]
) -> None:
    make_dirty(project)
    before = tree_digest(project)

    with pytest.raises(ForgemlError, match="uncommitted changes") as refused:
        update_project(project)

    assert refused.value.exit_code == EXIT_REFUSED
    assert tree_digest(project) == before


def test_update_ignores_ignored_files_when_checking_for_a_clean_tree(project: Path) -> None:
    (project / ".gitignore").write_text("*.log\n")
    commit_all(project)
    (project / "train.log").write_text("epoch 1\n")

    assert update_project(project).exit_code == 0
    assert (project / "train.log").read_text() == "epoch 1\n"


def test_update_refuses_a_directory_that_is_not_a_git_repository(
    project: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(project, plain, ignore=shutil.ignore_patterns(".git"))
    before = tree_digest(plain)

    with pytest.raises(ForgemlError, match="not a git repository") as refused:
        update_project(plain)

    assert refused.value.exit_code == EXIT_REFUSED
    assert tree_digest(plain) == before


def test_update_refuses_a_repository_without_commits(project: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns(".git"))
    git(fresh, "init", "--quiet")

    with pytest.raises(ForgemlError, match="has no commits yet"):
        update_project(fresh)


def test_update_refuses_a_repository_that_is_not_a_generated_project(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet")
    (repo / "README.md").write_text("hand-made\n")
    commit_all(repo)

    with pytest.raises(ForgemlError, match=r"not a generated project.*\.copier-answers\.yml"):
        update_project(repo)


def test_update_refuses_an_answers_file_without_a_recorded_release(project: Path) -> None:
    answers = project / ".copier-answers.yml"
    kept = [line for line in answers.read_text().splitlines(True) if not line.startswith("_commit")]
    answers.write_text("".join(kept))
    commit_all(project)
    before = tree_digest(project)

    with pytest.raises(ForgemlError, match="records no _commit"):
        update_project(project)
    assert tree_digest(project) == before


def test_update_does_not_resurrect_files_the_user_deleted(project: Path) -> None:
    (project / "scripts" / "run.sh").unlink()  # a file 2.0.0 changes
    (project / "notes.md").unlink()  # a file 2.0.0 leaves alone
    commit_all(project)

    result = update_project(project)

    assert result.exit_code == 0
    assert not (project / "scripts" / "run.sh").exists()
    assert not (project / "notes.md").exists()
    assert "scripts/run.sh" not in result.changes.added + result.changes.updated


def test_update_dry_run_changes_no_byte_and_predicts_the_update(project: Path) -> None:
    edit(project / "README.md", "Ask the platform team.", "Ask me.")
    edit(project / "docs" / "old-guide.md", "Guide step 2:", "Guide step 2 (ours):")
    commit_all(project)
    before = tree_digest(project)

    preview = update_project(project, dry_run=True)

    assert tree_digest(project) == before, "--dry-run changed the project"
    assert preview.dry_run
    assert preview.path == project
    assert preview.diff is not None
    assert "+Run `make run ARGS=--verbose`." in preview.diff
    assert "rename to docs/guide.md" in preview.diff

    real = update_project(project)
    assert real.changes == preview.changes
    assert real.migrations == preview.migrations


def test_update_dry_run_reports_the_conflict_it_would_cause(project: Path) -> None:
    edit(project / "README.md", "Run `make run`.", "Run `make run PROFILE=prod`.")
    commit_all(project)
    before = tree_digest(project)

    preview = update_project(project, dry_run=True)

    assert preview.exit_code == EXIT_PROBLEMS
    assert [c.path for c in preview.changes.conflicts] == ["README.md"]
    assert tree_digest(project) == before


def test_update_migration_moves_the_renamed_file_and_keeps_its_edits(project: Path) -> None:
    edit(project / "docs" / "old-guide.md", "Guide step 2: do thing 2.", "Guide step 2: our way.")
    commit_all(project)

    result = update_project(project)

    assert result.exit_code == 0
    assert not (project / "docs" / "old-guide.md").exists()
    guide = (project / "docs" / "guide.md").read_text()
    assert "Guide step 2: our way.\n" in guide, "the edit of the renamed file was lost"
    assert "Guide step 8: do thing 8 (new way).\n" in guide, "2.0.0's change is missing"
    assert result.migrations == ("2.0.0",)


def test_update_migration_reports_a_conflict_in_the_renamed_file(project: Path) -> None:
    edit(project / "docs" / "old-guide.md", "Guide step 8: do thing 8.", "Guide step 8: ours.")
    commit_all(project)

    result = update_project(project)

    assert result.exit_code == EXIT_PROBLEMS
    assert [(c.path, c.reason) for c in result.changes.conflicts] == [
        ("docs/guide.md", "conflict markers")
    ]
    assert "<<<<<<< before updating" in (project / "docs" / "guide.md").read_text()


def test_update_keeps_executable_bits(project: Path) -> None:
    (project / "README.md").chmod(0o755)  # made executable by the team; 2.0.0 edits it
    commit_all(project)

    update_project(project)

    assert is_executable(project / "scripts" / "run.sh"), "content change lost the bit"
    assert is_executable(project / "scripts" / "lint.sh"), "mode-only change did not arrive"
    assert is_executable(project / "scripts" / "release.sh"), "new file is not executable"
    assert is_executable(project / "README.md"), "the team's executable bit was lost"
    assert not is_executable(project / "CONTRIBUTING.md")
    git(project, "add", "--all")
    modes = {
        line.split("\t")[1]: line.split()[0]
        for line in git(project, "ls-files", "--stage").splitlines()
    }
    assert modes["scripts/run.sh"] == modes["scripts/lint.sh"] == "100755"
    assert modes["scripts/release.sh"] == modes["README.md"] == "100755"


def test_update_to_the_recorded_release_does_nothing(project: Path) -> None:
    before = tree_digest(project)

    result = update_project(project, to="1.0.0")

    assert result.already_current
    assert result.exit_code == 0
    assert tree_digest(project) == before


def test_update_to_an_older_release_is_refused(project: Path) -> None:
    update_project(project)
    commit_all(project, "update to 2.0.0")
    before = tree_digest(project)

    with pytest.raises(ForgemlError, match="downgrades are not supported"):
        update_project(project, to="1.0.0")
    assert tree_digest(project) == before

    assert update_project(project).already_current


def test_update_to_an_unknown_release_is_refused(project: Path) -> None:
    before = tree_digest(project)
    with pytest.raises(ForgemlError, match=r"9\.9\.9"):
        update_project(project, to="9.9.9")
    assert tree_digest(project) == before


def test_update_data_changes_an_answer_through_the_update(project: Path) -> None:
    result = update_project(project, data={"project_name": "Churn Model"})

    assert result.exit_code == 0
    assert (project / "README.md").read_text().startswith("# Churn Model\n")
    answers = recorded(project)
    assert answers["project_name"] == "Churn Model"
    assert answers["package_name"] == "demo_project", "a recorded answer changed by itself"
    assert answers["_commit"] == "2.0.0"


def test_update_data_alone_changes_an_answer_at_the_same_release(project: Path) -> None:
    result = update_project(project, to="1.0.0", data={"project_name": "Churn Model"})

    assert not result.already_current
    assert result.changes.updated == (
        ".copier-answers.yml",
        "README.md",
        "src/demo_project/__init__.py",
    )
    assert recorded(project)["_commit"] == "1.0.0"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"package_name": "json"}, "invalid answer for package_name: 'json' would shadow"),
        ({"package_name": "Not-An-Identifier"}, "invalid answer for package_name"),
        ({"project_name": "   "}, "invalid answer for project_name"),
        ({"projct_name": "typo"}, "unknown question 'projct_name'"),
    ],
)
def test_update_invalid_data_is_refused_before_touching_the_project(
    project: Path, answer: dict[str, str], message: str
) -> None:
    before = tree_digest(project)

    with pytest.raises(ForgemlError, match=message) as refused:
        update_project(project, data=answer)

    assert refused.value.exit_code == EXIT_REFUSED
    assert tree_digest(project) == before


def test_update_of_a_project_in_a_subdirectory_of_a_repository(
    project: Path, tmp_path: Path
) -> None:
    monorepo = tmp_path / "monorepo"
    shutil.copytree(project, monorepo / "services" / "model", ignore=shutil.ignore_patterns(".git"))
    (monorepo / "OWNERS").write_text("platform\n")
    git(monorepo, "init", "--quiet")
    commit_all(monorepo, "monorepo")
    model = monorepo / "services" / "model"
    edit(model / "notes.md", "notes line 3", "notes line 3 (ours)")
    commit_all(monorepo)

    preview = update_project(model, dry_run=True)
    result = update_project(model)

    assert result.exit_code == 0
    assert result.changes == preview.changes
    assert "README.md" in result.changes.updated
    assert "notes line 3 (ours)" in (model / "notes.md").read_text()
    assert (monorepo / "OWNERS").read_text() == "platform\n"


def test_update_source_that_moved_is_refused(project: Path, template: Path) -> None:
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(str(template), str(template) + "-moved"))
    commit_all(project)

    with pytest.raises(ForgemlError, match="does not exist"):
        update_project(project)


def test_a_failing_migration_is_reported_with_the_way_back(tmp_path: Path) -> None:
    template = build_template(tmp_path / "tpl")
    add_failing_release(template)
    project = generate_project(template, tmp_path / "demo")

    with pytest.raises(PartialUpdateError) as failed:
        update_project(project)

    message = failed.value.message
    assert "a template migration failed (exit code 3)" in message
    assert "partly updated" in message
    # The failure itself, for callers that discard the tree (fleet update).
    assert failed.value.cause.message.startswith("a template migration failed (exit code 3)")
    assert "partly" not in failed.value.cause.message
    git(project, "reset", "--hard", "--quiet")
    git(project, "clean", "-fdq")
    assert git(project, "status", "--porcelain") == ""


def test_a_removed_file_the_project_edited_is_removed_and_stays_in_history(
    project: Path,
) -> None:
    # copier's behaviour with inline conflicts: the release drops the file, edits or not.
    (project / "legacy.cfg").write_text("[legacy]\nenabled = false\n")
    commit_all(project)

    result = update_project(project)

    assert "legacy.cfg" in result.changes.removed
    assert not (project / "legacy.cfg").exists()
    assert git(project, "show", "HEAD:legacy.cfg") == "[legacy]\nenabled = false\n"


def test_with_rej_conflicts_a_removed_file_the_project_edited_is_a_conflict(
    project: Path,
) -> None:
    (project / "legacy.cfg").write_text("[legacy]\nenabled = false\n")
    commit_all(project)

    result = update_project(project, conflict="rej")

    assert result.exit_code == EXIT_PROBLEMS
    (conflict,) = result.changes.conflicts
    assert conflict.path == "legacy.cfg"
    assert conflict.reason.startswith("removed by the template, but edited here")
    assert "legacy.cfg" not in result.changes.removed
    assert "enabled = false" in (project / "legacy.cfg.rej").read_text()


@pytest.mark.parametrize(
    ("data", "copier_runs"),
    [({}, 1), ({"project_name": "Churn Model"}, 2)],  # --data is rehearsed in a clone first
)
def test_an_update_reads_the_answers_file_once_and_once_per_copier_run(
    project: Path, monkeypatch: pytest.MonkeyPatch, data: dict[str, str], copier_runs: int
) -> None:
    import generator.commands.update as update_module

    loads: list[Path] = []
    real = update_module.load_project

    def counting(path: Path) -> object:
        loads.append(path)
        return real(path)

    monkeypatch.setattr(update_module, "load_project", counting)
    update_project(project, data=data)
    assert len(loads) == 1 + copier_runs


def test_conflict_rej_puts_your_edits_in_the_rej_and_never_drops_them(project: Path) -> None:
    """copier's reject mode applies your edits to the new release; the ones that do not
    apply go to FILE.rej. The documented steps (docs/updating.md) re-apply them from
    there, so your edit survives in FILE.rej, and in HEAD, until you have done so."""
    ours = "Run `make run PROFILE=prod`."
    edit(project / "README.md", "Run `make run`.", ours)
    commit_all(project)

    result = update_project(project, conflict="rej")

    (conflict,) = result.changes.conflicts
    assert "your edits" in conflict.reason
    assert "README.md.rej" in conflict.reason
    reject = (project / "README.md.rej").read_text()
    assert f"+{ours}" in reject, "the .rej holds your edit, as the docs say"
    readme = (project / "README.md").read_text()
    assert "Run `make run ARGS=--verbose`." in readme, "the file holds the new release"
    # The documented steps: re-apply your lines from the .rej, delete it, commit.
    (project / "README.md").write_text(readme.replace("Run `make run ARGS=--verbose`.", ours))
    (project / "README.md.rej").unlink()
    assert ours in (project / "README.md").read_text()
