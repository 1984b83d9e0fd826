"""The steps of the reusable workflow .github/workflows/fleet.yml, runnable anywhere.

    python scripts/fleet_actions.py plan FLEET_FILE --chunk-size N
    python scripts/fleet_actions.py chunk FLEET_FILE --chunk I --chunk-size N --out DIR
        --workspace DIR [--update] [--pull-requests]
    python scripts/fleet_actions.py summary DIR...

`plan` splits the fleet file's repositories into chunks, one matrix job each, never more
than GitHub's 256 jobs per matrix (the chunks grow instead), and writes `matrix` (a JSON
list of {chunk, repositories}) and `chunk-size` to $GITHUB_OUTPUT. `chunk` writes the chunk's
own fleet file, runs `forgeml fleet update` (when asked) and `forgeml fleet check` on it,
and one SARIF file per repository (`forgeml check --format sarif`, its run categorised
by repository so code scanning keeps them apart). `summary` turns every chunk's JSON
reports into one Markdown table for $GITHUB_STEP_SUMMARY and exits 1 when a repository
needs attention. Only the standard library and the forgeml of this Python are used.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

MATRIX_LIMIT = 256
# The forgeml installed in this Python (the `forgeml` script may be another one's).
FORGEML = [sys.executable, "-m", "generator"]


def plan(
    fleet_file: Path, chunk_size: int, owner: str, limit: int = MATRIX_LIMIT
) -> tuple[list[dict[str, Any]], int]:
    """The matrix (a chunk number and its repositories each) and the chunk size.

    Chunks grow so that no matrix exceeds `limit` jobs. Each chunk names its GitHub
    repositories of `owner`, so its job's App token is scoped to exactly those.
    The fleet file is validated here, by forgeml itself: a bad one fails the plan.
    """
    from generator.commands.fleet.fleetfile import load_fleet_file
    from generator.errors import ForgemlError

    try:
        repositories = load_fleet_file(fleet_file).repositories
    except ForgemlError as error:
        raise SystemExit(f"forgeml: error: {error.message}") from None
    size = max(1, chunk_size, math.ceil(len(repositories) / limit))
    matrix = []
    for chunk in range(math.ceil(len(repositories) / size)):
        names = [
            repository.github.split("/", 1)[1]
            for repository in repositories[chunk * size : (chunk + 1) * size]
            if repository.github and repository.github.split("/", 1)[0] == owner
        ]
        matrix.append({"chunk": chunk, "repositories": ",".join(names)})
    return matrix, size


def chunk_fleet_file(fleet_file: Path, chunk: int, size: int, dest: Path) -> int:
    """Write the fleet file of chunk `chunk` to `dest`; policy paths made absolute."""
    document = tomllib.loads(fleet_file.read_text(encoding="utf-8"))
    selected = list(document.get("repository", []))[chunk * size : (chunk + 1) * size]
    lines: list[str] = []
    defaults = dict(document.get("defaults", {}))
    if defaults:
        lines.append("[defaults]")
        lines += [_line(key, value, fleet_file) for key, value in defaults.items()]
    for repository in selected:
        lines += ["", "[[repository]]"]
        lines += [_line(key, value, fleet_file) for key, value in repository.items()]
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(selected)


def _line(key: str, value: Any, fleet_file: Path) -> str:
    if key == "policy" and isinstance(value, str) and not Path(value).is_absolute():
        value = str((fleet_file.parent / value).resolve())
    return f"{key} = {json.dumps(value)}"  # a JSON string is a valid TOML basic string


def run_chunk(
    fleet_file: Path,
    chunk: int,
    size: int,
    out: Path,
    *,
    update: bool,
    pull_requests: bool,
    workspace: Path,
) -> int:
    """Update and check one chunk; the reports land in `out`. Exit 2 only on bad input."""
    out.mkdir(parents=True, exist_ok=True)
    own = out / "fleet.toml"
    if chunk_fleet_file(fleet_file, chunk, size, own) == 0:
        raise SystemExit(f"chunk {chunk} of {fleet_file} is empty")
    common = [str(own), "--workspace", str(workspace), "--format", "json"]
    worst = 0
    if update:
        publish = ["--pull-requests"] if pull_requests else []
        worst = max(worst, _forgeml(["fleet", "update", *common, *publish], out / "update.json"))
    worst = max(worst, _forgeml(["fleet", "check", *common], out / "check.json"))
    check = json.loads((out / "check.json").read_text(encoding="utf-8"))
    sarif = out / "sarif"
    sarif.mkdir(exist_ok=True)
    for repository in check["repositories"]:
        if repository.get("report") is not None:
            _sarif(Path(repository["path"]), repository["name"], sarif)
    return 2 if worst >= 2 else 0


def _forgeml(args: list[str], report: Path) -> int:
    done = subprocess.run([*FORGEML, *args], capture_output=True, text=True, check=False)
    sys.stderr.write(done.stderr)
    if done.returncode >= 2:
        sys.stderr.write(f"forgeml {' '.join(args[:2])} refused (exit {done.returncode})\n")
        return done.returncode
    report.write_text(done.stdout, encoding="utf-8")
    return done.returncode


def _sarif(project: Path, name: str, dest: Path) -> None:
    done = subprocess.run(
        [*FORGEML, "check", str(project), "--format", "sarif"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode >= 2 or not done.stdout.strip():
        sys.stderr.write(f"no SARIF for {name}: {done.stderr.strip()}\n")
        return
    document = json.loads(done.stdout)
    for run in document.get("runs", []):
        # One category per repository: code scanning replaces a category's alerts on upload.
        run["automationDetails"] = {"id": f"forgeml-fleet/{name}/"}
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name)
    (dest / f"{safe}.sarif").write_text(json.dumps(document, indent=1), encoding="utf-8")


def summary(directories: list[Path]) -> tuple[str, int]:
    """One Markdown table over every chunk's reports, and the run's exit code."""
    rows: list[str] = []
    attention = 0
    total = 0
    for directory in sorted(directories):
        update = _load(directory / "update.json")
        check = _load(directory / "check.json")
        updates = {repo["name"]: repo for repo in (update or {}).get("repositories", [])}
        for repo in (check or {}).get("repositories", []):
            total += 1
            name = repo["name"]
            updated = updates.get(name, {})
            publication = updated.get("publication") or {}
            needs = bool(repo["exit_code"] or updated.get("exit_code") or publication.get("error"))
            attention += needs
            rows.append(
                "| "
                + " | ".join(
                    [
                        f"{'❌' if needs else '✅'} {name}",
                        _check_cell(repo),
                        _cell(updated.get("outcome")),
                        _cell(publication.get("push")),
                        _cell(publication.get("pull_request")),
                        _cell(publication.get("error") or updated.get("error") or repo["error"]),
                    ]
                )
                + " |"
            )
    header = [
        "## forgeml fleet",
        "",
        f"{total} repositories, {attention} needing attention.",
        "",
        "| Repository | Check | Update | Push | Pull request | Notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    return "\n".join(header + rows) + "\n", 1 if attention else 0


def _load(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _check_cell(repo: dict[str, Any]) -> str:
    report = repo.get("report")
    if report is None:
        return "error"
    failed = [check["code"] for check in report.get("results", []) if check.get("status") == "fail"]
    return ", ".join(failed) or "ok"


def _cell(value: Any) -> str:
    text = "-" if value in (None, "") else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _write_output(name: str, value: str) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    line = f"{name}={value}\n"
    if target:
        with Path(target).open("a", encoding="utf-8") as output:
            output.write(line)
    else:
        sys.stdout.write(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    planned = commands.add_parser("plan")
    planned.add_argument("fleet_file", type=Path)
    planned.add_argument("--chunk-size", type=int, default=10)
    planned.add_argument("--owner", default=os.environ.get("GITHUB_REPOSITORY_OWNER", ""))
    chunked = commands.add_parser("chunk")
    chunked.add_argument("fleet_file", type=Path)
    chunked.add_argument("--chunk", type=int, required=True)
    chunked.add_argument("--chunk-size", type=int, required=True)
    chunked.add_argument("--out", type=Path, required=True)
    chunked.add_argument("--workspace", type=Path, required=True)
    chunked.add_argument("--update", action="store_true")
    chunked.add_argument("--pull-requests", action="store_true")
    summed = commands.add_parser("summary")
    summed.add_argument("directories", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "plan":
        matrix, size = plan(args.fleet_file, args.chunk_size, args.owner)
        _write_output("matrix", json.dumps(matrix))
        _write_output("chunk-size", str(size))
        return 0
    if args.command == "chunk":
        return run_chunk(
            args.fleet_file,
            args.chunk,
            args.chunk_size,
            args.out,
            update=args.update,
            pull_requests=args.pull_requests,
            workspace=args.workspace,
        )
    text, code = summary([d for d in args.directories if d.is_dir()])
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as output:
            output.write(text)
    sys.stdout.write(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
