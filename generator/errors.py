"""Errors forgeml reports to the user, each with the exit code the CLI returns."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

Choice = TypeVar("Choice", bound=StrEnum)

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


def parse_choice(choices: type[Choice], value: str, option: str) -> Choice:
    """`value` as a member of `choices`, or the one-line error naming the option."""
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(choice.value for choice in choices)
        raise ForgemlError(f"{option} must be one of {allowed}") from None
