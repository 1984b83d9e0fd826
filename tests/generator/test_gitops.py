"""git failures reach the user as one line that names the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.backend.git import run_git
from generator.errors import ForgemlError


def test_failure_reports_gits_fatal_line_not_its_hints(tmp_path: Path) -> None:
    with pytest.raises(ForgemlError) as raised:
        run_git(tmp_path, "log")
    assert "fatal: not a git repository" in raised.value.message
    assert "\n" not in raised.value.message
