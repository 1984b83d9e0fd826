"""Serve one model two ways and load both on loopback: the generated service vs
`mlflow models serve`.

A classification project is generated from this repository's template, set up with
`make setup` and trained with `make train`; its champion is then served by
`make serve` and by `mlflow models serve --env-manager local` from the same MLflow
store. This runs once per data set (`--data`): `demo`, the bundled wine data (13 numeric
features), and `penguins`, palmerpenguins through `make contract` (a mixed contract:
numeric, integer and categorical features with missing values, string labels; needs
`pip install palmerpenguins`). MLflow's full package (~850 MB, with its server) is never
a dependency of generated projects: it is installed into a throwaway virtual
environment, reused between runs with --mlflow-env.

wrk (Debian: `apt-get install wrk`) drives both servers with one-record requests at 32
open connections, alternating servers each round so machine noise hits both alike; it
is compiled, so it leaves the CPU to the servers, unlike a Python client. Then the
project's own `make loadtest` runs once against the generated service, to show what
the CD gate sees with its Python client.

    python benchmarks/bench_serving.py [--rounds 3] [--duration 10] [--mlflow-env DIR]
        [--data demo penguins]

Everything listens on 127.0.0.1 only; every run is bounded in time. Record the output
in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.support.generated import (  # noqa: E402
    generate,
    project_env,
    run,
)

CONCURRENCY = 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, timeout: float, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server for {url} exited with {server.returncode} (its log: {log})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} not ready after {timeout:g} s")


@contextmanager
def serving(
    argv: list[str], cwd: Path, env: dict[str, str], ready: str, log: Path
) -> Iterator[None]:
    with log.open("wb") as output:
        server = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_for(ready, 300, server, log)
            yield
        finally:
            stop(server)


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, SIGKILL after 30 s; it may be gone already."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except ProcessLookupError:
        server.wait()
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def mlflow_env(directory: Path, project: Path) -> Path:
    """A virtual environment with mlflow's serving and store at the project's versions
    (the model's requirements and the store's schema); created once.

    mlflow-skinny of the project's version, not the full ``mlflow``: the full package
    of a new release can lag on a package index (3.18.0 needed an ``mlflow-tracing``
    the index did not have yet), and an older one refuses the project's newer store
    schema. The scoring server is the same code in both; the store needs SQLAlchemy
    and alembic, which the full package would bring. uvicorn comes without httptools
    and uvloop, as the full package installs it.
    """
    python = directory / "bin" / "python"
    if not python.exists():
        subprocess.run(["uv", "venv", "--quiet", "-p", sys.executable, str(directory)], check=True)
    names = ("mlflow-skinny", "scikit-learn", "skops", "pandas", "sqlalchemy", "alembic")
    pins = run(
        project,
        "uv",
        "run",
        "--frozen",
        "python",
        "-c",
        "import sys; from importlib.metadata import version as v;"
        "print(*(f'{name}=={v(name)}' for name in sys.argv[1:]))",
        *names,
    ).stdout.split()
    subprocess.run(["uv", "pip", "install", "--quiet", "-p", str(python), *pins], check=True)
    return directory / "bin"


def wrk_script(path: Path, body: object) -> Path:
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n",
        encoding="utf-8",
    )
    return path


def wrk(url: str, script: Path, duration: int) -> tuple[float, float, int]:
    """Requests per second, p99 latency in ms and non-2xx answers of one wrk run."""
    completed = subprocess.run(
        ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=False,
        timeout=duration + 60,
    )
    out = completed.stdout
    if completed.returncode != 0:
        raise SystemExit(f"wrk failed on {url}:\n{out}\n{completed.stderr}")
    rps = float(_find(r"Requests/sec:\s+([\d.]+)", out)[0])
    value, unit = _find(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, p99, int(bad.group(1)) if bad else 0


def _find(pattern: str, text: str) -> tuple[str, ...]:
    found = re.search(pattern, text)
    if found is None:
        raise SystemExit(f"unexpected wrk output:\n{text}")
    return found.groups()


def penguins_csv() -> Path:
    """palmerpenguins' CSV, found without importing the package."""
    import importlib.util

    spec = importlib.util.find_spec("palmerpenguins")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("--data penguins needs palmerpenguins: pip install palmerpenguins")
    return Path(next(iter(spec.submodule_search_locations)), "data", "penguins.csv")


def example_record(project: Path) -> dict[str, object]:
    """One request record: the contract's example of every feature, in its JSON type."""
    contract = yaml.safe_load((project / "contract.yaml").read_text(encoding="utf-8"))
    return {feature["name"]: feature["example"] for feature in contract["features"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--mlflow-env", type=Path, help="reuse this virtual environment")
    parser.add_argument(
        "--data", nargs="+", choices=["demo", "penguins"], default=["demo", "penguins"]
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    scratch = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    project = generate(scratch / "project").path
    run(project, "make", "setup")
    bin_dir = mlflow_env(args.mlflow_env or scratch / "mlflow-venv", project)
    for data in args.data:
        if data == "penguins":
            shutil.copy2(penguins_csv(), project / "data" / "penguins.csv")
            run(project, "make", "contract", "DATA=data/penguins.csv", "TARGET=species")
        run(project, "make", "train")
        print(f"\n## data: {data}\n")
        bench(project, scratch, bin_dir, args.rounds, args.duration)
    print(f"\nload average: {os.getloadavg()[0]:.2f} (2 cores); scratch: {scratch}")
    shutil.rmtree(scratch / "project" / ".venv", ignore_errors=True)


def bench(project: Path, scratch: Path, bin_dir: Path, rounds: int, duration: int) -> None:
    """wrk against both servers of the project's champion, then `make loadtest`."""
    record = example_record(project)
    ours_script = wrk_script(scratch / "ours.lua", {"records": [record]})
    mlflow_script = wrk_script(scratch / "mlflow.lua", {"dataframe_records": [record]})

    env = project_env()
    mlflow_base = {
        **env,
        "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}",
    }
    ours_port = free_port()
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    name = params["mlflow"]["model_name"]

    def mlflow_argv(port: int) -> list[str]:
        model = f"models:/{name}@champion"
        return [str(bin_dir / "mlflow"), "models", "serve", "-m", model, "--env-manager",
                "local", "-h", "127.0.0.1", "-p", str(port)]  # fmt: skip

    variants = {
        # As shipped: uvicorn's pure-Python HTTP parser and loop, an access-log line
        # per request.
        "mlflow models serve": {},
        # uvicorn reads UVICORN_* variables: the same server without the access log.
        "mlflow models serve, no access log": {"UVICORN_ACCESS_LOG": "false"},
    }
    results: dict[str, list[tuple[float, float, int]]] = {"generated service": []}
    results.update({variant: [] for variant in variants})
    with serving(
        ["make", "serve", f"PORT={ours_port}"],
        project,
        env,
        f"http://127.0.0.1:{ours_port}/ready",
        scratch / "ours.log",
    ):
        ours_url = f"http://127.0.0.1:{ours_port}/predict"
        wrk(ours_url, ours_script, 3)  # warm-up
        for _ in range(rounds):
            results["generated service"].append(wrk(ours_url, ours_script, duration))
            for variant, extra in variants.items():
                # A fresh port each time: the uvicorn child of the previous server may
                # still hold the old one for a moment after the server exits.
                port = free_port()
                ready = f"http://127.0.0.1:{port}/ping"
                log = scratch / "mlflow.log"
                with serving(mlflow_argv(port), project, {**mlflow_base, **extra}, ready, log):
                    url = f"http://127.0.0.1:{port}/invocations"
                    wrk(url, mlflow_script, 3)  # warm-up
                    results[variant].append(wrk(url, mlflow_script, duration))
        loadtest = subprocess.run(
            ["make", "loadtest", f"BASE_URL=http://127.0.0.1:{ours_port}"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    print(
        f"wrk -t1 -c{CONCURRENCY} -d{duration}s, one record per request, "
        f"{rounds} rounds (median, min-max)"
    )
    baseline = statistics.median(r[0] for r in results["mlflow models serve"])
    print("| server | req/s | p99 ms | non-2xx | vs mlflow models serve |")
    print("|---|---|---|---|---|")
    for label, rows in results.items():
        rps = [r[0] for r in rows]
        p99 = [r[1] for r in rows]
        print(
            f"| {label} | {statistics.median(rps):.0f} ({min(rps):.0f}-{max(rps):.0f}) "
            f"| {statistics.median(p99):.1f} ({min(p99):.1f}-{max(p99):.1f}) "
            f"| {sum(r[2] for r in rows)} | {statistics.median(rps) / baseline:.1f}x |"
        )
    print("\n`make loadtest` (the project's Python client) against the generated service:")
    print(loadtest.stdout.strip() or loadtest.stderr.strip())


if __name__ == "__main__":
    main()
