"""Live mode panel: call and response with a MIDI keyboard, inside the app.

A thin Qt face over :class:`composer.live.LiveSession`: port choosers, Start/Stop, a status
line, and two signals that carry the player's phrase and the model's answer (as pieces, so far)
to the piano roll. The session runs on its own threads; starting it (loading the model,
opening the ports) is a job of the app's one background helper (:mod:`gui.workers`), and
stopping only asks it to stop, so the UI never waits. Without a MIDI system (no ALSA
sequencer, no JACK server) or without ports the panel says so and stays usable: Refresh looks
again.

Generation follows the app's current model and settings (:meth:`set_generation`), also while
the session runs: each phrase is answered with the settings of the moment, by the same answer
source as ``composer live`` (:class:`composer.answer.ModelAnswerer`), with bundles from the
window's :class:`~composer.bundle_cache.BundleCache` (the one the Generate panel uses, so the
model is loaded and its engine built once).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.bundle_cache import BundleCache
from composer.errors import PortError
from composer.playback import BUILTIN_SYNTH
from gui.messages import for_the_app
from gui.workers import Job, run_in_background


class LivePanel(QWidget):
    phraseChanged = Signal(object)  # Piece: the player's phrase so far
    answerChanged = Signal(object)  # Piece: the answer so far
    statusChanged = Signal(str)
    runningChanged = Signal(bool)

    _status = Signal(str)  # relays from the session's threads
    _phrase = Signal(object)
    _answer = Signal(object)
    _stopped = Signal()

    def __init__(self, parent: QWidget | None = None, *, api: str | None = None,
                 bundles: BundleCache | None = None,
                 report: Callable[[Job, str], Job] | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.bundles = bundles if bundles is not None else BundleCache()
        self._report = report  # gui.messages.Messages.report: failures to the one dialog
        self._bundle_path: str | None = None
        self._settings = None  # GenerationSettings; None until set_generation
        self._session = None
        self._starting: Job | None = None
        self._closed = False
        self._watcher = None  # made in refresh(); kept (see gui.player.QtPlayer)

        self.input_combo = QComboBox()
        self.output_combo = QComboBox()
        self.refresh_button = QPushButton("Refresh")
        self.max_wait = QDoubleSpinBox()
        self.max_wait.setRange(0.4, 10.0)
        self.max_wait.setSingleStep(0.1)
        self.max_wait.setValue(2.0)
        self.max_wait.setSuffix(" s")
        self.max_wait.setToolTip("Longest silence before the answer; a quick player is "
                                 "answered sooner (about two of their note intervals)")
        self.echo = QCheckBox("Play my notes too")
        self.echo.setToolTip("Send the keyboard's notes to the output as well "
                             "(for a keyboard without its own sound)")
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Keyboard (input)", self.input_combo)
        form.addRow("Answer on (output)", self.output_combo)
        form.addRow("Longest wait", self.max_wait)
        buttons = QHBoxLayout()
        for widget in (self.echo, self.refresh_button, self.start_button, self.stop_button):
            buttons.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        layout.addStretch(1)

        queued = Qt.ConnectionType.QueuedConnection
        self._status.connect(self._on_status, queued)
        self._phrase.connect(self.phraseChanged, queued)
        self._answer.connect(self.answerChanged, queued)
        self._stopped.connect(self._on_stopped, queued)
        self.refresh_button.clicked.connect(self.refresh)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.input_combo.currentIndexChanged.connect(self._update_buttons)
        self.refresh()

    # --- public -------------------------------------------------------------------------
    def set_generation(self, bundle_path: str | None, settings) -> None:
        """The model folder (None: the default model) and GenerationSettings to answer with."""
        if settings is not None:
            settings.validate()
        self._bundle_path = bundle_path or None
        self._settings = settings

    def is_running(self) -> bool:
        return self._session is not None

    def status_text(self) -> str:
        return self.status_label.text()

    def refresh(self) -> None:
        """Look for ports again (keeps the current choices when they still exist)."""
        from composer.ports import PortWatcher

        if self._watcher is None:
            try:
                self._watcher = PortWatcher(self.api)
            except PortError as exc:  # an unknown API name
                self._set_status(_sentence(str(exc)))
                return
        try:
            found = self._watcher.ports()
        except PortError as exc:  # includes "no MIDI system"
            self._fill(self.input_combo, [])
            self._fill(self.output_combo, [BUILTIN_SYNTH])
            self._set_status(f"{_sentence(str(exc))} Connect a keyboard or start a MIDI "
                             "system, then press Refresh.")
        else:
            self._fill(self.input_combo, list(found.inputs))
            self._fill(self.output_combo, [BUILTIN_SYNTH, *found.outputs])
            if not found.inputs:
                self._set_status("No MIDI keyboard found: connect one and press Refresh.")
            elif not self.is_running():
                self._set_status(f"{len(found.inputs)} MIDI input(s) found. Press Start and "
                                 "play a phrase.")
        self._update_buttons()

    def start(self) -> Job | None:
        """Load the model and open the ports in the background, then listen."""
        busy = self._session is not None or self._starting is not None
        if busy or not self.input_combo.currentText():
            return None
        from composer.live import LiveSettings

        settings = LiveSettings(max_wait=self.max_wait.value(),
                                min_wait=min(0.4, self.max_wait.value()),
                                echo=self.echo.isChecked())
        input_name = self.input_combo.currentText()
        output_name = self.output_combo.currentText() or BUILTIN_SYNTH

        def work(progress, cancelled):
            return self._start_session(settings, input_name, output_name)

        job = run_in_background("Live mode could not start", work)
        job.succeeded.connect(self._on_started)
        job.failed.connect(self._on_start_failed)
        if self._report is not None:
            self._report(job, "Live mode could not start")
        job.finished.connect(self._update_buttons)
        self._starting = job
        self._update_buttons()
        self._set_status("Starting…")
        return job

    def stop(self) -> None:
        """Ask the session to stop; the ports are closed on its thread (no waiting here)."""
        session = self._session
        if session is None:
            return
        self._set_status("Stopping…")
        session.stop(timeout=None)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._closed = True  # a session still starting is stopped as soon as it is up
        self.stop()
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        super().closeEvent(event)

    # --- the session (a background job, then the session's own threads) ------------------
    def _start_session(self, settings, input_name: str, output_name: str):
        """On a pool thread: prepare the model (a missing one is said at once), open the
        ports; errors become the job's message (see gui.workers)."""
        from composer.answer import ModelAnswerer
        from composer.generate import GenerationSettings
        from composer.live import LiveSession

        answerer = ModelAnswerer(lambda: self.bundles.get(self._bundle_path),
                                 lambda: self._settings or GenerationSettings())
        answerer.prepare()
        session = LiveSession(
            answerer, input_name, output_name, api=self.api, settings=settings,
            on_status=self._session_status, on_phrase=self._phrase.emit,
            on_answer=self._answer.emit,
        )
        session.start()
        return session

    def _session_status(self, text: str) -> None:
        self._status.emit(text)
        if text == "stopped" or text.startswith("live mode stopped"):
            self._stopped.emit()

    # --- UI thread --------------------------------------------------------------------------
    @Slot(object)
    def _on_started(self, session) -> None:
        self._starting = None
        if self._closed:  # closed while it was starting: nobody will stop it later
            session.stop(timeout=None)
            return
        self._session = session
        self.runningChanged.emit(True)

    @Slot(str)
    def _on_start_failed(self, message: str) -> None:
        self._starting = None
        self._set_status(message)

    @Slot()
    def _on_stopped(self) -> None:
        if self._session is not None:
            self._session = None
            self.runningChanged.emit(False)
        self._update_buttons()

    @Slot(str)
    def _on_status(self, text: str) -> None:
        self._set_status("Stopped." if text == "stopped" else _sentence(text))

    def _set_status(self, text: str) -> None:
        text = for_the_app(text)
        self.status_label.setText(text)
        self.statusChanged.emit(text)

    def _update_buttons(self) -> None:
        busy = self._session is not None or self._starting is not None
        self.start_button.setEnabled(not busy and bool(self.input_combo.currentText()))
        self.stop_button.setEnabled(self._session is not None)
        for widget in (self.input_combo, self.output_combo, self.refresh_button, self.max_wait,
                       self.echo):
            widget.setEnabled(not busy)

    @staticmethod
    def _fill(combo: QComboBox, names: list[str]) -> None:
        current = combo.currentText()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(names)
        if current in names:
            combo.setCurrentIndex(names.index(current))
        combo.blockSignals(False)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."
