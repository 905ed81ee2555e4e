"""What a mouse drag in the piano roll is doing, as typed, immutable values.

A press starts one of four drags; each move makes a new value (``dragged``) with the notes as
they would be if the button came up now (``preview``), and the release turns it into one
undoable edit (the roll does that). Keeping them frozen and separate means a drag can never
carry another kind's fields, and the arithmetic (snapping, clamping to the keyboard, the
shortest note) is here, apart from painting and events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from PySide6.QtCore import QPointF

from composer.notes import MAX_PITCH as HIGHEST
from composer.notes import MIN_PITCH as LOWEST
from composer.notes import Note
from gui import grid

_NOTHING: Mapping[int, Note] = MappingProxyType({})


@dataclass(frozen=True)
class Scale:
    """The roll's zoom and grid at the time of a move."""

    px_per_beat: float
    key_height: float
    snap_beats: float
    min_beats: float  # the shortest note (the snap grid, or one tokenizer step without snap)


@dataclass(frozen=True, eq=False)
class _NotesDrag:
    """Dragging the selected notes, grabbed at note ``anchor``."""

    origin: QPointF
    pos: QPointF
    anchor: int
    originals: Mapping[int, Note]
    preview: Mapping[int, Note] = field(default_factory=lambda: _NOTHING)

    def changes(self) -> dict[int, Note]:
        """The notes that would change on release."""
        return {i: n for i, n in self.preview.items() if n != self.originals[i]}


@dataclass(frozen=True, eq=False)
class MoveDrag(_NotesDrag):
    verb = "Move"

    def dragged(self, pos: QPointF, scale: Scale) -> MoveDrag:
        anchor = self.originals[self.anchor]
        dx_beats = (pos.x() - self.origin.x()) / scale.px_per_beat
        new_start = max(grid.snap(anchor.start + dx_beats, scale.snap_beats), 0.0)
        earliest = min(n.start for n in self.originals.values())
        delta = max(new_start - anchor.start, -earliest)
        semis = round((self.origin.y() - pos.y()) / scale.key_height)
        pitches = [n.pitch for n in self.originals.values()]
        semis = min(max(semis, LOWEST - min(pitches)), HIGHEST - max(pitches))
        preview = {i: Note(n.start + delta, n.end + delta, n.pitch + semis, n.velocity)
                   for i, n in self.originals.items()}
        return replace(self, pos=pos, preview=preview)


@dataclass(frozen=True, eq=False)
class ResizeDrag(_NotesDrag):
    verb = "Resize"

    def dragged(self, pos: QPointF, scale: Scale) -> ResizeDrag:
        anchor = self.originals[self.anchor]
        dx_beats = (pos.x() - self.origin.x()) / scale.px_per_beat
        delta = grid.snap(anchor.end + dx_beats, scale.snap_beats) - anchor.end
        preview = {i: Note(n.start, max(n.end + delta, n.start + scale.min_beats), n.pitch,
                           n.velocity)
                   for i, n in self.originals.items()}
        return replace(self, pos=pos, preview=preview)


@dataclass(frozen=True, eq=False)
class CreateDrag:
    """The draw tool: a new note from the press, its end following the mouse."""

    origin: QPointF
    pos: QPointF
    note: Note
    preview: Mapping[int, Note] = field(default_factory=lambda: _NOTHING)

    def dragged(self, pos: QPointF, end_beat: float, scale: Scale) -> CreateDrag:
        end = grid.snap(end_beat, scale.snap_beats)
        note = self.note
        return replace(self, pos=pos, note=Note(note.start, max(end, note.start + scale.min_beats),
                                                note.pitch, note.velocity))


@dataclass(frozen=True, eq=False)
class RubberDrag:
    """A rubber band on empty space; what it touches is added to the selection ``base``."""

    origin: QPointF
    pos: QPointF
    base: frozenset[int]
    preview: Mapping[int, Note] = field(default_factory=lambda: _NOTHING)

    def dragged(self, pos: QPointF) -> RubberDrag:
        return replace(self, pos=pos)

    def is_click(self) -> bool:
        """Hardly moved: a plain click (it places the play cursor)."""
        return (self.pos - self.origin).manhattanLength() < 3


Drag = MoveDrag | ResizeDrag | CreateDrag | RubberDrag
