"""Long work off the GUI thread: a QThread running one function with a feedback object.

The function gets a :class:`spatial.feedback.Feedback` whose progress becomes the ``progress`` signal;
``cancel()`` (from the GUI thread) makes the function stop at its next progress call. Results and errors
come back as signals, queued to the GUI thread. Workers never touch widgets.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6 import QtCore

from layers.errors import AnalysisCancelled, InputError
from spatial.feedback import Feedback


class _SignalFeedback(Feedback):
    def __init__(self, task: "Task") -> None:
        super().__init__()
        self._task = task

    def on_progress(self, fraction: float, step: str) -> None:
        self._task.progress.emit(fraction, step)

    def on_message(self, text: str) -> None:
        self._task.message.emit(text)


class Task(QtCore.QThread):
    """Runs ``fn(feedback, *args)`` in its own thread."""

    progress = QtCore.Signal(float, str)
    message = QtCore.Signal(str)
    succeeded = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    cancelled = QtCore.Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._args = args
        self.feedback = _SignalFeedback(self)

    def cancel(self) -> None:
        self.feedback.cancel()

    def run(self) -> None:  # runs in the worker thread
        try:
            result = self._fn(self.feedback, *self._args)
        except AnalysisCancelled:
            self.cancelled.emit()
        except InputError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - never let a traceback reach the user; keep it for the log
            traceback.print_exc()
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result)
