"""Register: MLflow tracking and model registry.

By default runs and models go to a local sqlite store (params.yaml: mlflow.tracking_uri);
set MLFLOW_TRACKING_URI to use a shared tracking server instead. Registered versions
carry the aliases ``challenger`` (newest model that passed its gates) and ``champion``
(the model in production); see promote.py for how the champion changes.

Importing mlflow takes seconds, so only commands that talk to the registry import
this module.
"""

import hashlib
import logging
import tempfile
from collections.abc import Mapping
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import mlflow
import mlflow.sklearn
import pandas as pd
import yaml
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from .config import MlflowConfig, Params
from .contract import Contract
from .errors import ModelNotFoundError
from .features import features_and_target
from .predict import LoadedModel

CHAMPION = "champion"
CHALLENGER = "challenger"
REFERENCE_ARTIFACT = "reference/training_data.parquet"
CONTRACT_ARTIFACT = "contract.yaml"

logger = logging.getLogger(__name__)
# We pass pip requirements explicitly, so MLflow's fallback warning about not finding
# pip in a uv-managed environment is noise.
logging.getLogger("mlflow.utils.environment").setLevel(logging.ERROR)


def configure(config: MlflowConfig) -> None:
    """Point MLflow at the configured store and experiment, creating the experiment."""
    uri = config.resolved_tracking_uri
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(config.experiment) is None:
        mlflow.create_experiment(config.experiment, artifact_location=_artifact_location(uri))
    mlflow.set_experiment(config.experiment)


def _artifact_location(tracking_uri: str) -> str | None:
    """Artifacts of a sqlite store go to ``mlruns/`` next to the database file.

    MLflow's own default is ``./mlruns`` in whatever directory the first run happened
    in; anchoring it to the database keeps a store self-contained (a throwaway store
    in a temporary directory stays there). Tracking servers choose for themselves.
    """
    parsed = urlparse(tracking_uri)
    if parsed.scheme != "sqlite" or not parsed.path or parsed.path == "/:memory:":
        return None
    database = Path(unquote(parsed.path[1:]))  # sqlite:///rel.db -> "/rel.db"
    return (database.resolve().parent / "mlruns").as_uri()


def data_digest(frame: pd.DataFrame) -> str:
    """Short content hash of a table, to tell whether two runs saw the same data."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


def log_training_run(
    params: Params,
    model: Any,
    train: pd.DataFrame,
    contract: Contract,
    metrics: Mapping[str, float],
    *,
    register: bool,
    tags: Mapping[str, str] | None = None,
    artifacts: Mapping[str, Mapping[str, Any]] | None = None,
    trusted_types: list[str] | None = None,
) -> tuple[str, str | None]:
    """Log one training run; register the model when asked.

    Returns the run id and the new model version (None when not registered). The
    training table is logged as the drift reference of the model; ``artifacts`` maps
    artifact paths to JSON documents to log with it (e.g. explanations).
    """
    configure(params.mlflow)
    X_train, _ = features_and_target(train, contract)
    with mlflow.start_run() as run:
        mlflow.log_params(
            {
                "model.type": params.model.type,
                **{f"model.{key}": value for key, value in params.model.hyperparameters.items()},
                "split.test_size": params.split.test_size,
                "split.random_state": params.split.random_state,
                "data.path": str(params.data.path),
            }
        )
        mlflow.set_tags(
            {"data.digest": data_digest(train), "data.train_rows": len(train), **(tags or {})}
        )
        mlflow.log_metrics(dict(metrics))
        mlflow.log_dict(params.model_dump(mode="json"), "params.json")
        # The contract the model was trained under, next to the model it describes.
        mlflow.log_text(contract.to_yaml(), CONTRACT_ARTIFACT)
        for path, document in (artifacts or {}).items():
            mlflow.log_dict(dict(document), path)
        with tempfile.TemporaryDirectory() as scratch:
            reference = Path(scratch) / Path(REFERENCE_ARTIFACT).name
            train.to_parquet(reference, index=False)
            mlflow.log_artifact(str(reference), artifact_path=Path(REFERENCE_ARTIFACT).parent.name)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=params.mlflow.model_name if register else None,
            # The signature documents the input columns and types in the registry;
            # MLflow's generic (pyfunc) loaders, e.g. `mlflow models serve`, enforce it.
            signature=infer_signature(X_train, model.predict(X_train)),
            # skops, unlike pickle, cannot run arbitrary code when a model is loaded.
            # It only loads types it trusts: scikit-learn's own estimators are fine,
            # other types (tree internals) are declared per model type in train.py.
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
            skops_trusted_types=trusted_types,
            # Listing the requirements ourselves keeps them exact and skips MLflow's
            # slow import-tracing inference, which also picks up test tooling.
            pip_requirements=[
                f"scikit-learn=={installed_version('scikit-learn')}",
                f"skops=={installed_version('skops')}",
            ],
        )
    new_version = info.registered_model_version if register else None
    if new_version is not None:
        set_alias(params.mlflow, CHALLENGER, str(new_version))
    return run.info.run_id, None if new_version is None else str(new_version)


def trained_contract(config: MlflowConfig, run_id: str) -> Contract | None:
    """The contract a run's model was trained under (None when the run has none)."""
    text = load_run_text(config, run_id, CONTRACT_ARTIFACT)
    if text is None:
        return None
    try:
        return Contract.model_validate(yaml.safe_load(text))
    except (ValueError, yaml.YAMLError):
        return None


def fits_contract(config: MlflowConfig, model: LoadedModel, contract: Contract) -> bool:
    """Whether ``model`` was trained on the features and target ``contract`` names."""
    trained = trained_contract(config, model.run_id)
    return trained is not None and trained.schema_key() == contract.schema_key()


def check_contract(config: MlflowConfig, model: LoadedModel, contract: Contract) -> None:
    """Refuse a model trained under another contract (other features or target)."""
    if not fits_contract(config, model, contract):
        raise ModelNotFoundError(
            f"{config.model_name!r} version {model.version} was trained under another data "
            "contract (other features or target than contract.yaml): run `train` "
            "(and `promote`) first"
        )


def find_version(config: MlflowConfig, alias: str) -> ModelVersion | None:
    """The model version holding ``alias``, or None when there is none."""
    configure(config)
    client = MlflowClient()
    version = _aliased_version(client, config, alias)
    return None if version is None else client.get_model_version(config.model_name, version)


def alias_version(config: MlflowConfig, alias: str) -> str | None:
    """The version number ``alias`` names now, None when it names none: one request,
    cheap enough for a running service to ask every few seconds (serve.py)."""
    client = MlflowClient(tracking_uri=config.resolved_tracking_uri)
    return _aliased_version(client, config, alias)


def _aliased_version(client: MlflowClient, config: MlflowConfig, alias: str) -> str | None:
    try:
        registered = client.get_registered_model(config.model_name)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise
    # Looking the alias up in the model's alias map, rather than asking for the alias
    # directly, tells "no such alias" apart from real errors (MLflow reports both as
    # INVALID_PARAMETER_VALUE).
    version = registered.aliases.get(alias)
    return None if version is None else str(version)


def get_version(config: MlflowConfig, version: str) -> ModelVersion:
    if not version.isdigit():
        raise ModelNotFoundError(
            f"model version {version!r} is not a version number (1, 2, ...); "
            "check --model-version or MODEL_VERSION"
        )
    configure(config)
    try:
        return MlflowClient().get_model_version(config.model_name, version)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ModelNotFoundError(
                f"model {config.model_name!r} has no version {version}"
            ) from None
        raise


def resolve(
    config: MlflowConfig, alias: str | None = None, version: str | None = None
) -> ModelVersion:
    """The version named by number, else by alias (champion when neither is given)."""
    if version is not None:
        return get_version(config, version)
    alias = alias or CHAMPION
    found = find_version(config, alias)
    if found is None:
        hint = "run `train`" if alias == CHALLENGER else "run `train` then `promote`"
        raise ModelNotFoundError(
            f"model {config.model_name!r} has no version with alias {alias!r}: {hint} first"
        )
    return found


def load(config: MlflowConfig, alias: str | None = None, version: str | None = None) -> LoadedModel:
    """Load a registered model with the metadata the API and reports show."""
    model_version = resolve(config, alias, version)
    estimator = mlflow.sklearn.load_model(f"models:/{config.model_name}/{model_version.version}")
    run = MlflowClient().get_run(model_version.run_id) if model_version.run_id else None
    logger.debug("loaded %s version %s", config.model_name, model_version.version)
    return LoadedModel(
        estimator=estimator,
        name=config.model_name,
        version=str(model_version.version),
        run_id=model_version.run_id or "",
        aliases=tuple(sorted(model_version.aliases)),
        metrics=dict(run.data.metrics) if run else {},
    )


def load_reference(config: MlflowConfig, alias: str | None = None) -> pd.DataFrame:
    """The training snapshot logged with the model under ``alias`` (drift reference)."""
    model_version = resolve(config, alias)
    with tempfile.TemporaryDirectory() as scratch:
        path = mlflow.artifacts.download_artifacts(
            run_id=model_version.run_id, artifact_path=REFERENCE_ARTIFACT, dst_path=scratch
        )
        return pd.read_parquet(path)


def set_alias(config: MlflowConfig, alias: str, version: str) -> None:
    configure(config)
    MlflowClient().set_registered_model_alias(config.model_name, alias, version)


def delete_alias(config: MlflowConfig, alias: str) -> None:
    configure(config)
    MlflowClient().delete_registered_model_alias(config.model_name, alias)


def tag_version(config: MlflowConfig, version: str, tags: Mapping[str, str]) -> None:
    configure(config)
    client = MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(config.model_name, version, key, value)


def log_run_text(config: MlflowConfig, run_id: str, text: str, path: str) -> None:
    """Add a text artifact to a (finished) run, e.g. the model card of its version."""
    configure(config)
    MlflowClient().log_text(run_id, text, path)


def log_run_dict(config: MlflowConfig, run_id: str, document: Mapping[str, Any], path: str) -> None:
    """Add a JSON artifact to a (finished) run."""
    configure(config)
    MlflowClient().log_dict(run_id, dict(document), path)


def load_run_text(config: MlflowConfig, run_id: str, path: str) -> str | None:
    """A text artifact of a run, or None when the run has no such artifact."""
    configure(config)
    try:
        return mlflow.artifacts.load_text(f"runs:/{run_id}/{path}")
    except (MlflowException, OSError):
        return None


def log_run_files(
    config: MlflowConfig, run_id: str, files: Mapping[str, bytes], artifact_path: str
) -> None:
    """Add files (name -> content), e.g. figures, to a run under ``artifact_path``."""
    configure(config)
    with tempfile.TemporaryDirectory() as scratch:
        for name, content in files.items():
            (Path(scratch) / name).write_bytes(content)
        MlflowClient().log_artifacts(run_id, scratch, artifact_path)


def download_run_dir(config: MlflowConfig, run_id: str, artifact_path: str, dst: Path) -> bool:
    """Copy a run's artifact directory into ``dst``; False when the run has none."""
    configure(config)
    dst.mkdir(parents=True, exist_ok=True)
    try:
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=artifact_path, dst_path=str(dst)
        )
    except (MlflowException, OSError):
        return False
    return True
