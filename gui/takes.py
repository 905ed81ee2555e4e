"""The list of generated takes, with a readout for each and the buttons to use them.

Selecting a take shows it in the roll (on trial, in its own colour); "Keep" appends it to the
piece (undoable), "Keep & continue" keeps it and generates again from the new end, "Discard"
drops the list. Regenerating is just Generate again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from gui import grid
from gui.document import TAKE
from gui.palette import ORIGIN_COLORS


def _swatch(color: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(color)
    return QIcon(pixmap)


class TakesPanel(QWidget):
    takeSelected = Signal(int)  # index into the takes, -1 for none
    keepRequested = Signal()
    keepContinueRequested = Signal()
    discardRequested = Signal()
    playRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style = self.style()
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        self.list.setToolTip("Generated takes: select one to see and hear it in context")
        self.placeholder = QLabel("No takes yet. Press Generate (Ctrl+G).")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: palette(mid);")
        self.play_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay),
                                       "Play take")
        self.play_button.setToolTip("Play the last bar of the piece and the selected take")
        self.keep_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton), "Keep")
        self.keep_button.setToolTip("Append the selected take to the piece (Ctrl+Return)")
        self.continue_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "Keep && continue")
        self.continue_button.setToolTip("Keep the selected take, then generate from its end")
        self.discard_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogDiscardButton), "Discard")
        self.discard_button.setToolTip("Drop all takes")
        buttons = QGridLayout()
        buttons.addWidget(self.play_button, 0, 0)
        buttons.addWidget(self.keep_button, 0, 1)
        buttons.addWidget(self.continue_button, 1, 0)
        buttons.addWidget(self.discard_button, 1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.list.currentRowChanged.connect(self._row_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self.playRequested.emit())
        self.keep_button.clicked.connect(self.keepRequested)
        self.continue_button.clicked.connect(self.keepContinueRequested)
        self.discard_button.clicked.connect(self.discardRequested)
        self.play_button.clicked.connect(self.playRequested)
        self.set_takes([])

    def set_takes(self, takes) -> None:
        """Show takes (``composer.generate.Take``) and select the first one."""
        self.list.blockSignals(True)
        self.list.clear()
        icon = _swatch(ORIGIN_COLORS[TAKE])
        for take in takes:
            info = grid.readout(take.notes, take.start_beat, take.end_beat)
            item = QListWidgetItem(icon, f"Take {take.index + 1}  —  {info.text()}")
            item.setToolTip(f"Beats {take.start_beat:g}–{take.end_beat:g}, "
                            f"{len(take.ids)} events")
            self.list.addItem(item)
        self.list.blockSignals(False)
        has = bool(takes)
        self.placeholder.setVisible(not has)
        self.list.setVisible(has)
        for button in (self.play_button, self.keep_button, self.continue_button,
                       self.discard_button):
            button.setEnabled(has)
        self.list.setCurrentRow(0 if has else -1)
        if not has:
            self.takeSelected.emit(-1)

    def current(self) -> int:
        return self.list.currentRow()

    def _row_changed(self, row: int) -> None:
        self.takeSelected.emit(row)
