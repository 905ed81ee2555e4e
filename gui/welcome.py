"""What an empty piano roll says: how to get a first seed in.

A first-run window used to be an empty dark canvas, with no hint that a MIDI file can be
dropped on it or that examples ship with the app. This panel sits in the middle of the roll
while the piece has no notes: "Drop a .mid here or open an example", a button with the bundled
examples (the same menu as File › Open example), one for the file dialog, and the other ways in
(draw, record). It reports through signals; the window decides what opening means.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

HEADLINE = "Drop a .mid here or open an example"


class WelcomeHint(QFrame):
    openRequested = Signal()  # "Open a file…"

    def __init__(self, host: QWidget, examples: QMenu) -> None:
        """``host``: the widget to sit in the middle of (the roll's viewport); ``examples``:
        the menu of bundled seeds (shared with File › Open example)."""
        super().__init__(host)
        self.setObjectName("welcome")
        # The roll is dark whatever the system palette, so this panel is too.
        self.setStyleSheet(
            "#welcome { background: rgba(42, 46, 55, 235); border: 1px solid #4b5263;"
            " border-radius: 10px; }"
            " QLabel { color: #d7dae0; background: transparent; }"
            " QLabel#headline { color: #ffffff; font-size: 16px; font-weight: bold; }")
        self.headline = QLabel(HEADLINE)
        self.headline.setObjectName("headline")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel("composer continues the music you give it: a few bars are enough.")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.example_button = QPushButton("Open example")
        self.example_button.setMenu(examples)
        self.example_button.setToolTip("Open one of the seeds that come with composer")
        self.example_button.setEnabled(not examples.isEmpty())
        self.open_button = QPushButton("Open a file…")
        self.open_button.setToolTip("Open a MIDI file as the seed (Ctrl+O)")
        self.others = QLabel("or draw notes (press D, then drag in the roll), or record from "
                             "a MIDI keyboard (Ctrl+R)")
        self.others.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.others.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.example_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        layout.addWidget(self.others)
        self.open_button.clicked.connect(self.openRequested)
        self.setFixedWidth(460)
        host.installEventFilter(self)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        host = self.parentWidget()
        self.adjustSize()
        self.move(max((host.width() - self.width()) // 2, 0),
                  max((host.height() - self.height()) // 2, 0))
