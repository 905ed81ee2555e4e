"""Generating in the window: the model, the takes history, and keeping one.

Loads the chosen model into the app's one :class:`~composer.bundle_cache.BundleCache` (in the
background), generates takes from the whole piece (in the background, with progress and
cancel), keeps every generation's takes (:mod:`gui.take_history`: each with its settings and
its own random seed, so one can be made again alone), shows the selected take in the roll in
its own colour and scrolls to it, and keeps it as one undoable edit (undo brings the takes
back). Generate is offered only when the piece has notes, and says why not. Keeping goes
through :func:`composer.generate.merge`, the same rule the CLI's output follows: a seed note
still sounding where the take strikes the same pitch is cut there, so the new note is heard.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget

from composer.bundle_cache import BundleCache
from composer.errors import ComposerError
from composer.midi_io import require_notes
from composer.notes import Note, Piece
from gui.controls import GenerationControls
from gui.document import ACCEPTED, TAKE, Document, RollNote
from gui.messages import Messages
from gui.palette import take_color
from gui.piano_roll import PianoRoll
from gui.take_history import TakeGroup, TakeRecord, concrete_seed, make_group
from gui.takes import TakesPanel
from gui.workers import Job

StartJob = Callable[[str, Callable], Job]


def kept_edit(notes: Mapping[int, Note], pedals, take) -> tuple[dict[int, Note], Piece]:
    """What keeping ``take`` changes in a document with ``notes`` (by id) and ``pedals``:
    the seed notes that :func:`composer.generate.merge` cuts (id -> cut note), and the merged
    piece (whose pedals are the document's next)."""
    from composer.generate import merge

    merged = merge(Piece(notes=tuple(notes.values()), pedals=tuple(pedals)), take)
    left = Counter(merged.notes)
    left.subtract(take.notes)
    cuts = {}
    for note_id, note in notes.items():
        if left[note] > 0:
            left[note] -= 1
        else:
            cuts[note_id] = note
    for note_id, note in cuts.items():  # merge keeps start, pitch and velocity; the end moves
        cut = next(n for n, count in left.items() if count > 0 and n.start == note.start
                   and n.pitch == note.pitch and n.velocity == note.velocity and n.end < note.end)
        left[cut] -= 1
        cuts[note_id] = cut
    return cuts, merged


def _replaces_region(take) -> bool:
    from composer.infill import InfillTake

    return isinstance(take, InfillTake)


def _harmonizes(take) -> bool:
    from composer.harmony_takes import HarmonyTake

    return isinstance(take, HarmonyTake)


def _continues(take) -> bool:
    """A continuation (Make again and Keep & continue are for those only)."""
    return not (_replaces_region(take) or _harmonizes(take))


NEEDS_NOTES = ("Generate needs notes to continue: open a MIDI file or an example (File › Open "
               "example), drop one on the window, draw notes (D) or record (Ctrl+R)")


@dataclass
class _Kept:
    """A Keep on the undo stack, and the takes it put away: undoing it brings them back,
    redoing it puts away whatever is shown then (each move swaps the two)."""

    command: object  # the QUndoCommand of the keep
    groups: list
    selected: tuple[int, int] | None
    applied: bool = True


def model_text(bundle) -> tuple[str, str]:
    """What the panel says about a model (short: it must fit the panel), and the details for
    its tooltip. The vocabulary size is said as what it is: the kinds of event the model
    writes music with."""
    config = bundle.config
    vocab = bundle.vocab
    layers = f"{len(config.lstm_units)}×{max(config.lstm_units)}"
    text = (f"{bundle.name}: a {layers} LSTM writing {len(vocab)} kinds of event (keys, "
            "time steps, loudness, pedal)")
    s = vocab.settings
    details = [f"{bundle.name}: {len(config.lstm_units)} LSTM layers of "
               f"{max(config.lstm_units)} units",
               f"It writes music as a sequence of events, {len(vocab)} kinds:",
               f"  a key pressed or let go ({vocab.pitch_count} pitches each),",
               f"  a step of time (1 to {s.max_shift_steps} steps of 1/{s.steps_per_beat} "
               "beat),",
               "  a loudness (velocity), the sustain pedal, start and end"]
    nll = bundle.metrics.get("test_nll") if isinstance(bundle.metrics, dict) else None
    if isinstance(nll, (int, float)):
        details.append(f"On music it did not learn from: {nll:.2f} nats per event "
                       "(lower is better; Help › Model card has more)")
    if bundle.conditioning is not None:
        details.append(f"Styles: {', '.join(bundle.conditioning.styles[1:])}; "
                       f"{len(bundle.conditioning.composers) - 1} composers")
    return text, "\n".join(details)


class GenerationBridge(QObject):
    takesReady = Signal(list)
    keeping = Signal(object)  # the TakeRecord about to be kept (gui.ratings_bridge: a like)
    rejected = Signal(list)  # the TakeRecords the person discarded (there: dislikes)

    def __init__(self, doc: Document, roll: PianoRoll, controls: GenerationControls,
                 takes_panel: TakesPanel, takes_dock: QDockWidget, messages: Messages,
                 actions: Mapping[str, QAction], bundles: BundleCache, *, start_job: StartJob,
                 model_loaded: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.roll = roll
        self.controls = controls
        self.takes_panel = takes_panel
        self.takes_dock = takes_dock
        self.messages = messages
        self.actions = actions
        self.bundles = bundles
        self._start_job = start_job
        self._model_loaded = model_loaded
        self.groups: list[TakeGroup] = []  # the history, oldest first
        self.generation: Job | None = None
        self._model_job: Job | None = None
        self._model_name = ""
        self._generated_at = 0.0
        self._kept: _Kept | None = None
        # What the next generation runs: called on the UI thread when Generate starts (with
        # the TakeRecord being made again, or None), it returns a function of the loaded
        # bundle giving (the bundle to use, a logit bias or None) in the worker
        # (gui.ratings_bridge: the adapted model and the taste's steering; for a take made
        # again, those it was made with, so it has the same notes).
        self.steering: Callable[[TakeRecord | None], Callable] | None = None
        doc.changed.connect(self.update_ready)
        doc.undo_stack.indexChanged.connect(self._undo_moved)
        takes_panel.takeSelected.connect(self.select_take)
        takes_panel.againRequested.connect(self.make_again)
        self.update_ready()

    # ----- the model -----------------------------------------------------------------------
    @property
    def model_job(self) -> Job | None:
        """The latest model load (running or done)."""
        return self._model_job

    def load_model(self, path: str, quiet: bool = False) -> Job:
        """Load (and cache) a bundle in the background; shows what it is or why it failed."""
        self.controls.set_model_info("Loading model…")
        bundles = self.bundles

        def work(progress, cancelled):
            from composer.generate import engine_for  # warm the import, here not on Generate

            bundle = bundles.get(path)
            engine_for(bundle)  # and the engine's tables (cached per bundle)
            return bundle

        job = self._start_job("Loading model", work)
        self._model_job = job

        def loaded(bundle) -> None:
            if self._model_job is not job:
                return
            text, details = model_text(bundle)
            self._model_name = bundle.name
            self.controls.set_model_info(text, details)
            self.controls.set_conditioning(bundle.conditioning)
            self._model_loaded()

        def failed(message: str) -> None:
            if self._model_job is not job:
                return
            self.controls.set_model_info(f"⚠ {message}")
            self.controls.set_conditioning(None)

        job.succeeded.connect(loaded)
        if quiet:  # at start-up: said in the model box, without a dialog
            job.failed.connect(failed)
        else:
            self.messages.report(job, "Cannot load the model", also=failed)
        return job

    # ----- generating --------------------------------------------------------------------
    def is_generating(self) -> bool:
        return self.generation is not None and self.generation.is_running()

    def update_ready(self) -> None:
        """Generate is offered only when there is something to continue, and says why not."""
        reason = "" if self.doc.notes else NEEDS_NOTES
        self.controls.set_ready(reason)
        action = self.actions["generate_action"]
        action.setEnabled(not reason and not self.is_generating())
        action.setToolTip(reason or "Write continuations of the piece (Ctrl+G)")
        action.setStatusTip(reason or "Write continuations of the piece")

    def generate(self, settings=None, *, again: bool = False,
                 remake: TakeRecord | None = None) -> Job | None:
        """Generate takes from the whole piece, in the background (``settings``: other than
        the panel's, e.g. one take made again: ``remake``)."""
        if self.is_generating():
            return None
        try:
            settings = concrete_seed(settings or self.controls.settings())
            settings.validate()
            seed = require_notes(self.doc.to_piece(), self.doc.path.name if self.doc.path
                                 else "the piece")
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Cannot generate")
            return None
        path = self.controls.model_path()
        bundles = self.bundles
        steering = self.steering(remake) if self.steering is not None else None

        def work(progress, cancelled):
            from composer.generate import generate

            bundle, steer = bundles.get(path), None
            if steering is not None:
                bundle, steer = steering(bundle)
            return bundle.name, generate(bundle, seed, settings, progress=progress,
                                         cancelled=cancelled, steer=steer)

        self._set_generating(True)
        count = settings.takes
        self.messages.status(f"Generating {count} take{'s' if count > 1 else ''} of "
                             f"{settings.bars:g} bars…", 0)
        self._generated_at = time.monotonic()
        job = self._start_job("Generating", work)
        self.generation = job
        job.progress.connect(self._progress)
        job.succeeded.connect(lambda result: self._takes_ready(result[1], settings, result[0],
                                                               again=again))
        self.messages.report(job, "Generation failed")
        job.cancelled.connect(lambda: self.messages.status("Generation cancelled"))
        job.finished.connect(lambda: self._set_generating(False))
        return job

    def make_again(self, key=None) -> Job | None:
        """Generate one take of the history again, alone, from its own random seed."""
        record = self.record(key if key is not None else self.takes_panel.current())
        if record is None:
            return None
        if not _continues(record.take):
            self.messages.status("Make again is for continuations: regenerate the bars or "
                                 "harmonize again for new takes")
            return None
        return self.generate(record.alone(), again=True, remake=record)

    def cancel_generation(self) -> None:
        if self.is_generating():
            self.generation.cancel()
            self.messages.status("Cancelling…", 0)

    def show_busy(self, busy: bool) -> None:
        """Another part's job (Regenerate selection, Harmonize melody) started or ended: the
        panel's Stop button and Esc are for it while it runs (and stay with a generation that
        still runs when it ends)."""
        if busy or not self.is_generating():
            self.controls.set_busy(busy)
            self.actions["cancel_action"].setEnabled(busy)

    def _set_generating(self, busy: bool) -> None:
        self.controls.set_busy(busy)
        self.actions["cancel_action"].setEnabled(busy)
        self.update_ready()
        self.actions["generate_action"].setEnabled(not busy and bool(self.doc.notes))

    def _progress(self, fraction: float) -> None:
        self.controls.set_progress(fraction)
        self.messages.status(f"Generating… {fraction:.0%}", 0)

    def _takes_ready(self, takes: list, settings=None, model: str = "", *,
                     again: bool = False) -> None:
        """A generation's takes join the history (as its newest group) and the first is
        selected, shown whole in the roll, with the focus on the list."""
        elapsed = time.monotonic() - self._generated_at
        settings = settings if settings is not None else concrete_seed(self.controls.settings())
        serial = sum(len(g.records) for g in self.groups)
        number = (self.groups[-1].number + 1) if self.groups else 1
        group = make_group(number, takes, settings, serial, model or self._model_name, again)
        self.groups.append(group)
        first = group.records[0].key if group.records else None
        self.takes_panel.set_history(self.groups, first)
        self.takes_dock.show()
        self.takes_dock.raise_()
        self.takes_panel.focus_list()
        self._update_take_actions()
        count = len(takes)
        self.messages.status(f"{count} take{'s' if count != 1 else ''} ready in "
                             f"{elapsed:.1f} s: listen (Ctrl+T), next/previous take "
                             "(Alt+Down/Alt+Up), keep one (Ctrl+Return)", 10000)
        self.takesReady.emit(list(takes))

    # ----- takes -------------------------------------------------------------------------
    @property
    def takes(self) -> list:
        """Every take of the history (oldest generation first)."""
        return [r.take for g in self.groups for r in g.records]

    def records(self) -> list[TakeRecord]:
        return [r for g in self.groups for r in g.records]

    def record(self, key) -> TakeRecord | None:
        return next((r for r in self.records() if r.key == key), None)

    def current_record(self) -> TakeRecord | None:
        return self.record(self.takes_panel.current())

    def current_take(self):
        record = self.current_record()
        return record.take if record is not None else None

    def select_take(self, key) -> None:
        record = self.record(key)
        roll = self.roll
        if record is None:
            roll.set_overlay(TAKE, [])
            roll.set_take_span(None)
        else:
            take = record.take
            roll.set_overlay(TAKE, take.notes, take_color(record.serial))
            roll.set_take_span((take.start_beat, take.end_beat))
            self.show_in_view(take)
        self._update_take_actions()

    def show_in_view(self, take) -> None:
        """Scroll (never zoom) so the take is in view: all of it when it fits (centred),
        else its start with a little of what comes before; its notes' pitches too."""
        roll = self.roll
        first, last = roll.visible_beats()
        width = last - first
        start, end = take.start_beat, take.end_beat
        if not (first <= start and end <= last):
            length = end - start
            left = start - (width - length) / 2 if length <= width * 0.96 else start - width * 0.1
            roll.horizontalScrollBar().setValue(int(max(left, 0.0) * roll.px_per_beat))
        pitches = [n.pitch for n in take.notes]
        if pitches:
            top = roll.y_to_pitch(0)
            bottom = roll.y_to_pitch(roll.viewport().height())
            if min(pitches) < bottom or max(pitches) > top:
                middle = (min(pitches) + max(pitches)) / 2
                y = roll.pitch_to_y(round(middle)) + roll.verticalScrollBar().value()
                roll.verticalScrollBar().setValue(int(y - roll.viewport().height() / 2))

    def next_take(self) -> None:
        self.takes_panel.step(+1)

    def previous_take(self) -> None:
        self.takes_panel.step(-1)

    def compare(self) -> None:
        self.takes_panel.compare()

    def add_takes(self, takes: list, settings, model: str, started: float) -> None:
        """Takes made elsewhere (Regenerate selection) join the history as a generation."""
        self._generated_at = started
        self._takes_ready(takes, settings, model)

    def _update_take_actions(self) -> None:
        take = self.current_take()
        has = take is not None
        for name in ("keep_action", "play_take_action"):
            self.actions[name].setEnabled(has)
        for name in ("continue_action", "again_action"):  # continuations only
            self.actions[name].setEnabled(has and _continues(take))
        for button in (self.takes_panel.continue_button, self.takes_panel.again_button):
            button.setEnabled(has and _continues(take))
        several = len(self.records()) > 1
        for name in ("next_take_action", "previous_take_action", "compare_action"):
            self.actions[name].setEnabled(several)
        self.actions["discard_action"].setEnabled(bool(self.groups))

    def keep_take(self) -> bool:
        """Append the selected take to the piece (one undoable step; undoing it brings the
        takes back)."""
        record = self.current_record()
        if record is None:
            return False
        self.keeping.emit(record)
        take = record.take
        notes = {note_id: rn.note for note_id, rn in self.doc.notes.items()}
        stack = self.doc.undo_stack
        groups, selected = list(self.groups), record.key
        if _replaces_region(take):  # a regenerated region (gui.infill_bridge): swap its notes
            from composer.infill import merge_infill

            merged = merge_infill(Piece(notes=tuple(notes.values()),
                                        pedals=tuple(self.doc.pedals)), take)
            inside = [i for i, n in notes.items()
                      if take.start_beat - 1e-9 <= n.start < take.end_beat - 1e-9]
            self.doc.edit(f"Keep take {take.index + 1}", remove=inside,
                          add=[RollNote(n, ACCEPTED) for n in take.notes], pedals=merged.pedals)
        elif _harmonizes(take):  # voices under a melody (gui.harmonize_bridge): only added
            from composer.harmony_takes import fit_voices

            added = fit_voices(list(notes.values()), [take.notes])
            if not added:  # every key sounds already: nothing to add, no empty undo step
                self.messages.status("Nothing to keep: the piece already sounds every note "
                                     "of this harmonization")
                return False
            self.doc.edit(f"Keep harmonization {take.index + 1}",
                          add=[RollNote(n, ACCEPTED) for n in added])
            take = replace(take, notes=added)  # what the status line counts
        else:
            cuts, merged = kept_edit(notes, self.doc.pedals, take)
            self.doc.edit(f"Keep take {take.index + 1}", change=cuts,
                          add=[RollNote(n, ACCEPTED) for n in take.notes],
                          pedals=merged.pedals if take.pedals else None)
        self.roll.set_cursor_beat(take.start_beat)
        self._show_groups([], None)
        self._kept = _Kept(stack.command(stack.index() - 1), groups, selected)
        self.messages.status(f"Kept take {take.index + 1}: {len(take.notes)} notes added "
                             "(Ctrl+Z to undo, and the takes come back)")
        return True

    def keep_and_continue(self) -> None:
        if self.keep_take():
            self.generate()

    def discard_takes(self) -> None:
        self._show_groups([], None)

    def reject_takes(self) -> None:
        """Discard all, by the person (not a new piece or a trim): the takes were not
        wanted."""
        records = self.records()
        if records:
            self.rejected.emit(records)
        self.discard_takes()

    def replace_group(self, group: TakeGroup, new: TakeGroup) -> None:
        """Show ``new`` in place of ``group`` (best of N: only the best takes of it)."""
        if not any(g is group for g in self.groups):
            return
        groups = [new if g is group else g for g in self.groups]
        current = self.takes_panel.current()
        keys = {r.key for g in groups for r in g.records}
        first = new.records[0].key if new.records else None
        self._show_groups(groups, current if current in keys else first)

    def forget(self) -> None:
        """A new piece: the history and what Keep put away go."""
        self._kept = None
        self.discard_takes()

    def _show_groups(self, groups: list, selected) -> None:
        self.groups = list(groups)
        self.takes_panel.set_history(self.groups, selected)
        if not self.groups:
            self.roll.set_overlay(TAKE, [])
            self.roll.set_take_span(None)
        self._update_take_actions()

    def _undo_moved(self, index: int) -> None:
        """Undo of a Keep brings its takes back; redo puts them away again."""
        kept = self._kept
        if kept is None:
            return
        stack = self.doc.undo_stack
        position = next((i for i in range(stack.count()) if stack.command(i) is kept.command),
                        None)
        if position is None:  # history rewritten past it (a new edit after undo, a new piece)
            self._kept = None
            return
        applied = position < index
        if applied == kept.applied:
            return
        shown, selected = list(self.groups), self.takes_panel.current()
        kept.applied = applied
        self._show_groups(kept.groups, kept.selected)
        kept.groups, kept.selected = shown, selected
