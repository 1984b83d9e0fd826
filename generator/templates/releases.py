"""Template releases: PEP 440 tags of the template repository, and comparing them.

copier picks "the latest release" the same way (the highest PEP 440 tag, pre-releases
skipped); forgeml resolves it itself so that the version it reports and the version
copier renders are the same one.
"""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

from generator.backend.git import ls_remote_tags

# `git describe --tags` output for a commit past a tag: <tag>-<distance>-g<hash>.
_DESCRIBED = re.compile(r"^(?P<tag>.+)-(?P<distance>\d+)-g(?P<hash>[0-9a-f]+)$")
# What copier records as `_commit` for a template without tags: an abbreviated hash,
# which may happen to be all digits ("7473678") and must not pass for a version.
_COMMIT_HASH = re.compile(r"^[0-9a-f]{7,40}$")
# copier's shorthands for hosted repositories.
_ALIASES = {"gh:": "https://github.com", "gl:": "https://gitlab.com"}


def parse_release(ref: str) -> Version | None:
    """The PEP 440 version a recorded `_commit` or a tag stands for, None when it has none.

    A described commit (`1.2.0-3-gabc123`) counts as a post-release of its tag, the way
    copier orders it, so it is newer than `1.2.0` and older than `1.2.1`.
    """
    if _COMMIT_HASH.match(ref):
        return None
    try:
        return Version(ref)
    except InvalidVersion:
        pass
    described = _DESCRIBED.match(ref)
    if described:
        try:
            return Version(f"{described['tag']}.post{described['distance']}+{described['hash']}")
        except InvalidVersion:
            return None
    return None


def git_url(source: str) -> str:
    """A copier template source as git spells it: copier accepts `git+` and `gh:`/`gl:`."""
    if source.startswith("git+"):
        return source[len("git+") :]
    for alias, host in _ALIASES.items():
        if source.startswith(alias):
            path = source[len(alias) :].lstrip("/")
            return f"{host}/{path}" if path.endswith(".git") else f"{host}/{path}.git"
    return source


def release_tags(source: str, *, prereleases: bool = False) -> list[str]:
    """The release tags of a template repository (path or URL), oldest first."""
    releases: list[tuple[Version, str]] = []
    for tag in ls_remote_tags(git_url(source)):
        version = parse_release(tag)
        if version is None or (version.is_prerelease and not prereleases):
            continue
        releases.append((version, tag))
    return [tag for _, tag in sorted(releases)]


def latest(tags: list[str]) -> str | None:
    """The newest of `tags` (as sorted by `release_tags`), None when there is none."""
    return tags[-1] if tags else None


def newer_than(current: str, tags: list[str]) -> list[str]:
    """The tags newer than the recorded version, oldest first; all of them if it has none."""
    version = parse_release(current)
    if version is None:
        return list(tags)
    return [tag for tag in tags if (parse_release(tag) or version) > version]
