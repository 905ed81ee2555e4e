"""The piano roll as the window shows it: ruler, keyboard, note area and velocity lane.

Kept apart from :mod:`gui.piano_roll` so that the lanes around the note area (which read the
roll) can be imported by this module without an import cycle.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from gui.document import Document
from gui.piano_roll import PianoRoll
from gui.roll_margins import KeyboardStrip, Ruler
from gui.velocity_lane import VelocityLane


class PianoRollView(QWidget):
    """Ruler + keyboard + roll + velocity lane, laid out and scrolled together."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roll = PianoRoll(document, self)
        self.keyboard = KeyboardStrip(self.roll, self)
        self.ruler = Ruler(self.roll, self)
        self.velocity = VelocityLane(self.roll, self)
        corner = QWidget(self)
        corner.setFixedSize(KeyboardStrip.WIDTH, Ruler.HEIGHT)
        corner.setStyleSheet("background: #2a2e37;")
        lane_label = QLabel("Velocity", self)
        lane_label.setFixedSize(KeyboardStrip.WIDTH, VelocityLane.HEIGHT)
        lane_label.setStyleSheet("background: #2a2e37; color: #9aa1ad; font-size: 10px;")
        lane_label.setWordWrap(True)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(corner, 0, 0)
        layout.addWidget(self.ruler, 0, 1)
        layout.addWidget(self.keyboard, 1, 0)
        layout.addWidget(self.roll, 1, 1)
        layout.addWidget(lane_label, 2, 0)
        layout.addWidget(self.velocity, 2, 1)
