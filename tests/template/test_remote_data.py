"""Remote data on Azure: an installed azure project runs its storage tests against
Azurite (from the npm registry). AWS projects run theirs (moto's S3 server) in `make ci`
of the representative case `aws-dvc`; GCS has no emulator to test against."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.generated import generate, run


@pytest.mark.slow
def test_azure_project_reads_and_writes_blobs_on_azurite(tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: Azurite (npm package azurite) cannot run")
    project = generate(tmp_path / "azure", cloud="azure").path
    run(project, "make", "setup")
    completed = run(
        project,
        *("uv", "run", "--frozen", "pytest", "-q", "-rs", "-p", "no:cacheprovider"),
        *("tests/test_storage_azure.py", "tests/test_storage.py"),
        timeout=1800,
    )
    assert "skipped" not in completed.stdout, completed.stdout
    assert " passed" in completed.stdout
