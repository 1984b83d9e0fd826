"""A tiny copier template with two tagged releases, built as a local git repository.

Far smaller than forgeml's real template, so an update takes about a second, and with
exactly the kinds of change `forgeml update` has to carry between 1.0.0 and 2.0.0:

| file                        | 1.0.0 -> 2.0.0                                   |
|-----------------------------|--------------------------------------------------|
| README.md                   | one line changes (the `Usage` line)              |
| docs/old-guide.md           | renamed to docs/guide.md by a `_migrations` step, |
|                             | and one of its lines changes                     |
| legacy.cfg                  | removed                                          |
| CONTRIBUTING.md             | added                                            |
| scripts/run.sh (755)        | content changes, stays executable                |
| scripts/lint.sh             | becomes executable, content unchanged            |
| scripts/release.sh (755)    | added                                            |
| UNTOUCHED files             | identical in both releases                       |
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from generator.commands.new import create_project

IDENTITY = ("-c", "user.name=forgeml tests", "-c", "user.email=tests@forgeml.invalid")

COPIER_YML = """\
_subdirectory: template
_answers_file: .copier-answers.yml
_templates_suffix: .jinja

project_name:
  type: str
  default: Demo Project
  validator: "{% if not project_name.strip() %}project_name must not be empty{% endif %}"

package_name:
  type: str
  default: "{{ project_name | lower | replace(' ', '_') }}"
  validator: >-
    {% if not (package_name | regex_search('^[a-z_][a-z0-9_]*$')) %}
    package_name must be a lowercase Python identifier
    {% endif %}
"""

# The 2.0.0 migration: after copier has rendered 2.0.0 (docs/guide.md fresh from the
# template) and removed docs/old-guide.md, carry the project's edits of the old file over.
MIGRATIONS_YML = """
_migrations:
  - version: "2.0.0"
    when: "{{ _stage == 'after' }}"
    command:
      - "{{ _copier_python }}"
      - "{{ _copier_conf.src_path }}/migrations/move_file.py"
      - "{{ _copier_conf.src_path }}"
      - template/docs/old-guide.md
      - docs/old-guide.md
      - docs/guide.md
"""

# Runs in the project directory after the update; HEAD still is the pre-update commit.
MOVE_FILE_PY = '''\
"""Move a file a template release renamed, keeping the project's edits of it.

usage: move_file.py TEMPLATE_ROOT TEMPLATE_OLD_PATH OLD NEW   (copier sets VERSION_FROM)

A 3-way merge: the project's last committed OLD (its edits), the template's OLD at the
release the project came from (the base), and NEW as the update just rendered it.
Overlapping edits leave conflict markers in NEW, as copier's own merge does.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)


def main(template_root, template_old, old, new):
    ours = git("show", f"HEAD:./{old}")
    if ours.returncode != 0 or not Path(new).is_file():
        return 0  # the project had deleted OLD, or the update did not render NEW
    base = git("show", f"{os.environ['VERSION_FROM']}:{template_old}", cwd=template_root)
    if base.returncode != 0:
        sys.stderr.write(base.stderr.decode())
        return 1
    if ours.stdout == base.stdout:
        return 0  # never edited: NEW as rendered is right
    with tempfile.TemporaryDirectory() as scratch:
        mine = Path(scratch, "ours")
        mine.write_bytes(ours.stdout)
        ancestor = Path(scratch, "base")
        ancestor.write_bytes(base.stdout)
        labels = ["-L", "before updating", "-L", "last update", "-L", "after updating"]
        merged = subprocess.run(
            ["git", "merge-file", "-p", *labels, str(mine), str(ancestor), new],
            capture_output=True,
            check=False,
        )
    if merged.returncode < 0:
        return 1
    Path(new).write_bytes(merged.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
'''

ANSWERS_JINJA = "# Changes here will be overwritten by Copier\n{{ _copier_answers|to_nice_yaml }}"

README_V1 = """\
# {{ project_name }}

Package: `{{ package_name }}`

## Install

Run `make install`.

## Usage

Run `make run`.

## Support

Ask the platform team.
"""

README_V2 = README_V1.replace("Run `make run`.", "Run `make run ARGS=--verbose`.")

GUIDE_V1 = "".join(f"Guide step {n}: do thing {n}.\n" for n in range(1, 11))
GUIDE_V2 = GUIDE_V1.replace("Guide step 8: do thing 8.", "Guide step 8: do thing 8 (new way).")


def _numbered(name: str, lines: int) -> str:
    return "".join(f"{name} line {n}\n" for n in range(1, lines + 1))


# Files no release changes: local edits to them must survive every update verbatim.
UNTOUCHED = {
    "Makefile": "install:\n\tpip install -e .\n\nrun:\n\tpython -m app\n",
    "notes.md": _numbered("notes", 30),
    "config/settings.toml": _numbered("# setting", 20),
    "src/{{ package_name }}/__init__.py.jinja": '"""{{ project_name }}."""\n',
    "src/{{ package_name }}/core.py": _numbered("# core", 25),
}
# Rendered paths of UNTOUCHED for the default answers (package_name demo_project).
UNTOUCHED_RENDERED = (
    "Makefile",
    "notes.md",
    "config/settings.toml",
    "src/demo_project/core.py",
)

RELEASE_1 = {
    "{{_copier_conf.answers_file}}.jinja": ANSWERS_JINJA,
    "README.md.jinja": README_V1,
    "docs/old-guide.md": GUIDE_V1,
    "legacy.cfg": "[legacy]\nenabled = true\n",
    "scripts/run.sh": "#!/bin/sh\necho run\n",
    "scripts/lint.sh": "#!/bin/sh\necho lint\n",
    **UNTOUCHED,
}
EXECUTABLE_1 = {"scripts/run.sh"}

RELEASE_2 = {
    **{k: v for k, v in RELEASE_1.items() if k not in {"docs/old-guide.md", "legacy.cfg"}},
    "README.md.jinja": README_V2,
    "docs/guide.md": GUIDE_V2,
    "CONTRIBUTING.md": "# Contributing\n\nOpen a pull request.\n",
    "scripts/run.sh": "#!/bin/sh\necho run v2\n",
    "scripts/release.sh": "#!/bin/sh\necho release\n",
}
EXECUTABLE_2 = {"scripts/run.sh", "scripts/lint.sh", "scripts/release.sh"}


def git(repo: Path, *args: str) -> str:
    """git with a fixed identity, so tests never depend on the machine's git config."""
    return subprocess.run(
        ["git", *IDENTITY, *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def write_release(root: Path, files: dict[str, str], executable: set[str], copier_yml: str) -> None:
    """Lay out one release's files (copier.yml, migrations/, template/) under `root`."""
    template = root / "template"
    if template.exists():
        shutil.rmtree(template)
    for relpath, content in files.items():
        target = template / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        target.chmod(0o755 if relpath in executable else 0o644)
    (root / "copier.yml").write_text(copier_yml, encoding="utf-8")
    (root / "migrations").mkdir(exist_ok=True)
    (root / "migrations" / "move_file.py").write_text(MOVE_FILE_PY, encoding="utf-8")


def build_template(root: Path) -> Path:
    """A git repository of the template with releases 1.0.0 and 2.0.0 tagged."""
    root.mkdir(parents=True)
    git(root, "init", "--quiet")
    write_release(root, RELEASE_1, EXECUTABLE_1, COPIER_YML)
    commit_and_tag(root, "1.0.0")
    write_release(root, RELEASE_2, EXECUTABLE_2, COPIER_YML + MIGRATIONS_YML)
    commit_and_tag(root, "2.0.0")
    return root


def export_release(template: Path, tag: str, dest: Path) -> Path:
    """The release's files without git history, laid out the way a wheel ships them."""
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", tag], cwd=template, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def commit_and_tag(repo: Path, tag: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-verify", "-m", f"release {tag}")
    git(repo, "tag", tag)


def add_failing_release(template: Path, tag: str = "2.1.0") -> None:
    """Tag a release whose `_migrations` step exits 3: copier stops half-way through it."""
    command = '["{{ _copier_python }}", "-c", "raise SystemExit(3)"]'
    failing = f'  - version: "{tag}"\n    command: {command}\n'
    copier_yml = template / "copier.yml"
    copier_yml.write_text(copier_yml.read_text() + failing)
    commit_and_tag(template, tag)


def tagged_template(root: Path, copier_yml: str, releases: dict[str, dict[str, str]]) -> Path:
    """A minimal copier template, one commit and tag per release.

    `releases` maps each tag, in order, to the `template/` files it writes (on top of
    the previous release's); the answers file template is always there.
    """
    (root / "template").mkdir(parents=True)
    (root / "copier.yml").write_text(copier_yml)
    (root / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(ANSWERS_JINJA)
    git(root, "init", "--quiet")
    for tag, files in releases.items():
        for name, text in files.items():
            (root / "template" / name).write_text(text)
        commit_and_tag(root, tag)
    return root


def generate_project(template: Path, dest: Path, version: str = "1.0.0", **answers: str) -> Path:
    """`forgeml new` of one release, committed: the starting point of every update test."""
    create_project(dest, data=answers, template=str(template), vcs_ref=version, defaults=True)
    return dest


def clone_project(origin: Path, dest: Path) -> Path:
    """A fresh copy of a generated project (much faster than generating it again)."""
    subprocess.run(
        ["git", "clone", "--quiet", str(origin), str(dest)], check=True, capture_output=True
    )
    return dest


def commit_all(repo: Path, message: str = "local edits") -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-verify", "-m", message)


def tree_digest(path: Path) -> str:
    """A hash of every byte under `path`, `.git` included: names, modes and contents."""
    digest = hashlib.sha256()
    for item in sorted(path.rglob("*")):
        relative = item.relative_to(path).as_posix()
        mode = item.lstat().st_mode
        digest.update(f"{relative}\0{mode:o}\0".encode())
        if item.is_symlink():
            digest.update(str(item.readlink()).encode())
        elif item.is_file():
            digest.update(item.read_bytes())
    return digest.hexdigest()
