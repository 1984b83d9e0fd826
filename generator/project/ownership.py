"""File ownership: which template files updates, drift checks and adoption may touch.

Every file a template release renders belongs to exactly one class:

- **created once**: rendered by `forgeml new`, then the project's own (`params.yaml`, the
  data contract, the sample data). Declared in one place, `_skip_if_exists` in the
  template's `copier.yml`, so plain `copier update` honours it too; forgeml reads the
  list from the release it renders, so a project follows the rules of its own release.
- **protected**: must stay exactly as the release renders it. Declared in the policy
  (`[drift] protected`), because which files an organisation locks is a policy decision;
  `forgeml check` (FML401) enforces it.
- **managed**: everything else; updates merge the template's changes into local edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from generator.project.patterns import matches

Ownership = Literal["managed", "created once", "protected"]


def ownership(
    relpath: str, created_once: Sequence[str], protected: Sequence[str] = ()
) -> Ownership:
    """The class of the project-relative file `relpath`; created once wins over protected,
    since a file the project owns cannot also be pinned to the release."""
    if matches(relpath, tuple(created_once)):
        return "created once"
    if matches(relpath, tuple(protected)):
        return "protected"
    return "managed"
