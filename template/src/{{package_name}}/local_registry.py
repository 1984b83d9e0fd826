"""Load a registered model from a local sqlite MLflow store without importing MLflow.

Importing mlflow and opening its store (SQLAlchemy, alembic's schema check) costs
several seconds per process, more than scoring a batch. When the tracking URI is a
local sqlite file, the few facts ``predict``, ``evaluate`` and ``explain`` need (which
version an alias names, where its model lives, its run's metrics) are one indexed
query each, and the model itself is a skops file next to the database. Everything
else (a tracking server, another database, a model not saved with skops, a name,
alias or version the store does not have, a schema this module does not know)
goes through :func:`registry.load`, so errors and remote stores behave exactly as
before. ``tests/test_local_registry.py`` checks that both paths load the same model.
"""

import logging
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from .config import MlflowConfig
from .contract import Contract
from .predict import LoadedModel

logger = logging.getLogger(__name__)

CHAMPION = "champion"  # registry.CHAMPION, repeated so this module never imports mlflow
CONTRACT_ARTIFACT = "contract.yaml"  # registry.CONTRACT_ARTIFACT, likewise
# MLflow marks deleted versions with this stage instead of removing their rows.
_DELETED_STAGE = "Deleted_Internal"
# Settings that change what MLflow reads from the store; when one is set, let MLflow do it.
_MLFLOW_ONLY_SETTINGS = ("MLFLOW_ENABLE_WORKSPACES", "MLFLOW_WORKSPACE", "MLFLOW_REGISTRY_URI")


def load(config: MlflowConfig, alias: str | None = None, version: str | None = None) -> LoadedModel:
    """The model :func:`registry.load` returns, read directly when the store allows it."""
    try:
        model = load_local(config, alias, version)
    except (sqlite3.Error, OSError, yaml.YAMLError, KeyError, TypeError) as error:
        logger.debug("local registry read failed (%s); using MLflow", error)
        model = None
    if model is not None:
        return model
    from .registry import load as load_with_mlflow

    return load_with_mlflow(config, alias=alias, version=version)


def alias_version(config: MlflowConfig, alias: str = CHAMPION) -> str | None:
    """The version number ``alias`` names now (None when none): one indexed query on a
    local sqlite store, :func:`registry.alias_version` (one MLflow request) otherwise."""
    database = None
    if not any(os.environ.get(name) for name in _MLFLOW_ONLY_SETTINGS):
        database = sqlite_database(config.resolved_tracking_uri)
    if database is not None and database.is_file():
        try:
            with closing(_connect(database)) as db:
                row = db.execute(
                    "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
                    (config.model_name, alias),
                ).fetchone()
        except sqlite3.Error as error:
            logger.debug("local alias read failed (%s); using MLflow", error)
        else:
            return None if row is None else str(row[0])
    from .registry import alias_version as alias_version_with_mlflow

    return alias_version_with_mlflow(config, alias)


def has_version(config: MlflowConfig, version: str) -> bool:
    """Whether a local sqlite store holds ``version`` of the model, ready to load; False
    when it does not or when only MLflow can tell (any other store)."""
    if any(os.environ.get(name) for name in _MLFLOW_ONLY_SETTINGS):
        return False
    database = sqlite_database(config.resolved_tracking_uri)
    if database is None or not database.is_file():
        return False
    try:
        return _find_version(database, config.model_name, None, version) is not None
    except sqlite3.Error as error:
        logger.debug("local registry read failed (%s); using MLflow", error)
        return False


def sqlite_database(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI, None for any other store."""
    parsed = urlparse(tracking_uri)
    if parsed.scheme != "sqlite" or parsed.query or not parsed.path or parsed.netloc:
        return None
    if parsed.path == "/:memory:":
        return None
    return Path(unquote(parsed.path[1:]))  # sqlite:///rel.db -> "/rel.db"


def check_contract(config: MlflowConfig, model: LoadedModel, contract: Contract) -> None:
    """:func:`registry.check_contract`, reading the run's contract from a local store.

    Only a match is decided here; anything else (no local store, no contract logged, a
    mismatch) goes to MLflow, which also words the refusal.
    """
    try:
        trained = _local_run_contract(config, model.run_id)
    except (sqlite3.Error, OSError, yaml.YAMLError, ValueError) as error:
        logger.debug("local contract read failed (%s); using MLflow", error)
        trained = None
    if trained is not None and trained.schema_key() == contract.schema_key():
        return
    from .registry import check_contract as check_with_mlflow

    check_with_mlflow(config, model, contract)


def _local_run_contract(config: MlflowConfig, run_id: str) -> Contract | None:
    """The contract logged with ``run_id``, read from a local sqlite store's artifacts."""
    if any(os.environ.get(name) for name in _MLFLOW_ONLY_SETTINGS):
        return None
    database = sqlite_database(config.resolved_tracking_uri)
    if database is None or not database.is_file() or not run_id:
        return None
    with closing(_connect(database)) as db:
        row = db.execute("SELECT artifact_uri FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()
    if row is None or not row[0]:
        return None
    parsed = urlparse(row[0])
    if parsed.scheme not in {"", "file"} or parsed.netloc not in {"", "localhost"}:
        return None
    path = Path(unquote(parsed.path)) / CONTRACT_ARTIFACT
    if not path.is_file():
        return None
    return Contract.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_local(
    config: MlflowConfig, alias: str | None = None, version: str | None = None
) -> LoadedModel | None:
    """Read the model from a local sqlite store; None when MLflow has to do it."""
    if any(os.environ.get(name) for name in _MLFLOW_ONLY_SETTINGS):
        return None
    if os.environ.get("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "").lower() in {"false", "0"}:
        return None  # MLflow refuses to load; let it say why
    database = sqlite_database(config.resolved_tracking_uri)
    if database is None or not database.is_file():
        return None
    found = _find_version(database, config.model_name, alias, version)
    if found is None:
        return None
    number, run_id, storage = found
    estimator = _load_skops_model(storage)
    if estimator is None:
        return None
    aliases, metrics = _version_facts(database, config.model_name, number, run_id)
    logger.debug("loaded %s version %s from %s", config.model_name, number, database)
    return LoadedModel(
        estimator=estimator,
        name=config.model_name,
        version=number,
        run_id=run_id,
        aliases=aliases,
        metrics=metrics,
    )


def _connect(database: Path) -> sqlite3.Connection:
    """Read-only: this path must never create, migrate or lock the store for writing."""
    return sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)


def _find_version(
    database: Path, name: str, alias: str | None, version: str | None
) -> tuple[str, str, str] | None:
    """(version, run id, storage location) of the version named by number or alias."""
    with closing(_connect(database)) as db:
        if version is None:
            row = db.execute(
                "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
                (name, alias or CHAMPION),
            ).fetchone()
            if row is None:
                return None
            version = str(row[0])
        if not version.isdigit():
            return None
        row = db.execute(
            "SELECT version, run_id, storage_location, status FROM model_versions"
            " WHERE name = ? AND version = ? AND current_stage != ?",
            (name, int(version), _DELETED_STAGE),
        ).fetchone()
    if row is None or row[3] != "READY" or not row[2]:
        return None
    return str(row[0]), row[1] or "", row[2]


def _load_skops_model(storage_location: str) -> Any | None:
    """Load the model MLflow saved with the skops format, as mlflow.sklearn would."""
    parsed = urlparse(storage_location)
    if parsed.scheme != "file" or parsed.netloc not in {"", "localhost"}:
        return None
    directory = Path(unquote(parsed.path))
    mlmodel = yaml.safe_load((directory / "MLmodel").read_text(encoding="utf-8"))
    flavor = (mlmodel.get("flavors") or {}).get("sklearn") or {}
    if flavor.get("serialization_format") != "skops" or flavor.get("code"):
        return None
    import skops.io

    return skops.io.load(
        directory / flavor["pickled_model"], trusted=flavor.get("skops_trusted_types")
    )


def _version_facts(
    database: Path, name: str, version: str, run_id: str
) -> tuple[tuple[str, ...], dict[str, float]]:
    """The aliases on a version and its run's latest metrics."""
    with closing(_connect(database)) as db:
        aliases = db.execute(
            "SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ?",
            (name, int(version)),
        ).fetchall()
        metrics = db.execute(
            "SELECT key, value, is_nan FROM latest_metrics WHERE run_uuid = ?", (run_id,)
        ).fetchall()
    return (
        tuple(sorted(alias for (alias,) in aliases)),
        {key: float("nan") if is_nan else float(value) for key, value, is_nan in metrics},
    )
