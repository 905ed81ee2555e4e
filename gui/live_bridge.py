"""Live mode in the main window: the live panel in a dock, its notes in the roll.

``gui.live_panel.LivePanel`` (call and response with a MIDI keyboard) is imported when Live is
first switched on, so the app works without it. The panel reports the player's phrase and the
model's answer as pieces; the roll shows them as they grow, in their own colours. The panel
always generates with the model and settings chosen in the Generate panel, from the window's
one bundle cache.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QWidget

from composer.bundle_cache import BundleCache
from composer.errors import ComposerError
from gui.controls import GenerationControls
from gui.document import ANSWER, PHRASE
from gui.messages import Messages
from gui.piano_roll import PianoRoll

AddDock = Callable[[str, QWidget, str], QDockWidget]  # (title, widget, name) -> shown dock


class LiveBridge(QObject):
    """Its collaborators: the roll (to show live notes), the messages, the Live action (kept
    in step with the dock), the generation controls and bundle cache (what to answer with),
    and ``add_dock`` (the window puts the panel's dock where it belongs)."""

    def __init__(self, roll: PianoRoll, messages: Messages, live_action: QAction,
                 controls: GenerationControls, bundles: BundleCache, add_dock: AddDock,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.roll = roll
        self.messages = messages
        self.live_action = live_action
        self.controls = controls
        self.bundles = bundles
        self._add_dock = add_dock
        self.panel = None
        self.api: str | None = None  # the MIDI system (None: COMPOSER_MIDI_API or the default)
        self.dock: QDockWidget | None = None

    def toggle(self, on: bool) -> None:
        if not on:
            if self.dock is not None:
                self.dock.hide()
            return
        if self.panel is None and not self._create():
            self._uncheck()
            return
        self.dock.show()
        self.dock.raise_()

    def _create(self) -> bool:
        try:
            from gui.live_panel import LivePanel

            panel = LivePanel(bundles=self.bundles, api=self.api, report=self.messages.report)
        except ImportError as exc:
            self.messages.show_error(f"Live mode is not available in this installation ({exc})")
            return False
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Live mode")
            return False
        self.panel = panel
        self.dock = self._add_dock("Live", panel, "live_dock")
        # Follows the dock being closed (its own close button), not its tab being covered.
        self.dock.toggleViewAction().toggled.connect(self._dock_toggled)
        panel.phraseChanged.connect(self._phrase)
        panel.answerChanged.connect(self._answer)
        panel.statusChanged.connect(self._status)
        self.update_generation()
        return True

    def _phrase(self, piece) -> None:
        self.roll.set_overlay(PHRASE, piece.notes if piece is not None else [])

    def _answer(self, piece) -> None:
        self.roll.set_overlay(ANSWER, piece.notes if piece is not None else [])

    def _status(self, text: str) -> None:
        self.messages.status(f"Live: {text}", 8000)

    def _dock_toggled(self, shown: bool) -> None:
        if not shown and shiboken6.isValid(self.live_action):
            self._uncheck()

    def _uncheck(self) -> None:
        action = self.live_action
        action.blockSignals(True)
        action.setChecked(False)
        action.blockSignals(False)

    def update_generation(self) -> None:
        """Hand the chosen model and settings to the panel (when they change)."""
        if self.panel is None:
            return
        try:
            self.panel.set_generation(self.controls.model_path(), self.controls.settings())
        except ComposerError as exc:
            self.messages.status(str(exc))

    def shutdown(self) -> None:
        if self.panel is not None:
            self.panel.close()
