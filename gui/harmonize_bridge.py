"""Harmonize melody: alto, tenor and bass under a tune, as takes in the takes history.

What is harmonized: the selected notes; else the notes of the bars selected in the ruler; else
the whole piece. Of those, the line :func:`composer.harmonizer.melody_line` finds (the notes
as they are if they are one line, else their top line), the rule ``composer harmonize``
follows, through :func:`composer.harmony_takes.choose_melody`, which also refuses a chord
(notes that all start together) as no melody.

The work runs in the background helper (:mod:`gui.workers`), never on the UI thread: the
harmonizer bundle (``models/harmonizer``, or ``$COMPOSER_HARMONIZER``) is loaded once and
kept with its NumPy network in a :class:`~composer.bundle_cache.BundleCache` of its own (as
the main model is kept), then the Generate panel's number of takes are harmonized, take ``k``
from ``take_seed(random seed, k)`` (the panel's fixed seed, or a new one), with progress in the
panel and the status bar, cancelled by Esc or the panel's Stop button like a generation.

The takes join the takes history like any generation's (:meth:`GenerationBridge.add_takes`):
each is the three added voices, shown in the roll in its colour over the melody, heard with
Play take (the piece with the voices in it), kept with Keep as one undoable edit that adds
them (the melody and every other note untouched). Errors (no notes, a chord for a melody, a
missing or broken harmonizer bundle) reach the person as one line in a dialog, through
:meth:`gui.messages.Messages.report`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from composer.bundle_cache import BundleCache
from composer.errors import ComposerError
from gui import grid
from gui.controls import GenerationControls
from gui.document import Document
from gui.messages import Messages
from gui.piano_roll import PianoRoll
from gui.roll_margins import Ruler
from gui.take_history import concrete_seed
from gui.workers import Job

NEEDS_NOTES = ("Harmonize needs a melody: open a MIDI file, draw notes (D) or record "
               "(Ctrl+R), then select the tune's notes (or none, for the whole piece)")
TIP = ("Add alto, tenor and bass under {what}, in the style of the Bach chorales "
       "(Ctrl+Shift+H)")


def harmonizer_cache() -> BundleCache:
    """A cache of harmonizers (bundle and network) by folder; None: the shipped one."""
    from composer.harmonizer_bundle import default_harmonizer_dir
    from composer.harmony_takes import load_for_takes

    return BundleCache(load_for_takes, default_harmonizer_dir)


class HarmonizeBridge(QObject):
    def __init__(self, doc: Document, roll: PianoRoll, ruler: Ruler,
                 controls: GenerationControls, generation, messages: Messages,
                 action: QAction, *,
                 start_job: Callable[[str, Callable], Job],
                 harmonizers: BundleCache | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.roll = roll
        self.ruler = ruler
        self.controls = controls
        self.generation = generation  # gui.generation_bridge.GenerationBridge: the history
        self.messages = messages
        self.action = action
        self.harmonizers = harmonizers if harmonizers is not None else harmonizer_cache()
        self.model_dir: Path | None = None  # None: the shipped harmonizer
        self._start_job = start_job
        self.job: Job | None = None
        roll.selectionChanged.connect(self.update_ready)
        ruler.barsSelected.connect(lambda _span: self.update_ready())
        doc.changed.connect(self.update_ready)
        self.update_ready()

    # ----- what is harmonized --------------------------------------------------------------
    def source(self) -> tuple[list, str, str]:
        """The notes to harmonize, their name for messages (a file's name for the whole
        piece) and for the history's heading: the selected notes, else those starting in the
        ruler's bars, else the whole piece."""
        notes = [self.doc.notes[i].note for i in self.roll.selection if i in self.doc.notes]
        if notes:
            return notes, "the selected notes", "the selected notes"
        span = self.ruler.bar_span
        if span is not None:
            sigs = self.doc.time_signatures
            first = grid.bar_at(sigs, span[0]).number
            last = grid.bar_at(sigs, max(span[1] - 1e-6, span[0])).number
            inside = [rn.note for rn in self.doc.notes.values()
                      if span[0] - 1e-9 <= rn.note.start < span[1] - 1e-9]
            bars = f"bar {first}" if first == last else f"bars {first}-{last}"
            return inside, bars, bars
        name = self.doc.path.name if self.doc.path else "the piece"
        return ([rn.note for rn in self.doc.notes.values()], name,
                "the piece's melody (its top line)")

    def is_running(self) -> bool:
        return self.job is not None and self.job.is_running()

    def update_ready(self) -> None:
        ready = bool(self.doc.notes)
        tip = TIP.format(what=self.source()[2]) if ready else NEEDS_NOTES
        self.action.setEnabled(ready and not self.is_running())
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)

    # ----- harmonizing ---------------------------------------------------------------------
    def harmonize(self) -> Job | None:
        """Takes of alto, tenor and bass under the melody, in the background; they join the
        takes history. None (and a dialog saying why) if there is nothing to harmonize."""
        if self.is_running():
            return None
        if self.generation.is_generating():
            self.messages.status("Generating: harmonize when it is done (or press Esc)")
            return None
        notes, what, heading = self.source()
        try:
            from composer.harmony_takes import HarmonySettings, choose_melody

            if not notes:
                raise ComposerError(f"{what}: no notes, nothing to harmonize")
            melody = choose_melody(notes, what)
            panel = concrete_seed(self.controls.settings())
            settings = HarmonySettings(int(panel.random_seed), int(panel.takes), heading)
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Cannot harmonize")
            return None
        piece_notes = [rn.note for rn in self.doc.notes.values()]
        signatures = tuple(self.doc.time_signatures)
        harmonizers, model_dir = self.harmonizers, self.model_dir

        def work(progress, cancelled):
            from composer.harmony_takes import harmony_takes

            progress(0.0)
            harmonizer = harmonizers.get(model_dir)
            return harmony_takes(harmonizer, notes, signatures, settings,
                                 piece_notes=piece_notes, name=what, progress=progress,
                                 cancelled=cancelled)

        count = settings.takes
        line = (f"the top line of {what} ({len(melody.notes)} notes; the {melody.dropped} "
                "below it stay as they are)" if melody.polyphonic
                else f"{what} ({len(melody.notes)} notes)")
        self.messages.status(f"Harmonizing {line}: {count} take{'s' if count > 1 else ''}…", 0)
        started = time.monotonic()
        job = self._start_job("Harmonizing", work)
        self.job = job
        self._set_busy(True)
        job.progress.connect(self._progress)
        job.succeeded.connect(lambda takes: self.generation.add_takes(
            takes, settings, takes[0].model if takes else "", started))
        self.messages.report(job, "Cannot harmonize")
        job.cancelled.connect(lambda: self.messages.status("Harmonizing cancelled"))
        job.finished.connect(lambda: self._set_busy(False))
        self.update_ready()
        return job

    def cancel(self) -> None:
        """Esc or Stop: ask the job to stop (it does at its next check, within a fraction of a
        second)."""
        if self.is_running():
            self.job.cancel()
            self.messages.status("Cancelling…", 0)

    def _progress(self, fraction: float) -> None:
        self.controls.set_progress(fraction)
        self.messages.status(f"Harmonizing… {fraction:.0%}", 0)

    def _set_busy(self, busy: bool) -> None:
        """The panel's Stop button and Esc stop the harmonizing while it runs."""
        self.generation.show_busy(busy)
        self.update_ready()
