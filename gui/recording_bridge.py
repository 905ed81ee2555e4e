"""Recording in the window: the MIDI input chooser, Record on and off, the notes as they come.

Recording starts at the bar line after the piece (or at beat 0 in an empty one) at the piece's
tempo; the notes being played show in the roll (the ``recording`` overlay) and become seed
notes, one undoable step, when recording stops. Without a MIDI system or keyboard, Record is
disabled and says why.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox

from composer.errors import PortError
from composer.notes import Note
from gui import grid
from gui.document import RECORDING, SEED, Document
from gui.messages import Messages, for_the_app
from gui.piano_roll import PianoRoll
from gui.recorder import MidiRecorder, input_names

NO_INPUT = "No MIDI input"


class RecordingBridge(QObject):
    def __init__(self, recorder: MidiRecorder, doc: Document, roll: PianoRoll,
                 input_combo: QComboBox, record_action: QAction, messages: Messages,
                 settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.recorder = recorder
        self.doc = doc
        self.roll = roll
        self.input_combo = input_combo
        self.record_action = record_action
        self.messages = messages
        self.settings = settings
        self.reason = ""  # why there is no input, when there is none
        self.timer = QTimer(self)
        self.timer.setInterval(40)
        self.timer.timeout.connect(self._tick)
        recorder.notesChanged.connect(lambda notes: roll.set_overlay(RECORDING, notes))

    def refresh_inputs(self, announce: bool = True) -> list[str]:
        """List MIDI inputs; with none (or no MIDI system) disable recording and say why: in
        the Record button's tip always, in the status bar too when ``announce`` (not at start:
        a first-time user's first message should not be about a missing MIDI system)."""
        try:
            names = input_names(self.recorder.api)
            reason = "no MIDI keyboard connected"
        except PortError as exc:
            names, reason = [], for_the_app(str(exc))
        combo, action = self.input_combo, self.record_action
        current = combo.currentText() or self.settings.value("input", "")
        combo.clear()
        if names:
            combo.addItems(names)
            combo.setCurrentIndex(max(combo.findText(str(current)), 0))
            combo.setEnabled(True)
            action.setEnabled(True)
            action.setToolTip("Record notes from the MIDI keyboard (Ctrl+R)")
        else:
            combo.addItem(NO_INPUT)
            combo.setEnabled(False)
            combo.setToolTip(reason)
            action.setEnabled(False)
            action.setToolTip(f"Recording needs a MIDI keyboard: {reason}")
            if announce:
                self.messages.status(f"No MIDI input: {reason}", 15000)
        self.reason = reason
        return names

    def start_beat(self) -> float:
        end = self.doc.end_beat()
        return grid.next_bar_line(self.doc.time_signatures, end) if end > 0 else 0.0

    def toggle(self, on: bool) -> None:
        if on:
            port = self.input_combo.currentText()
            if not self.input_combo.isEnabled() or not port or port == NO_INPUT:
                self.record_action.setChecked(False)
                self.messages.show_error(f"Cannot record: {self.reason}")
                return
            self.start(port)
        else:
            self.stop()

    def start(self, port: str | None) -> bool:
        """Record after the piece (``port`` None: only what the recorder is fed)."""
        start = self.start_beat()
        try:
            self.recorder.start(port, start, self.doc.template.bpm)
        except PortError as exc:
            self._uncheck()
            self.messages.show_error(str(exc), "Cannot record")
            self.refresh_inputs()
            return False
        self.roll.set_cursor_beat(start)
        self.timer.start()
        self.messages.status(f"Recording from bar "
                             f"{grid.describe_beat(self.doc.time_signatures, start)}"
                             " … press Ctrl+R again to stop", 0)
        return True

    def stop(self) -> list[Note]:
        notes = self.recorder.stop()
        self.timer.stop()
        self.roll.set_overlay(RECORDING, [])
        self.roll.set_playhead(None)
        if self.record_action.isChecked():
            self._uncheck()
        if notes:
            self.doc.add_notes(notes, SEED, f"Record {len(notes)} notes")
            self.messages.status(f"Recorded {len(notes)} notes")
        else:
            self.messages.status("Nothing was recorded")
        return notes

    def shutdown(self) -> None:
        if self.recorder.is_recording():
            self.recorder.stop()

    def _uncheck(self) -> None:
        self.record_action.blockSignals(True)
        self.record_action.setChecked(False)
        self.record_action.blockSignals(False)

    def _tick(self) -> None:
        beat = self.recorder.current_beat()
        if beat is not None:
            self.roll.set_playhead(beat)
