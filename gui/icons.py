"""Toolbar icons: Qt's standard icons where one fits, small painted ones where none does.

Painting the few missing ones (pencil, pointer, magnifier, record dot, live, sparkle) keeps the
app free of image files and crisp at any device pixel ratio.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QStyle, QWidget

SIZE = 32
INK = QColor("#3b4252")


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


def pointer() -> QIcon:
    def draw(p: QPainter) -> None:
        shape = QPolygonF([QPointF(9, 4), QPointF(9, 26), QPointF(14.5, 20.5), QPointF(18.5, 29),
                           QPointF(22, 27.5), QPointF(18, 19.5), QPointF(25, 19.5)])
        p.setPen(QPen(INK, 1.6))
        p.setBrush(QColor("#ffffff"))
        p.drawPolygon(shape)
    return _icon(draw)


def pencil() -> QIcon:
    def draw(p: QPainter) -> None:
        p.translate(16, 16)
        p.rotate(45)
        p.setPen(QPen(INK, 1.4))
        p.setBrush(QColor("#f2c14e"))
        p.drawRect(QRectF(-3.5, -12, 7, 17))
        p.setBrush(QColor("#e8a0a0"))
        p.drawRect(QRectF(-3.5, -14.5, 7, 3))
        p.setBrush(QColor("#f5deb3"))
        p.drawPolygon(QPolygonF([QPointF(-3.5, 5), QPointF(3.5, 5), QPointF(0, 12)]))
    return _icon(draw)


def magnifier(sign: str) -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(QPen(INK, 2.4))
        p.setBrush(QColor("#eef4ff"))
        p.drawEllipse(QPointF(13, 13), 8.5, 8.5)
        p.setPen(QPen(INK, 3.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(QPointF(19.5, 19.5), QPointF(27, 27))
        p.setPen(QPen(INK, 2.0))
        p.drawLine(QPointF(9, 13), QPointF(17, 13))
        if sign == "+":
            p.drawLine(QPointF(13, 9), QPointF(13, 17))
    return _icon(draw)


def fit() -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(QPen(INK, 2.2))
        for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
            cx, cy = 16 + sx * 10, 16 + sy * 10
            p.drawLine(QPointF(cx, cy), QPointF(cx - sx * 6, cy))
            p.drawLine(QPointF(cx, cy), QPointF(cx, cy - sy * 6))
        p.setBrush(QColor("#4f9dff"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawRect(QRectF(10, 12, 7, 3))
        p.drawRect(QRectF(15, 17, 8, 3))
    return _icon(draw)


def record() -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(QPen(QColor("#8c1c1c"), 1.5))
        p.setBrush(QColor("#e0393e"))
        p.drawEllipse(QPointF(16, 16), 9, 9)
    return _icon(draw)


def live() -> QIcon:
    def draw(p: QPainter) -> None:
        p.setPen(QPen(INK, 1.5))
        p.setBrush(QColor("#c792ea"))
        p.drawRoundedRect(QRectF(3, 5, 17, 12), 4, 4)
        p.setBrush(QColor("#ff6fae"))
        p.drawRoundedRect(QRectF(12, 15, 17, 12), 4, 4)
    return _icon(draw)


def sparkle() -> QIcon:
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
        p.setPen(QPen(QColor("#9a5b00"), 1.2))
        p.setBrush(QColor("#ffa53d"))
        p.drawPath(star(14, 17, 11))
        p.setBrush(QColor("#ffd08a"))
        p.drawPath(star(25, 7, 5))
    return _icon(draw)
