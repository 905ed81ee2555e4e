"""Playback for the main window: what to play, where to, and the playhead.

The player itself (``gui.player.QtPlayer``, a Qt face over :class:`composer.playback.Player`)
is imported on first use, so the app starts fast and still runs when playback cannot work
(no sound card: a notice over the roll says so in full, and every later Space press shows it
again; MIDI outputs and export keep working). Three things can be played: the piece with the
selected take from the play cursor (Space), only the seed, or the take with the bar before it
for context. Selecting another take while playing goes on from the same spot with the new
take, so two takes can be compared (A/B) as they play.

The player is made with the Preferences' sound output, SoundFont and MIDI system
(``preferences()``: keyword arguments of ``QtPlayer``); :meth:`reset` drops it after they
change.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QWidget

from composer.errors import ComposerError
from gui import grid, icons
from gui.document import SEED, Document
from gui.messages import Messages
from gui.piano_roll import PianoRoll

BUILT_IN_SYNTH = "Built-in synth"
NO_SOUND = "no-sound"  # the notice's key


class PlaybackBridge(QObject):
    """Its collaborators, no more: the piece, the roll and ruler (cursor, playhead), the
    output chooser, the play action (its icon), the messages and the selected take."""

    def __init__(self, doc: Document, roll: PianoRoll, ruler: QWidget,
                 output_combo: QComboBox, play_action: QAction, messages: Messages,
                 current_take: Callable[[], object], *,
                 preferences: Callable[[], dict] = dict,
                 open_preferences: Callable[[], object] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.roll = roll
        self.ruler = ruler
        self.output_combo = output_combo
        self.play_action = play_action
        self.messages = messages
        self.current_take = current_take
        self._preferences = preferences
        self._open_preferences = open_preferences
        self._player = None
        self.unavailable: str | None = None  # why there is no player at all, if so
        self.no_sound: str | None = None  # why the built-in synth cannot sound, if so
        self._playing_icon = False
        output_combo.addItem(BUILT_IN_SYNTH)

    # ----- the player --------------------------------------------------------------------
    def player(self):
        """The QtPlayer, created on first use; None (after one message) if unavailable."""
        if self._player is not None or self.unavailable:
            return self._player
        try:
            from gui.player import QtPlayer

            player = QtPlayer(self, **self._preferences())
        except ImportError as exc:
            self.unavailable = f"Playback is not available in this installation ({exc})"
        except ComposerError as exc:
            self.unavailable = str(exc)
        if self.unavailable:
            self.messages.show_error(self.unavailable, "Playback")
            return None
        player.positionChanged.connect(self._position)
        player.finished.connect(self._finished)
        player.errorOccurred.connect(self._error)
        player.audioUnavailable.connect(self._audio_unavailable)
        self._player = player
        self.fill_outputs()
        return player

    def is_playing(self) -> bool:
        return self._player is not None and self._player.is_playing()

    def fill_outputs(self) -> None:
        """List the outputs (built-in synth, MIDI ports), keeping the current choice."""
        if self._player is None:
            return
        combo = self.output_combo
        current = combo.currentText()
        try:
            names = list(self._player.outputs()) or [BUILT_IN_SYNTH]
        except ComposerError as exc:
            names = [BUILT_IN_SYNTH]
            self.messages.status(str(exc))
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(names)
        combo.setCurrentIndex(max(combo.findText(current), 0))
        combo.blockSignals(False)

    # ----- what to play ------------------------------------------------------------------
    def play(self, piece, start_beat: float, what: str) -> bool:
        if not piece.notes:
            self.messages.status("Nothing to play")
            return False
        player = self.player()
        if player is None:
            return False
        if player.is_playing():
            player.stop()
        try:
            started = player.play(piece, self.output_combo.currentText() or BUILT_IN_SYNTH,
                                  max(start_beat, 0.0))
        except ComposerError as exc:  # e.g. the chosen MIDI port has vanished
            self.messages.show_error(str(exc), "Playback")
            self.fill_outputs()
            return False
        if started is False:  # no sound card: audioUnavailable said why, the first time
            self._tell_no_sound()
            return False
        self.no_sound = None
        self.messages.dismiss_notice(NO_SOUND)
        self._set_icon(playing=True)
        self.messages.status(f"Playing {what}", 3000)
        return True

    def piece_with_take(self):
        """The piece plus the selected take (what the roll shows)."""
        from composer.infill import with_take

        piece = self.doc.to_piece()
        take = self.current_take()
        return with_take(piece, take) if take is not None else piece

    def play_all(self) -> bool:
        piece = self.piece_with_take()
        start = self.roll.cursor_beat
        if start >= piece.end_beat:
            start = 0.0
        return self.play(piece, start, "from the cursor")

    def play_seed(self) -> bool:
        return self.play(self.doc.to_piece(origins=[SEED]), 0.0, "the seed")

    def play_take(self) -> bool:
        take = self.current_take()
        if take is None:
            return False
        sigs = self.doc.time_signatures
        bar = grid.bar_at(sigs, max(take.start_beat - 1e-6, 0.0))  # the bar before the take
        start = bar.start if bar.start < take.start_beat else take.start_beat - bar.length
        return self.play(self.piece_with_take(), max(start, 0.0), f"take {take.index + 1}")

    def toggle(self) -> None:
        if self.is_playing():
            self.stop()
        else:
            self.play_all()

    def stop(self) -> None:
        if self.is_playing():
            self._player.stop()
        self._finished()

    def take_changed(self) -> None:
        """Another take was selected: while playing, go on from the same spot with it."""
        if not self.is_playing() or self.roll.playhead is None:
            return
        self.play(self.piece_with_take(), self.roll.playhead, "from here with the new take")

    def reset(self) -> None:
        """Forget the player (the preferences changed): the next play makes a new one."""
        self.stop()
        self.shutdown()
        self._player = None
        self.unavailable = None
        self.no_sound = None

    def shutdown(self) -> None:
        """Stop and let go of the sound card or MIDI port."""
        if self._player is not None:
            try:
                self._player.close()
            except ComposerError:
                pass

    # ----- player -> window --------------------------------------------------------------
    def _position(self, beat: float) -> None:
        self.roll.set_playhead(beat)
        self.ruler.update()

    def _finished(self) -> None:
        self.roll.set_playhead(None)
        self.ruler.update()
        self._set_icon(playing=False)

    def _set_icon(self, playing: bool) -> None:
        self._playing_icon = playing
        self.refresh_icon()

    def refresh_icon(self) -> None:
        """Play or pause, in the colours of the window's palette."""
        ink = icons.Ink.of(self.roll.window())
        self.play_action.setIcon(icons.pause(ink) if self._playing_icon else icons.play(ink))

    def _error(self, message: str) -> None:
        self._finished()
        self.messages.show_error(message, "Playback")
        self.fill_outputs()  # a port that has gone leaves the list

    def _audio_unavailable(self, reason: str) -> None:
        self.no_sound = reason
        self._tell_no_sound()

    def _tell_no_sound(self) -> None:
        """One clear notice (again at every try), and a short line in the status bar."""
        reason = self.no_sound or "the sound output cannot be opened"
        actions = [("Try again", self._try_again)]
        if self._open_preferences is not None:
            actions.insert(0, ("Preferences…", self._open_preferences))
        self.messages.notice(
            NO_SOUND,
            "<b>No sound output.</b> The built-in synth cannot play: "
            f"{html.escape(reason)}.<br>You can still play to a MIDI output (the box next to "
            "Stop), export the piece as MIDI or WAV (Ctrl+E), or choose another sound output "
            "in Preferences.", actions)
        self.messages.status("Cannot play: no sound output (see the notice above the roll)",
                             8000)

    def _try_again(self) -> None:
        from composer.playback import rescan_audio_devices

        rescan_audio_devices()
        self.reset()
        self.messages.dismiss_notice(NO_SOUND)
        self.play_all()
