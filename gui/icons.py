"""Toolbar icons: Qt's standard icons where one fits, small painted ones where none does or
where the standard one does not read on every palette.

Painted icons (pencil, pointer, magnifier, record dot, live, sparkle, play, pause, stop, undo,
redo) keep the app free of image files and crisp at any device pixel ratio. Their lines are drawn
in the palette's text colour and their light fills in its window colour (:class:`Ink`), so they
read on a dark system palette as well as on a light one; Qt's own media icons are black on any
palette, which is why play, pause and stop are painted here. Undo and redo are curved arrows, so
they do not read as "previous" and "next".
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QIcon,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import QApplication, QStyle, QWidget

SIZE = 32


@dataclass(frozen=True)
class Ink:
    """The two colours an icon is drawn with: lines (the text colour) and paper (the window)."""

    line: QColor
    paper: QColor

    @classmethod
    def of(cls, widget: QWidget | None = None) -> Ink:
        palette = widget.palette() if widget is not None else QApplication.palette()
        return cls(QColor(palette.color(QPalette.ColorRole.WindowText)),
                   QColor(palette.color(QPalette.ColorRole.Window)))

    @property
    def dark(self) -> bool:
        """A dark palette (light lines on a dark window)."""
        return self.line.lightnessF() > self.paper.lightnessF()


def standard(widget: QWidget, name: str) -> QIcon:
    return widget.style().standardIcon(getattr(QStyle.StandardPixmap, name))


def _icon(draw) -> QIcon:
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    draw(painter)
    painter.end()
    return QIcon(pixmap)


def pointer(ink: Ink) -> QIcon:
    def draw(p: QPainter) -> None:
        shape = QPolygonF([QPointF(9, 4), QPointF(9, 26), QPointF(14.5, 20.5), QPointF(18.5, 29),
                           QPointF(22, 27.5), QPointF(18, 19.5), QPointF(25, 19.5)])
        p.setPen(QPen(ink.line, 1.8))
        p.setBrush(ink.paper)
        p.drawPolygon(shape)
    return _icon(draw)


def pencil(ink: Ink) -> QIcon:
    def draw(p: QPainter) -> None:
        p.translate(16, 16)
        p.rotate(45)
        p.setPen(QPen(ink.line, 1.4))
        p.setBrush(QColor("#f2c14e"))
        p.drawRect(QRectF(-3.5, -12, 7, 17))
        p.setBrush(QColor("#e8a0a0"))
        p.drawRect(QRectF(-3.5, -14.5, 7, 3))
        p.setBrush(QColor("#f5deb3"))
        p.drawPolygon(QPolygonF([QPointF(-3.5, 5), QPointF(3.5, 5), QPointF(0, 12)]))
    return _icon(draw)


def magnifier(ink: Ink, sign: str) -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(QPen(ink.line, 2.4))
        p.setBrush(ink.paper)
        p.drawEllipse(QPointF(13, 13), 8.5, 8.5)
        p.setPen(QPen(ink.line, 3.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(QPointF(19.5, 19.5), QPointF(27, 27))
        p.setPen(QPen(ink.line, 2.0))
        p.drawLine(QPointF(9, 13), QPointF(17, 13))
        if sign == "+":
            p.drawLine(QPointF(13, 9), QPointF(13, 17))
    return _icon(draw)


def fit(ink: Ink) -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(QPen(ink.line, 2.2))
        for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
            cx, cy = 16 + sx * 10, 16 + sy * 10
            p.drawLine(QPointF(cx, cy), QPointF(cx - sx * 6, cy))
            p.drawLine(QPointF(cx, cy), QPointF(cx, cy - sy * 6))
        p.setBrush(QColor("#4f9dff"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawRect(QRectF(10, 12, 7, 3))
        p.drawRect(QRectF(15, 17, 8, 3))
    return _icon(draw)


def record(ink: Ink) -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(QPen(ink.line, 1.5))
        p.setBrush(QColor("#e0393e"))
        p.drawEllipse(QPointF(16, 16), 9, 9)
    return _icon(draw)


def live(ink: Ink) -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(QPen(ink.line, 1.5))
        p.setBrush(QColor("#c792ea"))
        p.drawRoundedRect(QRectF(3, 5, 17, 12), 4, 4)
        p.setBrush(QColor("#ff6fae"))
        p.drawRoundedRect(QRectF(12, 15, 17, 12), 4, 4)
    return _icon(draw)


def sparkle(ink: Ink) -> QIcon:
    def draw(p: QPainter) -> None:
        def star(cx: float, cy: float, r: float) -> QPainterPath:
            path = QPainterPath()
            k = r * 0.22
            points = [QPointF(cx, cy - r), QPointF(cx + k, cy - k), QPointF(cx + r, cy),
                      QPointF(cx + k, cy + k), QPointF(cx, cy + r), QPointF(cx - k, cy + k),
                      QPointF(cx - r, cy), QPointF(cx - k, cy - k)]
            path.addPolygon(QPolygonF(points))
            path.closeSubpath()
            return path
        p.setPen(QPen(ink.line, 1.2))
        p.setBrush(QColor("#ffa53d"))
        p.drawPath(star(14, 17, 11))
        p.setBrush(QColor("#ffd08a"))
        p.drawPath(star(25, 7, 5))
    return _icon(draw)


def play(ink: Ink) -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(QPen(ink.line, 1.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        p.setBrush(ink.line)
        p.drawPolygon(QPolygonF([QPointF(10, 6), QPointF(26, 16), QPointF(10, 26)]))
    return _icon(draw)


def pause(ink: Ink) -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ink.line)
        p.drawRoundedRect(QRectF(8, 6, 6, 20), 1.5, 1.5)
        p.drawRoundedRect(QRectF(18, 6, 6, 20), 1.5, 1.5)
    return _icon(draw)


def stop(ink: Ink) -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ink.line)
        p.drawRoundedRect(QRectF(8, 8, 16, 16), 2, 2)
    return _icon(draw)


def _curved_arrow(ink: Ink, mirrored: bool) -> QIcon:
    """A hooked arrow turning back (undo) or, mirrored, forward (redo)."""
    def draw(p: QPainter) -> None:
        if mirrored:
            p.translate(SIZE, 0)
            p.scale(-1, 1)
        pen = QPen(ink.line, 3.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        path = QPainterPath(QPointF(10, 12))
        path.lineTo(QPointF(19, 12))
        path.cubicTo(QPointF(30, 12), QPointF(30, 27), QPointF(19, 27))
        path.lineTo(QPointF(13, 27))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        p.setPen(QPen(ink.line, 1.0))
        p.setBrush(ink.line)
        p.drawPolygon(QPolygonF([QPointF(3, 12), QPointF(12, 5), QPointF(12, 19)]))
    return _icon(draw)


def undo(ink: Ink) -> QIcon:
    return _curved_arrow(ink, mirrored=False)


def redo(ink: Ink) -> QIcon:
    return _curved_arrow(ink, mirrored=True)
