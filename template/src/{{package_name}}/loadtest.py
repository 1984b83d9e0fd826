"""Load test: drive POST /predict of a running service and check it against thresholds.

``concurrency`` workers each send a request, wait for the answer and send the next
(a closed loop, as a pool of clients behaves), until ``duration_seconds`` have passed
or ``max_requests`` were sent. Latency is measured per request, from sending to the
last byte of the answer; throughput counts successful requests per second.

The client is httpx2's AsyncClient on one asyncio event loop rather than a load-testing
framework (locust, k6): it is a dependency the project already has, runs anywhere
Python runs (a CI job, a laptop) without a separate tool or agent, keeps the whole test
readable in one module, and gives exact percentiles from every sample. Its cost: a
Python client spends ~0.3 ms of CPU per request, so on a small machine it tops out
around 2,000-3,000 requests per second, and a service on the same machine competes
with it for CPU. For capacity planning beyond that, point a compiled generator
(wrk, k6) at the service; this test is a pass/fail gate, not a capacity probe.

Throughout the warm-up and measurement a prober, a process of its own, asks ``/health`` every
``PROBE_INTERVAL_S`` with Kubernetes' default probe timeout of one second; a probe that
fails or times out fails the test, as it would get the pod restarted. ``bad=True``
(``--bad-payload``) floods the service with requests that break the data contract
instead: the test then passes when every one of them is refused with 422 and the
probes still answer in time.
"""

import asyncio
import json
import math
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from .config import LoadTestConfig
from .contract import Contract, Feature, json_records
from .errors import UsageError
from .ingest import read_table
from .validate import validate_features

_JSON = {"Content-Type": "application/json"}
PROBE_INTERVAL_S = 0.2
PROBE_TIMEOUT_S = 1.0
# Far past any plausible contract bound: a bounded number of a bad body breaks it.
_OUT_OF_CONTRACT = 1e15


class ServiceUnavailableError(UsageError):
    """The service did not answer /ready with 200 in time: nothing was measured."""


def request_bodies(payload: Path, records_per_request: int, contract: Contract) -> list[bytes]:
    """JSON bodies of POST /predict: the payload's rows in order, cycled to fill batches.

    Bodies are serialised once, up front, so the test measures the service, not
    the client's JSON encoding.
    """
    rows = json_records(
        validate_features(read_table(payload, contract.text_columns), contract), contract
    )
    if not rows:
        raise UsageError(f"{payload}: no rows to send")
    # Enough bodies that every row is sent, and at least a few distinct ones.
    count = max(1, math.ceil(len(rows) / records_per_request))
    bodies = []
    for start in range(0, count * records_per_request, records_per_request):
        batch = [rows[(start + offset) % len(rows)] for offset in range(records_per_request)]
        bodies.append(json.dumps({"records": batch}).encode())
    return bodies


def bad_request_bodies(payload: Path, records_per_request: int, contract: Contract) -> list[bytes]:
    """Bodies shaped like :func:`request_bodies` whose every value breaks the contract:
    the most expensive requests to refuse, as a hostile or broken client sends them."""
    bodies = request_bodies(payload, records_per_request, contract)
    record = {feature.name: _breaking_value(feature) for feature in contract.features}
    bad = {"records": [record] * records_per_request}
    return [json.dumps(bad).encode()] * len(bodies)


def _breaking_value(feature: Feature) -> object:
    """A value ``feature`` refuses: past a bound, outside the categories, or of the
    wrong JSON type when the contract sets neither."""
    if feature.kind in ("numeric", "integer"):
        if feature.max is not None:
            return _OUT_OF_CONTRACT
        if feature.min is not None:
            return -_OUT_OF_CONTRACT
        return "not a number"
    if feature.kind == "categorical":
        return "\u0000not a category" if feature.categories is not None else _OUT_OF_CONTRACT
    return "not a boolean"


@dataclass
class Samples:
    """What the workers observed during the measured phase."""

    latencies_ms: list[float] = field(default_factory=list)
    # "200", "422", "503", or an exception name such as "ReadTimeout".
    outcomes: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    # Per request: seconds from the start of the measured phase to its answer, and
    # whether it got the expected status (the throughput-over-time chart).
    finished_s: list[float] = field(default_factory=list)
    ok: list[bool] = field(default_factory=list)
    # /health probes during the measured phase: latency of each answered one, and how
    # many failed (not a 200, or no answer within PROBE_TIMEOUT_S).
    probe_latencies_ms: list[float] = field(default_factory=list)
    probe_failures: int = 0
    # The status every request should get: "200", or "422" for a bad-payload run.
    expected: str = "200"

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def succeeded(self) -> int:
        return self.outcomes[self.expected]


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``share`` of the samples
    at or below it (no interpolation, so it is always an observed latency)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class ThresholdCheck:
    name: str
    value: float
    limit: float
    # True when value must stay at or below limit, False when at or above.
    upper: bool

    @property
    def passed(self) -> bool:
        if math.isnan(self.value):
            return False
        return self.value <= self.limit if self.upper else self.value >= self.limit

    def describe(self) -> str:
        verdict = "pass" if self.passed else "FAIL"
        symbol = "<=" if self.upper else ">="
        return f"{verdict}: {self.name} = {self.value:.4g} (required {symbol} {self.limit:g})"


@dataclass(frozen=True)
class LoadTestReport:
    base_url: str
    concurrency: int
    records_per_request: int
    requests: int
    succeeded: int
    elapsed_s: float
    outcomes: dict[str, int]
    latency_ms: dict[str, float]
    throughput_rps: float
    error_rate: float
    checks: list[ThresholdCheck]
    # The raw samples, for the charts; not part of the JSON summary.
    samples: Samples = field(default_factory=Samples, repr=False, compare=False)
    expected_status: str = "200"
    probes: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def write_charts(self, json_path: Path) -> list[Path]:
        """Latency histogram and throughput over time, as PNGs beside the JSON report
        (``<stem>.latency_histogram.png``, ``<stem>.throughput.png``)."""
        from .figures import loadtest_figures

        charts = loadtest_figures(
            self.samples.latencies_ms, self.samples.finished_s, self.samples.ok, self.latency_ms
        )
        written = []
        for name, content in charts.items():
            path = json_path.with_name(f"{json_path.stem}.{name}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written.append(path)
        return written

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "base_url": self.base_url,
            "concurrency": self.concurrency,
            "records_per_request": self.records_per_request,
            "requests": self.requests,
            "succeeded": self.succeeded,
            "elapsed_s": self.elapsed_s,
            "outcomes": self.outcomes,
            "latency_ms": self.latency_ms,
            "throughput_rps": self.throughput_rps,
            "error_rate": self.error_rate,
            "expected_status": self.expected_status,
            "probes": self.probes,
            "checks": [
                {
                    "name": check.name,
                    "value": check.value,
                    "limit": check.limit,
                    "passed": check.passed,
                }
                for check in self.checks
            ],
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")


def summarise(samples: Samples, config: LoadTestConfig, base_url: str) -> LoadTestReport:
    """Percentiles, throughput and error rate of the samples, checked against the
    thresholds of ``config``."""
    thresholds = config.thresholds
    latency = {
        "p50": percentile(samples.latencies_ms, 0.50),
        "p95": percentile(samples.latencies_ms, 0.95),
        "p99": percentile(samples.latencies_ms, 0.99),
        "max": max(samples.latencies_ms, default=math.nan),
    }
    throughput = samples.succeeded / samples.elapsed_s if samples.elapsed_s > 0 else 0.0
    # No request at all is a failed test, not a perfect one.
    errors = 1.0 - samples.succeeded / samples.requests if samples.requests else 1.0
    checks = [
        ThresholdCheck("p95 latency (ms)", latency["p95"], thresholds.p95_ms, upper=True),
        ThresholdCheck("p99 latency (ms)", latency["p99"], thresholds.p99_ms, upper=True),
        ThresholdCheck(
            "throughput (req/s)", throughput, thresholds.min_throughput_rps, upper=False
        ),
        ThresholdCheck("error rate", errors, thresholds.max_error_rate, upper=True),
        # Any failed probe fails the test: the orchestrator would restart the service.
        ThresholdCheck("failed /health probes", samples.probe_failures, 0, upper=True),
    ]
    probes = {
        "count": len(samples.probe_latencies_ms) + samples.probe_failures,
        "failed": samples.probe_failures,
        "max_ms": max(samples.probe_latencies_ms, default=math.nan),
        "timeout_ms": PROBE_TIMEOUT_S * 1000,
    }
    return LoadTestReport(
        base_url=base_url,
        concurrency=config.concurrency,
        records_per_request=config.records_per_request,
        requests=samples.requests,
        succeeded=samples.succeeded,
        elapsed_s=samples.elapsed_s,
        outcomes=dict(samples.outcomes),
        latency_ms=latency,
        throughput_rps=throughput,
        error_rate=errors,
        checks=checks,
        samples=samples,
        expected_status=samples.expected,
        probes=probes,
    )


async def _wait_until_ready(client: httpx2.AsyncClient, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while True:
        try:
            response = await client.get("/ready")
        except httpx2.HTTPError as error:
            last = f"{type(error).__name__}: {error}"
        else:
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        if time.monotonic() >= deadline:
            raise ServiceUnavailableError(
                f"{client.base_url}ready did not answer 200 within {timeout_s:g} s ({last})"
            )
        await asyncio.sleep(0.5)


async def _post(client: httpx2.AsyncClient, body: bytes) -> str:
    try:
        response = await client.post("/predict", content=body, headers=_JSON)
    except httpx2.HTTPError as error:
        return type(error).__name__
    return str(response.status_code)


# The prober: a separate Python process using only the standard library, so a probe
# measures the service, never the load generator's busy event loop (or its GIL). Like
# the kubelet it opens a new connection per probe; it prints "<status> <ms>" per probe.
_PROBER = """
import http.client, sys, time, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
interval, timeout = float(sys.argv[2]), float(sys.argv[3])
factory = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
while True:
    begin = time.perf_counter()
    try:
        connection = factory(url.hostname, url.port, timeout=timeout)
        connection.request("GET", url.path.rstrip("/") + "/health")
        status = connection.getresponse().status
        connection.close()
    except OSError as error:
        status = type(error).__name__
    print(status, (time.perf_counter() - begin) * 1000, flush=True)
    time.sleep(interval)
"""


def _start_prober(base_url: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-I", "-c", _PROBER, base_url]
    command += [str(PROBE_INTERVAL_S), str(PROBE_TIMEOUT_S)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def _stop_prober(prober: subprocess.Popen[str], samples: Samples) -> None:
    prober.terminate()
    output, _ = prober.communicate(timeout=10)
    for line in output.splitlines():
        status, elapsed_ms = line.split()
        latency = float(elapsed_ms)
        if status == "200" and latency <= PROBE_TIMEOUT_S * 1000:
            samples.probe_latencies_ms.append(latency)
        else:
            samples.probe_failures += 1


async def _measure(
    client: httpx2.AsyncClient,
    bodies: Sequence[bytes],
    config: LoadTestConfig,
    expected: str,
) -> Samples:
    samples = Samples(expected=expected)
    sent = 0
    started = time.perf_counter()
    deadline = started + config.duration_seconds

    async def worker() -> None:
        nonlocal sent
        # One event loop: reading and bumping `sent` between awaits is race-free.
        while sent < config.max_requests and time.perf_counter() < deadline:
            body = bodies[sent % len(bodies)]
            sent += 1
            begin = time.perf_counter()
            outcome = await _post(client, body)
            end = time.perf_counter()
            samples.latencies_ms.append((end - begin) * 1000)
            samples.outcomes[outcome] += 1
            samples.finished_s.append(end - started)
            samples.ok.append(outcome == expected)

    await asyncio.gather(*(worker() for _ in range(config.concurrency)))
    samples.elapsed_s = time.perf_counter() - started
    return samples


async def _run(
    base_url: str, bodies: Sequence[bytes], config: LoadTestConfig, expected: str
) -> Samples:
    limits = httpx2.Limits(
        max_connections=config.concurrency, max_keepalive_connections=config.concurrency
    )
    async with httpx2.AsyncClient(
        base_url=base_url, timeout=config.request_timeout_seconds, limits=limits
    ) as client:
        await _wait_until_ready(client, config.ready_timeout_seconds)
        # Started before the warm-up, so starting a process costs the measurement nothing;
        # the warm-up is load as well, and is probed too.
        prober = _start_prober(base_url)
        try:
            samples = await _load(client, bodies, config, expected)
        finally:
            probes = Samples()
            _stop_prober(prober, probes)
        samples.probe_latencies_ms = probes.probe_latencies_ms
        samples.probe_failures = probes.probe_failures
        return samples


async def _load(
    client: httpx2.AsyncClient, bodies: Sequence[bytes], config: LoadTestConfig, expected: str
) -> Samples:
    """Warm up, then measure."""
    # Warm-up: open the connections and let the service reach a steady state
    # before anything is measured; its answers are not counted.
    for start in range(0, config.warmup_requests, config.concurrency):
        count = min(config.concurrency, config.warmup_requests - start)
        await asyncio.gather(
            *(_post(client, bodies[(start + k) % len(bodies)]) for k in range(count))
        )
    return await _measure(client, bodies, config, expected)


def run_load_test(
    base_url: str, config: LoadTestConfig, contract: Contract, bad: bool = False
) -> LoadTestReport:
    """Wait for the service to be ready, warm it up, measure, and check the thresholds.
    ``bad``: send requests that break the contract; each must get 422."""
    base_url = base_url.rstrip("/") + "/"
    if not base_url.startswith(("http://", "https://")):
        raise UsageError(f"base URL must start with http:// or https://, got {base_url!r}")
    make_bodies = bad_request_bodies if bad else request_bodies
    bodies = make_bodies(config.payload, config.records_per_request, contract)
    samples = asyncio.run(_run(base_url, bodies, config, "422" if bad else "200"))
    return summarise(samples, config, base_url)
