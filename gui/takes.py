"""The takes history: every generation's takes, newest first, and the buttons to use them.

Each generation is a heading (its settings: temperature, top-p, style, random seed) over its
takes; each take has its own colour (the same in the roll) and a tooltip with everything that
made it. Selecting a take shows it in the roll; "Keep" appends it to the piece (undoable: undo
brings the takes back), "Keep & continue" keeps it and generates from the new end, "Make again"
regenerates the selected take alone (the same notes, from its own random seed), "A/B" goes back
to the take selected before (to compare two), "Discard" drops the history.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from gui import grid
from gui.palette import take_color


def swatch(color: QColor) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(color.darker(160))
    painter.setBrush(color)
    painter.drawRoundedRect(1, 1, 12, 12, 3, 3)
    painter.end()
    return QIcon(pixmap)


class TakesPanel(QWidget):
    takeSelected = Signal(object)  # the selected take's key (generation, index); None: none
    keepRequested = Signal()
    keepContinueRequested = Signal()
    discardRequested = Signal()
    playRequested = Signal()
    againRequested = Signal(object)  # make the take with this key again, alone

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style = self.style()
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setToolTip("Generated takes: select one to see and hear it in context")
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.placeholder = QLabel("No takes yet. Press Generate (Ctrl+G).")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.play_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay),
                                       "Play take")
        self.play_button.setToolTip("Play the last bar of the piece and the selected take "
                                    "(Ctrl+T)")
        self.keep_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton), "Keep")
        self.keep_button.setToolTip("Append the selected take to the piece (Ctrl+Return); "
                                    "undo brings the takes back")
        self.continue_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "Keep && continue")
        self.continue_button.setToolTip("Keep the selected take, then generate from its end")
        self.compare_button = QPushButton("A/B")
        self.compare_button.setToolTip("Back to the take selected before, to compare the two "
                                       "(Alt+B)")
        self.again_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "Make again")
        self.again_button.setToolTip("Generate the selected take again, alone, from its own "
                                     "random seed (the same notes for the same piece)")
        self.discard_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogDiscardButton), "Discard all")
        self.discard_button.setToolTip("Drop every take of the history")
        buttons = QGridLayout()
        buttons.addWidget(self.play_button, 0, 0)
        buttons.addWidget(self.keep_button, 0, 1)
        buttons.addWidget(self.continue_button, 1, 0)
        buttons.addWidget(self.compare_button, 1, 1)
        buttons.addWidget(self.again_button, 2, 0)
        buttons.addWidget(self.discard_button, 2, 1)
        self.button_grid = buttons  # gui.ratings_bridge adds a column: like, dislike, more
        layout = QVBoxLayout(self)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._keys: list[tuple[int, int] | None] = []
        self._records: dict = {}  # key -> TakeRecord, of the rows shown
        # Set by gui.ratings_bridge: per record, a line for its row and lines for its tooltip
        # (its scores, its rating); the order of a generation's takes (sorted by fit); more
        # entries for the context menu (like, dislike).
        self.annotate = None  # Callable[[TakeRecord], tuple[str, str]] | None
        self.order = None  # Callable[[Sequence[TakeRecord]], list[TakeRecord]] | None
        self.menu_actions: list = []
        self._selected: tuple[int, int] | None = None
        self._before: tuple[int, int] | None = None  # the take selected before (A/B)
        self.list.currentItemChanged.connect(self._item_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self.playRequested.emit())
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.keep_button.clicked.connect(self.keepRequested)
        self.continue_button.clicked.connect(self.keepContinueRequested)
        self.discard_button.clicked.connect(self.discardRequested)
        self.play_button.clicked.connect(self.playRequested)
        self.compare_button.clicked.connect(self.compare)
        self.again_button.clicked.connect(lambda: self.current() is not None
                                          and self.againRequested.emit(self.current()))
        self.set_history([])

    # ----- showing the history -------------------------------------------------------------
    def set_history(self, groups, select: tuple[int, int] | None = None) -> None:
        """Show ``groups`` (:class:`gui.take_history.TakeGroup`, oldest first) newest first,
        and select ``select`` (default: the first take of the newest generation)."""
        self.list.blockSignals(True)
        self.list.clear()
        self._keys = []  # per row: the take's key, None for a heading
        self._records = {}
        keys = []
        for group in reversed(groups):
            heading = QListWidgetItem(group.headline())
            heading.setFlags(Qt.ItemFlag.ItemIsEnabled)  # not selectable: a heading
            font = heading.font()
            font.setBold(True)
            heading.setFont(font)
            heading.setToolTip(group.headline())
            self.list.addItem(heading)
            self._keys.append(None)
            for record in (self.order(group.records) if self.order else group.records):
                item = QListWidgetItem(swatch(take_color(record.serial)), "")
                self._describe(item, record)
                self.list.addItem(item)
                self._keys.append(record.key)
                self._records[record.key] = record
                keys.append(record.key)
        self.list.blockSignals(False)
        has = bool(keys)
        self.placeholder.setVisible(not has)
        self.list.setVisible(has)
        for button in (self.play_button, self.keep_button, self.continue_button,
                       self.discard_button, self.again_button):
            button.setEnabled(has)
        chosen = select if select in keys else (keys[0] if keys else None)
        previous, self._selected = self._selected, None
        if previous in keys and previous != chosen:
            self._before = previous  # A/B: the new take against the one listened to before
        elif self._before not in keys or self._before == chosen:
            self._before = None
        self.compare_button.setEnabled(self._before is not None)
        if chosen is None:
            self.list.setCurrentRow(-1)
            self.takeSelected.emit(None)
        else:
            self.select(chosen)

    def _describe(self, item: QListWidgetItem, record) -> None:
        take = record.take
        info = grid.readout(take.notes, take.start_beat, take.end_beat)
        line, tip = self.annotate(record) if self.annotate else ("", "")
        item.setText(f"{record.label}  —  {info.text()}" + (f"\n{line}" if line else ""))
        item.setToolTip(record.describe() + (f"\n\n{tip}" if tip else ""))

    def refresh(self) -> None:
        """Say each row's take again (its scores or its rating changed), in place."""
        for row, key in enumerate(self._keys):
            record = self._records.get(key) if key is not None else None
            if record is not None:
                self._describe(self.list.item(row), record)

    def keys(self) -> list[tuple[int, int]]:
        """The takes' keys in the order shown (newest generation first)."""
        return [key for key in self._keys if key is not None]

    def row_of(self, key) -> int:
        return self._keys.index(key) if key is not None and key in self._keys else -1

    def key_at(self, row: int) -> tuple[int, int] | None:
        return self._keys[row] if 0 <= row < len(self._keys) else None

    # ----- choosing ------------------------------------------------------------------------
    def current(self) -> tuple[int, int] | None:
        return self._selected

    def select(self, key) -> None:
        row = self.row_of(key)
        if row >= 0:
            self.list.setCurrentRow(row)
            self.list.scrollToItem(self.list.item(row))

    def step(self, delta: int) -> None:
        """Select the next (+1) or previous (-1) take in the list, across generations."""
        keys = self.keys()
        if not keys:
            return
        if self._selected not in keys:
            self.select(keys[0])
            return
        index = min(max(keys.index(self._selected) + delta, 0), len(keys) - 1)
        self.select(keys[index])

    def compare(self) -> None:
        """A/B: back to the take selected before this one (again: forth)."""
        if self._before is not None and self.row_of(self._before) >= 0:
            self.select(self._before)

    def focus_list(self) -> None:
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    def _item_changed(self, item: QListWidgetItem | None, _previous=None) -> None:
        key = self.key_at(self.list.row(item)) if item is not None else None
        if key is None or key == self._selected:
            return
        if self._selected is not None:
            self._before = self._selected
        self._selected = key
        self.compare_button.setEnabled(self._before is not None)
        self.takeSelected.emit(key)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        key = self.key_at(self.list.row(item)) if item is not None else None
        if key is None:
            return
        self.select(key)
        menu = QMenu(self)
        menu.addAction("Play take", self.playRequested.emit)
        menu.addAction("Keep", self.keepRequested.emit)
        menu.addAction("Make again (alone)", lambda: self.againRequested.emit(key))
        if self.menu_actions:
            menu.addSeparator()
            menu.addActions(self.menu_actions)
        menu.popup(self.list.viewport().mapToGlobal(pos))
