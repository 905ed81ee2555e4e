"""Edit commands of the window that work on the selection: cut, copy, paste, duplicate,
quantize, and trimming the piece to a range of bars.

Each is one undoable step on the :class:`~gui.document.Document`; pasted and duplicated notes
are selected, so they can be moved on at once. The clip lives here, per window.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QWidget

from gui import clipboard, grid
from gui.document import Document, RollNote
from gui.messages import Messages, notes_text
from gui.piano_roll import PianoRoll


class EditActions(QObject):
    def __init__(self, dialogs: QWidget, doc: Document, roll: PianoRoll, paste_action: QAction,
                 messages: Messages, *, snap_label: Callable[[], str],
                 trimmed: Callable[[], None]) -> None:
        super().__init__(dialogs)
        self._dialogs = dialogs
        self.doc = doc
        self.roll = roll
        self.paste_action = paste_action
        self.messages = messages
        self._snap_label = snap_label
        self._trimmed = trimmed  # takes no longer fit the piece
        self.clip: clipboard.Clip | None = None  # notes copied in this window

    def _selected(self) -> list[RollNote]:
        notes = self.doc.notes
        return [notes[i] for i in sorted(self.roll.selection) if i in notes]

    def copy_notes(self) -> bool:
        clip = clipboard.clip_of(self._selected())
        if clip is None:
            self.messages.status("Select notes to copy")
            return False
        self.clip = clip
        self.paste_action.setEnabled(True)
        self.messages.status(f"Copied {notes_text(len(clip.notes))}")
        return True

    def cut_notes(self) -> None:
        if self.copy_notes():
            self.doc.remove_notes(list(self.roll.selection),
                                  f"Cut {notes_text(len(self.clip.notes))}")

    def paste_notes(self) -> None:
        if self.clip is not None:
            self._add_selected(clipboard.placed(self.clip, self.roll.cursor_beat), "Paste")

    def duplicate_notes(self) -> None:
        selected = self._selected()
        clip = clipboard.clip_of(selected)
        if clip is None:
            self.messages.status("Select notes to duplicate")
            return
        first = min(rn.note.start for rn in selected)
        at = clipboard.duplicate_at(clip, first, self.roll.snap_beats or None)
        self._add_selected(clipboard.placed(clip, at), "Duplicate")

    def quantize_notes(self) -> None:
        step = self.roll.snap_beats
        if step <= 0:
            self.messages.status("Choose a snap grid (toolbar) to quantize to")
            return
        notes = self.doc.notes
        ids = [i for i in self.roll.selection if i in notes] or list(notes)
        changes = {i: grid.quantized(notes[i].note, step) for i in ids}
        changes = {i: n for i, n in changes.items() if n != notes[i].note}
        # Two notes that land on each other would look like one and sound doubled: one goes.
        taken = {rn.note for i, rn in notes.items() if i not in changes}
        merged = []
        for note_id, note in sorted(changes.items()):
            if note in taken:
                merged.append(note_id)
            taken.add(note)
        for note_id in merged:
            del changes[note_id]
        label = self._snap_label()
        count = notes_text(len(changes) + len(merged))
        if changes or merged:
            self.doc.edit(f"Quantize {count} to {label}", change=changes, remove=merged)
        self.messages.status(f"Quantized {count} to {label}"
                             + (f" ({notes_text(len(merged))} on top of another removed)"
                                if merged else ""))

    def _add_selected(self, notes: list[RollNote], verb: str) -> None:
        """Add ``notes`` as one step and select them, so they can be moved on at once."""
        ids = self.doc.edit(f"{verb} {notes_text(len(notes))}", add=notes)
        self.roll.select(ids)

    # ----- trim ----------------------------------------------------------------------------
    def trim_dialog(self) -> None:
        dialog = QDialog(self._dialogs)
        dialog.setWindowTitle("Trim to bars")
        last_bar = grid.bar_at(self.doc.time_signatures, max(self.doc.end_beat() - 1e-6, 0))
        first_spin, last_spin = QSpinBox(), QSpinBox()
        for spin in (first_spin, last_spin):
            spin.setRange(1, max(last_bar.number, 1))
        last_spin.setValue(last_bar.number)
        form = QFormLayout(dialog)
        form.addRow(QLabel("Keep the bars from … to … (inclusive); the rest is removed."))
        form.addRow("From bar", first_spin)
        form.addRow("To bar", last_spin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.trim_bars(first_spin.value(), last_spin.value())

    def trim_bars(self, first: int, last: int) -> None:
        """Keep bars ``first``..``last`` (1-based, inclusive), moved to the start."""
        first, last = min(first, last), max(first, last)
        sigs = self.doc.time_signatures
        start = grid.bar_start(sigs, first)
        end = grid.bar_start(sigs, last + 1)
        self.doc.trim(start, end, f"Trim to bars {first}–{last}")
        self._trimmed()
        self.messages.status(f"Kept bars {first}–{last}")
