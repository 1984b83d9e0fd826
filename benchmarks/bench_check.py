"""Time `forgeml check` of one project as a fresh process, against the reference.

The project comes from this checkout's real template, committed and tagged 0.1.0 in a
scratch repository (as a release would be), and is checked against the default policy
the template ships: every check runs, including FML401, which renders the recorded
release with copier to compare the protected files. The reference is forgeml at another
commit (`--reference`, exported with `git archive`), run the same way (`python -m
generator` with that tree first on PYTHONPATH), alternating with this checkout. Goal:
under 0.5 s per project.

"warm" runs keep forgeml's cache (FORGEML_CACHE_DIR) between runs, as on a developer's
machine; "cold" runs start each from an empty one, as a fresh CI machine does.

    python benchmarks/bench_check.py [--runs 7] [--reference COMMIT]

Prints the medians; record them in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from generator.commands.new import create_project  # noqa: E402  (needs the repository on sys.path)

# By file, not as `tests.template_factory`: another checkout's `tests` package (an
# editable install) may shadow this one.
sys.path.insert(0, str(REPO_ROOT / "tests" / "support"))
from template_factory import clone_project, commit_all, commit_and_tag  # noqa: E402

# forgeml before the December check work; older commits refuse the template's current
# policy file (exit 2), so they cannot check the same fleet.
REFERENCE = "ed01cdc"


def make_origin(scratch: Path) -> Path:
    release = scratch / "template"
    release.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", release / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", release / "template")
    subprocess.run(["git", "init", "--quiet"], cwd=release, check=True)
    commit_and_tag(release, "0.1.0")
    return create_project(
        scratch / "origin", data={}, template=str(release), vcs_ref="0.1.0", defaults=True
    ).path


def make_fleet(origin: Path, root: Path, count: int) -> None:
    """`count` clones; every tenth with a hand edit of a protected file, so some fail."""
    root.mkdir()
    for n in range(count):
        repo = clone_project(origin, root / f"repo-{n:03d}")
        if n % 10 == 0:
            license_file = repo / "LICENSE"
            license_file.write_text(license_file.read_text() + "\nAmended by hand.\n")
            commit_all(repo, "edit the licence")


def export_reference(commit: str, dest: Path) -> Path:
    """forgeml's `generator` package as it was at `commit`, importable from `dest`."""
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "generator"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def forgeml(source: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    """argv and environment that run `forgeml ARGS` from the tree at `source`.

    `-I` (isolated) keeps the working directory and the caller's PYTHONPATH off
    sys.path, so only `source` provides `generator`.
    """
    code = (
        f"import sys; sys.path.insert(0, {str(source)!r}); "
        "from generator.cli import app; app(sys.argv[1:], prog_name='forgeml')"
    )
    return [sys.executable, "-I", "-c", code, *args], dict(os.environ)


def timed(argv: list[str], ok: set[int], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds of the command and every process it started.

    CPU time barely moves when other work shares the machine; wall time does.
    """
    cpu_before = _children_cpu()
    start = time.perf_counter()
    completed = subprocess.run(argv, capture_output=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if completed.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {completed.returncode}:\n{completed.stderr!r}")
    return elapsed, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reference", default=REFERENCE)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="forgeml-bench-check-") as tmp:
        scratch = Path(tmp)
        cache = scratch / "cache"
        os.environ["FORGEML_CACHE_DIR"] = str(cache)
        origin = make_origin(scratch)
        reference = export_reference(args.reference, scratch / "ref")
        trees = {"reference": reference, "candidate": REPO_ROOT}
        samples: dict[str, list[tuple[float, float]]] = {}
        for run in range(args.runs + 1):  # the first round warms caches and is discarded
            for name, tree in trees.items():
                argv, env = forgeml(tree, "check", str(origin))
                env["FORGEML_CACHE_DIR"] = str(cache / name)  # each keeps its own warm cache
                for mode in ("warm", "cold"):
                    if mode == "cold":
                        shutil.rmtree(cache / name, ignore_errors=True)
                    measured = timed(argv, {0}, env)
                    if run:
                        samples.setdefault(f"{name}, {mode} cache", []).append(measured)
        load = os.getloadavg()[0]

    print(f"`forgeml check`, one project, fresh process; load average {load:.1f}")
    print(f"reference {args.reference}, {args.runs} runs each")
    base = statistics.median(wall for wall, _ in samples["reference, cold cache"])
    base_cpu = statistics.median(cpu for _, cpu in samples["reference, cold cache"])
    for name, values in samples.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(
            f"  {name:24} wall {wall:.3f} s (min {min(w for w, _ in values):.3f})  "
            f"cpu {cpu:.3f} s  vs reference cold: wall {wall / base:.2f}x, "
            f"cpu {cpu / base_cpu:.2f}x"
        )


if __name__ == "__main__":
    main()
