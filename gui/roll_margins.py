"""The roll's margins: the piano keys on its left and the bar ruler above it, scrolled and
zoomed with it (they follow its ``viewChanged``)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QWidget

from gui import grid
from gui.document import TAKE
from gui.palette import (
    BLACK_KEY,
    CURSOR_LINE,
    KEY_LABEL,
    KEY_LINE,
    KEYS_BACKGROUND,
    KEYS_EDGE,
    PLAYHEAD,
    RULER_BACKGROUND,
    RULER_LABEL,
    RULER_TICK,
)
from gui.piano_roll import PianoRoll


class KeyboardStrip(QWidget):
    """Piano keys left of the roll, scrolled with it; C keys are labelled."""

    WIDTH = 58

    def __init__(self, roll: PianoRoll, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roll = roll
        self.setFixedWidth(self.WIDTH)
        roll.viewChanged.connect(self.update)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        roll = self.roll
        painter.fillRect(self.rect(), KEYS_BACKGROUND)
        low, high = roll.y_to_pitch(self.height()), roll.y_to_pitch(0)
        font = QFont(self.font())
        font.setPixelSize(max(min(int(roll.key_height) - 2, 11), 7))
        painter.setFont(font)
        for pitch in range(low, high + 1):
            y = roll.pitch_to_y(pitch)
            r = QRectF(0, y, self.width(), roll.key_height)
            if grid.is_black(pitch):
                painter.fillRect(QRectF(0, y, self.width() * 0.62, roll.key_height),
                                 BLACK_KEY)
            else:
                painter.setPen(QPen(KEY_LINE, 1))
                painter.drawLine(QPointF(0, y + roll.key_height), QPointF(self.width(),
                                                                          y + roll.key_height))
            if pitch % 12 == 0 and roll.key_height >= 7:
                painter.setPen(KEY_LABEL)
                painter.drawText(r.adjusted(0, 0, -4, 0),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                 grid.pitch_name(pitch))
        painter.setPen(QPen(KEYS_EDGE, 1))
        painter.drawLine(self.width() - 1, 0, self.width() - 1, self.height())
        painter.end()


class Ruler(QWidget):
    """Bar numbers above the roll; click or drag to set where playback starts, Shift+click or
    Shift+drag to select whole bars (what Regenerate selection redoes)."""

    HEIGHT = 26
    barsSelected = Signal(object)  # (start beat, end beat) of the selected bars, or None

    def __init__(self, roll: PianoRoll, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roll = roll
        self.setFixedHeight(self.HEIGHT)
        self.setToolTip("Bars. Click to set where playback starts; Shift+drag to select bars "
                        "(Regenerate selection, Ctrl+Shift+R).")
        self.bar_span: tuple[float, float] | None = None
        self._anchor: float | None = None
        roll.viewChanged.connect(self.update)
        roll.cursorMoved.connect(lambda _beat: self.update())

    def _set_cursor(self, x: float) -> None:
        roll = self.roll
        roll.set_cursor_beat(grid.snap(roll.x_to_beat(x), roll.snap_beats or 1.0))

    def select_bars(self, span: tuple[float, float] | None) -> None:
        """Select the bars covering ``span`` (beats; None: none)."""
        if span is not None:
            sigs = self.roll.doc.time_signatures
            first = grid.bar_at(sigs, min(span))
            last = grid.bar_at(sigs, max(max(span) - 1e-6, min(span)))
            span = (first.start, last.end)
        if span != self.bar_span:
            self.bar_span = span
            self.barsSelected.emit(span)
            self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        beat = max(self.roll.x_to_beat(event.position().x()), 0.0)
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._anchor = beat
            self.select_bars((beat, beat))
            return
        self._anchor = None
        self.select_bars(None)
        self._set_cursor(event.position().x())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not event.buttons() & Qt.MouseButton.LeftButton:
            return
        if self._anchor is not None:
            beat = max(self.roll.x_to_beat(event.position().x()), 0.0)
            self.select_bars((min(self._anchor, beat), max(self._anchor, beat)))
            return
        self._set_cursor(event.position().x())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._anchor = None

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        roll = self.roll
        painter.fillRect(self.rect(), RULER_BACKGROUND)
        first, last = roll.visible_beats()
        if roll.take_span:
            x0, x1 = roll.beat_to_x(roll.take_span[0]), roll.beat_to_x(roll.take_span[1])
            shade = roll.origin_color(TAKE)
            shade.setAlpha(70)
            painter.fillRect(QRectF(x0, 0, x1 - x0, self.height()), shade)
        if self.bar_span:
            x0, x1 = roll.beat_to_x(self.bar_span[0]), roll.beat_to_x(self.bar_span[1])
            shade = self.palette().highlight().color()
            shade.setAlpha(110)
            painter.fillRect(QRectF(x0, 0, x1 - x0, self.height()), shade)
        font = QFont(self.font())
        font.setPixelSize(11)
        painter.setFont(font)
        min_gap = 34.0
        last_label_x = -1e9
        previous_sig = None
        for bar in grid.bars(roll.doc.time_signatures, last + 1e-9):
            x = roll.beat_to_x(bar.start)
            sig = (bar.signature.numerator, bar.signature.denominator)
            if bar.end >= first:
                painter.setPen(QPen(RULER_TICK, 1))
                painter.drawLine(QPointF(round(x) + 0.5, self.height() * 0.45),
                                 QPointF(round(x) + 0.5, self.height()))
                if x - last_label_x >= min_gap or sig != previous_sig:
                    label = str(bar.number)
                    if sig != previous_sig:
                        label += f"  {sig[0]}/{sig[1]}"
                    painter.setPen(RULER_LABEL)
                    painter.drawText(QPointF(x + 4, 12), label)
                    last_label_x = x
            previous_sig = sig
        x = roll.beat_to_x(roll.cursor_beat)
        painter.setBrush(CURSOR_LINE)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawPolygon([QPointF(x - 5, self.height() - 8), QPointF(x + 5, self.height() - 8),
                             QPointF(x, self.height())])
        if roll.playhead is not None:
            x = roll.beat_to_x(roll.playhead)
            painter.setPen(QPen(PLAYHEAD, 2))
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        painter.end()
