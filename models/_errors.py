"""One tree for every error avstand raises on purpose, and the exit code each branch means.

``AvstandError`` is the base; every error has one of three branches:

- ``InputError``: bad input or usage (a file, a setting, an argument, a version that cannot be used); exit 2.
- ``UnavailableError``: a database or store that the settings name does not answer or cannot be read;
  exit 2 as well (the user's setting points at something that cannot be used now), but its own branch,
  since a service answers it with 503 "try again", never with a client error.
- ``CheckFailedError``: the input was usable, and a check on it said no (an archive that does not read
  back, a bundle that differs from the one recorded); exit 1, the code of a failed gate.

Lower-level errors (SQLAlchemy's, MLflow's, ``OSError``) are translated into these where they are met,
at the boundary of the code that called the library, as httpx does with its transports' errors; the
command line prints ``avstand COMMAND: MESSAGE`` and exits with the branch's code in one place.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["AvstandError", "CheckFailedError", "InputError", "UnavailableError"]

# The exit codes (0 is success), documented in the README's "Exit codes" and in `avstand --help`.
_FAILED = 1
_BAD_INPUT = 2


class AvstandError(Exception):
    """The base of every error avstand raises on purpose: a message for the user, on one line or a few.

    Parameters
    ----------
    message : str
        What cannot be done and why, naming the file, setting or version concerned.
    hint : str, optional
        What the user can do about it; shown after the message, separated by ``"; "``.
    """

    exit_code: ClassVar[int] = _BAD_INPUT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}; {self.hint}"

    def reworded(self, message: str) -> AvstandError:
        """An error of this one's branch (so the same exit code) saying ``message``.

        For a caller that puts the error in its own context (``not starting: ...``, ``...; nothing was
        registered``); raise it ``from`` this one, which keeps the original as its cause.

        Parameters
        ----------
        message : str
            The whole new message, as a rule including ``str(self)``.

        Returns
        -------
        AvstandError
            An ``InputError``, ``UnavailableError`` or ``CheckFailedError`` (an ``AvstandError`` for one
            raised as the base itself).
        """
        branch = next((c for c in type(self).__mro__ if c in _BRANCHES), AvstandError)
        return branch(message)


class InputError(AvstandError):
    """Bad input or usage: a file, setting, argument or version that cannot be used. Exit code 2."""

    exit_code: ClassVar[int] = _BAD_INPUT


class UnavailableError(AvstandError):
    """A database or store named by the settings that does not answer or cannot be read. Exit code 2."""

    exit_code: ClassVar[int] = _BAD_INPUT


class CheckFailedError(AvstandError):
    """A check on usable input said no: what was checked is named, with what was found. Exit code 1."""

    exit_code: ClassVar[int] = _FAILED


_BRANCHES = (InputError, UnavailableError, CheckFailedError)
