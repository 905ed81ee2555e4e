"""The velocity lane under the piano roll: one stem per note, its height the note's velocity.

Why a lane and not a dialog: dynamics are shaped by eye across many notes (a crescendo, a
softer inner voice), which a drag across the stems does in one gesture, as in every DAW. The
lane shares the roll's horizontal scroll and zoom and draws nothing of its own state: notes,
selection and take come from the roll, so it can never disagree with it.

Mouse: press or drag over stems to set the velocity of the notes there to the mouse height;
stems the mouse skipped between two moves get the velocity on the straight line between them,
so a quick stroke draws a whole crescendo.
With notes selected, only selected notes change (so one voice of a chord can be shaped);
otherwise every editable note under the mouse does. The whole drag is one undoable command.
Notes of the take on trial are drawn but not editable (keep the take first).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QWidget

from composer.notes import clamp_velocity
from gui.palette import SELECTED_EDGE
from gui.piano_roll import PianoRoll

HIT_PX = 4.0  # how close (in pixels) the mouse must be to a stem to change it
MARGIN = 4  # px above the stem of velocity 127 and below velocity 0
LANE_BACKGROUND = QColor("#1c1f26")
GUIDE = QColor("#2f343e")


class VelocityLane(QWidget):
    """Stems of the visible notes' velocities; drag to change them (see the module doc)."""

    HEIGHT = 72

    def __init__(self, roll: PianoRoll, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roll = roll
        self._preview: dict[int, int] = {}  # note id -> velocity while dragging
        self._last: QPointF | None = None  # the previous mouse point of the drag
        self.setFixedHeight(self.HEIGHT)
        self.setMouseTracking(True)
        self.setToolTip("Velocity (loudness) of each note. Drag over the stems to change it;\n"
                        "with notes selected, only those change.")
        roll.viewChanged.connect(self.update)
        roll.selectionChanged.connect(self.update)

    # ----- geometry ----------------------------------------------------------------------
    def velocity_to_y(self, velocity: int) -> float:
        span = self.height() - 2 * MARGIN
        return MARGIN + span * (1.0 - velocity / 127.0)

    def y_to_velocity(self, y: float) -> int:
        span = max(self.height() - 2 * MARGIN, 1)
        return clamp_velocity(round(127 * (1.0 - (y - MARGIN) / span)))

    def notes_at(self, x: float) -> list[int]:
        """Ids of the editable notes whose stem is within ``HIT_PX`` of ``x``."""
        return [note_id for note_id, _x in self._stems(x - HIT_PX, x + HIT_PX)]

    def _stems(self, left: float, right: float) -> list[tuple[int, float]]:
        """(id, stem x) of the editable notes with a visible stem in [left, right]."""
        roll = self.roll
        left, right = max(left, 0.0), min(right, self._width())
        slack = 1.0 / roll.px_per_beat
        found = []
        for it in roll._index.between(roll.x_to_beat(left) - slack, roll.x_to_beat(right)):
            x = roll.beat_to_x(it.start)
            if it.note_id is not None and left <= x <= right and (
                    not roll.selection or it.note_id in roll.selection):
                found.append((it.note_id, x))
        return found

    def _width(self) -> float:
        """The lane's drawn width: the roll's viewport (the lane also spans its scroll bar)."""
        return float(min(self.width(), self.roll.viewport().width()))

    # ----- painting ----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), LANE_BACKGROUND)
        painter.setPen(QPen(GUIDE, 1))
        for velocity in (32, 64, 96, 127):
            y = round(self.velocity_to_y(velocity)) + 0.5
            painter.drawLine(QPointF(0, y), QPointF(self.width(), y))
        roll = self.roll
        painter.setClipRect(QRectF(0, 0, self._width(), self.height()))
        first, last = roll.visible_beats()
        bottom = self.velocity_to_y(0)
        for it in roll._index.between(first, last):
            if it.start < first - HIT_PX / roll.px_per_beat:
                continue  # started off screen: its stem is not visible
            velocity = self._preview.get(it.note_id, it.velocity)
            x = round(roll.beat_to_x(it.start)) + 0.5
            y = self.velocity_to_y(velocity)
            selected = it.note_id is not None and it.note_id in roll.selection
            colour = roll.origin_color(it.origin)
            if it.note_id is None:
                colour.setAlpha(150)  # the take on trial: shown, not editable
            painter.setPen(QPen(SELECTED_EDGE if selected else colour, 2 if selected else 1))
            painter.drawLine(QPointF(x, bottom), QPointF(x, y))
            painter.setBrush(colour if not selected else SELECTED_EDGE)
            painter.drawEllipse(QRectF(x - 2.5, y - 2.5, 5, 5))
        painter.end()

    # ----- mouse -------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._preview = {}
            self._last = None
            self._set_at(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._set_at(pos)
        ids = self.notes_at(pos.x())
        if ids:
            notes = self.roll.doc.notes
            values = sorted({self._preview.get(i, notes[i].note.velocity) for i in ids})
            text = ", ".join(str(v) for v in values[:4]) + ("…" if len(values) > 4 else "")
            self.roll.hovered.emit(f"velocity {text}")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self._preview:
            return
        notes = self.roll.doc.notes
        changes = {i: replace(notes[i].note, velocity=v) for i, v in self._preview.items()
                   if i in notes and notes[i].note.velocity != v}
        self._preview = {}
        self._last = None
        if changes:
            count = len(changes)
            self.roll.doc.change_notes(
                changes, f"Change velocity of {count} note{'s' if count > 1 else ''}")
        self.update()

    def leaveEvent(self, event) -> None:
        self.roll.hovered.emit("")
        super().leaveEvent(event)

    def _set_at(self, pos: QPointF) -> None:
        """Set the stems under ``pos`` and those passed over since the last point."""
        last, self._last = self._last, QPointF(pos)
        if last is None or abs(pos.x() - last.x()) < 1.0:
            velocity = self.y_to_velocity(pos.y())
            for note_id in self.notes_at(pos.x()):
                self._preview[note_id] = velocity
        else:
            left, right = sorted((last.x(), pos.x()))
            for note_id, x in self._stems(left - HIT_PX, right + HIT_PX):
                along = min(max((x - last.x()) / (pos.x() - last.x()), 0.0), 1.0)
                y = last.y() + (pos.y() - last.y()) * along
                self._preview[note_id] = self.y_to_velocity(y)
        self.update()
