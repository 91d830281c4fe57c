"""A piece of work in a forked child process (POSIX), for the command line.

GDAL's writer holds the interpreter lock while it writes features, so a GeoPackage written from a thread
does not overlap the analysis' own Python work. A forked child inherits the parent's memory (the frame to
write, copy-on-write: nothing is pickled on the way in) and runs truly beside it; its return value, or its
error, is pickled back once.

Only where forking is safe: a POSIX system and a process with no other Python thread alive (a thread
holding a lock at the fork would leave it held for ever in the child). :func:`can_fork` tells; callers do the
work themselves otherwise (the window never forks). A child never prints, ignores Ctrl+C (the parent kills
it), and leaves with ``os._exit`` (no atexit handlers, no flushing of the parent's buffers)."""
from __future__ import annotations

import os
import pickle
import signal
import threading
import traceback
from multiprocessing.connection import Connection, Pipe
from typing import Callable

__all__ = ["ChildFailed", "ForkedCall", "can_fork", "fork_call"]


def can_fork() -> bool:
    """Whether :func:`fork_call` may fork here: a POSIX ``fork`` and no other Python thread alive."""
    return hasattr(os, "fork") and os.name == "posix" and threading.active_count() == 1


class ChildFailed(OSError):
    """A child process ended without handing back its result (killed, out of memory, a crash)."""


class ForkedCall:
    """A call running in a forked child: :meth:`result` waits for it, :meth:`kill` stops it."""

    def __init__(self, pid: int, conn: Connection) -> None:
        self._pid, self._conn, self._done = pid, conn, False

    def result(self) -> object:
        """The call's return value, or its exception raised here (the child's traceback added as a note)."""
        if self._done:
            raise RuntimeError("the result of a forked call is taken once")
        self._done = True
        try:
            data = self._conn.recv_bytes()
        except (EOFError, OSError):
            raise ChildFailed(f"a worker process ended unexpectedly ({self._reap()})") from None
        finally:
            self._conn.close()
        self._reap()
        kind, value = pickle.loads(data)
        if kind == "error":
            raise value
        return value

    def kill(self) -> None:
        """Stop the child if it still runs, and reap it."""
        if self._done:
            return
        self._done = True
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._conn.close()
        self._reap()

    def _reap(self) -> str:
        try:
            _, status = os.waitpid(self._pid, 0)
        except ChildProcessError:
            return "exit status unknown"
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            name = signal.Signals(sig).name if sig in {s.value for s in signal.Signals} else str(sig)
            return f"killed by {name}" + (", perhaps out of memory" if sig == signal.SIGKILL else "")
        return f"exit status {os.WEXITSTATUS(status)}"


def _die_with_parent(parent: int) -> None:
    """In a child of ``parent``: be killed when the parent dies (Linux ``PR_SET_PDEATHSIG``), so that no worker
    outlives the command (killed, or its own parent worker killed); elsewhere a child notices at its next send."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the call
        os._exit(1)


def _pickled_error(exc: BaseException) -> bytes:
    """``("error", exc)`` pickled, the child's traceback added as a note (its type and text when it does not pickle)."""
    exc.add_note("in a worker process:\n" + traceback.format_exc())
    try:
        data = pickle.dumps(("error", exc), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)  # some exceptions pickle but do not unpickle (keyword-only arguments)
        return data
    except Exception:
        return pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def fork_call(fn: Callable[[], object]) -> ForkedCall:
    """Run ``fn()`` in a forked child; call only when :func:`can_fork`."""
    if not can_fork():
        raise RuntimeError("fork_call needs a POSIX fork and no other running thread (see can_fork)")
    mine, theirs = Pipe(duplex=False)  # (receiving end, sending end)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller
        status = 0
        try:
            mine.close()
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            _die_with_parent(parent)
            try:
                data = pickle.dumps(("done", fn()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # noqa: BLE001 - every error goes back to the parent, which raises it
                data = _pickled_error(exc)
            theirs.send_bytes(data)
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    theirs.close()
    return ForkedCall(pid, mine)

