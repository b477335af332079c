"""The exception types that mean "the user gave us something we cannot use"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["NlpsuiteError", "OptionError", "check_choice"]


class NlpsuiteError(ValueError):
    """Bad input, a missing model or dataset, or a wrong option.

    The CLI prints it as a one-line ``error: ...`` and exits 2; the Streamlit pages show it as a message.
    The text must say what was wrong (file, line, field) and what to do about it.

    Example:
    >>> import nlpsuite
    >>> try:
    ...     nlpsuite.load("no/such/model")
    ... except NlpsuiteError as error:
    ...     print(error)
    no model in no/such/model (config.json missing); train one with `nlpsuite train TASK --out DIR`
    """


class OptionError(NlpsuiteError):
    """A bad value for a named option: a config field, a predict option or a function argument.

    The message names the option as Python spells it; the CLI, which knows how the user typed it, shows the
    flag instead (``--set cell=rnn: cell must be 'gru' or 'lstm'``).

    Args:
        option: the option's name (``cell``).
        value: the value it was given.
        problem: what is wrong, worded to follow the name (``must be 'gru' or 'lstm'``).

    Example:

    >>> str(OptionError("cell", "rnn", "must be 'gru' or 'lstm'"))
    "cell must be 'gru' or 'lstm' (got 'rnn')"
    """

    def __init__(self, option: str, value: Any, problem: str) -> None:
        self.option = option
        self.value = value
        self.problem = problem
        super().__init__(f"{option} {problem} (got {value!r})")


def check_choice(option: str, value: Any, choices: Sequence[Any]) -> None:
    """Raises ``OptionError`` unless ``value`` is one of ``choices``.

    Args:
        option: the option's name, for the message.
        value: the value given.
        choices: the values allowed.

    Example:

    >>> check_choice("cell", "gru", ("gru", "lstm"))
    >>> try:
    ...     check_choice("cell", "rnn", ("gru", "lstm"))
    ... except OptionError as error:
    ...     print(error)
    cell must be 'gru' or 'lstm' (got 'rnn')
    """
    if value not in choices:
        quoted = [repr(c) for c in choices]
        listed = " or ".join(quoted) if len(quoted) < 3 else f"one of {', '.join(quoted)}"
        raise OptionError(option, value, f"must be {listed}")
