"""docs/updating.md's file-ownership table names exactly the files the template declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def table_row(klass: str) -> set[str]:
    text = (REPO_ROOT / "docs" / "updating.md").read_text()
    row = re.search(rf"^\| {klass} \| ([^|]*) \|", text, re.MULTILINE)
    assert row, f"no '{klass}' row in docs/updating.md"
    return set(re.findall(r"`([^`]+)`", row.group(1)))


def test_ownership_table_matches_copier_yml_and_the_template_policy() -> None:
    created_once = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["_skip_if_exists"]
    policy = tomllib.loads((REPO_ROOT / "template" / "forgeml-policy.toml").read_text())
    assert table_row("created once") == set(created_once)
    assert table_row("protected") == set(policy["drift"]["protected"])
