"""Print what CI installs forgeml from: never a bare package name nobody here controls.

The policy and template-update jobs run forgeml with write permissions. Installing
`forgeml==X` from a public index would run whatever whoever registered that name
published, so the source is, in order:
1. FORGEML_SPEC, when the organisation (or the repository) sets that variable: a pip
   requirement it controls, e.g. `forgeml @ git+https://github.com/acme/forgeml@<sha>`
   or a name on its own index;
2. the template this project records: `git+<_src_path>@<_commit>`, the very commit
   that generated the project (a release tag, or the commit of a described version).

`python scripts/forgeml_source.py` prints the requirement, or exits 3 when there is
none (a project generated from a local checkout records a path CI cannot reach).
`--install` (`make install-forgeml`, the workflows' "Install forgeml" step) installs it
with pip and sets the step output `installed` (true/false); without a source it warns
in the job's annotations and exits 0, so the jobs that need forgeml skip visibly.
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ANSWERS_FILE = Path(".copier-answers.yml")
UNKNOWN = 3
# copier's `git describe --tags` form of a commit past a tag: <tag>-<distance>-g<hash>.
_DESCRIBED = re.compile(r"^.+-\d+-g(?P<hash>[0-9a-f]{7,40})$")
_ALIASES = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


def recorded(key: str, text: str) -> str | None:
    """A top-level scalar of the answers file (copier writes `key: value`, maybe quoted)."""
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name == key:
            return value.strip().strip("'\"") or None
    return None


def git_url(src: str) -> str | None:
    """`src` as a URL pip can clone in CI; None for a local path."""
    for alias, base in _ALIASES.items():
        if src.startswith(alias):
            src = base + src[len(alias) :].lstrip("/")
    src = src.removeprefix("git+")
    if src.startswith(("https://", "ssh://", "http://")):
        return src
    if re.match(r"^[\w.-]+@[\w.-]+:", src):  # git@github.com:org/repo.git
        host_path = src.split("@", 1)[1].replace(":", "/", 1)
        return f"ssh://git@{host_path}"
    return None


def git_ref(commit: str) -> str:
    """The revision pip checks out: the hash of a described commit, else the tag itself."""
    described = _DESCRIBED.match(commit)
    return described["hash"] if described else commit


def requirement(environ: dict[str, str], answers_text: str) -> str | None:
    spec = environ.get("FORGEML_SPEC", "").strip()
    if spec:
        return spec
    src, commit = recorded("_src_path", answers_text), recorded("_commit", answers_text)
    url = git_url(src) if src else None
    if url is None or commit is None:
        return None
    return f"forgeml @ git+{url}@{git_ref(commit)}"


def step_output(name: str, value: str) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with Path(path).open("a", encoding="utf-8") as output:
            output.write(f"{name}={value}\n")


def main(argv: list[str]) -> int:
    try:
        text = ANSWERS_FILE.read_text(encoding="utf-8")
    except OSError:
        text = ""
    found = requirement(dict(os.environ), text)
    install = "--install" in argv
    if found is None:
        reason = (
            "no source to install forgeml from: set the FORGEML_SPEC variable "
            "(organisation or repository) to a pip requirement you control; the template "
            f"source recorded in {ANSWERS_FILE} is not a URL CI can reach"
        )
        if install:
            sys.stdout.write(f"::warning title=forgeml not installed::{reason}\n")
            step_output("installed", "false")
            return 0
        sys.stderr.write(f"forgeml_source: {reason}\n")
        return UNKNOWN
    if not install:
        sys.stdout.write(found + "\n")
        return 0
    pip = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", found]
    sys.stderr.write("+ " + " ".join(pip) + "\n")
    subprocess.run(pip, check=True)
    step_output("installed", "true")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
