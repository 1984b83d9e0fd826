"""Where `forgeml new` copies the template from, and what the answers file records.

Three kinds of source:
- `--template SRC`: any copy of this template (a local path or git URL of an org fork),
  passed to copier as given and recorded as given.
- the bundled template in a source checkout of forgeml: the repository root, a git
  repository whose release tags copier reads directly.
- the bundled template in an installed wheel: a wheel carries no git history, so the
  packaged files are committed and tagged with forgeml's version in a cache repository
  (see `template_cache`). The answers file records the canonical URL and that release
  tag, which plain `copier update` can resolve online and `forgeml update` offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.backend.git import untracked_repositories
from generator.errors import ForgemlError
from generator.templates.cache import cache_root, ensure_release

# Where released versions of this template live; recorded for projects generated from a
# wheel so that they stay updatable wherever they are cloned.
CANONICAL_TEMPLATE_URL = "https://github.com/forgeml/forgeml.git"

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGED_TEMPLATE = PACKAGE_DIR / "_template"
CHECKOUT_ROOT = PACKAGE_DIR.parent

_REMOTE_PREFIXES = (
    "gh:",
    "gl:",
    "git@",
    "git+",
    "git://",
    "file://",
    "http://",
    "https://",
    "ssh://",
)


def is_remote(src: str) -> bool:
    """Whether copier would treat `src` as a git URL rather than a local directory."""
    return src.startswith(_REMOTE_PREFIXES) or src.endswith(".git")


@dataclass(frozen=True)
class TemplateSource:
    src: str
    vcs_ref: str | None
    # The _src_path the answers file should record when it differs from `src`.
    recorded_src: str | None = None


def resolve_template(
    template: str | None, vcs_ref: str | None, forgeml_version: str
) -> TemplateSource:
    if template is not None:
        return TemplateSource(_checked_template_argument(template), vcs_ref)
    if (CHECKOUT_ROOT / "copier.yml").is_file() and (CHECKOUT_ROOT / ".git").exists():
        return TemplateSource(str(CHECKOUT_ROOT), vcs_ref)
    if (PACKAGED_TEMPLATE / "copier.yml").is_file():
        repo = ensure_release(PACKAGED_TEMPLATE, forgeml_version, cache_root())
        return TemplateSource(str(repo), vcs_ref or forgeml_version, CANONICAL_TEMPLATE_URL)
    raise ForgemlError("this forgeml installation has no bundled template; pass --template SRC")


def check_local_template(source: TemplateSource, dest: Path) -> None:
    """Refuse what breaks copier's copy of a local git template with uncommitted changes.

    copier commits such a work tree into a temporary clone with `git add -A`: a project
    generated inside the checkout would make every later copy dirty, and an untracked
    git repository inside it becomes a submodule that the clone cannot check out.
    """
    if is_remote(source.src) or not (Path(source.src) / ".git").exists():
        return
    root = Path(source.src).resolve()
    if dest.resolve().is_relative_to(root):
        raise ForgemlError(
            f"{dest} is inside the template checkout {root}; generate the project outside "
            f"it, e.g. forgeml new ../{dest.name}"
        )
    nested = untracked_repositories(root)
    if nested:
        raise ForgemlError(
            f"the template checkout {root} contains the untracked git repository "
            f"{nested[0]}/, which copier cannot copy: move it out of the checkout"
        )


def _checked_template_argument(template: str) -> str:
    if is_remote(template):
        return template
    path = Path(template).expanduser()
    if not path.is_dir():
        raise ForgemlError(f"--template {template}: no such directory (or git URL)")
    if not (path / "copier.yml").is_file() and not (path / "copier.yaml").is_file():
        raise ForgemlError(f"--template {template}: not a copier template (no copier.yml)")
    return str(path.resolve())
