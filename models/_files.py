"""Write a file whole or not at all, readable by its owner only; CSV that no spreadsheet runs; a file's SHA-256.

Exports, archives and register extracts hold (pseudonymised) personal data, so every file is written
mode 0600 whatever the umask, under a temporary name created exclusively (``O_EXCL``) in the target's
own folder: a name planted beforehand, as a symlink or otherwise, is never opened or written through.

CSV is for people who open it in a spreadsheet, which takes a text cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return for a formula and runs it (OWASP "CSV injection"); the log holds
text that clients wrote (reasons, references).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pandas as pd

__all__ = ["CSV_LINE_END", "FORMULA_STARTS", "PRIVATE_MODE", "file_digest", "formula_safe", "write_atomically",
           "write_csv"]

PRIVATE_MODE = 0o600
# Where a file system has no hard links, ``overwrite=False`` falls back to checking, then renaming.
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}


def write_atomically(path: str | Path, write: Callable[[BinaryIO], object], *, overwrite: bool = True,
                     durable: bool = False) -> Path:
    """Write ``path`` through ``write(handle)`` so that a reader finds the old file, or the new one whole.

    Parameters
    ----------
    path : str or Path
        The file to write. Its folder must exist.
    write : callable
        Called once with a binary file handle open for writing; what it writes becomes the file.
    overwrite : bool
        Replace an existing ``path`` (default). When False, an existing ``path`` (a dangling symlink
        included) is left alone and ``FileExistsError`` is raised, also when it appears while writing.
    durable : bool
        Flush the file and the rename to disk (``fsync``) before returning, e.g. before deleting the rows
        the file holds.

    Returns
    -------
    Path
        ``path``, mode 0600 (owner read and write only).

    Raises
    ------
    FileExistsError
        When ``overwrite`` is False and ``path`` exists; nothing is written.
    OSError
        When the file cannot be written; ``path`` is then as it was and no temporary file is left.
    """
    path = Path(path)
    # mkstemp opens O_CREAT | O_EXCL with a random name: it never follows a symlink planted in the folder.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        if hasattr(os, "fchmod"):  # exactly 0600: mkstemp's 0600 less the umask could be less
            os.fchmod(fd, PRIVATE_MODE)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if overwrite:
            os.replace(temporary, path)  # a symlink at path is replaced itself, never written through
        else:
            _link(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    if durable and hasattr(os, "O_DIRECTORY"):  # the rename too (POSIX)
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return path


def _link(temporary: str, path: Path) -> None:
    # A hard link fails if path exists, in one step: no window between a check and the rename.
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise FileExistsError(f"{path} already exists") from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        if os.path.lexists(path):
            raise FileExistsError(f"{path} already exists") from None
        os.replace(temporary, path)
        return
    os.unlink(temporary)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# RFC 4180's line end: Python's csv quotes a text value holding any character of it, so a carriage return in
# a reason cannot end the row early and start a cell (a formula) of its own in a spreadsheet.
CSV_LINE_END = "\r\n"


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for CSV in which no text cell can start a spreadsheet formula.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP, "CSV
    injection") gets a leading single quote, which spreadsheets read as "this is text"; so does a text
    cell that starts with a single quote itself, so that removing one leading ``'`` from every text cell
    that has one gives back exactly what the log holds. Only ``str`` cells change: numbers (a negative
    number included), dates, booleans and missing values are written as they are. Write the copy with
    ``lineterminator=CSV_LINE_END``, so that a line break inside a text value is quoted.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(_quote_formula, na_action="ignore")
    return out


def _quote_formula(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith((*FORMULA_STARTS, "'")) else value


def write_csv(frame: pd.DataFrame, path: Path, *, overwrite: bool, durable: bool = False) -> None:
    """Write ``frame`` as a formula-safe CSV, whole or not at all, mode 0600 (``models.write_atomically``)."""
    safe = formula_safe(frame)
    write_atomically(path, lambda handle: safe.to_csv(handle, mode="wb", index=False, lineterminator=CSV_LINE_END),
                     overwrite=overwrite, durable=durable)


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex), as ``sha256sum`` prints it: a bundle file's or an extract's fingerprint.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:  # in blocks: an extract can be larger than memory allows twice
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
