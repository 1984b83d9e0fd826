"""Reading mkdocs configurations: forgeml's own site and generated projects' docs."""

from __future__ import annotations

from typing import Any


def nav_pages(nav: list[Any]) -> list[str]:
    """The pages of an mkdocs nav, nested sections flattened (also used for generated projects)."""
    pages: list[str] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        pages.extend(nav_pages(value) if isinstance(value, list) else [value])
    return pages
