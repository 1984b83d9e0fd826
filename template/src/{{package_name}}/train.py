"""Train: fit the model, score it on the holdout, log it and register it if it passes."""

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from .config import ModelConfig, Params
from .contract import Contract, load_contract
from .errors import ConfigError
from .evaluate import Evaluation, evaluate_model
from .explain import GLOBAL_ARTIFACT, GlobalExplanation, permutation_importances
from .features import build_preprocessor, features_and_target, holdout_split
from .ingest import load_dataset
from .metrics import TASK
from .model_card import CARD_ARTIFACT, FACTS_ARTIFACT, CardInputs, card_facts, render
from .predict import LoadedModel
from .promote import ScoredChallenger
from .storage import data_version as stored_data_version
from .validate import validate_training_data

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

# Types inside each fitted model that skops does not trust by default: MLflow stores the
# model with skops (which, unlike pickle, cannot run code while loading) and loads
# only these extra types. Anything else in a model (a custom class) fails at logging.
SKOPS_TRUSTED_TYPES: dict[str, list[str]] = {
    "linear": ["numpy.dtype"],
    "random_forest": ["numpy.dtype", "sklearn.tree._tree.Tree"],
    "hist_gradient_boosting": [
        "numpy.dtype",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    ],
}


def _estimator_class(model_type: str) -> type[BaseEstimator]:
    """The scikit-learn class of params.yaml's model.type for this project's task."""
    from sklearn import ensemble, linear_model

    classes: dict[str, tuple[Any, Any]] = {
        "linear": (linear_model.LogisticRegression, linear_model.Ridge),
        "random_forest": (ensemble.RandomForestClassifier, ensemble.RandomForestRegressor),
        "hist_gradient_boosting": (
            ensemble.HistGradientBoostingClassifier,
            ensemble.HistGradientBoostingRegressor,
        ),
    }
    classifier, regressor = classes[model_type]
    return classifier if TASK == "classification" else regressor


def build_estimator(config: ModelConfig) -> BaseEstimator:
    """The configured estimator; a hyperparameter it does not know or a value out of
    its range is a :class:`ConfigError` naming the key."""
    cls = _estimator_class(config.type)
    known = cls().get_params()
    for name in config.hyperparameters:
        if name not in known:
            raise ConfigError(
                f"model.hyperparameters.{name}: not a parameter of {cls.__name__} "
                f"(model.type {config.type}); expected one of {sorted(known)}"
            )
    estimator = cls(**config.hyperparameters)
    try:
        estimator._validate_params()
    except InvalidParameterError as error:
        raise ConfigError(f"model.hyperparameters: {error}") from None
    return estimator


def build_model(config: ModelConfig, contract: Contract) -> Pipeline:
    """Feature transformations and estimator as one pipeline.

    The linear default (a regularised logistic or ridge regression on scaled
    features) is a strong, explainable baseline on small tabular data; the tree
    ensembles capture interactions on larger data. Re-check the gates after a switch.
    """
    return Pipeline(
        [("features", build_preprocessor(contract)), ("estimator", build_estimator(config))]
    )


@dataclass(frozen=True)
class TrainingResult:
    run_id: str
    evaluation: Evaluation
    # None when a gate failed: such a model is logged for inspection, not registered.
    model_version: str | None
    explanation: GlobalExplanation
    # The registered challenger, scored, for `promote` in the same process; None when
    # the model was not registered.
    challenger: "ScoredChallenger | None" = None


def train(params: Params, table: "pd.DataFrame | None" = None) -> TrainingResult:
    """Run ingest -> validate -> split -> fit -> evaluate -> explain -> log (and register,
    with a model card).

    ``table`` is the raw training table when the caller has read it already (`tune`
    does); by default it is read from params.yaml's data.path.
    """
    # Imported here so the pure modules above stay importable without MLflow.
    from .registry import CHALLENGER, data_digest, log_training_run

    contract = load_contract(params.data.contract)
    model = build_model(params.model, contract)  # bad hyperparameters fail before reading
    if table is None:
        table = load_dataset(params.data, contract.text_columns)
    frame = validate_training_data(table, contract)
    split = holdout_split(frame, params.split, contract)
    X_train, y_train = features_and_target(split.train, contract)
    logger.info("training on %d rows, holding out %d", len(split.train), len(split.holdout))
    model.fit(X_train, y_train)
    evaluation = evaluate_model(model, split.holdout, params, contract)
    explanation = permutation_importances(
        model,
        split.holdout,
        contract,
        params.promotion.metric,
        repeats=params.explain.permutation_repeats,
        seed=params.split.random_state,
    )
    digest = data_digest(frame)
    # The exact file or object read, as its store identifies it (storage.data_version):
    # with DVC, the md5 that DVC committed.
    data_version, version_source = stored_data_version(params.data.path, "data.path")
    run_id, version = log_training_run(
        params,
        model,
        split.train,
        contract,
        evaluation.metrics,
        register=evaluation.passed,
        tags={
            "data.source_digest": digest,
            "data_version": data_version,
            "data_version.source": version_source,
        },
        artifacts={GLOBAL_ARTIFACT: explanation.to_dict()},
        trusted_types=SKOPS_TRUSTED_TYPES[params.model.type],
    )
    figures = (
        _log_figures(params, run_id, model, split.holdout, contract, explanation)
        if params.explain.figures
        else []
    )
    if version is not None:
        _log_model_card(
            params,
            CardInputs(
                version=version,
                run_id=run_id,
                model=model,
                frame=frame,
                split=split,
                contract=contract,
                evaluation=evaluation,
                explanation=explanation,
                data_digest=digest,
                figures=figures,
                data_version=data_version,
                data_version_source=version_source,
            ),
        )
    challenger = None
    if version is not None:
        challenger = ScoredChallenger(
            model=LoadedModel(
                estimator=model,
                name=params.mlflow.model_name,
                version=version,
                run_id=run_id,
                # What the registry holds now: log_training_run set the alias.
                aliases=(CHALLENGER,),
                metrics=dict(evaluation.metrics),
            ),
            evaluation=evaluation,
            holdout=split.holdout,
            contract=contract,
        )
    return TrainingResult(
        run_id=run_id,
        evaluation=evaluation,
        model_version=version,
        explanation=explanation,
        challenger=challenger,
    )


def _log_figures(
    params: Params,
    run_id: str,
    model: Pipeline,
    holdout: "pd.DataFrame",
    contract: Contract,
    explanation: GlobalExplanation,
) -> list[str]:
    """Draw the run's figures on the holdout and log them under figures/; their paths."""
    from .figures import FIGURE_DIR, training_figures
    from .registry import log_run_files

    importances = [(item.feature, item.mean, item.std) for item in explanation.features]
    X, y = features_and_target(holdout, contract)
    figures = training_figures(model, X, y, importances, seed=params.split.random_state)
    log_run_files(params.mlflow, run_id, figures, FIGURE_DIR)
    return [f"{FIGURE_DIR}/{name}" for name in figures]


def _log_model_card(params: Params, inputs: "CardInputs") -> None:
    from .registry import log_run_dict, log_run_text

    facts = card_facts(params, inputs)
    log_run_dict(params.mlflow, inputs.run_id, facts.to_dict(), FACTS_ARTIFACT)
    log_run_text(params.mlflow, inputs.run_id, render(facts), CARD_ARTIFACT)
