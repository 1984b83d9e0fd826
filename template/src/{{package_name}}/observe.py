"""Observability of the service: Prometheus metrics, JSON logs and prediction capture.

* :class:`ServiceMetrics`: the metrics ``/metrics`` exposes (prometheus-client), in a
  registry of their own per app, so two apps in one process (tests) do not collide.
* :class:`RequestMetrics`: a pure ASGI middleware that counts requests and times them
  by route template (never the raw path: unknown paths share one label, so a scanner
  cannot blow up the metric's cardinality) and status.
* :class:`JsonFormatter`: one JSON object per log line, for log collectors.
* :class:`Capture`: appends a sample of requests and their predictions, with the model
  version and the request id, to JSON-lines files that ``monitor`` reads as its batch
  and that feedback labels are joined to (docs/operations.md).
"""

import json
import logging
import os
import queue
import random
import re
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from .limits import ASGIApp, Message, Receive, Scope, Send
from .storage import Location, filesystem, is_remote

# Latency buckets (seconds) around the service's budget: p99 well under 20 ms.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ServiceMetrics:
    """Every metric of the service, registered in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status code.",
            ["route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predicted_class = Counter(
            "predictions_by_class",
            "Records scored, by predicted class (classification).",
            ["predicted_class"],
            registry=self.registry,
        )
        self.predicted_value = Histogram(
            "prediction_value",
            "Predicted values (regression).",
            registry=self.registry,
            buckets=(-100, -10, -1, 0, 1, 10, 50, 100, 200, 300, 500, 1000, 10_000),
        )
        self.violations = Counter(
            "contract_violations",
            "Requests refused for breaking the request schema or the data contract.",
            ["kind"],
            registry=self.registry,
        )
        self.model_info = Gauge(
            "model_info",
            "The model being served (value 1), by registered name and version.",
            ["model_name", "model_version"],
            registry=self.registry,
        )
        self.reloads = Counter(
            "model_reloads",
            "Swaps to the version the served alias moved to, by outcome (success, or "
            "failure: the previous model is still served).",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in ("success", "failure"):
            self.reloads.labels(outcome)  # both series exist, at 0, from the start
        self._served: tuple[str, str] | None = None

    def serving(self, name: str, version: str) -> None:
        """Record which model is served, replacing the previous one (after a reload):
        the new series is set before the old one goes, so no scrape sees neither."""
        self.model_info.labels(model_name=name, model_version=version).set(1)
        if self._served is not None and self._served != (name, version):
            self.model_info.remove(*self._served)
        self._served = (name, version)


class RequestMetrics:
    """ASGI middleware timing and counting every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, paths: set[str]) -> None:
        self.app = app
        self.metrics = metrics
        # The app's own paths: a request refused before routing (413, 415) still counts
        # against its route.
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception escaping the app is answered with 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = getattr(scope.get("route"), "path", None) or (
                scope["path"] if scope["path"] in self.paths else "other"
            )
            code = str(status)
            self.metrics.requests.labels(route, scope["method"], code).inc()
            self.metrics.latency.labels(route, code).observe(time.perf_counter() - started)


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message (+ exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "model_version"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def use_json_logs(level: int = logging.INFO) -> None:
    """Send every log record (uvicorn's included) to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(header: str | None) -> str:
    """The client's X-Request-ID when it is a sane token, else a fresh random one."""
    if header is not None and _REQUEST_ID.fullmatch(header):
        return header
    return f"{random.getrandbits(128):032x}"


class Capture:
    """Appends sampled requests and predictions to ``<directory>/capture-<pid>-<hour>.jsonl``.

    One line per scored record: ``request_id``, ``row`` (position in the request),
    ``time``, ``model_name``, ``model_version``, the features and ``prediction``. The
    event loop only puts the lines on a queue; a writer thread appends them, so a slow
    disk never delays an answer. Lines still queued when the process is killed are lost:
    capture is a sample, not a ledger.

    ``directory`` may be an object-store URI (s3://, gs://, az://; storage.py). Objects
    cannot be appended to, so there the writer collects lines and uploads them as one
    new object ``capture-<pid>-<time>-<n>.jsonl`` per ``max_lines`` lines or
    ``flush_seconds`` seconds, whichever comes first, and at shutdown.
    """

    def __init__(
        self,
        directory: Location,
        sample_rate: float,
        *,
        flush_seconds: float = 60.0,
        max_lines: int = 10_000,
    ) -> None:
        self.directory = directory
        self.sample_rate = sample_rate
        self.flush_seconds = flush_seconds
        self.max_lines = max_lines
        # A URI whose filesystem is not installed fails here, before the service starts.
        self._remote = (
            filesystem(str(directory), "serve.capture.path") if is_remote(directory) else None
        )
        self._uploads = 0
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        target = self._write if self._remote is None else self._upload_batches
        self._writer = threading.Thread(target=target, name="capture", daemon=True)
        self._writer.start()

    def record(
        self,
        request_id: str,
        model_name: str,
        model_version: str,
        records: Sequence[Mapping[str, Any]],
        predictions: Sequence[Any],
    ) -> None:
        if self.sample_rate < 1.0 and random.random() >= self.sample_rate:
            return
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        for row, (features, prediction) in enumerate(zip(records, predictions, strict=True)):
            line = {
                "request_id": request_id,
                "row": row,
                "time": now,
                "model_name": model_name,
                "model_version": model_version,
                **features,
                "prediction": prediction,
            }
            self._lines.put(json.dumps(line, default=str))

    def close(self) -> None:
        """Write what is queued and stop the writer thread (waiting longer for a last
        upload to an object store than for a local write)."""
        self._lines.put(None)
        self._writer.join(timeout=10 if self._remote is None else 30)

    def _write(self) -> None:
        directory = Path(self.directory)
        directory.mkdir(parents=True, exist_ok=True)
        while (line := self._lines.get()) is not None:
            hour = datetime.now(UTC).strftime("%Y%m%dT%H")
            path = directory / f"capture-{os.getpid()}-{hour}.jsonl"
            with path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
                # Drain what else is queued into the same open file.
                while True:
                    try:
                        more = self._lines.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        return
                    out.write(more + "\n")

    def _upload_batches(self) -> None:
        lines: list[str] = []
        deadline = 0.0
        while True:
            wait = max(0.0, deadline - time.monotonic()) if lines else None
            try:
                line = self._lines.get(timeout=wait)
            except queue.Empty:
                line = ""  # flush_seconds passed since the first line of the batch
            if line is None:
                break
            if line:
                if not lines:
                    deadline = time.monotonic() + self.flush_seconds
                lines.append(line)
            if lines and (not line or len(lines) >= self.max_lines):
                self._upload(lines)
                lines = []
        if lines:
            self._upload(lines)

    def _upload(self, lines: list[str]) -> None:
        assert self._remote is not None
        fs, root = self._remote
        self._uploads += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        name = f"{root.rstrip('/')}/capture-{os.getpid()}-{stamp}-{self._uploads:06d}.jsonl"
        try:
            with fs.open(name, "wb") as out:
                out.write(("\n".join(lines) + "\n").encode("utf-8"))
        except Exception:  # an unreachable store must not stop the service: capture is a sample
            logging.getLogger(__name__).exception(
                "capture: could not upload %d lines to %s", len(lines), name
            )
