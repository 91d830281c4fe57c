"""Errors raised for bad input: one clear, human line naming the file, row and column."""
from __future__ import annotations

from os import PathLike
from pathlib import Path


class InputError(ValueError):
    """Bad input data. ``str(err)`` is a single line fit for a dialog or a CLI message.

    ``path``, ``row`` (1-based, as a spreadsheet shows it, header = row 1) and ``column`` are kept as
    attributes so the GUI can show them separately.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path.name)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        prefix = ", ".join(where)
        text = f"{prefix}: {self.message}" if prefix else self.message
        return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text  # one line, always

    def __reduce__(self):
        # pickled with its attributes (keyword-only arguments do not survive the default): an error raised in a
        # worker process reaches the parent whole (projects.forking)
        return (_restore_error, (type(self), self.args, self.__dict__))


def _restore_error(cls: type, args: tuple, state: dict) -> Exception:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class AnalysisCancelled(Exception):
    """Raised inside an analysis when its feedback object reports cancellation."""
