"""What the app tells a person: errors in a dialog, news in the status bar, notices,
questions.

One object, owned by the main window and handed to every part that needs to speak (file
actions, the bridges), so none of them needs the window itself. Every failure a person can
cause or meet ends in :meth:`Messages.show_error`: one non-blocking message box with the reason
(on one line; a bug's traceback only behind "Show Details"), and the app carries on. A
background job's failure gets there through :meth:`Messages.report`, the one way every part
hands its jobs' failures over (gui.workers never writes to stderr). A state of the machine that
stops something from working (no sound output) is a :meth:`Messages.notice` across the top of
the roll, in full.

The library words some hints for the command line ("use --api jack"); :func:`for_the_app` says
them the app's way (Preferences) wherever the app shows library text.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox

from composer.errors import ComposerError, one_line
from gui.workers import Job

# Command-line advice in library messages, and what it means in the app.
APP_WORDING = (
    ("or use --api jack with a running JACK server",
     "or choose JACK as the MIDI system in Preferences (Ctrl+,) with a running JACK server"),
    ("use --api jack", "choose JACK as the MIDI system in Preferences (Ctrl+,)"),
    ("--api", "the MIDI system in Preferences"),
)


def for_the_app(text: str) -> str:
    """``text`` with command-line advice turned into where the app offers the same."""
    for cli, app in APP_WORDING:
        text = text.replace(cli, app)
    return text


class Messages(QObject):
    errorShown = Signal(str)  # every message shown by show_error (observable in tests)

    def __init__(self, window: QMainWindow, notice_bar=None) -> None:
        super().__init__(window)
        self._window = window
        self.notice_bar = notice_bar  # gui.notice.NoticeBar, when the window has one
        self.last_error: str | None = None
        self.error_box: QMessageBox | None = None

    def show_error(self, message: str, title: str = "composer",
                   details: str | None = None) -> None:
        """Tell the person what went wrong; non-blocking, the window stays usable.

        ``details`` (a traceback, for a bug) are shown only on demand ("Show Details").
        """
        message = for_the_app(one_line(message))
        self.last_error = message
        self._window.statusBar().showMessage(message, 8000)
        if self.error_box is not None:
            self.error_box.close()
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self._window)
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _r: setattr(self, "error_box", None))
        self.error_box = box
        box.open()
        self.errorShown.emit(message)

    def report(self, job: Job, title: str,
               also: Callable[[str], None] | None = None) -> Job:
        """The one path of a background job's failure to the person: the dialog of
        :meth:`show_error` titled ``title``, with the job's details; ``also(message)`` first
        (a part showing the failure in its own place too). Returns ``job``."""
        def failed(message: str) -> None:
            if also is not None:
                also(message)
            self.show_error(message, title, job.details)

        job.failed.connect(failed)
        return job

    def ask(self, title: str, text: str, buttons, default) -> QMessageBox.StandardButton:
        """A question that needs an answer before going on (blocks in a nested event loop)."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, buttons, self._window)
        box.setDefaultButton(default)
        return QMessageBox.StandardButton(box.exec())

    def status(self, message: str, ms: int = 5000) -> None:
        self._window.statusBar().showMessage(for_the_app(message), ms)

    def notice(self, key: str, text: str, actions=()) -> None:
        """A lasting notice over the roll (see :mod:`gui.notice`); a status line without one."""
        text = for_the_app(text)
        if self.notice_bar is None:
            self.status(text, 15000)
        else:
            self.notice_bar.show_notice(key, text, actions)

    def dismiss_notice(self, key: str) -> None:
        if self.notice_bar is not None:
            self.notice_bar.dismiss(key)


def error_text(exc: BaseException) -> str:
    """What a dialog says about an exception that escaped (never a traceback)."""
    if isinstance(exc, ComposerError):
        return one_line(exc)
    return f"Unexpected error: {type(exc).__name__}: {exc}"


def notes_text(count: int) -> str:
    return f"{count} note{'s' if count != 1 else ''}"
