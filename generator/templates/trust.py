"""Which template sources may run code on this machine (copier `_tasks`, `_migrations`).

A copier template can run commands: `_tasks` after a copy, `_migrations` during an
update, and `_jinja_extensions` (Python imported while rendering). forgeml lets copier
run them only for a source the operator trusts:
- the template bundled with forgeml (its checkout, its packaged copy, the local release
  cache of it, and the canonical URL that cache stands for): trusted by installing forgeml;
- sources listed in the operator's configuration file, `[trust] sources` (or, in CI,
  the FORGEML_TRUSTED_SOURCES variable), matched as prefixes on whole path segments of
  the normalised source;
- a source trusted for one run on the command line (`--trust`, `--trust-source`).

The list lives in the operator's own configuration, never in a repository: a project's
`_src_path` and its own `forgeml-policy.toml` are written by whoever can commit to that
repository, so they cannot vouch for themselves. For any other source copier runs with
`unsafe=False`: it refuses before running anything when the template has such features,
and forgeml turns that refusal into one line naming the source and the flag.
"""

from __future__ import annotations

import os
import posixpath
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from generator.errors import ForgemlError

CONFIG_ENV = "FORGEML_CONFIG"
# Space-separated prefixes trusted in addition to the file: for CI, where the operator
# is the organisation and its settings are variables (the template-update workflow).
SOURCES_ENV = "FORGEML_TRUSTED_SOURCES"
_ALIASES = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


def config_path() -> Path:
    """The operator's configuration file: $FORGEML_CONFIG, else the platform's config dir."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("forgeml")) / "config.toml"


def normalise(src: str) -> str:
    """One spelling per template location, so prefixes compare reliably.

    URLs: copier's `gh:`/`gl:` and `git+` spellings expanded, scp-like `git@host:path`
    written as `ssh://host/path`, user info dropped, scheme and host lower-cased, `..`
    resolved (a trusted `https://host/org` must not match `https://host/org/../evil`), and
    a trailing `/` or `.git` removed. Local paths: absolute, symlinks resolved.
    """
    src = src.strip()
    for alias, base in _ALIASES.items():
        if src.startswith(alias):
            src = base + src[len(alias) :].lstrip("/")
    if src.startswith("git+"):
        src = src[len("git+") :]
    if "://" not in src and ":" in src.split("/", 1)[0] and not Path(src).exists():
        host, _, path = src.partition(":")  # scp-like: git@github.com:org/repo.git
        src = f"ssh://{host}/{path.lstrip('/')}"
    if src.startswith("file://"):
        src = src[len("file://") :]
    if "://" not in src:
        return str(Path(src).expanduser().resolve())
    parts = urlsplit(src)
    host = (parts.hostname or "").lower()
    if parts.port:
        host = f"{host}:{parts.port}"
    path = posixpath.normpath("/" + parts.path.lstrip("/")) if parts.path else ""
    path = path.rstrip("/").removesuffix(".git")
    return f"{parts.scheme.lower()}://{host}{path if path != '/' else ''}"


def _within(candidate: str, prefix: str) -> bool:
    return candidate == prefix or candidate.startswith(prefix.rstrip("/") + "/")


def bundled_sources() -> tuple[str, ...]:
    """The template forgeml ships, in every form a project may record or copier may read."""
    from generator.templates import source as template_source
    from generator.templates.cache import cache_root

    return tuple(
        normalise(str(src))
        for src in (
            template_source.CHECKOUT_ROOT,
            template_source.PACKAGED_TEMPLATE,
            cache_root() / "template",
            template_source.CANONICAL_TEMPLATE_URL,
        )
    )


@dataclass(frozen=True)
class Trust:
    """The sources whose template code may run in this forgeml process."""

    # Matched exactly: a bundled checkout does not vouch for templates inside it.
    exact: tuple[str, ...] = ()
    # Matched as prefixes on whole path segments: the operator's allowlist.
    prefixes: tuple[str, ...] = ()
    # How to trust a source for one run, for the refusal message (None: the command has
    # no such flag, only the configuration file can).
    flag: str | None = "--trust"
    # `--trust` on one command: whatever source that command uses.
    everything: bool = False

    def trusts(self, src: str) -> bool:
        if self.everything:
            return True
        candidate = normalise(src)
        return candidate in self.exact or any(_within(candidate, p) for p in self.prefixes)

    def refusal(self, src: str, features: Iterable[str]) -> ForgemlError:
        listed = ", ".join(sorted(features)) or "code"
        return UntrustedTemplateError(
            f"the template {src} is not trusted and uses {listed}, which would run code on "
            f"this machine; nothing ran. If you trust it, "
            f"{f'pass {self.flag} or ' if self.flag else ''}add it to [trust] sources in "
            f"{config_path()}"
        )


class UntrustedTemplateError(ForgemlError):
    """Template code from a source the operator has not trusted; nothing ran."""


def load_trust(
    *, extra: Iterable[str] = (), trust_all: bool = False, flag: str | None = "--trust"
) -> Trust:
    """The bundled template, the configured allowlist and `extra` prefixes.

    `trust_all` (`--trust` on one command) trusts whatever source that command uses.
    """
    from_env = os.environ.get(SOURCES_ENV, "").split()
    prefixes = (*configured_sources(), *(normalise(src) for src in (*from_env, *extra)))
    return Trust(bundled_sources(), prefixes, flag, everything=trust_all)


def configured_sources(path: Path | None = None) -> tuple[str, ...]:
    """`[trust] sources` of the configuration file; none when the file does not exist."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as error:
        raise ForgemlError(f"configuration {path} cannot be read: {error}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ForgemlError(f"configuration {path}: not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"trust"})
    if unknown:
        raise ForgemlError(f"configuration {path}: unknown table [{unknown[0]}]; known: [trust]")
    table = document.get("trust", {})
    if not isinstance(table, dict) or set(table) - {"sources"}:
        raise ForgemlError(f"configuration {path}: [trust] has one key, sources")
    sources = table.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
        raise ForgemlError(
            f"configuration {path}: trust.sources must be a list of template URLs or paths"
        )
    return tuple(normalise(src) for src in sources)
