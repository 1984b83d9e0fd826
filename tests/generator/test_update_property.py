"""Property: an update never loses an edit of a file the template does not change.

Each example applies many random line edits (replace, insert, delete) across the files
1.0.0 and 2.0.0 render identically, commits them, updates, and expects every edited
file back byte for byte. An update costs about a second, so examples are few and each
carries many edits.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.commands.update import update_project
from tests.support.template_factory import (
    UNTOUCHED_RENDERED,
    clone_project,
    commit_all,
)

# Any printable text without line breaks: an edit changes lines, never the line count
# beyond the one line it inserts or deletes.
LINE = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\r\n"),
    max_size=40,
)
EDIT = st.tuples(
    st.sampled_from(UNTOUCHED_RENDERED),
    st.sampled_from(("replace", "insert", "delete")),
    st.integers(min_value=0, max_value=40),
    LINE,
)


def apply_edits(project: Path, edits: list[tuple[str, str, int, str]]) -> dict[str, str]:
    expected: dict[str, str] = {}
    for relpath, operation, position, text in edits:
        path = project / relpath
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        index = position % (len(lines) + 1)
        if operation == "insert":
            lines.insert(index, text + "\n")
        elif lines and operation == "replace":
            lines[index % len(lines)] = text + "\n"
        elif lines:
            del lines[index % len(lines)]
        content = "".join(lines)
        path.write_text(content, encoding="utf-8")
        expected[relpath] = content
    return expected


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(EDIT, min_size=1, max_size=30))
def test_update_never_loses_an_edit_of_a_file_the_template_does_not_touch(
    origin: Path, tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[str, str, int, str]]
) -> None:
    project = clone_project(origin, tmp_path_factory.mktemp("example") / "project")
    expected = apply_edits(project, edits)
    commit_all(project)

    result = update_project(project)

    assert result.exit_code == 0
    for relpath, content in expected.items():
        assert (project / relpath).read_text(encoding="utf-8") == content, relpath
        assert relpath not in result.changes.updated
    assert "Run `make run ARGS=--verbose`." in (project / "README.md").read_text()
