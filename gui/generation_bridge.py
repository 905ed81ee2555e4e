"""Generating in the window: the model, the takes on trial, and keeping one.

Loads the chosen model into the app's one :class:`~composer.bundle_cache.BundleCache` (in the
background), generates takes from the whole piece (in the background, with progress and
cancel), shows the selected take in the roll, and keeps it as one undoable edit. Keeping goes
through :func:`composer.generate.merge`, the same rule the CLI's output follows: a seed note
still sounding where the take strikes the same pitch is cut there, so the new note is heard.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping

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
from gui.piano_roll import PianoRoll
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


class GenerationBridge(QObject):
    takesReady = Signal(list)

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
        self.takes: list = []
        self.generation: Job | None = None
        self._model_job: Job | None = None
        self._generated_at = 0.0

    # ----- the model -----------------------------------------------------------------------
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
            config = bundle.config
            layers = f"{len(config.lstm_units)}×{max(config.lstm_units)}"
            text = f"{bundle.name}: {layers} LSTM, {len(bundle.vocab)} events"
            nll = bundle.metrics.get("test_nll") if isinstance(bundle.metrics, dict) else None
            if isinstance(nll, (int, float)):
                text += f", test NLL {nll:.2f}"
            self.controls.set_model_info(text)
            self._model_loaded()

        def failed(message: str) -> None:
            if self._model_job is job:
                self.controls.set_model_info(f"⚠ {message}")

        job.succeeded.connect(loaded)
        if quiet:  # at start-up: said in the model box, without a dialog
            job.failed.connect(failed)
        else:
            self.messages.report(job, "Cannot load the model", also=failed)
        return job

    # ----- generating --------------------------------------------------------------------
    def is_generating(self) -> bool:
        return self.generation is not None and self.generation.is_running()

    def generate(self) -> Job | None:
        """Generate takes from the whole piece, in the background."""
        if self.is_generating():
            return None
        try:
            settings = self.controls.settings()
            settings.validate()
            seed = require_notes(self.doc.to_piece(), self.doc.path.name if self.doc.path
                                 else "the piece")
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Cannot generate")
            return None
        path = self.controls.model_path()
        bundles = self.bundles

        def work(progress, cancelled):
            from composer.generate import generate

            bundle = bundles.get(path)
            return generate(bundle, seed, settings, progress=progress, cancelled=cancelled)

        self._set_generating(True)
        count = settings.takes
        self.messages.status(f"Generating {count} take{'s' if count > 1 else ''} of "
                             f"{settings.bars:g} bars…", 0)
        self._generated_at = time.monotonic()
        job = self._start_job("Generating", work)
        self.generation = job
        job.progress.connect(self._progress)
        job.succeeded.connect(self._takes_ready)
        self.messages.report(job, "Generation failed")
        job.cancelled.connect(lambda: self.messages.status("Generation cancelled"))
        job.finished.connect(lambda: self._set_generating(False))
        return job

    def cancel_generation(self) -> None:
        if self.is_generating():
            self.generation.cancel()
            self.messages.status("Cancelling…", 0)

    def _set_generating(self, busy: bool) -> None:
        self.controls.set_busy(busy)
        self.actions["generate_action"].setEnabled(not busy)
        self.actions["cancel_action"].setEnabled(busy)

    def _progress(self, fraction: float) -> None:
        self.controls.set_progress(fraction)
        self.messages.status(f"Generating… {fraction:.0%}", 0)

    def _takes_ready(self, takes: list) -> None:
        elapsed = time.monotonic() - self._generated_at
        self.takes = list(takes)
        self.takes_panel.set_takes(self.takes)
        self.takes_dock.raise_()
        self._update_take_actions()
        self.messages.status(f"{len(takes)} take{'s' if len(takes) != 1 else ''} ready in "
                             f"{elapsed:.1f} s: listen (Ctrl+T), keep one (Ctrl+Return) or "
                             "generate again", 10000)
        self.takesReady.emit(self.takes)

    # ----- takes -------------------------------------------------------------------------
    def current_take(self):
        index = self.takes_panel.current()
        return self.takes[index] if 0 <= index < len(self.takes) else None

    def select_take(self, index: int) -> None:
        take = self.takes[index] if 0 <= index < len(self.takes) else None
        roll = self.roll
        if take is None:
            roll.set_overlay(TAKE, [])
            roll.set_take_span(None)
        else:
            roll.set_overlay(TAKE, take.notes)
            roll.set_take_span((take.start_beat, take.end_beat))
            first, last = roll.visible_beats()
            if not first <= take.start_beat <= last - 1:
                roll.horizontalScrollBar().setValue(
                    int(take.start_beat * roll.px_per_beat - roll.viewport().width() * 0.35))
        self._update_take_actions()

    def _update_take_actions(self) -> None:
        has = self.current_take() is not None
        for name in ("keep_action", "continue_action", "play_take_action"):
            self.actions[name].setEnabled(has)
        self.actions["discard_action"].setEnabled(bool(self.takes))

    def keep_take(self) -> bool:
        """Append the selected take to the piece (one undoable step)."""
        take = self.current_take()
        if take is None:
            return False
        notes = {note_id: rn.note for note_id, rn in self.doc.notes.items()}
        cuts, merged = kept_edit(notes, self.doc.pedals, take)
        self.doc.edit(f"Keep take {take.index + 1}", change=cuts,
                      add=[RollNote(n, ACCEPTED) for n in take.notes],
                      pedals=merged.pedals if take.pedals else None)
        self.roll.set_cursor_beat(take.start_beat)
        self.discard_takes()
        self.messages.status(f"Kept take {take.index + 1}: {len(take.notes)} notes added "
                             "(Ctrl+Z to undo)")
        return True

    def keep_and_continue(self) -> None:
        if self.keep_take():
            self.generate()

    def discard_takes(self) -> None:
        self.takes = []
        self.takes_panel.set_takes([])
        self.roll.set_overlay(TAKE, [])
        self.roll.set_take_span(None)
        self._update_take_actions()
