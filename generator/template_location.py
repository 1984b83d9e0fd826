"""Where a generated project's template is read from when forgeml maintains it.

A project records its template source in `_src_path`. Most sources are used as
recorded. The exception is the canonical URL that projects generated from an installed
wheel record: forgeml serves it from the local release cache (see `template_cache`)
whenever the cache holds the releases an operation needs, so updating such a project
works offline and renders exactly the template the installed forgeml versions shipped.

The answers file must keep the canonical URL, and copier renders the old release from
`_src_path` itself (it takes no override for that), so the redirection happens below
copier: git's `url.<local>.insteadOf=<canonical>`, passed through the environment of
the git processes copier starts, for the duration of one operation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import generator
from generator import template_source
from generator.errors import ForgemlError
from generator.releases import latest, release_tags
from generator.template_cache import cache_root, ensure_release


@dataclass(frozen=True)
class TemplateLocation:
    # `_src_path` as recorded; what copier is given and what the answers file keeps.
    recorded: str
    # The local repository git reads instead of `recorded`, when redirected.
    local_repo: Path | None = None
    # Why a canonical source could not be served locally (used to explain failures).
    note: str | None = None

    @property
    def git_source(self) -> str:
        """Where to list release tags: the local repository when redirected."""
        return str(self.local_repo) if self.local_repo else self.recorded

    def describe(self) -> str:
        if self.local_repo is None:
            return self.recorded
        return f"{self.recorded} (offline, from the release cache {self.local_repo})"

    def explain(self, message: str) -> str:
        """`message` with the reason the canonical URL had to be used, if there is one."""
        return f"{message} ({self.note})" if self.note else message


def locate_template(recorded_src: str, needed: tuple[str | None, ...] = ()) -> TemplateLocation:
    """Resolve a project's recorded source; `needed` are the releases the caller will use.

    A `None` in `needed` stands for "the latest release", whatever the cache holds.
    """
    if recorded_src != template_source.CANONICAL_TEMPLATE_URL:
        _check_local_source(recorded_src)
        return TemplateLocation(recorded_src)
    _cache_installed_release()
    repo = cache_root() / "template"
    if not (repo / ".git").exists():
        return TemplateLocation(recorded_src, note=f"no local release cache at {repo}")
    tags = release_tags(str(repo))
    wanted = {ref if ref is not None else latest(tags) for ref in needed}
    missing = sorted(str(ref) for ref in wanted if ref is None or ref not in tags)
    if missing:
        have = ", ".join(tags) or "none"
        return TemplateLocation(
            recorded_src,
            note=(
                f"the local release cache holds {have}, not {', '.join(missing)}; "
                f"install that forgeml release once, or let git reach {recorded_src}"
            ),
        )
    return TemplateLocation(recorded_src, local_repo=repo)


def _cache_installed_release() -> None:
    """Make sure the template of the running forgeml is a release in the cache.

    Only an installed wheel ships `_template`; a source checkout is its own git
    repository and never feeds the cache.
    """
    packaged = template_source.PACKAGED_TEMPLATE
    if (packaged / "copier.yml").is_file():
        ensure_release(packaged, generator.__version__, cache_root())


def _check_local_source(src: str) -> None:
    if template_source.is_remote(src):
        return
    if not Path(src).expanduser().exists():
        raise ForgemlError(
            f"the template source {src} recorded in the project does not exist (if it moved, "
            "commit its new location as _src_path in .copier-answers.yml first)"
        )


def template_releases(location: TemplateLocation) -> list[str]:
    """The release tags of the template at `location`, oldest first.

    A failure to list them (an unreachable URL) names why the canonical URL could not be
    served from the release cache, when that is the reason it had to be reached.
    """
    try:
        return release_tags(location.git_source)
    except ForgemlError as error:
        raise ForgemlError(location.explain(error.message)) from error


# Where copier keeps its mirrors of remote templates in this process, when a caller
# needs them private (see `use_private_mirrors`).
_private_mirrors: Path | None = None


def use_private_mirrors(directory: Path) -> None:
    """Give this process its own copier mirror cache, in `directory`.

    copier (9.19) keeps one mirror per remote template, shared by every process, and
    refreshes it (`git remote update`, `git worktree prune`) without locking, so
    concurrent processes updating projects of the same remote template break each
    other's clones. `forgeml fleet` calls this in each worker process.
    """
    global _private_mirrors  # noqa: PLW0603  (a per-process setting, by design)
    _private_mirrors = directory
    os.environ["COPIER_CACHE_DIR"] = str(directory)


def private_mirrors() -> Path | None:
    """This process's private directory (set by `use_private_mirrors`), if it has one:
    scratch space the fleet removes when its worker processes are done."""
    return _private_mirrors


@contextmanager
def redirected(location: TemplateLocation) -> Iterator[None]:
    """Make the git processes copier runs read `location.local_repo` for the recorded URL.

    copier runs git through plumbum, whose environment is a copy of `os.environ` taken
    when plumbum was imported, so both are set; both are restored afterwards. copier's
    mirror cache goes under forgeml's cache, so a mirror of the local release cache never
    poses as a mirror of the canonical URL in the user's own copier cache.
    """
    if location.local_repo is None:
        yield
        return
    from plumbum import local

    count = int(local.env.get("GIT_CONFIG_COUNT", "0") or 0)
    overrides = {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": f"url.{location.local_repo}.insteadOf",
        f"GIT_CONFIG_VALUE_{count}": location.recorded,
        "COPIER_CACHE_DIR": str(_private_mirrors or cache_root() / "copier-mirrors"),
    }
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        with local.env(**overrides):
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
