"""Record a seed from a MIDI keyboard.

Ports come from :mod:`composer.ports` (which MIDI system: ``COMPOSER_MIDI_API``, else rtmidi's
default). mido calls back on rtmidi's own thread; each message is stamped with the time it
arrived and handed to the UI thread through a queued signal, where notes are assembled in beats
(at the piece's tempo, counted from the moment recording started). Finding ports fails on
machines without a MIDI system (no ALSA sequencer): that is a plain
:class:`~composer.errors.PortError` message and the app carries on.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal, Slot

from composer import ports
from composer.notes import Note


def input_names(api: str | None = None) -> list[str]:
    """MIDI input ports, or PortError saying why there are none to be had."""
    return list(dict.fromkeys(ports.list_ports(api).inputs))


class MidiRecorder(QObject):
    """Turns incoming note messages into Notes; ``notesChanged`` fires as they arrive."""

    notesChanged = Signal(list)  # list[Note] recorded so far (sounding notes end 'now')
    _incoming = Signal(object, float)  # (mido message, monotonic seconds), cross-thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.api: str | None = None  # the MIDI system (None: COMPOSER_MIDI_API or the default)
        self._port = None
        self._t0 = 0.0
        self._start_beat = 0.0
        self._bpm = 120.0
        self._open: dict[int, tuple[float, int]] = {}
        self._notes: list[Note] = []
        self._incoming.connect(self.handle_message)

    def is_recording(self) -> bool:
        return self._port is not None or self._t0 > 0

    def start(self, port_name: str | None, start_beat: float, bpm: float) -> None:
        """Open ``port_name`` (None: record only what :meth:`handle_message` is given)."""
        self.stop()
        self._start_beat, self._bpm = start_beat, bpm
        self._open.clear()
        self._notes = []
        if port_name is not None:
            self._port = ports.open_input(port_name, api=self.api, callback=self._callback)
        self._t0 = time.monotonic()

    def stop(self) -> list[Note]:
        """Close the port; notes still held end now. Returns everything recorded."""
        if self._port is not None:
            try:
                self._port.close()
            except (OSError, RuntimeError):
                pass
            self._port = None
        if self._t0:
            now = self._beat(time.monotonic())
            for pitch in list(self._open):
                self._close(pitch, now)
        self._t0 = 0.0
        return list(self._notes)

    def notes(self) -> list[Note]:
        return list(self._notes)

    def current_beat(self) -> float | None:
        """Where the recording is now, in beats of the piece (None when not recording)."""
        return self._beat(time.monotonic()) if self._t0 else None

    def _callback(self, message) -> None:  # rtmidi thread
        self._incoming.emit(message, time.monotonic())

    def _beat(self, when: float) -> float:
        return self._start_beat + (when - self._t0) * self._bpm / 60.0

    @Slot(object, float)
    def handle_message(self, message, when: float) -> None:
        """Feed one mido message that arrived at monotonic time ``when``."""
        if not self._t0:
            return
        beat = self._beat(when)
        if message.type == "note_on" and message.velocity > 0:
            if message.note in self._open:
                self._close(message.note, beat)
            self._open[message.note] = (beat, message.velocity)
        elif message.type in ("note_off", "note_on") and message.note in self._open:
            self._close(message.note, beat)
        else:
            return
        self.notesChanged.emit(self._preview(beat))

    def _close(self, pitch: int, beat: float) -> None:
        start, velocity = self._open.pop(pitch)
        self._notes.append(Note(start, max(beat, start + 1.0 / 48), pitch, velocity))

    def _preview(self, now: float) -> list[Note]:
        sounding = [Note(s, max(now, s + 1.0 / 48), p, v) for p, (s, v) in self._open.items()]
        return self._notes + sounding
