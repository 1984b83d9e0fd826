"""Command line of the pipeline.

Exit codes (see errors.ExitCode): 0 success; 1 a check failed (quality gate, data
contract, drift); 2 bad usage (arguments, params.yaml, missing file or model);
3 unexpected error. Heavy modules (MLflow, FastAPI) are imported inside the
commands that need them, so ``--help`` and light commands stay fast; commands that
only read a model (predict, evaluate, explain, serve) load it through local_registry,
which reads a local sqlite store without importing MLflow at all.
"""

import functools
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, ParamSpec

import typer

from .config import DEFAULT_PARAMS_PATH, Params, load_params
from .errors import DataSourceError, ExitCode, ModelNotFoundError, PipelineError, UsageError
from .storage import as_location, is_remote

if TYPE_CHECKING:
    import pandas as pd

    from .contract import Contract
    from .evaluate import GateResult
    from .monitor import DriftReport
    from .promote import ScoredChallenger

app = typer.Typer(
    help="Train, evaluate, promote, serve and monitor the model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ParamsOption = Annotated[
    Path, typer.Option("--params", "-p", help="Parameter file.", dir_okay=False)
]
AliasOption = Annotated[
    str | None,
    typer.Option(help="Registry alias of the model to use [default: champion]."),
]
VersionOption = Annotated[
    str | None, typer.Option("--model-version", help="Registry version number (beats --alias).")
]

# Machine-readable results, for pipelines that track them (dvc.yaml's metrics).
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Also write the outcome here (JSON).")
]
MetricsOption = Annotated[
    Path | None,
    typer.Option("--metrics", help="Also write the metrics and model version here (JSON)."),
]

P = ParamSpec("P")


def _reports_failures(command: Callable[P, None]) -> Callable[P, None]:
    """Turn expected pipeline failures into a message on stderr and their exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except PipelineError as error:
            typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
            raise typer.Exit(error.exit_code) from None

    return run


@app.callback()
def _configure_logging(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # MLflow sets up its own loggers when imported (at INFO unless told otherwise):
    # match them to --verbose, but let an explicit MLFLOW_LOGGING_LEVEL win.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", logging.getLevelName(level))


@app.command()
@_reports_failures
def validate(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    batch: Annotated[
        str | None,
        typer.Option(
            "--batch",
            help="Check this scoring batch (features only; a path or an s3://, gs://, az:// "
            "URI) instead of the training data.",
        ),
    ] = None,
    report: ReportOption = None,
) -> None:
    """Check data against its contract (exit 4 and a report when it breaks it: a
    broken feed, as for every command that reads data)."""
    from .ingest import load_dataset, read_table
    from .validate import validate_features, validate_training_data

    params = load_params(params_path)
    contract = _contract(params)
    if batch is None:
        table = load_dataset(params.data, contract.text_columns)
        rows = len(validate_training_data(table, contract))
        _write_json(report, {"rows": rows, "passed": True})
        typer.echo(f"training data meets its contract ({rows} rows)")
    else:
        table = read_table(as_location(batch), contract.text_columns, key="--batch")
        rows = len(validate_features(table, contract))
        _write_json(report, {"rows": rows, "passed": True})
        typer.echo(f"{batch} meets the feature contract ({rows} rows)")


@app.command()
@_reports_failures
def contract(
    data: Annotated[
        str,
        typer.Option(
            help="Your data (.csv or .parquet; a path or an s3://, gs://, az:// URI), "
            "with the target column."
        ),
    ],
    target: Annotated[str, typer.Option(help="The column to predict.")],
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    output: Annotated[
        Path | None,
        typer.Option(help="Where to write the contract [default: params.yaml data.contract]."),
    ] = None,
    sample: Annotated[
        Path, typer.Option(help="Where to write feature rows for predict, drift and loadtest.")
    ] = Path("data/sample.csv"),
) -> None:
    """Infer contract.yaml from your data and point params.yaml at it."""
    from .contract import DEFAULT_CONTRACT_PATH
    from .infer import infer_contract, point_params_at, sample_rows
    from .ingest import read_table, write_table
    from .validate import validate_features

    params = load_params(params_path)
    destination = output or params.data.contract or DEFAULT_CONTRACT_PATH
    location = as_location(data)
    table = read_table(location, key="--data")
    inference = infer_contract(table, target, str(data))
    contract = inference.contract
    rows = sample_rows(table.rename(columns=str), contract)
    # The sample must meet the contract it came with; a failure here is a bug in the
    # inference, reported as a contract violation rather than written to disk.
    validate_features(rows, contract)
    header = (
        f"# Inferred by `contract --data {data} --target {target}` from {len(table)} rows.\n"
        "# Review it (docs/own-data.md) and commit it: every part of the pipeline reads it.\n"
    )
    destination.write_text(header + contract.to_yaml(), encoding="utf-8")
    write_table(rows, sample)
    data_path = location if is_remote(location) else _relative(location)
    point_params_at(params_path, data_path, _relative(destination))
    typer.echo(f"read {len(table)} rows and {len(table.columns)} columns from {data}")
    for decision in inference.decisions:
        typer.echo(f"  {decision}")
    typer.echo(
        f"wrote {destination} ({len(contract.features)} features, {len(contract.ignore)} ignored)"
    )
    typer.echo(f"wrote {sample} ({len(rows)} feature rows, no target)")
    shown = data_path.as_posix() if isinstance(data_path, Path) else data_path
    typer.echo(f"set data.path in {params_path} to {shown}")
    typer.echo("review before `make train`:")
    for item in inference.review:
        typer.echo(f"  - {item}")


def _relative(path: Path) -> Path:
    """``path`` relative to the working directory (the project root) when inside it,
    so params.yaml stays portable; absolute otherwise."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve())
    except ValueError:
        return resolved


@app.command()
@_reports_failures
def train(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    promote_after: Annotated[
        bool,
        typer.Option(
            "--promote",
            help="Then run `promote`, in the same process (what `make train` does).",
        ),
    ] = False,
    metrics_path: MetricsOption = None,
) -> None:
    """Fit, evaluate and log a model; register it as challenger if it passes the gates."""
    from .train import train as run_training

    params = load_params(params_path)
    result = run_training(params)
    _write_json(
        metrics_path,
        {
            "run_id": result.run_id,
            "model_version": result.model_version,
            "passed": result.evaluation.passed,
            "metrics": dict(result.evaluation.metrics),
        },
    )
    typer.echo(f"logged MLflow run {result.run_id}")
    _echo_metrics("holdout metrics", result.evaluation.metrics)
    _echo_gates(result.evaluation.gates)
    if result.model_version is None:
        _fail("quality gates failed: model logged but not registered", ExitCode.CHECK_FAILED)
    typer.echo(
        f"registered {params.mlflow.model_name!r} version {result.model_version} as challenger"
    )
    if promote_after:
        # One process for both steps: MLflow is imported and its store opened once, and
        # the challenger just trained is handed over as it is, already scored.
        _promote(params, result.challenger)


@app.command()
@_reports_failures
def evaluate(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    alias: AliasOption = None,
    version: VersionOption = None,
    data: Annotated[
        str | None,
        typer.Option(help="Labelled CSV/Parquet (path or URI) to score instead of the holdout."),
    ] = None,
    metrics_path: MetricsOption = None,
) -> None:
    """Score a registered model and check the quality gates (exit 1 when one fails)."""
    from .evaluate import evaluate_model, load_holdout
    from .ingest import read_table
    from .local_registry import check_contract, load
    from .validate import validate_training_data

    params = load_params(params_path)
    contract = _contract(params)
    model = load(params.mlflow, alias=alias, version=version)
    check_contract(params.mlflow, model, contract)
    rows = (
        load_holdout(params)
        if data is None
        else validate_training_data(
            read_table(as_location(data), contract.text_columns, key="--data"), contract
        )
    )
    evaluation = evaluate_model(model.estimator, rows, params, contract)
    _write_json(
        metrics_path,
        {
            "model_version": model.version,
            "passed": evaluation.passed,
            "metrics": dict(evaluation.metrics),
        },
    )
    where = "holdout" if data is None else str(data)
    _echo_metrics(f"{model.name} version {model.version} on {where}", evaluation.metrics)
    _echo_gates(evaluation.gates)
    if not evaluation.passed:
        _fail("quality gates failed", ExitCode.CHECK_FAILED)


@app.command()
@_reports_failures
def promote(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Make the challenger the champion if it beats it on the holdout by the margin.

    Keeping the champion is a normal outcome (exit 0); a challenger that fails the
    gates exits 1.
    """
    _promote(load_params(params_path))


def _promote(params: Params, challenger: "ScoredChallenger | None" = None) -> None:
    from .promote import promote as run_promotion

    outcome = run_promotion(params, challenger)
    _echo_metrics(f"challenger (version {outcome.challenger_version})", outcome.challenger.metrics)
    if outcome.champion is not None:
        _echo_metrics(f"champion (version {outcome.champion_version})", outcome.champion.metrics)
    verdict = "promoted" if outcome.decision.promote else "kept champion"
    typer.echo(f"{verdict}: {outcome.decision.reason}")
    typer.echo(f"champion is now version {outcome.champion_after}")
    if not outcome.challenger.passed:
        _echo_gates(outcome.challenger.gates)
        _fail("challenger fails its quality gates", ExitCode.CHECK_FAILED)


@app.command()
@_reports_failures
def rollback(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    reason: Annotated[
        str, typer.Option(help="Why (recorded in the registry and the audit file).")
    ] = "manual rollback",
    audit: Annotated[Path, typer.Option(help="Audit file (JSON lines), appended to.")] = Path(
        "artifacts/rollback/audit.jsonl"
    ),
) -> None:
    """Move the champion alias back to the previous champion, with an audit record."""
    from .promote import rollback as roll_back

    event = roll_back(load_params(params_path), reason, audit)
    typer.echo(f"champion rolled back from version {event.from_version} to {event.to_version}")
    typer.echo(f"audit record -> {audit}")
    typer.echo("a running service serves the new champion once restarted (docs/operations.md)")


@app.command()
@_reports_failures
def predict(
    source: Annotated[
        str, typer.Argument(help="Batch to score (.csv or .parquet; a path or a URI).")
    ],
    destination: Annotated[
        str, typer.Argument(help="Where to write the scored batch (a path or a URI).")
    ],
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    alias: AliasOption = None,
    version: VersionOption = None,
) -> None:
    """Score a file with a registered model (the champion by default)."""
    from .local_registry import check_contract, load
    from .predict import predict_file

    params = load_params(params_path)
    contract = _contract(params)
    model = load(params.mlflow, alias=alias, version=version)
    check_contract(params.mlflow, model, contract)
    rows = predict_file(model.estimator, as_location(source), as_location(destination), contract)
    typer.echo(f"scored {rows} rows with version {model.version} -> {destination}")


@app.command()
@_reports_failures
def smoke(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    source: Annotated[Path, typer.Option("--input", help="Batch to score.", dir_okay=False)] = Path(
        "data/sample.csv"
    ),
) -> None:
    """Train, promote and batch-predict in a throwaway MLflow store (`make smoke`).

    Proves that params.yaml trains a model that passes its gates and scores a batch,
    without adding runs or model versions to your store; one process, so MLflow is
    imported once.
    """
    with _throwaway_store() as store:
        train(params_path, promote_after=True)
        predict(str(source), str(store / "predictions.csv"), params_path)


@contextmanager
def _throwaway_store() -> Iterator[Path]:
    """Point MLflow at a new sqlite store in a temporary directory, then remove it.

    registry.py anchors a sqlite store's artifacts next to its database, so nothing
    of the run is left behind.
    """
    saved = {name: os.environ.get(name) for name in _STORE_SETTINGS}
    with tempfile.TemporaryDirectory(prefix="smoke-") as scratch:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{Path(scratch) / 'mlflow.db'}"
        os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
        try:
            yield Path(scratch)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


_STORE_SETTINGS = ("MLFLOW_TRACKING_URI", "MLFLOW_DISABLE_TELEMETRY")


@app.command()
@_reports_failures
def serve(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    alias: AliasOption = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--model-version",
            # Managed platforms run the image's default command and pin the model
            # with this variable (scripts/deploy.sh); empty means the champion.
            envvar="MODEL_VERSION",
            help="Registry version number (beats --alias).",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (costs ~10% of the throughput).")
    ] = False,
    json_logs: Annotated[
        bool, typer.Option(help="Log JSON lines (for log collectors) instead of text.")
    ] = True,
) -> None:
    """Serve the prediction API (the champion by default)."""
    import uvicorn

    from .observe import use_json_logs
    from .serve import create_app, registry_loader

    # Fail now, not in the loading thread: a bad params.yaml or contract, or a model
    # version that does not exist, is exit 2 before the port opens.
    params = load_params(params_path)
    contract = _contract(params)
    if version:
        from .local_registry import has_version

        if not has_version(params.mlflow, version):
            # Not in a local store (or another store): MLflow looks and words the error.
            from .registry import resolve

            resolve(params.mlflow, version=version)
    # A server's log is all an operator sees: report model loading at INFO.
    if json_logs:
        use_json_logs(logging.INFO)
    logging.getLogger(__package__).setLevel(logging.INFO)
    uvicorn.run(
        create_app(
            registry_loader(params_path, alias, version),
            contract,
            params_path,
            params.serve,
            freeze_heap=True,
        ),
        host=host,
        port=port,
        access_log=access_log,
        # None keeps the handlers set above (uvicorn would install its own).
        log_config=None if json_logs else uvicorn.config.LOGGING_CONFIG,
    )


@app.command()
@_reports_failures
def loadtest(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    base_url: Annotated[
        str, typer.Option(help="Root URL of the running service.")
    ] = "http://127.0.0.1:8000",
    duration: Annotated[
        float | None, typer.Option(help="Seconds to measure [default: params.yaml].")
    ] = None,
    max_requests: Annotated[
        int | None, typer.Option(help="Requests to send at most [default: params.yaml].")
    ] = None,
    report: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path(
        "artifacts/loadtest_report.json"
    ),
    bad_payload: Annotated[
        bool,
        typer.Option(
            help="Send only requests that break the data contract: each must get 422, "
            "and /health must keep answering within 1 s."
        ),
    ] = False,
    records_per_request: Annotated[
        int | None,
        typer.Option(min=1, max=1000, help="Records per request [default: params.yaml]."),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Concurrent clients [default: params.yaml].")
    ] = None,
) -> None:
    """Load-test POST /predict of a running service (exit 1 when a threshold is missed)."""
    from .loadtest import run_load_test

    params = load_params(params_path)
    contract = _contract(params)
    config = params.loadtest
    overrides = {
        "duration_seconds": duration,
        "max_requests": max_requests,
        "records_per_request": records_per_request,
        "concurrency": concurrency,
    }
    config = config.model_validate(
        {**config.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}
    )
    typer.echo(
        f"load test of {base_url}: {config.concurrency} concurrent clients, "
        f"{config.records_per_request} record(s) per request, for {config.duration_seconds:g} s "
        f"or {config.max_requests} requests"
    )
    result = run_load_test(base_url, config, contract, bad=bad_payload)
    result.write_json(report)
    charts = result.write_charts(report)
    outcomes = ", ".join(f"{name}: {count}" for name, count in sorted(result.outcomes.items()))
    typer.echo(f"{result.requests} requests in {result.elapsed_s:.1f} s ({outcomes})")
    probes = result.probes
    typer.echo(
        f"/health probes: {probes['count']:.0f}, failed {probes['failed']:.0f}, "
        f"slowest {probes['max_ms']:.1f} ms (timeout {probes['timeout_ms']:.0f} ms)"
    )
    latency = result.latency_ms
    typer.echo(
        f"latency ms: p50 {latency['p50']:.1f}, p95 {latency['p95']:.1f}, "
        f"p99 {latency['p99']:.1f}, max {latency['max']:.1f}"
    )
    typer.echo("thresholds:")
    for check in result.checks:
        typer.echo(f"  {check.describe()}")
    typer.echo(f"report -> {report} (charts: {', '.join(str(path) for path in charts)})")
    if not result.passed:
        _fail("load test missed its thresholds", ExitCode.CHECK_FAILED)


@app.command()
@_reports_failures
def explain(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    record: Annotated[
        str | None,
        typer.Option(help="The record: a JSON object of feature values."),
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--input", help="Take the record from this CSV/Parquet file.", dir_okay=False),
    ] = None,
    row: Annotated[int, typer.Option(help="Row of --input to explain (0 is the first).")] = 0,
    alias: AliasOption = None,
    version: VersionOption = None,
    log: Annotated[
        bool, typer.Option(help="Also log the explanation as an artifact of the model's run.")
    ] = False,
) -> None:
    """Explain one prediction: each feature's contribution, as JSON on stdout."""
    import json

    from .explain import explain_record, local_artifact_path
    from .local_registry import check_contract, load
    from .validate import validate_features

    params = load_params(params_path)
    contract = _contract(params)
    frame = validate_features(_one_record(record, source, row, contract), contract)
    model = load(params.mlflow, alias=alias, version=version)
    check_contract(params.mlflow, model, contract)
    explanation = {
        "model_name": model.name,
        "model_version": model.version,
        **explain_record(model.estimator, frame).to_dict(),
    }
    if log:
        from .registry import log_run_dict

        path = local_artifact_path()
        log_run_dict(params.mlflow, model.run_id, explanation, path)
        explanation["artifact"] = f"runs:/{model.run_id}/{path}"
    typer.echo(json.dumps(explanation, indent=2))


def _one_record(
    record: str | None, source: Path | None, row: int, contract: "Contract"
) -> "pd.DataFrame":
    import json

    import pandas as pd

    from .ingest import read_table

    if (record is None) == (source is None):
        raise UsageError("give exactly one of --record and --input")
    if record is not None:
        try:
            values = json.loads(record)
        except json.JSONDecodeError as error:
            raise UsageError(f"--record is not valid JSON: {error}") from None
        if not isinstance(values, dict):
            raise UsageError("--record must be a JSON object of feature values")
        return pd.DataFrame([values])
    assert source is not None
    table = read_table(source, contract.text_columns)
    if not 0 <= row < len(table):
        raise UsageError(f"{source} has {len(table)} rows; --row {row} is out of range")
    return table.iloc[[row]].reset_index(drop=True)


@app.command("model-card")
@_reports_failures
def model_card(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    alias: AliasOption = None,
    version: VersionOption = None,
    output: Annotated[
        Path | None, typer.Option(help="Write the card here instead of stdout.", dir_okay=False)
    ] = None,
) -> None:
    """Print the model card (markdown) of a registered version, the champion by default."""
    from .model_card import CARD_ARTIFACT
    from .registry import load_run_text, resolve

    params = load_params(params_path)
    found = resolve(params.mlflow, alias, version)
    card = load_run_text(params.mlflow, found.run_id or "", CARD_ARTIFACT)
    if card is None:
        raise ModelNotFoundError(
            f"{params.mlflow.model_name!r} version {found.version} has no model card "
            "(only versions registered by `train` have one)"
        )
    tags = found.tags or {}
    status = [
        "## Registry status",
        "",
        f"- **Aliases now**: {', '.join(sorted(found.aliases)) or 'none'}",
        f"- **Promotion**: {tags.get('promotion.decision', 'not yet decided')}"
        + (f" ({tags['promotion.reason']})" if "promotion.reason" in tags else ""),
        "",
    ]
    text = card.rstrip("\n") + "\n\n" + "\n".join(status)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        # The card's images are relative links to the run's figures/: copy them beside it.
        from .figures import FIGURE_DIR
        from .registry import download_run_dir

        download_run_dir(params.mlflow, found.run_id or "", FIGURE_DIR, output.parent)
        typer.echo(f"model card of version {found.version} -> {output}")


@app.command()
@_reports_failures
def drift(
    current: Annotated[
        str,
        typer.Argument(
            help="Recent batch (.csv or .parquet), or a directory of the service's captures "
            "(a path or an s3://, gs://, az:// URI)."
        ),
    ],
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    reference: Annotated[
        str | None,
        typer.Option(help="Reference table [default: training data of the --alias model]."),
    ] = None,
    alias: AliasOption = None,
    report: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path(
        "artifacts/drift_report.json"
    ),
) -> None:
    """Check a batch: its data contract, then drift of the rows that meet it.

    Exit 4 when rows broke the contract (a broken feed: alert, do not retrain), else 1
    on drift (retrain), 0 otherwise. The reports (JSON and HTML charts) replace any
    earlier ones; the JSON names its run id.
    """
    import uuid

    from .monitor import (
        CONTRACT,
        DRIFT,
        detect_drift,
        read_batch,
        split_by_contract,
        write_monitor_report,
    )
    from .validate import validate_features

    # Never leave an earlier run's report where this run's is expected.
    html_report = report.with_suffix(".html")
    report.unlink(missing_ok=True)
    html_report.unlink(missing_ok=True)
    run_id = os.environ.get("GITHUB_RUN_ID") or uuid.uuid4().hex
    params = load_params(params_path)
    contract = _contract(params)
    split = split_by_contract(read_batch(as_location(current), contract, "CURRENT"), contract)
    if split.report is not None:
        typer.echo(split.report, err=True)
    result = None
    if not split.valid.empty:
        baseline = validate_features(_reference(params, reference, alias, contract), contract)
        result = detect_drift(baseline, split.valid, contract, params.drift)
        from .drift_report import write_html

        write_html(baseline, split.valid, result.to_dict(), html_report)
        _echo_drift(result, params)
    elif split.failing_rows == 0:
        raise DataSourceError(f"{current}: no rows to compare")
    verdict = write_monitor_report(report, split, result, run_id)
    charts = f" (charts: {html_report})" if result is not None else ""
    typer.echo(f"report -> {report} (run {run_id}){charts}")
    rows = len(split.valid) + split.failing_rows
    if verdict == CONTRACT:
        _fail(
            f"{split.failing_rows} of {rows} rows broke the data contract: the feed is "
            "broken (drift was checked on the other rows; do not retrain on this batch)",
            ExitCode.CONTRACT_BROKEN,
        )
    if verdict == DRIFT and result is not None:
        _fail(
            f"drift detected in {len(result.drifted_features)} of {len(result.features)} "
            f"features: {', '.join(result.drifted_features)}",
            ExitCode.CHECK_FAILED,
        )
    typer.echo("no drift detected")


def _echo_drift(result: "DriftReport", params: Params) -> None:
    width = max(len(feature.feature) for feature in result.features)
    typer.echo(f"{'feature'.ljust(width)}  {'psi':>8}  {'test':>4}  {'p-value':>10}  drifted")
    for feature in result.features:
        flag = "DRIFT" if feature.drifted else "-"
        name = feature.feature.ljust(width)
        typer.echo(
            f"{name}  {feature.psi:>8.3f}  {feature.test:>4}  {feature.pvalue:>10.4f}  {flag}"
        )
    typer.echo(
        f"(a feature drifts when psi >= {params.drift.psi_threshold:g} "
        f"and the test's p-value < {params.drift.ks_pvalue_threshold:g})"
    )


@app.command()
@_reports_failures
def performance(
    captured: Annotated[
        str, typer.Argument(help="Directory (or URI prefix) of the service's captures.")
    ],
    feedback: Annotated[
        str,
        typer.Argument(help="Labels: .csv or .parquet with request_id, row and the target."),
    ],
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    min_rows: Annotated[
        int, typer.Option(min=1, help="Labelled predictions needed to judge.")
    ] = 30,
    report: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path(
        "artifacts/performance_report.json"
    ),
) -> None:
    """Live performance: captured predictions joined to feedback labels by request id,
    scored and checked against the quality gates (exit 1 on a breach)."""
    import json

    from .contract import conform_target
    from .evaluate import check_gates, gates_passed
    from .ingest import read_table
    from .metrics import prediction_metrics
    from .monitor import join_feedback, read_batch

    report.unlink(missing_ok=True)
    params = load_params(params_path)
    contract = _contract(params)
    target = contract.target
    labels = read_table(
        as_location(feedback),
        [target.name] if target.task == "classification" else [],
        key="FEEDBACK",
    )
    captures = read_batch(as_location(captured), contract, "CAPTURED")
    joined = join_feedback(captures, labels, target.name)
    if len(joined) < min_rows:
        raise DataSourceError(
            f"only {len(joined)} captured predictions have a label (need --min-rows {min_rows})"
        )
    # Labels and predictions in the contract's representation: a label read back
    # from CSV or JSON compares equal to the one the model predicted.
    live = prediction_metrics(
        conform_target(target, joined[target.name]), conform_target(target, joined["prediction"])
    )
    judged = {name: gate for name, gate in params.gates.items() if name in live}
    results = check_gates(live, judged)
    report.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "rows": len(joined),
        "metrics": live,
        "passed": gates_passed(results),
        "gates": [{"metric": r.metric, "value": r.value, "passed": r.passed} for r in results],
    }
    report.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    _echo_metrics(f"live performance on {len(joined)} labelled predictions", live)
    _echo_gates(results)
    typer.echo(f"report -> {report}")
    if not gates_passed(results):
        _fail("live performance breaks the quality gates", ExitCode.CHECK_FAILED)


def _reference(
    params: Params, path: str | None, alias: str | None, contract: "Contract"
) -> "pd.DataFrame":
    if path is not None:
        from .ingest import read_table

        return read_table(as_location(path), contract.text_columns, key="--reference")
    from .registry import load_reference

    return load_reference(params.mlflow, alias)


def _write_json(path: Path | None, body: Mapping[str, object]) -> None:
    if path is None:
        return
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


def _contract(params: Params) -> "Contract":
    from .contract import load_contract

    return load_contract(params.data.contract)


def _echo_metrics(title: str, metrics: Mapping[str, float]) -> None:
    typer.echo(f"{title}:")
    for name, value in metrics.items():
        typer.echo(f"  {name:<20} {value:.4f}")


def _echo_gates(gates: Sequence["GateResult"]) -> None:
    typer.echo("quality gates:")
    for gate in gates:
        typer.echo(f"  {gate.describe()}")


def _fail(message: str, code: ExitCode) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except Exception:
        traceback.print_exc()
        typer.secho("unexpected error (exit code 3), see the traceback above", err=True)
        sys.exit(ExitCode.ERROR)
