"""The piece being edited: notes tagged with where they came from, and an undo stack.

Every change goes through :meth:`Document.edit`, which pushes one ``QUndoCommand`` holding the
exact difference (notes removed, notes added, pedals before/after). Notes carry stable integer
ids so the piano roll's selection survives edits, undo and redo. The musical frame of the piece
(tempo map, time signatures, program, drums, texts) comes from the opened file and is kept as
a template :class:`~composer.notes.Piece`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from composer.notes import (
    DEFAULT_TEMPO_BPM,
    Note,
    PedalSpan,
    Piece,
    TempoChange,
    TimeSignature,
)


class Origin(str, Enum):
    """Where a note came from: its colour in the roll, and whether saving marks it generated.

    A ``str`` enum, so an origin is its plain name wherever text is wanted (the autosave's
    JSON, overlay names) and ``Origin("seed")`` reads one back."""

    SEED = "seed"  # from the opened file, drawn or recorded
    ACCEPTED = "accepted"  # a generated take the user kept
    TAKE = "take"  # a generated take on trial (not part of the document)
    PHRASE = "phrase"  # live mode: what the player plays
    ANSWER = "answer"  # live mode: the model's answer
    RECORDING = "recording"  # notes being recorded (an overlay until recording stops)

    def __str__(self) -> str:
        return self.value


SEED, ACCEPTED, TAKE = Origin.SEED, Origin.ACCEPTED, Origin.TAKE
PHRASE, ANSWER, RECORDING = Origin.PHRASE, Origin.ANSWER, Origin.RECORDING
ORIGINS = (SEED, ACCEPTED, TAKE, PHRASE, ANSWER)  # what a note of a piece can be tagged with
TEMPO_MERGE_ID = 1  # consecutive tempo changes are one undo step


@dataclass(frozen=True)
class RollNote:
    note: Note
    origin: Origin = SEED

    def __post_init__(self) -> None:
        if not isinstance(self.origin, Origin):  # a plain name, e.g. from the autosave
            object.__setattr__(self, "origin", Origin(self.origin))


class _EditCommand(QUndoCommand):
    def __init__(
        self,
        doc: Document,
        text: str,
        removed: dict[int, RollNote],
        added: dict[int, RollNote],
        pedals: tuple[tuple[PedalSpan, ...], tuple[PedalSpan, ...]] | None,
        template: tuple[Piece, Piece] | None,
        merge_id: int = -1,
    ) -> None:
        super().__init__(text)
        self._doc = doc
        self._removed = removed
        self._added = added
        self._pedals = pedals
        self._template = template
        self._merge_id = merge_id

    def id(self) -> int:
        return self._merge_id

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Steps of one setting in a row (the tempo box's arrows) undo as one step, except
        across a save: the saved state must stay reachable, or closing would not ask."""
        stack = self._doc.undo_stack
        if (not isinstance(other, _EditCommand) or other.id() != self.id() or
                stack.cleanIndex() == stack.index() or self._template is None or
                other._template is None):
            return False
        self._template = (self._template[0], other._template[1])
        self.setObsolete(self._template[0] == self._template[1])  # back where it began
        return True

    def redo(self) -> None:
        self._doc._apply(self._removed, self._added,
                         self._pedals[1] if self._pedals else None,
                         self._template[1] if self._template else None)

    def undo(self) -> None:
        self._doc._apply(self._added, self._removed,
                         self._pedals[0] if self._pedals else None,
                         self._template[0] if self._template else None)


class Document(QObject):
    """Notes by id, the piece's frame, the file it came from and its undo history."""

    changed = Signal()  # any edit, undo, redo or load
    loaded = Signal()  # a new piece replaced everything (view should refit)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._notes: dict[int, RollNote] = {}
        self._next_id = 1
        self.template = Piece(notes=())
        self.path: Path | None = None  # the file the piece came from or was saved to
        self.saved_path: Path | None = None  # where Save writes without asking
        self._restored = False  # a restored autosave is unsaved work even with no edits

    # ----- reading ---------------------------------------------------------------------
    @property
    def notes(self) -> Mapping[int, RollNote]:
        return self._notes

    @property
    def pedals(self) -> tuple[PedalSpan, ...]:
        return self.template.pedals

    @property
    def time_signatures(self):
        return self.template.time_signatures

    def is_modified(self) -> bool:
        return self._restored or not self.undo_stack.isClean()

    def to_piece(self, origins: Iterable[str] | None = None) -> Piece:
        """The document as a Piece (optionally only notes of some origins)."""
        wanted = set(origins) if origins is not None else None
        notes = [rn.note for rn in self._notes.values() if wanted is None or rn.origin in wanted]
        return self.template.with_notes(notes)

    def origins_in_order(self) -> list[Origin]:
        """Origins in the order of ``to_piece().notes`` (what the autosave remembers)."""
        return [rn.origin for rn in sorted(self._notes.values(), key=lambda rn: rn.note)]

    def end_beat(self) -> float:
        return self.to_piece().end_beat

    # ----- whole-document changes (not undoable: they start a new history) ----------------
    def load(self, piece: Piece, path: Path | None = None,
             origins: list[str] | None = None, *, modified: bool = False) -> None:
        """Replace everything; ``origins`` tags ``piece.notes`` in order (default: seed)."""
        self.undo_stack.clear()
        self._notes = {}
        self._next_id = 1
        kinds = origins if origins is not None and len(origins) == len(piece.notes) else None
        for index, note in enumerate(piece.notes):
            self._notes[self._new_id()] = RollNote(note, kinds[index] if kinds else SEED)
        self.template = replace(piece, notes=())
        self.path = path
        self.saved_path = None
        self._restored = modified
        self.undo_stack.setClean()
        self.loaded.emit()
        self.changed.emit()

    def new(self, bpm: float = 120.0) -> None:
        self.load(Piece(notes=(), tempos=(TempoChange(0.0, bpm),)), None)

    def mark_saved(self, path: Path) -> None:
        self.path = self.saved_path = path
        self._restored = False
        self.undo_stack.setClean()
        self.changed.emit()

    # ----- undoable edits --------------------------------------------------------------
    def edit(
        self,
        text: str,
        *,
        remove: Iterable[int] = (),
        add: Iterable[RollNote] = (),
        change: Mapping[int, Note] | None = None,
        pedals: tuple[PedalSpan, ...] | None = None,
        template: Piece | None = None,
        merge_id: int = -1,
    ) -> list[int]:
        """Push one undoable edit; returns the ids of the added notes (in order).

        Edits of the frame only (``template``) with the same ``merge_id`` (not -1) pushed one
        after the other become one step.
        """
        removed = {i: self._notes[i] for i in remove if i in self._notes}
        added: dict[int, RollNote] = {}
        new_ids = []
        for rn in add:
            new_id = self._new_id()
            added[new_id] = rn
            new_ids.append(new_id)
        for note_id, note in (change or {}).items():
            if note_id in self._notes and note_id not in removed:
                removed[note_id] = self._notes[note_id]
                added[note_id] = replace(self._notes[note_id], note=note)
        pedal_pair = (self.template.pedals, tuple(sorted(pedals))) if pedals is not None else None
        template_pair = (self.template, replace(template, notes=())) if template else None
        if not removed and not added and pedal_pair is None and template_pair is None:
            return []
        self.undo_stack.push(_EditCommand(self, text, removed, added, pedal_pair, template_pair,
                                          merge_id))
        return new_ids

    def add_notes(self, notes: Iterable[Note], origin: Origin = SEED, text: str = "Add notes",
                  pedals: Iterable[PedalSpan] = ()) -> list[int]:
        pedals = tuple(pedals)
        return self.edit(text, add=[RollNote(n, origin) for n in notes],
                         pedals=self.template.pedals + pedals if pedals else None)

    def remove_notes(self, ids: Iterable[int], text: str = "Delete notes") -> None:
        self.edit(text, remove=ids)

    def change_notes(self, changes: Mapping[int, Note], text: str = "Move notes") -> None:
        self.edit(text, change=changes)

    def trim(self, start: float, end: float, text: str = "Trim") -> None:
        """Keep only [start, end) (notes clipped), moved so that ``start`` becomes beat 0."""
        keep: list[RollNote] = []
        for rn in self._notes.values():
            n = rn.note
            if n.end <= start or n.start >= end:
                continue
            clipped = Note(max(n.start, start) - start, min(n.end, end) - start, n.pitch,
                           n.velocity)
            keep.append(RollNote(clipped, rn.origin))
        pedals = tuple(
            PedalSpan(max(p.start, start) - start, min(p.end, end) - start)
            for p in self.template.pedals if p.end > start and p.start < end
        )
        frame = replace(
            self.template,
            tempos=_shift_changes(self.template.tempos, start),
            time_signatures=_shift_changes(self.template.time_signatures, start),
            drum_notes=tuple(n.shifted(-start) for n in self.template.drum_notes
                             if start <= n.start < end),
        )
        self.edit(text, remove=list(self._notes), add=keep, pedals=pedals, template=frame)

    def set_tempo(self, bpm: float, text: str = "Change tempo") -> None:
        """Make the piece open at ``bpm``; later tempo changes keep their ratio to the first,
        so a written ritardando or a faster middle section survives the change."""
        tempos = self.template.tempos or (TempoChange(0.0, DEFAULT_TEMPO_BPM),)
        ratio = bpm / tempos[0].bpm
        if abs(ratio - 1.0) < 1e-9:
            return
        scaled = tuple(replace(t, bpm=t.bpm * ratio) for t in tempos)
        self.edit(text, template=replace(self.template, tempos=scaled), merge_id=TEMPO_MERGE_ID)

    def set_time_signature(self, numerator: int, denominator: int,
                           text: str = "Change time signature") -> None:
        """Make the piece open in ``numerator/denominator``; later metre changes stay.

        Notes do not move: the bar lines are drawn anew over them, which is what the metre
        of a seed drawn from scratch is about, and continuations count their bars in it.
        """
        signatures = list(self.template.time_signatures) or [TimeSignature(0.0)]
        first = signatures[0]
        if first.beat == 0.0 and (first.numerator, first.denominator) == (numerator,
                                                                            denominator):
            return
        opening = TimeSignature(0.0, numerator, denominator)
        later = [sig for sig in signatures if sig.beat > 0.0]
        self.edit(text, template=replace(self.template,
                                         time_signatures=(opening, *later)))

    # ----- internals -------------------------------------------------------------------
    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _apply(self, remove: dict[int, RollNote], add: dict[int, RollNote],
               pedals: tuple[PedalSpan, ...] | None, template: Piece | None) -> None:
        for note_id in remove:
            self._notes.pop(note_id, None)
        self._notes.update(add)
        if template is not None:
            self.template = template
        if pedals is not None:
            self.template = replace(self.template, pedals=pedals)
        self.changed.emit()


def _shift_changes(changes, start: float):
    """Tempo or metre changes as seen from ``start`` (the one in force moves to beat 0)."""
    if not changes:
        return changes
    in_force = [c for c in changes if c.beat <= start]
    first = replace(in_force[-1] if in_force else changes[0], beat=0.0)
    later = [replace(c, beat=c.beat - start) for c in changes if c.beat > start]
    return (first, *later)
