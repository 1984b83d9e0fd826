"""Expected failures of the pipeline and the exit codes they map to.

Commands raise these instead of calling ``sys.exit`` so the library stays usable
from notebooks and tests; the CLI is the only place that turns them into exit codes.
"""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    # A check did its job: a quality gate failed, drift was detected or data broke
    # its contract. Automation reacts to this code (block a release, retrain...).
    CHECK_FAILED = 1
    # The command could not run as asked: bad arguments, bad params.yaml, missing
    # input file or missing model. Retraining would not help.
    USAGE = 2
    # Anything unexpected (a bug, an unreachable tracking server). Kept apart from
    # CHECK_FAILED so a crash never looks like "drift detected" to a scheduler.
    ERROR = 3
    # The data broke its contract (a missing column, values out of bounds): the feed
    # is broken. Alert its owners; retraining on it would not help.
    CONTRACT_BROKEN = 4


class PipelineError(Exception):
    """Base class of the failures the CLI reports without a traceback."""

    exit_code: ExitCode = ExitCode.CHECK_FAILED


class UsageError(PipelineError):
    """The command cannot run as configured; fix the input, not the model."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """params.yaml is missing or invalid."""


class DataSourceError(UsageError):
    """An input file is missing or in a format we cannot read."""


class ModelNotFoundError(UsageError):
    """The registry holds no model version under the requested alias or number."""
