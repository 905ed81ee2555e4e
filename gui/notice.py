"""A notice across the top of the piano roll: one problem, said in full, with what to do.

For conditions that are not one failed command but a state of the machine (no sound output):
a status-bar line is cut off and gone after a few seconds, a dialog at every Space press
would nag. The notice stays until closed, says the whole reason on as many lines as it needs,
and offers the fixes as buttons. Showing the same notice again (``key``) replaces it and
flashes it, so a second Space press visibly answers "still no sound output".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QToolButton, QWidget


class NoticeBar(QFrame):
    shown = Signal(str)  # the notice's key, each time it is shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.key = ""
        self._buttons: list[QPushButton] = []
        self.icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size, size))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide this notice")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self.icon)
        self._layout.addWidget(self.text, 1)
        self._layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button.clicked.connect(lambda: self.dismiss())
        self._style(flash=False)
        self.hide()

    def _style(self, flash: bool) -> None:
        # Amber, readable on light and dark palettes alike (its own text colour).
        background = "#ffe08a" if flash else "#fff1c2"
        self.setStyleSheet(f"#notice {{ background: {background}; border-bottom: 1px solid "
                           "#d9b44a; } #notice QLabel { color: #3d3000; }")

    def show_notice(self, key: str, text: str,
                    actions: Sequence[tuple[str, Callable[[], None]]] = ()) -> None:
        """Show ``text`` with a button per (label, callback); the same ``key`` again flashes."""
        again = self.isVisible() and key == self.key
        self.key = key
        self.text.setText(text)
        for button in self._buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self._buttons = []
        for label, callback in actions:
            button = QPushButton(label)
            button.clicked.connect(callback)
            self._layout.insertWidget(self._layout.count() - 1, button, 0,
                                      Qt.AlignmentFlag.AlignTop)
            self._buttons.append(button)
        self.show()
        if again:
            self._style(flash=True)
            # Bound to the bar: a window closed within the flash takes the timer with it.
            QTimer.singleShot(350, self, lambda: self._style(flash=False))
        self.shown.emit(key)

    def dismiss(self, key: str | None = None) -> None:
        """Hide the notice (only if it is ``key``'s, when given)."""
        if key is None or key == self.key:
            self.hide()

    def button_texts(self) -> list[str]:
        return [b.text() for b in self._buttons]

    def click(self, label: str) -> None:
        """Press the button labelled ``label`` (as a click does)."""
        next(b for b in self._buttons if b.text() == label).click()
