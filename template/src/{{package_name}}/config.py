"""Typed view of params.yaml, the single configuration file of the pipeline.

Every command loads its settings through :func:`load_params`, so a typo or an
out-of-range value fails before any data is read or any model is trained.
Relative paths are resolved against the working directory: run commands from the
project root (the Makefile does).
"""

import os
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import yamlfile
from .errors import ConfigError
from .metrics import HIGHER_IS_BETTER, METRIC_RANGES
from .storage import FILESYSTEM_PACKAGES, as_location, scheme, suffix

DEFAULT_PARAMS_PATH = Path("params.yaml")
TABLE_SUFFIXES = (".csv", ".parquet")


class _Section(BaseModel):
    # extra="forbid": a misspelt key is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    # The training table; `make contract` points it at the file it read. A local path,
    # or an object-store URI (s3://, gs://, az://, abfs://; storage.py), kept as text.
    path: Path | str
    # The data contract the table must meet (contract.py).
    contract: Path = Path("contract.yaml")

    @field_validator("path", mode="before")
    @classmethod
    def _local_or_uri(cls, value: Any) -> Any:
        return as_location(value)

    @field_validator("path")
    @classmethod
    def _readable_format(cls, path: Path | str) -> Path | str:
        if scheme(path) and scheme(path) not in FILESYSTEM_PACKAGES:
            supported = ", ".join(f"{name}://" for name in FILESYSTEM_PACKAGES)
            raise ValueError(f"unsupported scheme {scheme(path)}:// in {path} (use {supported})")
        if suffix(path) not in TABLE_SUFFIXES:
            raise ValueError(f"expected a {' or '.join(TABLE_SUFFIXES)} file, got {path}")
        return path


class SplitConfig(_Section):
    test_size: float = Field(gt=0, lt=1)
    random_state: int


class Gate(_Section):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _has_a_bound(self) -> Self:
        if self.min is None and self.max is None:
            raise ValueError("a gate needs `min`, `max` or both")
        return self


ModelType = Literal["linear", "random_forest", "hist_gradient_boosting"]


class ModelConfig(_Section):
    # The estimator family (train.py maps it to the classifier or regressor).
    type: ModelType = "linear"
    # Keyword arguments of that estimator; train.py checks names and values.
    hyperparameters: dict[str, Any] = Field(default_factory=dict)


class PromotionConfig(_Section):
    metric: str
    # Absolute improvement, in the metric's own unit, the challenger needs over the
    # champion. Retraining on unchanged data should not churn the production model.
    min_improvement: float = Field(ge=0)
    # For this long after a promotion, a failing health check of the service is blamed
    # on the new model: the monitor falls back to the previous champion. Later, it only
    # raises an alert (`promoted-recently`, docs/operations.md).
    fallback_window_hours: float = Field(default=24, gt=0, le=8760)


class DriftConfig(_Section):
    psi_threshold: float = Field(gt=0)
    ks_pvalue_threshold: float = Field(gt=0, lt=1)
    bins: int = Field(ge=2)
    max_drifted_share: float = Field(ge=0, lt=1)


class ExplainConfig(_Section):
    # Permutation importance on the holdout: each feature is shuffled this many
    # times and the drop of the promotion metric averaged.
    permutation_repeats: int = Field(ge=1, le=100)
    # How many of the most important features the model card lists.
    top_features: int = Field(ge=1)


class LoadTestThresholds(_Section):
    p95_ms: float = Field(gt=0)
    p99_ms: float = Field(gt=0)
    # Successful requests per second over the measured phase.
    min_throughput_rps: float = Field(ge=0)
    # Share of requests that failed (not a 200, or no answer in time).
    max_error_rate: float = Field(ge=0, le=1)


class LoadTestConfig(_Section):
    # Rows to send, cycled; they must meet the feature contract.
    payload: Path
    records_per_request: int = Field(ge=1, le=1000)
    concurrency: int = Field(ge=1, le=1000)
    # The measured phase ends at whichever limit comes first.
    duration_seconds: float = Field(gt=0, le=3600)
    max_requests: int = Field(ge=1)
    warmup_requests: int = Field(ge=0)
    request_timeout_seconds: float = Field(gt=0)
    # How long to wait for /ready before giving up (a fresh deployment loads its model).
    ready_timeout_seconds: float = Field(ge=0)
    thresholds: LoadTestThresholds


class CaptureConfig(_Section):
    # Where the service appends a sample of its requests and predictions (JSON lines,
    # one file per process and hour); the monitor reads them as its batch. A local
    # directory or an fsspec URL such as s3://bucket/prefix (with that fsspec backend
    # installed). None turns capture off.
    path: str | None = None
    # Share of successful /predict requests captured, 0 to 1.
    sample_rate: float = Field(default=1.0, ge=0, le=1)


class ServeConfig(_Section):
    # Largest request body read, in bytes; a larger one gets 413 before it is parsed.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Errors listed in a 422 answer; the answer also gives the total count.
    max_errors: int = Field(default=20, ge=1, le=1000)
    # Seconds between two checks of which version the served alias (the champion)
    # names; a new version is loaded in the background and swapped in. 0 turns the
    # checks off; a service started on a pinned version (MODEL_VERSION) never checks.
    reload_seconds: float = Field(default=30, ge=0, le=86_400)
    capture: CaptureConfig = CaptureConfig()


class MlflowConfig(_Section):
    tracking_uri: str
    experiment: str = Field(min_length=1)
    model_name: str = Field(min_length=1)

    @property
    def resolved_tracking_uri(self) -> str:
        """MLFLOW_TRACKING_URI wins over params.yaml, as everywhere else in MLflow."""
        return os.environ.get("MLFLOW_TRACKING_URI") or self.tracking_uri


class Params(_Section):
    data: DataConfig
    split: SplitConfig
    model: ModelConfig = Field(default_factory=ModelConfig)
    gates: dict[str, Gate]
    promotion: PromotionConfig
    drift: DriftConfig
    explain: ExplainConfig
    loadtest: LoadTestConfig
    # Optional: the defaults suit a service behind a cluster's ingress.
    serve: ServeConfig = ServeConfig()
    mlflow: MlflowConfig

    @model_validator(mode="after")
    def _known_metrics(self) -> Self:
        known = sorted(HIGHER_IS_BETTER)
        for where, name in [
            *((f"gates.{name}", name) for name in self.gates),
            ("promotion.metric", self.promotion.metric),
        ]:
            if name not in HIGHER_IS_BETTER:
                raise ValueError(f"{where}: unknown metric {name!r}, expected one of {known}")
        for name, gate in self.gates.items():
            low, high = METRIC_RANGES[name]
            for side, bound in (("min", gate.min), ("max", gate.max)):
                if bound is not None and not low <= bound <= high:
                    raise ValueError(
                        f"gates.{name}.{side}: {bound:g} is outside the range of {name} "
                        f"[{low:g}, {high:g}]"
                    )
            if gate.min is not None and gate.max is not None and gate.min > gate.max:
                raise ValueError(f"gates.{name}: min {gate.min:g} is above max {gate.max:g}")
        return self


def load_params(path: Path = DEFAULT_PARAMS_PATH) -> Params:
    """Read and validate params.yaml; raise :class:`ConfigError` with every problem found."""
    try:
        raw = yamlfile.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such parameter file") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {yamlfile.describe(error)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        problems = "\n".join(
            f"  {'.'.join(str(part) for part in issue['loc']) or '<root>'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigError(f"{path}: invalid parameters\n{problems}") from None
