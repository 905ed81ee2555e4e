"""Live mode in the main window: the live panel in a dock, its notes in the roll.

``gui.live_panel.LivePanel`` (call and response with a MIDI keyboard) is imported when Live is
first switched on, so the app works without it. The panel reports the player's phrase and the
model's answer as pieces; the roll shows them as they grow, in their own colours. The panel
always generates with the model and settings chosen in the Generate panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget

from composer.errors import ComposerError
from gui.document import ANSWER, PHRASE

if TYPE_CHECKING:
    from gui.main_window import MainWindow


class LiveBridge(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.panel = None
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
        window = self.window
        try:
            from gui.live_panel import LivePanel

            panel = LivePanel(window, bundles=window.bundles)
        except ImportError as exc:
            window.show_error(f"Live mode is not available in this installation ({exc})")
            return False
        except ComposerError as exc:
            window.show_error(str(exc), "Live mode")
            return False
        self.panel = panel
        self.dock = window.make_dock("Live", panel, "live_dock")
        # Follows the dock being closed (its own close button), not its tab being covered.
        self.dock.toggleViewAction().toggled.connect(self._dock_toggled)
        # A tab next to the takes: the roll keeps its height, the panel is one click away.
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.takes_dock, self.dock)
        panel.phraseChanged.connect(self._phrase)
        panel.answerChanged.connect(self._answer)
        if hasattr(panel, "statusChanged"):
            panel.statusChanged.connect(self._status)
        self.update_generation()
        return True

    def _phrase(self, piece) -> None:
        self.window.roll.set_overlay(PHRASE, piece.notes if piece is not None else [])

    def _answer(self, piece) -> None:
        self.window.roll.set_overlay(ANSWER, piece.notes if piece is not None else [])

    def _status(self, text: str) -> None:
        self.window.status(f"Live: {text}", 8000)

    def _dock_toggled(self, shown: bool) -> None:
        if not shown and shiboken6.isValid(self.window):
            self._uncheck()

    def _uncheck(self) -> None:
        action = self.window.live_action
        action.blockSignals(True)
        action.setChecked(False)
        action.blockSignals(False)

    def update_generation(self) -> None:
        """Hand the chosen model and settings to the panel (when they change)."""
        if self.panel is None:
            return
        controls = self.window.controls
        try:
            self.panel.set_generation(controls.model_path(), controls.settings())
        except ComposerError as exc:
            self.window.status(str(exc))

    def shutdown(self) -> None:
        if self.panel is not None:
            self.panel.close()
