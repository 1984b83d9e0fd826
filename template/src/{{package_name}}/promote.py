"""Champion/challenger: decide whether the newest model replaces the one in production.

``train`` registers every model that passes its gates as the ``challenger``.
``promote`` scores the challenger and the current ``champion`` on the same holdout
and moves the ``champion`` alias only when the challenger wins by more than the
configured margin, or when there is no champion yet. Serving and batch prediction
load the ``champion`` alias, so promotion is the release step.
"""

import getpass
import json
import logging
import os
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Params
from .contract import Contract, load_contract
from .evaluate import Evaluation, evaluate_model, improvement, load_holdout
from .predict import LoadedModel

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

# Tag of a promoted version: the version that was champion before it.
PREVIOUS_CHAMPION_TAG = "champion.previous"
# Tags of the champion: when the alias moved to it (UTC, ISO 8601) and by what
# (promote or rollback); `promoted-recently` reads them.
CHAMPION_SINCE_TAG = "champion.since"
CHAMPION_BY_TAG = "champion.by"


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def decide(
    metric: str,
    challenger: float,
    champion: float | None,
    *,
    min_improvement: float,
) -> Decision:
    """The promotion rule, kept free of MLflow so it is trivial to test and to change."""
    if champion is None:
        return Decision(True, f"no champion yet; challenger {metric} = {challenger:.4f}")
    gain = improvement(metric, challenger, champion)
    comparison = (
        f"challenger {metric} = {challenger:.4f}, champion {metric} = {champion:.4f}, "
        f"improvement {gain:+.4f} (needs > {min_improvement:g})"
    )
    return Decision(gain > min_improvement, comparison)


@dataclass(frozen=True)
class PromotionOutcome:
    decision: Decision
    challenger_version: str
    challenger: Evaluation
    champion_version: str | None
    champion: Evaluation | None

    @property
    def champion_after(self) -> str | None:
        return self.challenger_version if self.decision.promote else self.champion_version


@dataclass(frozen=True)
class ScoredChallenger:
    """The challenger ``train`` has just registered, still in memory: the fitted model,
    its score on the holdout and that holdout, under the contract it was trained with.
    ``train --promote`` hands it over, so promotion neither loads the model back from
    the registry nor reads, splits and scores the data again."""

    model: LoadedModel
    evaluation: Evaluation
    holdout: "pd.DataFrame"
    contract: Contract


def promote(
    params: Params, challenger_in_memory: ScoredChallenger | None = None
) -> PromotionOutcome:
    """Compare challenger and champion on the current holdout and move the aliases.

    A challenger that fails the gates on today's holdout is never promoted, whatever
    the champion scores. Without ``challenger_in_memory`` the challenger is the version
    holding the ``challenger`` alias, loaded and scored here.
    """
    from .registry import (
        CHALLENGER,
        CHAMPION,
        check_contract,
        delete_alias,
        fits_contract,
        load,
        set_alias,
        tag_version,
    )

    if challenger_in_memory is None:
        holdout = load_holdout(params)
        contract = load_contract(params.data.contract)
        challenger_model = load(params.mlflow, alias=CHALLENGER)
        check_contract(params.mlflow, challenger_model, contract)
        challenger = evaluate_model(challenger_model.estimator, holdout, params, contract)
    else:
        holdout = challenger_in_memory.holdout
        contract = challenger_in_memory.contract
        challenger_model = challenger_in_memory.model
        challenger = challenger_in_memory.evaluation
    champion_model = _load_champion(params)
    # A champion trained on other features or another target cannot be scored on this
    # holdout (bringing your own data changes both): it is no rival, it is replaced.
    comparable = champion_model is not None and fits_contract(
        params.mlflow, champion_model, contract
    )
    champion = (
        evaluate_model(champion_model.estimator, holdout, params, contract)
        if champion_model is not None and comparable
        else None
    )

    metric = params.promotion.metric
    if champion_model is not None and not comparable and challenger.passed:
        decision = Decision(
            True,
            f"champion version {champion_model.version} was trained under another data "
            f"contract; challenger {metric} = {challenger.metrics[metric]:.4f}",
        )
    elif champion_model is not None and champion_model.version == challenger_model.version:
        decision = Decision(False, f"version {challenger_model.version} is already the champion")
    elif not challenger.passed:
        decision = Decision(False, "challenger fails its quality gates on the current holdout")
    else:
        decision = decide(
            metric,
            challenger.metrics[metric],
            champion.metrics[metric] if champion else None,
            min_improvement=params.promotion.min_improvement,
        )

    tag_version(
        params.mlflow,
        challenger_model.version,
        {
            "promotion.decision": "promoted" if decision.promote else "rejected",
            "promotion.reason": decision.reason,
        },
    )
    if params.explain.figures:
        _log_comparison(params, challenger_model, challenger, champion_model, champion, decision)
    if decision.promote:
        if champion_model is not None:
            # The champion history `rollback` walks back along.
            tag_version(
                params.mlflow,
                challenger_model.version,
                {PREVIOUS_CHAMPION_TAG: champion_model.version},
            )
        set_alias(params.mlflow, CHAMPION, challenger_model.version)
        tag_version(
            params.mlflow,
            challenger_model.version,
            {CHAMPION_SINCE_TAG: _now(), CHAMPION_BY_TAG: "promote"},
        )
        # The version is the champion now; leaving "challenger" on it as well would
        # make the next `promote` compare the champion with itself.
        delete_alias(params.mlflow, CHALLENGER)
        logger.info("promoted version %s to %s", challenger_model.version, CHAMPION)
    return PromotionOutcome(
        decision=decision,
        challenger_version=challenger_model.version,
        challenger=challenger,
        champion_version=champion_model.version if champion_model else None,
        champion=champion,
    )


def _log_comparison(
    params: Params,
    challenger_model: LoadedModel,
    challenger: Evaluation,
    champion_model: LoadedModel | None,
    champion: Evaluation | None,
    decision: Decision,
) -> None:
    """Both models' holdout metrics against the gates, as one figure in the
    challenger's run (figures/promotion.png): the decision at a glance."""
    from .figures import FIGURE_DIR, comparison_chart
    from .registry import log_run_files

    scores = {f"challenger v{challenger_model.version}": challenger.metrics}
    if champion_model is not None and champion is not None:
        scores[f"champion v{champion_model.version}"] = champion.metrics
    gates = {gate.metric: (gate.min, gate.max) for gate in challenger.gates}
    verdict = "promoted" if decision.promote else "not promoted"
    title = textwrap.fill(f"{verdict}: {decision.reason}", width=100)
    figure = comparison_chart(scores, gates, title)
    log_run_files(params.mlflow, challenger_model.run_id, {"promotion.png": figure}, FIGURE_DIR)


def _load_champion(params: Params) -> LoadedModel | None:
    """The current champion, or None before the first promotion."""
    from .registry import CHAMPION, find_version, load

    found = find_version(params.mlflow, CHAMPION)
    return None if found is None else load(params.mlflow, version=str(found.version))


@dataclass(frozen=True)
class Rollback:
    from_version: str
    to_version: str
    reason: str
    time: str
    actor: str

    def record(self) -> dict[str, str]:
        return {
            "event": "rollback",
            "from_version": self.from_version,
            "to_version": self.to_version,
            "reason": self.reason,
            "time": self.time,
            "actor": self.actor,
        }


def rollback(params: Params, reason: str, audit_file: Path) -> Rollback:
    """Move the ``champion`` alias back to the previous champion (the version the
    current one replaced), with an audit record: tags on both versions in the registry
    and a JSON line appended to ``audit_file``.

    Each rollback steps one champion further back. The versions are not touched
    otherwise: promoting the rolled-back version again is an ordinary ``promote``.
    """
    from .errors import ModelNotFoundError
    from .registry import CHAMPION, find_version, set_alias, tag_version

    current = find_version(params.mlflow, CHAMPION)
    if current is None:
        raise ModelNotFoundError("no champion to roll back: run `train` then `promote` first")
    previous = current.tags.get(PREVIOUS_CHAMPION_TAG)
    if not previous:
        raise ModelNotFoundError(
            f"champion version {current.version} replaced no earlier champion: nothing to "
            "roll back to"
        )
    event = Rollback(
        from_version=str(current.version),
        to_version=previous,
        reason=reason,
        time=_now(),
        actor=os.environ.get("GITHUB_ACTOR") or getpass.getuser(),
    )
    set_alias(params.mlflow, CHAMPION, previous)
    tag_version(
        params.mlflow,
        event.from_version,
        {"rollback.to": previous, "rollback.reason": reason, "rollback.time": event.time},
    )
    tag_version(
        params.mlflow,
        previous,
        {
            "rollback.restored_from": event.from_version,
            "rollback.time": event.time,
            CHAMPION_SINCE_TAG: event.time,
            CHAMPION_BY_TAG: "rollback",
        },
    )
    audit_file.parent.mkdir(parents=True, exist_ok=True)
    with audit_file.open("a", encoding="utf-8") as audit:
        audit.write(json.dumps(event.record()) + "\n")
    logger.info("rolled %s back from version %s to %s", CHAMPION, event.from_version, previous)
    return event


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ChampionAge:
    """How the champion came to be: what `promoted-recently` answers from."""

    version: str | None
    # When the alias moved to it and by what (promote, rollback); None when the
    # registry does not say (a champion set by hand, or before these tags existed).
    since: datetime | None
    by: str | None
    window_hours: float
    now: datetime

    @property
    def recent(self) -> bool:
        """Promoted (not restored by a rollback) within the window."""
        return (
            self.since is not None
            and self.by == "promote"
            and self.now - self.since <= timedelta(hours=self.window_hours)
        )

    def describe(self) -> str:
        if self.version is None:
            return "there is no champion"
        if self.since is None or self.by is None:
            return (
                f"champion version {self.version} records no promotion time "
                f"({CHAMPION_SINCE_TAG}): not known to be recent"
            )
        hours = (self.now - self.since).total_seconds() / 3600
        verdict = "within" if hours <= self.window_hours else "outside"
        how = "promoted" if self.by == "promote" else f"made champion by {self.by}"
        text = (
            f"champion version {self.version} was {how} at {self.since.isoformat()}, "
            f"{hours:.1f} h ago: {verdict} the {self.window_hours:g} h fallback window"
        )
        if self.by != "promote":
            text += " (only a promotion counts)"
        return text


def champion_age(params: Params, window_hours: float, now: datetime | None = None) -> ChampionAge:
    """When and how the ``champion`` alias moved to the version it names, from the
    registry's tags on that version (written by `promote` and `rollback`)."""
    from .registry import CHAMPION, find_version

    now = now or datetime.now(UTC)
    current = find_version(params.mlflow, CHAMPION)
    if current is None:
        return ChampionAge(None, None, None, window_hours, now)
    tags = current.tags or {}
    since = _parse_time(tags.get(CHAMPION_SINCE_TAG))
    by = tags.get(CHAMPION_BY_TAG) if since is not None else None
    return ChampionAge(str(current.version), since, by, window_hours, now)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
