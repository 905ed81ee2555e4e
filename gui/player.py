"""Playback for the app: a Qt face over :class:`composer.playback.Player`.

frescobaldi's split: the player (``composer.playback``) knows nothing of Qt and reports through
hooks on its own thread; this subclass-by-composition turns the hooks into signals delivered on
the UI thread, so slots may touch widgets. Late signals of a piece that was stopped are
dropped (each ``play`` gets a number, every relay carries it).

Outputs: "Built-in synth" (the sound card, through ``sounddevice``) first, then the MIDI output
ports. Without a sound card, playing to the built-in synth emits ``audioUnavailable`` once,
with the reason, then ``finished`` (each time), and MIDI ports and export keep working. The
sound card stream is kept between plays (opening one costs tens of ms) and closed when another
output is chosen or on :meth:`close`.

A MIDI port is opened afresh for every play, because it can vanish under us (a USB synth
unplugged, a soft synth quit) and come back under the same name: a kept connection to the
old one would send into nothing, silently, on ALSA and JACK alike; opening it again either
reaches the new one or names the problem. While a port plays it is looked for in the port list
every :data:`PORT_CHECK_MS`; gone, playing stops with ``errorOccurred`` and the reason.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from composer.errors import AudioError, PortError
from composer.notes import Piece
from composer.playback import BUILTIN_SYNTH, Player, open_output
from composer.ports import PortWatcher

PORT_CHECK_MS = 1000  # a look-up of the port names costs ~50 µs (composer.ports.PortWatcher)


class QtPlayer(QObject):
    positionChanged = Signal(float)  # beats
    finished = Signal()  # played to the end (or could not start: no sound card)
    errorOccurred = Signal(str)  # the output failed while playing; playing has stopped
    audioUnavailable = Signal(str)  # once: there is no sound card (the reason)

    _position = Signal(int, float)  # relays from the player's thread (number, value)
    _finished = Signal(int)
    _error = Signal(int, str)

    def __init__(self, parent: QObject | None = None, *, api: str | None = None,
                 synth: str = "auto", device: str | None = None,
                 soundfont: str | None = None) -> None:
        """``api``: the MIDI system (None: ``COMPOSER_MIDI_API`` or rtmidi's default);
        ``device``: the sound output (None: the system's default); ``soundfont``: the
        built-in synth's SoundFont (None: :func:`composer.audio.soundfont_path`)."""
        super().__init__(parent)
        self.api = api
        self.synth = synth
        self.device = device
        self.soundfont = soundfont
        self._output = None
        self._output_name: str | None = None
        self._player: Player | None = None
        self._number = 0
        self._audio_reported = False
        # One MIDI client kept for listing ports, made before any sound card stream exists
        # (see composer.live.LiveSession.run: JACK clients and PortAudio callbacks).
        self._watcher = PortWatcher(api)
        self.outputs()  # makes the client now (no MIDI system: tried again later)
        queued = Qt.ConnectionType.QueuedConnection  # always delivered later, on our thread
        self._port_check = QTimer(self)
        self._port_check.setInterval(PORT_CHECK_MS)
        self._port_check.timeout.connect(self._check_port)
        self._position.connect(self._on_position, queued)
        self._finished.connect(self._on_finished, queued)
        self._error.connect(self._on_error, queued)

    def outputs(self) -> list[str]:
        """"Built-in synth", then the MIDI output ports (none without a MIDI system)."""
        from composer.errors import PortError

        try:
            return [BUILTIN_SYNTH, *self._watcher.ports().outputs]
        except PortError:
            return [BUILTIN_SYNTH]

    def play(self, piece: Piece, output: str = BUILTIN_SYNTH, start_beat: float = 0.0) -> bool:
        """Play ``piece`` from ``start_beat`` on ``output``; False if it cannot start.

        A missing MIDI port raises :class:`~composer.errors.PortError`; no sound card is
        reported by ``audioUnavailable`` (once) and ``finished`` instead.
        """
        self.stop()
        try:
            out = self._open(output or BUILTIN_SYNTH)
        except AudioError as exc:
            if not self._audio_reported:
                self._audio_reported = True
                self.audioUnavailable.emit(str(exc))
            self._number += 1
            self._finished.emit(self._number)  # queued: play() returns first
            return False
        self._number += 1
        number = self._number
        self._player = Player(
            out,
            on_position=lambda beat: self._position.emit(number, beat),
            on_finished=lambda: self._finished.emit(number),
            on_error=lambda message: self._error.emit(number, message),
        )
        self._player.play(piece, start_beat)
        if self._output_name != BUILTIN_SYNTH:
            self._port_check.start()
        return True

    def stop(self) -> None:
        """Stop playing and silence what was started; no ``finished`` for it."""
        self._number += 1  # anything still on its way from the old piece is ignored
        self._port_check.stop()
        if self._player is not None:
            self._player.stop()
            self._player = None

    def is_playing(self) -> bool:
        return self._player is not None and self._player.is_playing()

    def close(self) -> None:
        """Stop, and let go of the sound card, the MIDI port and the MIDI client."""
        self.stop()
        self._close_output()
        self._watcher.close()

    # --- outputs ------------------------------------------------------------------------
    def _open(self, name: str):
        if self._output is not None and self._output_name == name == BUILTIN_SYNTH:
            return self._output
        self._close_output()
        self._output = open_output(name, api=self.api, synth=self.synth, device=self.device,
                                   soundfont=self.soundfont)
        self._output_name = name
        return self._output

    def _close_output(self) -> None:
        output, self._output, self._output_name = self._output, None, None
        if output is not None:
            try:
                output.close()
            except Exception:  # noqa: BLE001 - a vanished device must not break closing
                pass

    def _port_listed(self, name: str) -> bool:
        try:
            return name in self._watcher.ports().outputs
        except PortError:  # the MIDI system itself is gone
            return False

    @Slot()
    def _check_port(self) -> None:
        name = self._output_name
        if not self.is_playing() or name is None or name == BUILTIN_SYNTH:
            self._port_check.stop()
            return
        if self._port_listed(name):
            return
        self.stop()
        self._close_output()
        self.errorOccurred.emit(f"MIDI port {name!r} has gone (unplugged, or the program "
                                "that made it quit); playback stopped")

    # --- relays (UI thread) ---------------------------------------------------------------
    @Slot(int, float)
    def _on_position(self, number: int, beat: float) -> None:
        if number == self._number:
            self.positionChanged.emit(beat)

    @Slot(int)
    def _on_finished(self, number: int) -> None:
        if number == self._number:
            self._port_check.stop()
            self._player = None
            self.finished.emit()

    @Slot(int, str)
    def _on_error(self, number: int, message: str) -> None:
        if number == self._number:
            self._port_check.stop()
            self._player = None
            self._close_output()  # a port that failed is opened afresh next time
            self.errorOccurred.emit(message)
