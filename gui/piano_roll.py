"""The piano roll: the notes of the piece, the take on trial and live notes, editable by mouse.

A custom ``QAbstractScrollArea`` that paints only what is visible, not a QGraphicsScene: notes
are kept in one list sorted by start time, so finding the visible ones is two bisections, and
notes are painted in batches of one colour (``drawRects``), which keeps a roll with tens of
thousands of notes smooth. Zoom changes the scale of beats and keys, never the pen widths or
text, so the grid stays crisp at every zoom level.

Mouse, in the select tool: click a note to select it (shift adds/removes), drag it to move it
(time snaps to the grid, pitch by semitones), drag its right edge to resize, drag on empty space
for a rubber band, double-click on empty space to add a note, right-click a note to delete it.
The draw tool adds a note on press and sets its length by dragging. Every edit is one undoable
command on the :class:`~gui.document.Document`. Ctrl+wheel zooms time, ctrl+shift+wheel zooms
pitch, shift+wheel scrolls in time.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from composer.notes import Note, clamp_pitch
from gui import grid
from gui.document import SEED, TAKE, Document, Origin, RollNote
from gui.palette import (  # noqa: F401 - BACKGROUND, PLAYHEAD: also read from here
    BACKGROUND,
    BAR_LINE,
    BEAT_LINE,
    BLACK_LANE,
    C_LANE_LINE,
    CURSOR_LINE,
    ORIGIN_COLORS,
    ORIGIN_LABELS,
    PLAYHEAD,
    RUBBER_EDGE,
    RUBBER_FILL,
    SELECTED_EDGE,
    SUB_LINE,
    velocity_color,
)
from gui.palette import shade as shade_of
from gui.roll_drags import (
    HIGHEST,
    LOWEST,
    CreateDrag,
    Drag,
    MoveDrag,
    ResizeDrag,
    RubberDrag,
    Scale,
)

MIN_PX_PER_BEAT, MAX_PX_PER_BEAT = 3.0, 960.0
MIN_KEY_HEIGHT, MAX_KEY_HEIGHT = 4.0, 40.0
EDGE_PX = 6  # how close to a note's right end a press resizes instead of moving
MIN_NOTE_BEATS = 1.0 / 12.0  # one tokenizer step

@dataclass(frozen=True)
class _Item:
    start: float
    end: float
    pitch: int
    velocity: int
    origin: Origin
    note_id: int | None  # None for overlay notes (takes, live), which are not editable


class _Index:
    """Notes sorted by start, for visible-range queries in O(log n + visible)."""

    def __init__(self, items: list[_Item]) -> None:
        self.items = sorted(items, key=lambda it: it.start)
        self.starts = [it.start for it in self.items]
        self.max_length = max((it.end - it.start for it in self.items), default=0.0)
        self.end = max((it.end for it in self.items), default=0.0)

    def between(self, first: float, last: float) -> list[_Item]:
        lo = bisect_left(self.starts, first - self.max_length)
        hi = bisect_right(self.starts, last)
        return [it for it in self.items[lo:hi] if it.end > first]


class PianoRoll(QAbstractScrollArea):
    """The note area. ``viewport()`` receives the mouse; see the module docstring."""

    selectionChanged = Signal()
    hovered = Signal(str)  # "bar.beat · pitch" under the mouse, for the status bar
    viewChanged = Signal()  # scrolled or zoomed: the ruler and keyboard follow
    cursorMoved = Signal(float)  # the play-from position, in beats

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.px_per_beat = 60.0
        self.key_height = 12.0
        self.snap_beats = 0.25
        self.tool = "select"
        self.selection: set[int] = set()
        self.playhead: float | None = None
        self.cursor_beat = 0.0
        self.take_span: tuple[float, float] | None = None
        self._overlays: dict[str, list[Note]] = {}
        self._overlay_colors: dict[str, QColor] = {}  # an overlay's own colour (each take)
        self._index = _Index([])
        self._drag: Drag | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QAbstractScrollArea.Shape.NoFrame)  # keys and ruler align at 0
        self.viewport().setMouseTracking(True)
        self.viewport().setAutoFillBackground(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.horizontalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.horizontalScrollBar().setSingleStep(20)
        self.verticalScrollBar().setSingleStep(20)
        self.setToolTip(
            "Click a note to select it, drag to move, drag its right edge to resize.\n"
            "Double-click empty space to add a note, right-click a note to delete it.\n"
            "Ctrl+wheel zooms time, Ctrl+Shift+wheel zooms pitch."
        )
        document.changed.connect(self._document_changed)
        document.loaded.connect(self._document_loaded)
        self._rebuild()

    # ----- public API --------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(800, 500)

    def set_overlay(self, name: str, notes, color: QColor | None = None) -> None:
        """Show read-only notes (a take, live notes); an empty list removes the overlay.
        ``color``: its own colour (each take has one), else its origin's."""
        if color is None:
            self._overlay_colors.pop(name, None)
        else:
            self._overlay_colors[name] = QColor(color)
        if notes:
            self._overlays[name] = list(notes)
        else:
            self._overlays.pop(name, None)
        self._rebuild()

    def overlay(self, name: str) -> list[Note]:
        return list(self._overlays.get(name, ()))

    def origin_color(self, origin: Origin | str) -> QColor:
        """The full-velocity colour of notes of ``origin`` (an overlay's own, if it has one)."""
        color = self._overlay_colors.get(origin)
        return QColor(color) if color is not None else QColor(
            ORIGIN_COLORS.get(origin, ORIGIN_COLORS[SEED]))

    def has_notes(self) -> bool:
        """Whether anything is drawn: the piece's notes or an overlay (a take, a recording)."""
        return bool(self._index.items)

    def set_take_span(self, span: tuple[float, float] | None) -> None:
        self.take_span = span
        self.viewport().update()

    def set_snap(self, beats: float) -> None:
        self.snap_beats = max(beats, 0.0)
        self.viewport().update()

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self.viewport().setCursor(
            Qt.CursorShape.CrossCursor if tool == "draw" else Qt.CursorShape.ArrowCursor
        )

    def set_playhead(self, beat: float | None, follow: bool = True) -> None:
        self.playhead = beat
        if beat is not None and follow:
            x = beat * self.px_per_beat - self.horizontalScrollBar().value()
            width = self.viewport().width()
            if x < 0 or x > width * 0.9:
                self.horizontalScrollBar().setValue(int(beat * self.px_per_beat - width * 0.1))
        self.viewport().update()

    def set_cursor_beat(self, beat: float) -> None:
        self.cursor_beat = max(beat, 0.0)
        self.cursorMoved.emit(self.cursor_beat)
        self.viewport().update()

    def select(self, ids, add: bool = False) -> None:
        ids = {i for i in ids if i in self.doc.notes}
        self.selection = (self.selection | ids) if add else ids
        self.selectionChanged.emit()
        self.viewport().update()

    def select_all(self) -> None:
        self.select(self.doc.notes.keys())

    def delete_selection(self) -> None:
        if self.selection:
            count = len(self.selection)
            self.doc.remove_notes(list(self.selection),
                                  f"Delete {count} note{'s' if count > 1 else ''}")

    def nudge_selection(self, beats: float, semitones: int) -> None:
        changes = {}
        for note_id in self.selection:
            n = self.doc.notes[note_id].note
            start = max(n.start + beats, 0.0)
            changes[note_id] = Note(start, start + n.duration,
                                    clamp_pitch(n.pitch + semitones), n.velocity)
        if changes:
            self.doc.change_notes(changes, "Move notes")

    # ----- geometry ----------------------------------------------------------------------
    def beat_to_x(self, beat: float) -> float:
        """Viewport x of a beat."""
        return beat * self.px_per_beat - self.horizontalScrollBar().value()

    def x_to_beat(self, x: float) -> float:
        return (x + self.horizontalScrollBar().value()) / self.px_per_beat

    def pitch_to_y(self, pitch: int) -> float:
        """Viewport y of the top of a pitch's lane."""
        return (HIGHEST - pitch) * self.key_height - self.verticalScrollBar().value()

    def y_to_pitch(self, y: float) -> int:
        lane = math.floor((y + self.verticalScrollBar().value()) / self.key_height)
        return min(max(HIGHEST - lane, LOWEST), HIGHEST)

    def note_rect(self, note: Note) -> QRectF:
        """Viewport rectangle of a note (what is painted, what a click hits)."""
        x0, x1 = self.beat_to_x(note.start), self.beat_to_x(note.end)
        y = self.pitch_to_y(note.pitch)
        return QRectF(x0, y, max(x1 - x0, 2.0), self.key_height)

    def visible_beats(self) -> tuple[float, float]:
        return self.x_to_beat(0), self.x_to_beat(self.viewport().width())

    def content_end(self) -> float:
        """Last beat the roll scrolls to: the music plus some room to draw."""
        end = max(self._index.end, self.doc.end_beat(), 16.0)
        if self.take_span:
            end = max(end, self.take_span[1])
        bar = grid.bar_at(self.doc.time_signatures, end)
        return bar.end + 2 * bar.length

    def zoom_time(self, factor: float, anchor_x: float | None = None) -> None:
        anchor_x = self.viewport().width() / 2 if anchor_x is None else anchor_x
        beat = self.x_to_beat(anchor_x)
        self.px_per_beat = min(max(self.px_per_beat * factor, MIN_PX_PER_BEAT), MAX_PX_PER_BEAT)
        self._update_scrollbars()
        self.horizontalScrollBar().setValue(round(beat * self.px_per_beat - anchor_x))
        self._scrolled()

    def zoom_pitch(self, factor: float, anchor_y: float | None = None) -> None:
        anchor_y = self.viewport().height() / 2 if anchor_y is None else anchor_y
        lane = (anchor_y + self.verticalScrollBar().value()) / self.key_height
        self.key_height = min(max(self.key_height * factor, MIN_KEY_HEIGHT), MAX_KEY_HEIGHT)
        self._update_scrollbars()
        self.verticalScrollBar().setValue(round(lane * self.key_height - anchor_y))
        self._scrolled()

    def fit(self) -> None:
        """Zoom and scroll so that all notes are in view."""
        end = max(self._index.end, 4.0)
        width = max(self.viewport().width() - 20, 100)
        self.px_per_beat = min(max(width / (end * 1.03), MIN_PX_PER_BEAT), 160.0)
        self._update_scrollbars()
        self.horizontalScrollBar().setValue(0)
        self.center_pitches()
        self._scrolled()

    def center_pitches(self) -> None:
        """Size the keys so the notes' pitch range fills the view, and centre it."""
        pitches = [it.pitch for it in self._index.items]
        low, high = (min(pitches), max(pitches)) if pitches else (48, 84)
        height = max(self.viewport().height(), 100)
        self.key_height = min(max(height / (high - low + 1 + 10), 7.0), 16.0)
        self._update_scrollbars()
        middle = (HIGHEST - (low + high) / 2 + 0.5) * self.key_height
        self.verticalScrollBar().setValue(round(middle - height / 2))

    # ----- model -> view -----------------------------------------------------------------
    def _document_loaded(self) -> None:
        self.selection.clear()
        self._rebuild()
        self.fit()

    def _document_changed(self) -> None:
        before = len(self.selection)
        self.selection &= set(self.doc.notes)
        if len(self.selection) != before:
            self.selectionChanged.emit()
        self._rebuild()

    def _rebuild(self) -> None:
        items = [
            _Item(rn.note.start, rn.note.end, rn.note.pitch, rn.note.velocity, rn.origin, note_id)
            for note_id, rn in self.doc.notes.items()
        ]
        for name, notes in self._overlays.items():
            items.extend(_Item(n.start, n.end, n.pitch, n.velocity, name, None) for n in notes)
        self._index = _Index(items)
        self._update_scrollbars()
        self.viewport().update()
        self.viewChanged.emit()

    def _update_scrollbars(self) -> None:
        width = self.content_end() * self.px_per_beat
        height = (HIGHEST - LOWEST + 1) * self.key_height
        vw, vh = self.viewport().width(), self.viewport().height()
        hbar, vbar = self.horizontalScrollBar(), self.verticalScrollBar()
        hbar.setRange(0, max(int(width - vw), 0))
        hbar.setPageStep(vw)
        vbar.setRange(0, max(int(height - vh), 0))
        vbar.setPageStep(vh)

    def _scrolled(self, *_args) -> None:
        self.viewport().update()
        self.viewChanged.emit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._update_scrollbars()
        self.viewChanged.emit()

    # ----- painting ----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self.viewport())
        rect = self.viewport().rect()
        painter.fillRect(rect, BACKGROUND)
        self._paint_lanes(painter, rect)
        self._paint_grid(painter, rect)
        if self.take_span:
            x0, x1 = self.beat_to_x(self.take_span[0]), self.beat_to_x(self.take_span[1])
            shade = self.origin_color(TAKE)
            shade.setAlpha(22)
            painter.fillRect(QRectF(x0, 0, x1 - x0, rect.height()), shade)
        self._paint_notes(painter, rect)
        drag = self._drag
        if isinstance(drag, RubberDrag):
            band = QRectF(QPointF(drag.origin), QPointF(drag.pos)).normalized()
            painter.setPen(QPen(RUBBER_EDGE, 1))
            painter.setBrush(RUBBER_FILL)
            painter.drawRect(band)
        x = self.beat_to_x(self.cursor_beat)
        painter.setPen(QPen(CURSOR_LINE, 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(x, 0), QPointF(x, rect.height()))
        if self.playhead is not None:
            x = self.beat_to_x(self.playhead)
            painter.setPen(QPen(PLAYHEAD, 2))
            painter.drawLine(QPointF(x, 0), QPointF(x, rect.height()))
        painter.end()

    def _visible_pitches(self, rect: QRect) -> tuple[int, int]:
        return self.y_to_pitch(rect.bottom()), self.y_to_pitch(rect.top())

    def _paint_lanes(self, painter: QPainter, rect: QRect) -> None:
        low, high = self._visible_pitches(rect)
        for pitch in range(low, high + 1):
            y = self.pitch_to_y(pitch)
            if grid.is_black(pitch):
                painter.fillRect(QRectF(0, y, rect.width(), self.key_height), BLACK_LANE)
            if pitch % 12 == 0:  # a line under every C helps find octaves
                painter.setPen(QPen(C_LANE_LINE, 1))
                painter.drawLine(QPointF(0, y + self.key_height - 0.5),
                                 QPointF(rect.width(), y + self.key_height - 0.5))

    def _paint_grid(self, painter: QPainter, rect: QRect) -> None:
        first, last = self.visible_beats()
        height = rect.height()
        sub = self.snap_beats if self.snap_beats > 0 else 0.25
        for bar in grid.bars(self.doc.time_signatures, last + 1e-9):
            if bar.end < first:
                continue
            unit = 4.0 / bar.signature.denominator
            if sub * self.px_per_beat >= 7:
                painter.setPen(QPen(SUB_LINE, 1))
                steps = int(round(bar.length / sub))
                for k in range(1, steps):
                    x = round(self.beat_to_x(bar.start + k * sub)) + 0.5
                    painter.drawLine(QPointF(x, 0), QPointF(x, height))
            if unit * self.px_per_beat >= 6:
                painter.setPen(QPen(BEAT_LINE, 1))
                beats_in_bar = int(round(bar.length / unit))
                for k in range(1, beats_in_bar):
                    x = round(self.beat_to_x(bar.start + k * unit)) + 0.5
                    painter.drawLine(QPointF(x, 0), QPointF(x, height))
            if bar.length * self.px_per_beat >= 4 or bar.number % 4 == 1:
                painter.setPen(QPen(BAR_LINE, 1))
                x = round(self.beat_to_x(bar.start)) + 0.5
                painter.drawLine(QPointF(x, 0), QPointF(x, height))

    def _paint_notes(self, painter: QPainter, rect: QRect) -> None:
        first, last = self.visible_beats()
        low, high = self._visible_pitches(rect)
        preview = self._drag.preview if self._drag else {}
        hidden = set(preview)
        groups: dict[tuple[Origin, int, bool], list[QRectF]] = {}
        outlines: list[QRectF] = []

        def add(item_note: Note, origin: Origin, selected: bool) -> None:
            if not low <= item_note.pitch <= high:
                return
            r = self.note_rect(item_note).adjusted(0, 1, 0, -1)
            key = (origin, item_note.velocity, selected)
            groups.setdefault(key, []).append(r)
            if selected:
                outlines.append(r)

        for it in self._index.between(first, last):
            if it.note_id in hidden:
                continue
            add(Note(it.start, it.end, it.pitch, it.velocity), it.origin,
                it.note_id is not None and it.note_id in self.selection)
        for note_id, note in preview.items():
            add(note, self.doc.notes[note_id].origin if note_id in self.doc.notes else SEED,
                True)
        border_pens: dict[Origin, QPen] = {}
        for (origin, velocity, selected), rects in groups.items():
            fill = shade_of(self.origin_color(origin), velocity)
            if selected:
                fill = fill.lighter(135)
            pen = border_pens.get(origin)
            if pen is None:
                pen = QPen(self.origin_color(origin).darker(170), 1)
                pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
                border_pens[origin] = pen
            painter.setPen(pen)
            painter.setBrush(fill)
            painter.drawRects(rects)
        if outlines:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(SELECTED_EDGE, 1.5))
            painter.drawRects(outlines)

    # ----- hit testing -------------------------------------------------------------------
    def note_at(self, pos: QPoint | QPointF) -> int | None:
        """Id of the editable note under a viewport point (the topmost one)."""
        beat, pitch = self.x_to_beat(pos.x()), self.y_to_pitch(pos.y())
        slack = 2.0 / self.px_per_beat
        hit = None
        for it in self._index.between(beat - slack, beat + slack):
            if it.note_id is None or it.pitch != pitch:
                continue
            if self.note_rect(Note(it.start, it.end, it.pitch)).contains(QPointF(pos)):
                hit = it.note_id
        return hit

    def _on_right_edge(self, note_id: int, pos: QPointF) -> bool:
        r = self.note_rect(self.doc.notes[note_id].note)
        return r.width() >= 3 * EDGE_PX / 2 and pos.x() >= r.right() - EDGE_PX

    def _grid(self) -> float:
        return self.snap_beats if self.snap_beats > 0 else MIN_NOTE_BEATS

    # ----- mouse -------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        note_id = self.note_at(pos)
        if event.button() == Qt.MouseButton.RightButton:
            if note_id is not None:
                self.selection.discard(note_id)
                self.doc.remove_notes([note_id], "Delete note")
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self.setFocus()
        if note_id is not None:
            if shift:
                if note_id in self.selection:
                    self.selection.discard(note_id)
                    self.selectionChanged.emit()
                    self.viewport().update()
                    return
                self.select([note_id], add=True)
            elif note_id not in self.selection:
                self.select([note_id])
            kind = ResizeDrag if self._on_right_edge(note_id, pos) else MoveDrag
            self._drag = kind(pos, pos, note_id,
                              {i: self.doc.notes[i].note for i in self.selection})
        elif self.tool == "draw":
            start = grid.snap_down(self.x_to_beat(pos.x()), self.snap_beats)
            note = Note(max(start, 0.0), max(start, 0.0) + self._grid(),
                        self.y_to_pitch(pos.y()), self._new_velocity())
            self._drag = CreateDrag(pos, pos, note)
            self.viewport().update()
        else:
            if not shift and self.selection:
                self.select([])
            self._drag = RubberDrag(pos, pos, frozenset(self.selection))

    def _scale(self) -> Scale:
        return Scale(self.px_per_beat, self.key_height, self.snap_beats, self._grid())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        self._report_hover(pos)
        drag = self._drag
        if drag is None:
            note_id = self.note_at(pos)
            resize = note_id is not None and self._on_right_edge(note_id, pos)
            if resize:
                self.viewport().setCursor(Qt.CursorShape.SizeHorCursor)
            elif note_id is not None:
                self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
            else:
                self.set_tool(self.tool)
            return
        if isinstance(drag, (MoveDrag, ResizeDrag)):
            self._drag = drag.dragged(pos, self._scale())
        elif isinstance(drag, CreateDrag):
            self._drag = drag.dragged(pos, self.x_to_beat(pos.x()), self._scale())
        else:
            self._drag = drag.dragged(pos)
            band = QRectF(QPointF(drag.origin), QPointF(pos)).normalized()
            inside = {
                it.note_id
                for it in self._index.between(self.x_to_beat(band.left()),
                                              self.x_to_beat(band.right()))
                if it.note_id is not None
                and band.intersects(self.note_rect(Note(it.start, it.end, it.pitch)))
            }
            self.selection = set(drag.base) | inside
            self.selectionChanged.emit()
        self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        if drag is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if isinstance(drag, (MoveDrag, ResizeDrag)):
            changes = drag.changes()
            if changes:
                count = len(changes)
                self.doc.change_notes(changes,
                                      f"{drag.verb} {count} note{'s' if count > 1 else ''}")
        elif isinstance(drag, CreateDrag):
            ids = self.doc.add_notes([drag.note], SEED, "Draw note")
            self.select(ids)
        elif drag.is_click():  # a plain click on empty space puts the play cursor there
            self.set_cursor_beat(grid.snap(self.x_to_beat(drag.pos.x()), self.snap_beats))
        self.viewport().update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if event.button() != Qt.MouseButton.LeftButton or self.note_at(pos) is not None:
            return
        start = max(grid.snap_down(self.x_to_beat(pos.x()), self.snap_beats), 0.0)
        length = self.snap_beats * 2 if 0 < self.snap_beats < 0.5 else (self.snap_beats or 1.0)
        note = Note(start, start + length, self.y_to_pitch(pos.y()), self._new_velocity())
        self._drag = None
        self.select(self.doc.add_notes([note], SEED, "Add note"))

    def leaveEvent(self, event) -> None:
        self.hovered.emit("")
        super().leaveEvent(event)

    def _new_velocity(self) -> int:
        """New notes take the velocity of the selected note (else a plain mezzo-forte)."""
        for note_id in self.selection:
            return self.doc.notes[note_id].note.velocity
        return 80

    def _report_hover(self, pos: QPointF) -> None:
        beat = self.x_to_beat(pos.x())
        text = (f"Bar {grid.describe_beat(self.doc.time_signatures, max(beat, 0.0))} · "
                f"{grid.pitch_name(self.y_to_pitch(pos.y()))}")
        note_id = self.note_at(pos)
        if note_id is not None:
            rn: RollNote = self.doc.notes[note_id]
            text += f" · {ORIGIN_LABELS[rn.origin].lower()} note, velocity {rn.note.velocity}"
        self.hovered.emit(text)

    # ----- wheel and keys ----------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        mods = event.modifiers()
        delta = event.angleDelta().y() or event.angleDelta().x()
        if mods & Qt.KeyboardModifier.ControlModifier:
            factor = 1.25 ** (delta / 120)
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.zoom_pitch(factor, event.position().y())
            else:
                self.zoom_time(factor, event.position().x())
            event.accept()
        elif mods & Qt.KeyboardModifier.ShiftModifier:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - delta)
            event.accept()
        else:
            super().wheelEvent(event)

    def keyPressEvent(self, event) -> None:
        key, mods = event.key(), event.modifiers()
        octave = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
        elif key == Qt.Key.Key_Up and self.selection:
            self.nudge_selection(0.0, 12 if octave else 1)
        elif key == Qt.Key.Key_Down and self.selection:
            self.nudge_selection(0.0, -12 if octave else -1)
        elif key == Qt.Key.Key_Left and self.selection:
            self.nudge_selection(-self._grid(), 0)
        elif key == Qt.Key.Key_Right and self.selection:
            self.nudge_selection(self._grid(), 0)
        elif key == Qt.Key.Key_Escape:
            self.select([])
        else:
            super().keyPressEvent(event)
