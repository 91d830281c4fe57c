"""Progress and cancellation for long analyses (like QGIS's processing feedback object)."""
from __future__ import annotations

from layers.errors import AnalysisCancelled


class Feedback:
    """Receives progress from an analysis and tells it when to stop.

    Subclass and override :meth:`on_progress` / :meth:`on_message`; the CLI draws a bar on stderr, the GUI
    emits Qt signals from its worker thread. :meth:`cancel` may be called from any thread.
    """

    def __init__(self) -> None:
        self._cancelled = False
        self.messages: list[str] = []

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def check(self) -> None:
        """Raise :class:`AnalysisCancelled` if cancellation was asked for."""
        if self._cancelled:
            raise AnalysisCancelled("analysis cancelled")

    def progress(self, fraction: float, step: str = "") -> None:
        self.check()
        self.on_progress(min(max(float(fraction), 0.0), 1.0), step)

    def message(self, text: str) -> None:
        self.messages.append(text)
        self.on_message(text)

    def on_progress(self, fraction: float, step: str) -> None:  # pragma: no cover - hook
        pass

    def on_message(self, text: str) -> None:  # pragma: no cover - hook
        pass


class Scaled(Feedback):
    """A sub-step's feedback: maps its 0..1 progress into ``[lo, hi]`` of the parent's, passes its messages
    on, and is cancelled when the parent is."""

    def __init__(self, parent: Feedback, lo: float, hi: float) -> None:
        super().__init__()
        self._parent, self._lo, self._hi = parent, lo, hi

    def progress(self, fraction: float, step: str = "") -> None:
        self._parent.progress(self._lo + (self._hi - self._lo) * min(max(float(fraction), 0.0), 1.0), step)

    def message(self, text: str) -> None:
        self._parent.message(text)

    def check(self) -> None:
        self._parent.check()

    def cancel(self) -> None:
        self._parent.cancel()

    @property
    def cancelled(self) -> bool:
        return self._parent.cancelled
