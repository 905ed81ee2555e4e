"""Run slow work (loading a model, generating, rendering audio) off the UI thread.

One helper for the whole app, so every background task behaves the same way: the callable
runs in a ``QThreadPool``; its progress, result or error come back as signals of a
:class:`Job` that lives on the UI thread (Qt queues signals across threads), so handlers may
touch widgets. Cancelling sets a flag the callable polls; the work is never killed, so it can
leave files and state consistent.

The callable receives two keyword arguments, ``progress(fraction)`` and ``cancelled()``.
Both also pause the worker for :data:`PAUSE` seconds once per :data:`SHARE_EVERY` seconds of
work (:class:`_GilShare`), so that the UI thread gets the GIL in time. Why: during a 0.4 s
generation the UI thread's 10 ms timer once fired only once (1 run in 6 of the GUI tests, and
more often with the machine loaded); with the pauses it fired every 10-12 ms in 17 runs of 17,
loaded or not, at a cost of about 5% of the work's speed. The same generation in a plain Python
thread, without Qt, never starved a sleeping main thread, so how exactly Qt's event loop gets
held up is not known; a real pause, however short, lets any waiting thread take the GIL.
A task that raises :class:`~composer.errors.Cancelled` (the one cancellation error, which
generation's ``GenerationCancelled`` derives from) reports ``cancelled``. A
:class:`~composer.errors.ComposerError` (and ``OSError``) becomes its message; anything
else becomes "unexpected error", with the traceback kept in :attr:`Job.details` — a bug, but
never a dead window and never a traceback on stderr. Failures reach the person through one
function, :meth:`gui.messages.Messages.report` (a dialog: the message on one line, the details
behind "Show Details").

Shutdown: a job may outlive its window (work that does not poll ``cancelled()``, such as a WAV
render). Its window detaches it (:meth:`Job.detach`), the app cancels and waits for every job
(:func:`stop_all`), and a job whose Qt object is deleted meanwhile (at interpreter exit)
reports nothing: the pool thread never emits through a deleted object, which used to raise
"Signal source has been deleted" on the pool thread.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from composer.errors import Cancelled, ComposerError, one_line

__all__ = ["PAUSE", "SHARE_EVERY", "Cancelled", "Job", "run_in_background", "stop_all"]


SHARE_EVERY = 0.010  # seconds of work between two pauses
PAUSE = 0.0005  # the pause: enough for a waiting thread to take the GIL


class _GilShare:
    """Called from the worker's progress/cancel hooks: pauses ``PAUSE`` s once per
    ``SHARE_EVERY`` s (see the module docstring)."""

    def __init__(self) -> None:
        self._last = time.monotonic()

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last >= SHARE_EVERY:
            time.sleep(PAUSE)
            self._last = time.monotonic()


class Job(QObject):
    """Handle of one background task; signals are delivered on the UI thread."""

    progress = Signal(float)  # 0..1
    succeeded = Signal(object)  # the callable's return value
    failed = Signal(str)  # a message fit for a dialog
    cancelled = Signal()
    finished = Signal()  # after any of the three above

    # Internal cross-thread relays: emitted from the pool thread, received by this object
    # (which lives on the UI thread) through a queued connection.
    _progress = Signal(float)
    _done = Signal(object)
    _failed = Signal(str, object)  # the message, and the traceback of a bug (or None)
    _cancelled = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.details: str | None = None  # set before ``failed``: the traceback of a bug
        self._flag = threading.Event()
        self._running = True
        self._progress.connect(self._on_progress)
        self._done.connect(self._on_done)
        self._failed.connect(self._on_failed)
        self._cancelled.connect(self._on_cancelled)

    def cancel(self) -> None:
        self._flag.set()

    def is_cancelled(self) -> bool:
        return self._flag.is_set()

    def is_running(self) -> bool:
        return self._running

    def detach(self) -> None:
        """Cancel, and report nothing more (its receivers are going away)."""
        self.cancel()
        self._running = False
        self.blockSignals(True)
        _live_jobs.discard(self)

    @Slot(float)
    def _on_progress(self, value: float) -> None:
        if self._running:
            self.progress.emit(value)

    @Slot(object)
    def _on_done(self, value: Any) -> None:
        self._finish(self.succeeded, value)

    @Slot(str, object)
    def _on_failed(self, message: str, details: str | None) -> None:
        self.details = details
        self._finish(self.failed, message)

    @Slot()
    def _on_cancelled(self) -> None:
        self._finish(self.cancelled)

    def _finish(self, signal, *args) -> None:
        self._running = False
        signal.emit(*args)
        self.finished.emit()
        _live_jobs.discard(self)


class _Runnable(QRunnable):
    def __init__(self, job: Job, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._job = job
        self._fn = fn

    def _emit(self, name: str, *args) -> None:
        """Emit the job's relay ``name`` unless the job's Qt object is gone (deleted at exit,
        after its window closed): then nobody is there to tell, and the work just ends."""
        job = self._job
        if not shiboken6.isValid(job):
            job._flag.set()
            return
        try:
            getattr(job, name).emit(*args)
        except RuntimeError:  # deleted between the check and the emit
            job._flag.set()

    def run(self) -> None:  # runs on a pool thread
        job = self._job
        try:
            if job.is_cancelled():
                raise Cancelled()
            share = _GilShare()

            def progress(fraction: float) -> None:
                share()
                self._emit("_progress", fraction)

            def cancelled() -> bool:
                share()
                return job.is_cancelled()

            value = self._fn(progress=progress, cancelled=cancelled)
        except Exception as exc:  # noqa: BLE001 - every error must come back as a message
            if isinstance(exc, Cancelled):  # composer.errors.Cancelled and its subclasses
                self._emit("_cancelled")
            elif isinstance(exc, ComposerError):
                self._emit("_failed", one_line(exc), None)
            elif isinstance(exc, OSError):
                self._emit("_failed", f"{job.name}: {exc.strerror or exc}", None)
            else:
                self._emit("_failed", f"{job.name}: unexpected error "
                                      f"({type(exc).__name__}: {one_line(str(exc))})",
                           traceback.format_exc())
        else:
            if job.is_cancelled():
                self._emit("_cancelled")
            else:
                self._emit("_done", value)


_live_jobs: set[Job] = set()  # keeps Python wrappers alive until the job reports back


def run_in_background(
    name: str,
    fn: Callable[..., Any],
    *,
    pool: QThreadPool | None = None,
    parent: QObject | None = None,
) -> Job:
    """Start ``fn(progress=..., cancelled=...)`` on ``pool`` (default: the global pool).

    Connect to the returned job's signals right away: they cannot fire before control
    returns to the event loop.
    """
    job = Job(name, parent)
    _live_jobs.add(job)
    (pool or QThreadPool.globalInstance()).start(_Runnable(job, fn))
    return job


def stop_all(timeout_ms: int = 5000) -> bool:
    """Cancel every job that has not reported back, tell their receivers nothing more, and
    wait up to ``timeout_ms`` for the pool's threads; True if all ended in time.

    For the end of the app, after its last window closed: the work sees ``cancelled()`` and
    stops, and none of it runs on while Python shuts down.
    """
    for job in list(_live_jobs):
        job.detach()
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
