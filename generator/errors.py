"""Errors forgeml reports to the user, each with the exit code the CLI returns."""

from __future__ import annotations

# Exit codes are part of the CLI contract (docs/cli.md).
EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_REFUSED = 2


class ForgemlError(Exception):
    """A failure explained in one line; the CLI prints it and exits with `exit_code`."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidAnswerError(ForgemlError):
    """An answer breaks a rule of the questionnaire."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"invalid answer for {field}: {rule}")
        self.field = field
        self.rule = rule
