"""Regenerate selection: new takes for a span of the piece that lead into what follows.

The span is the bars selected in the ruler (Shift+drag), or else the bars the selected notes
lie in. The takes come from :func:`composer.infill.infill` (in the background helper) and join
the takes history like any generation's: shown in the roll in their colour, auditioned with
Play take (the piece with the region replaced), cancelled by Esc or the panel's Stop like a
generation, kept with Keep (one undoable edit that replaces
the notes starting in the span). Errors (no notes before or after the span, a span past
the piece's end, the model failing) go through the app's one error path,
:meth:`gui.messages.Messages.report`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

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

NEEDS_SPAN = ("Regenerate selection needs bars: Shift+drag in the ruler above the roll, or "
              "select notes")
TIP = "Write new takes for the selected bars that lead into what follows (Ctrl+Shift+R)"


class InfillBridge(QObject):
    def __init__(self, doc: Document, roll: PianoRoll, ruler: Ruler,
                 controls: GenerationControls, generation, messages: Messages,
                 action: QAction, bundles: BundleCache, *, start_job: Callable[[str, Callable],
                                                                                Job],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.roll = roll
        self.ruler = ruler
        self.controls = controls
        self.generation = generation  # gui.generation_bridge.GenerationBridge: the history
        self.messages = messages
        self.action = action
        self.bundles = bundles
        self._start_job = start_job
        self.job: Job | None = None
        ruler.barsSelected.connect(lambda _span: self.update_ready())
        roll.selectionChanged.connect(self.update_ready)
        doc.changed.connect(self.update_ready)
        self.update_ready()

    def span(self) -> tuple[float, float] | None:
        """The bars to regenerate (beats): the ruler's selection, else the selected notes'
        bars."""
        if self.ruler.bar_span is not None:
            return self.ruler.bar_span
        notes = [self.doc.notes[i].note for i in self.roll.selection if i in self.doc.notes]
        if not notes:
            return None
        sigs = self.doc.time_signatures
        first = grid.bar_at(sigs, min(n.start for n in notes))
        last = grid.bar_at(sigs, max(n.start for n in notes))
        return first.start, last.end

    def is_running(self) -> bool:
        return self.job is not None and self.job.is_running()

    def update_ready(self) -> None:
        reason = "" if self.span() is not None and self.doc.notes else NEEDS_SPAN
        self.action.setEnabled(not reason and not self.is_running())
        self.action.setToolTip(reason or TIP)
        self.action.setStatusTip(reason or TIP)

    def region(self, piece):
        """The span as a :class:`composer.infill.Region`, named by its bars."""
        from composer.infill import Region, span_region

        span = self.span()
        if span is None:
            raise ComposerError(NEEDS_SPAN)
        region = span_region(piece, *span)
        sigs = self.doc.time_signatures
        first = grid.bar_at(sigs, region.start).number
        last = grid.bar_at(sigs, max(region.end - 1e-6, region.start)).number
        return Region(region.start, region.end, first, last)

    def regenerate(self) -> Job | None:
        """Takes for the span, in the background; they join the takes history."""
        if self.is_running():
            return None
        name = self.doc.path.name if self.doc.path else "the piece"
        try:
            from composer.infill import check_region

            settings = concrete_seed(self.controls.settings())
            settings.validate()
            piece = self.doc.to_piece()
            region = self.region(piece)
            check_region(piece, region, name)
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Cannot regenerate")
            return None
        path = self.controls.model_path()
        bundles = self.bundles

        def work(progress, cancelled):
            from composer.infill import infill

            bundle = bundles.get(path)
            return bundle.name, infill(bundle, piece, region, settings, name=name,
                                       progress=progress, cancelled=cancelled)

        count = settings.takes
        self.messages.status(f"Regenerating {region.label}: {count} take"
                             f"{'s' if count > 1 else ''}…", 0)
        started = time.monotonic()
        job = self._start_job("Regenerating", work)
        self.job = job
        self.generation.show_busy(True)  # Esc and the panel's Stop cancel it
        job.progress.connect(lambda f: self.messages.status(
            f"Regenerating {region.label}… {f:.0%}", 0))
        job.succeeded.connect(lambda result: self.generation.add_takes(
            result[1], settings, result[0], started))
        self.messages.report(job, "Regeneration failed")
        job.cancelled.connect(lambda: self.messages.status("Regeneration cancelled"))
        job.finished.connect(lambda: (self.generation.show_busy(False), self.update_ready()))
        self.update_ready()
        return job

    def cancel(self) -> None:
        """Esc or Stop: ask the job to stop (generation and the ranking check it often)."""
        if self.is_running():
            self.job.cancel()
            self.messages.status("Cancelling…", 0)
