"""The fleet file: the repositories `forgeml fleet` works on, by git URL.

A fleet file is TOML, one `[[repository]]` table per repository:

    [defaults]                 # optional, for every repository below
    policy = "policy.toml"     # relative to this file

    [[repository]]
    url = "https://github.com/acme/churn.git"
    branch = "main"            # optional: the remote's default branch otherwise
    policy = "strict.toml"     # optional, replaces [defaults].policy
    github = "acme/churn"      # optional: derived from github.com URLs

`forgeml fleet discover ORG` writes one from an organisation's repositories. Every
problem is one line naming the table and the key, exit 2, before anything is cloned.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import ForgemlError

FLEET_SUFFIX = ".toml"
_REPOSITORY_KEYS = {"url", "branch", "policy", "github"}
_DEFAULTS_KEYS = {"policy"}
# https://github.com/o/n(.git), git@github.com:o/n(.git), ssh://git@github.com/o/n(.git)
_GITHUB_URL = re.compile(
    r"^(?:https://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<slug>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)
_SLUG = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# A branch name git accepts, conservatively: no spaces, no `..`, no leading dash.
_BRANCH = re.compile(r"^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]+$")


@dataclass(frozen=True)
class FleetRepository:
    url: str
    # The branch updates start from; None: the remote's default branch.
    branch: str | None = None
    policy: Path | None = None
    # owner/name on GitHub, for pull requests; None when the URL is not a GitHub one.
    github: str | None = None

    @property
    def name(self) -> str:
        """A short name for reports: owner/name on GitHub, else the URL's last part."""
        if self.github:
            return self.github
        return self.url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")


@dataclass(frozen=True)
class FleetFile:
    path: Path
    repositories: tuple[FleetRepository, ...]


def is_fleet_file(path: Path) -> bool:
    return path.suffix == FLEET_SUFFIX and path.is_file()


def github_slug(url: str) -> str | None:
    match = _GITHUB_URL.match(url.strip())
    return match.group("slug") if match else None


def load_fleet_file(path: Path) -> FleetFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ForgemlError(f"cannot read the fleet file {path}: {error}") from None
    return parse_fleet_file(text, path)


def parse_fleet_file(text: str, path: Path) -> FleetFile:
    """Validate a fleet file; relative policy paths are relative to `path`'s directory."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ForgemlError(f"{path}: not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"repository", "defaults"})
    if unknown:
        raise ForgemlError(f"{path}: unknown table {unknown[0]!r} (use [[repository]], [defaults])")
    defaults = document.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ForgemlError(f"{path}: [defaults] must be a table")
    _no_unknown_keys(path, "[defaults]", defaults, _DEFAULTS_KEYS)
    default_policy = _policy(path, "[defaults]", defaults.get("policy"))
    tables = document.get("repository", [])
    if not isinstance(tables, list) or not tables:
        raise ForgemlError(f"{path}: no [[repository]] tables (each needs a url)")
    repositories: list[FleetRepository] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables, start=1):
        where = f"[[repository]] #{index}"
        repository = _repository(path, where, table, default_policy)
        if repository.url in seen:
            raise ForgemlError(
                f"{path}: {where}: url {repository.url} is already #{seen[repository.url]}"
            )
        seen[repository.url] = index
        repositories.append(repository)
    return FleetFile(path, tuple(repositories))


def _repository(path: Path, where: str, table: Any, default_policy: Path | None) -> FleetRepository:
    if not isinstance(table, dict):
        raise ForgemlError(f"{path}: {where} must be a table")
    _no_unknown_keys(path, where, table, _REPOSITORY_KEYS)
    url = table.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ForgemlError(f"{path}: {where}: url must be a git URL (a non-empty string)")
    url = url.strip()
    if url.startswith("-"):
        raise ForgemlError(f"{path}: {where}: url must not start with '-'")
    branch = table.get("branch")
    if branch is not None and (not isinstance(branch, str) or not _BRANCH.match(branch)):
        raise ForgemlError(f"{path}: {where}: branch must be a git branch name")
    github = table.get("github", github_slug(url))
    if github is not None and (not isinstance(github, str) or not _SLUG.match(github)):
        raise ForgemlError(f"{path}: {where}: github must be 'owner/name'")
    policy = _policy(path, where, table.get("policy")) or default_policy
    return FleetRepository(url=url, branch=branch, policy=policy, github=github)


def _policy(path: Path, where: str, value: Any) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ForgemlError(f"{path}: {where}: policy must be a file path (a string)")
    policy = Path(value).expanduser()
    return policy if policy.is_absolute() else path.parent / policy


def _no_unknown_keys(path: Path, where: str, table: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ForgemlError(
            f"{path}: {where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )


def render_fleet_file(repositories: list[FleetRepository], header: str) -> str:
    """A fleet file listing `repositories`, as `forgeml fleet discover` prints it."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for repository in repositories:
        lines += ["", "[[repository]]", f"url = {_toml_string(repository.url)}"]
        if repository.branch:
            lines.append(f"branch = {_toml_string(repository.branch)}")
        if repository.github and repository.github != github_slug(repository.url):
            lines.append(f"github = {_toml_string(repository.github)}")
    return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
