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
"""

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from .config import LoadTestConfig
from .contract import Contract, json_records
from .errors import UsageError
from .ingest import read_table
from .validate import validate_features

_JSON = {"Content-Type": "application/json"}


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


@dataclass
class Samples:
    """What the workers observed during the measured phase."""

    latencies_ms: list[float] = field(default_factory=list)
    # "200", "422", "503", or an exception name such as "ReadTimeout".
    outcomes: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    # Per request: seconds from the start of the measured phase to its answer, and
    # whether it succeeded (the throughput-over-time chart).
    finished_s: list[float] = field(default_factory=list)
    ok: list[bool] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def succeeded(self) -> int:
        return self.outcomes["200"]


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
    ]
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


async def _measure(
    client: httpx2.AsyncClient, bodies: Sequence[bytes], config: LoadTestConfig
) -> Samples:
    samples = Samples()
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
            samples.ok.append(outcome == "200")

    await asyncio.gather(*(worker() for _ in range(config.concurrency)))
    samples.elapsed_s = time.perf_counter() - started
    return samples


async def _run(base_url: str, bodies: Sequence[bytes], config: LoadTestConfig) -> Samples:
    limits = httpx2.Limits(
        max_connections=config.concurrency, max_keepalive_connections=config.concurrency
    )
    async with httpx2.AsyncClient(
        base_url=base_url, timeout=config.request_timeout_seconds, limits=limits
    ) as client:
        await _wait_until_ready(client, config.ready_timeout_seconds)
        # Warm-up: open the connections and let the service reach a steady state
        # before anything is measured; its answers are not counted.
        for start in range(0, config.warmup_requests, config.concurrency):
            count = min(config.concurrency, config.warmup_requests - start)
            await asyncio.gather(
                *(_post(client, bodies[(start + k) % len(bodies)]) for k in range(count))
            )
        return await _measure(client, bodies, config)


def run_load_test(base_url: str, config: LoadTestConfig, contract: Contract) -> LoadTestReport:
    """Wait for the service to be ready, warm it up, measure, and check the thresholds."""
    base_url = base_url.rstrip("/") + "/"
    if not base_url.startswith(("http://", "https://")):
        raise UsageError(f"base URL must start with http:// or https://, got {base_url!r}")
    bodies = request_bodies(config.payload, config.records_per_request, contract)
    samples = asyncio.run(_run(base_url, bodies, config))
    return summarise(samples, config, base_url)
