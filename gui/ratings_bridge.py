"""Ratings in the window: like, dislike and "more like this" on a take, and the two speeds of
adaptation they drive (issue 11; the library pieces are composer.ratings, composer.taste and
composer.adapt, see docs/feedback.md).

- **Rating.** Like / Dislike / More like this (keys, the Generate menu, the takes list's
  context menu, the buttons under the list) append one :class:`composer.ratings.Rating` to the
  log in the user's data folder (``$COMPOSER_DATA``), with the take's notes, its seed and time
  signatures, its settings and random seed. Keep counts as a like and Discard all as a dislike
  of every take not rated already. Rating a take again replaces its verdict (the log keeps
  both lines; the last one counts: :func:`gui.adaptation_run.effective`). A damaged log is moved
  aside by :meth:`RatingLog.load`, and its notice is shown over the roll.
- **Immediate.** The next Generate samples with the logit bias of the taste of every rating
  (:meth:`composer.taste.Taste.bias`): :meth:`RatingsBridge.steering`, read by
  :class:`gui.generation_bridge.GenerationBridge` when Generate starts.
- **Durable.** After each rating, a round of :class:`gui.adaptation_run.AdaptationRun` in the
  background (one at a time; ratings that come in meanwhile make one more round) refits the
  output layer's update, and the next Generate uses the adapted model. The status bar says
  "Adapted to N ratings". Adaptation can be switched off (the shipped model exactly: same
  random seed, same notes), the ratings reset (the log is put aside, never deleted), the
  adapted model exported as a bundle (:func:`composer.adapt.save_adapted`: staged, then swapped
  in whole).
- **Ranked and explained.** Each generation's takes are scored in the background
  (:mod:`gui.take_scores`: NLL per event, fit to the taste, share in the seed's key, density
  against the seed); the list shows it on each row and in its tooltip, can sort by fit, and
  "best of N" generates N takes and keeps the best K (by fit, or by NLL with no clear taste).

The bridge connects its own actions (they are in :mod:`gui.actions` like every other), so the
window only builds it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QStatusBar,
    QToolButton,
    QWidget,
)

from composer.bundle_cache import BundleCache
from composer.errors import ComposerError, ModelBundleError
from composer.harmony_takes import HarmonyTake
from composer.notes import Piece
from composer.ratings import DISLIKE, LIKE, MORE, Rating, RatingLog, rating_of_take
from composer.taste import Taste
from gui import take_scores
from gui.adaptation_run import AdaptationRun, RoundResult, effective
from gui.document import Document
from gui.messages import Messages
from gui.take_history import TakeGroup, TakeRecord, concrete_seed
from gui.takes import TakesPanel
from gui.workers import Job

StartJob = Callable[[str, Callable], Job]
VERDICT_WORDS = {LIKE: "liked", DISLIKE: "disliked", MORE: "more like this"}
NOTICE_KEY = "ratings-log"
MAX_BEST_OF = 64
BUTTONS = (("like_action", "♥ Like"), ("dislike_action", "✗ Dislike"),
           ("more_action", "♥♥ More"))


@dataclass
class _Seen:
    """A take of the session: its id in the log, what it continued, its verdict, its
    numbers."""

    take: object
    take_id: str
    seed: Piece
    verdict: str | None = None
    score: take_scores.TakeScore | None = None
    steering: Callable | None = None  # what it was generated with (for Make again)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _BestOf:
    job: Job
    keep: int
    group: TakeGroup | None = None


class RatingsBridge(QObject):
    rated = Signal(object)  # the Rating just appended
    adapted = Signal(object)  # a RoundResult: the model the next Generate uses
    scored = Signal()  # a generation's takes have their numbers
    loaded = Signal()  # the log is read

    def __init__(self, generation, doc: Document, takes_panel: TakesPanel,
                 messages: Messages, actions: dict[str, QAction], bundles: BundleCache, *,
                 model_path: Callable[[], str], take_count: Callable[[], int],
                 start_job: StartJob, status_bar: QStatusBar, settings: QSettings,
                 bars: Callable[[], tuple[float, float] | None] = lambda: None,
                 dialogs: QWidget | None = None, folder: str | Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = generation  # gui.generation_bridge.GenerationBridge
        self.doc = doc
        self.takes_panel = takes_panel
        self.messages = messages
        self.actions = actions
        self.bundles = bundles
        self._model_path = model_path
        self._take_count = take_count
        self._start_job = start_job
        self._bars = bars
        self._dialogs = dialogs
        self.settings = settings
        self.log = RatingLog(folder)
        self.ratings: list[Rating] = []
        self.taste = Taste()
        self._reference: dict = {}
        self._loaded = False
        self._queued: list[Rating] = []  # rated before the log was read: appended after
        self._seen: dict[int, _Seen] = {}  # id(take) -> what the session knows of it
        self.run = AdaptationRun()
        self.result: RoundResult | None = None
        self.job: Job | None = None  # the adaptation round running
        self._again = False  # ratings came in during the round: one more
        self._epoch = 0  # a reset makes running rounds' results stale
        self._best: _BestOf | None = None
        self._issued: Callable | None = None  # the steering the last Generate got
        self.export_job: Job | None = None

        self.label = QLabel()
        status_bar.addPermanentWidget(self.label)
        self._add_buttons()
        takes_panel.annotate = self._annotate
        takes_panel.menu_actions = [actions["like_action"], actions["dislike_action"],
                                    actions["more_action"]]
        sort = actions["sort_fit_action"]
        sort.setChecked(_flag(settings.value("ratings/sort_by_fit", False)))
        self._set_sorted(sort.isChecked(), redraw=False)
        adapt = actions["adapt_action"]
        adapt.setChecked(_flag(settings.value("ratings/adapt", True)))
        for name, slot in (("like_action", lambda: self.rate(LIKE)),
                           ("dislike_action", lambda: self.rate(DISLIKE)),
                           ("more_action", lambda: self.rate(MORE)),
                           ("best_of_action", lambda: self.best_of_dialog()),
                           ("reset_ratings_action", lambda: self.reset()),
                           ("export_adapted_action", lambda: self.export_dialog())):
            actions[name].triggered.connect(slot)
        sort.toggled.connect(self._set_sorted)
        adapt.toggled.connect(self.set_enabled)
        generation.steering = self.steering
        generation.takesReady.connect(self._takes_ready)
        generation.keeping.connect(self._keeping)
        generation.rejected.connect(self._rejected)
        takes_panel.takeSelected.connect(lambda _key: self._update_actions())
        self._update_actions()
        self._show_state()
        self._load()

    # ----- the log ---------------------------------------------------------------------------
    def _load(self) -> None:
        """Read the log in the background (a long one takes a moment; a damaged one is moved
        aside there)."""
        log = self.log

        def work(progress, cancelled):
            ratings = log.load()
            return ratings, log.notice

        job = self._start_job("Reading the ratings", work)
        job.succeeded.connect(lambda result: self._log_read(*result))
        job.failed.connect(self._log_failed)

    def _log_read(self, ratings: list, notice: str) -> None:
        self.ratings = list(ratings)
        self._loaded = True
        if notice:
            self.messages.notice(NOTICE_KEY, notice)
            self.messages.status(notice, 15000)
        queued, self._queued = self._queued, []
        for rating in queued:
            self._append(rating)
        self._taste_changed()
        self.loaded.emit()
        self._adapt()

    def _log_failed(self, message: str) -> None:
        """Unreadable (not damaged: a permission, a disk): say so. Ratings go on: each new
        one is still written to the log if it can be, and counts for this session anyway."""
        self._loaded = True
        self.messages.notice(NOTICE_KEY, f"{message}; the ratings made from now on count for "
                             "this session, and are saved to it if it can be written")
        self.loaded.emit()

    def _append(self, rating: Rating) -> None:
        try:
            self.log.append(rating)
        except ComposerError as exc:
            self.messages.notice(NOTICE_KEY, f"{exc}; the rating counts for this session")
        self.ratings.append(rating)

    # ----- rating --------------------------------------------------------------------------
    def _info(self, record: TakeRecord) -> _Seen:
        seen = self._seen.get(id(record.take))
        if seen is None:  # a take from before the bridge knew of it: its seed is the piece
            seen = self._register(record.take, self.doc.to_piece())
        return seen

    def _register(self, take, seed: Piece) -> _Seen:
        seen = _Seen(take, uuid.uuid4().hex[:16], seed)
        self._seen[id(take)] = seen
        return seen

    def rating_of(self, verdict: str, record: TakeRecord,
                  bars: tuple[float, float] | None = None) -> Rating:
        seen = self._info(record)
        take = record.take
        settings = asdict(record.settings)
        settings.update(take_id=seen.take_id, style_used=take.style,
                        kind=type(take).__name__)
        seed = seen.seed
        before = [n for n in seed.notes if n.start < take.start_beat - 1e-9]
        return rating_of_take(verdict, take, before, seed.time_signatures, settings=settings,
                              model=record.model, source="app", bars=bars)

    def rate(self, verdict: str, key=None, *, quiet: bool = False,
             adapt: bool = True) -> Rating | None:
        """Rate the take ``key`` (default: the selected one); "more like this" rates the bars
        selected in the ruler when they overlap the take."""
        record = self.generation.record(key if key is not None else self.takes_panel.current())
        if record is None:
            return None
        take = record.take
        if isinstance(take, HarmonyTake):  # another model's voices: not the continuations' taste
            if not quiet:
                self.messages.status("Ratings teach the continuation model: harmonizations "
                                     "are not rated")
            return None
        bars = None
        if verdict == MORE:
            span = self._bars()
            if span is not None:
                start, end = max(span[0], take.start_beat), min(span[1], take.end_beat)
                if end > start and (start, end) != (take.start_beat, take.end_beat):
                    bars = (start, end)
        rating = self.rating_of(verdict, record, bars)
        if not rating.notes:
            self.messages.status(f"{record.label} has no notes there to rate")
            return None
        if self._loaded:
            self._append(rating)
        else:
            self._queued.append(rating)
        seen = self._info(record)
        if bars is None:
            seen.verdict = verdict
        else:
            seen.extra["bars"] = bars
        self.rated.emit(rating)
        self._taste_changed()
        if not quiet:
            where = f" (beats {bars[0]:g}–{bars[1]:g})" if bars else ""
            self.messages.status(f"{record.label}{where}: {VERDICT_WORDS[verdict]}. "
                                 f"Your taste: {self.taste.describe()}")
        if adapt:
            self._adapt()
        return rating

    def verdict(self, record: TakeRecord) -> str | None:
        seen = self._seen.get(id(record.take))
        return seen.verdict if seen is not None else None

    def _keeping(self, record: TakeRecord) -> None:
        """Keep is a like, unless the take was rated already."""
        if self.verdict(record) is None:
            self.rate(LIKE, record.key, quiet=True)

    def _rejected(self, records: Sequence[TakeRecord]) -> None:
        """Discard all: a dislike of every take not rated already (one round for all)."""
        count = 0
        for record in records:
            if self.verdict(record) is None and self.rate(DISLIKE, record.key, quiet=True,
                                                          adapt=False):
                count += 1
        if count:
            self.messages.status(f"Discarded: {count} take{'s' if count != 1 else ''} "
                                 "counted as disliked")
            self._adapt()

    def counted(self) -> list[Rating]:
        """The ratings that count (the last verdict per take), those queued included."""
        return effective(self.ratings + self._queued)

    def _taste_changed(self) -> None:
        counted = self.counted()
        self.taste = Taste.from_ratings(counted)
        self._reference = take_scores.reference(counted)
        self.takes_panel.refresh()
        if self.actions["sort_fit_action"].isChecked():
            self._redraw()
        self._show_state()

    # ----- immediate and durable adaptation ---------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.actions["adapt_action"].isChecked()

    def set_enabled(self, on: bool) -> None:
        self.actions["adapt_action"].setChecked(on)
        self.settings.setValue("ratings/adapt", bool(on))
        self._show_state()
        if on:
            self._adapt()
        self.messages.status("Adapting to your ratings" if on else
                             "Adaptation off: the shipped model, exactly")

    def steering(self, remake: TakeRecord | None = None) -> Callable:
        """For the next generation (read on the UI thread when it starts): a function of the
        loaded bundle giving the bundle to use and the logit bias (see the module doc). A
        take made again gets what it was made with (the same notes, as Make again promises),
        whatever changed since."""
        seen = self._seen.get(id(remake.take)) if remake is not None else None
        if seen is not None and seen.steering is not None:
            self._issued = seen.steering
            return seen.steering
        self._issued = self._current_steering()
        return self._issued

    def _current_steering(self) -> Callable:
        if not self.enabled:
            return _shipped
        taste, result = self.taste, self.result

        def apply(bundle):
            model = bundle
            if result is not None:
                if result.base is bundle:
                    model = result.adapted
                elif _same_model(result.base, bundle):  # the same folder, loaded again
                    model = result.adaptation.apply(bundle)
            return model, taste.bias(bundle.vocab)

        return apply

    def _adapt(self) -> None:
        """Start a round in the background, or ask for one more after the running one."""
        if not self.enabled or not self._loaded:
            self._show_state()
            return
        if self.job is not None and self.job.is_running():
            self._again = True
            return
        ratings = tuple(self.ratings)
        if not effective(ratings):
            self.result = None
            self._show_state()
            return
        self._again = False
        path, bundles, run, epoch = self._model_path(), self.bundles, self.run, self._epoch

        def work(progress, cancelled):
            return run.round(bundles.get(path), ratings, cancelled)

        job = self._start_job("Adapting to your ratings", work)
        self.job = job
        job.succeeded.connect(lambda result: self._round_done(result, epoch))
        job.failed.connect(lambda message: self.messages.status(
            f"Adaptation failed: {message}", 10000))
        job.finished.connect(self._round_finished)
        self._show_state()

    def _round_done(self, result: RoundResult, epoch: int) -> None:
        if epoch != self._epoch:
            return
        self.result = result
        self._show_state()
        self.adapted.emit(result)

    def _round_finished(self) -> None:
        self._update_actions()
        if self._again:
            self._adapt()
        else:
            self._show_state()

    def model_changed(self) -> None:
        """Another model: the next round adapts it (from every rating)."""
        self.result = None
        self._adapt()

    def is_adapting(self) -> bool:
        return self.job is not None and self.job.is_running()

    def _show_state(self) -> None:
        counted = self.counted()
        count = len(counted)
        liked = sum(1 for r in counted if r.sign > 0)
        taste = self.taste.describe()
        result = self.result
        if not self.enabled:
            text = "Adaptation off" + (f" ({count} ratings kept)" if count else "")
        elif self.is_adapting():
            text = f"Adapting to {count} rating{'s' if count != 1 else ''}…"
        elif result is not None and count:
            n = result.ratings
            text = f"Adapted to {n} rating{'s' if n != 1 else ''}"
        elif count:
            text = f"{count} rating{'s' if count != 1 else ''}"
        else:
            text = "No ratings yet"
        lines = [f"{count} ratings count: {liked} liked, {count - liked} disliked",
                 f"Your taste so far: {taste}"]
        if result is not None:
            lines.append(f"Last adaptation: {result.ratings} ratings in {result.seconds:.2f} s "
                         f"({result.adaptation.variant} update of the output layer)")
        lines.append(f"Ratings log: {self.log.path}")
        self.label.setText(text)
        self.label.setToolTip("\n".join(lines))
        self._update_actions()

    # ----- best of N, sorting, the list's lines ---------------------------------------------
    def best_of_dialog(self) -> QInputDialog:
        keep = max(1, self._take_count())
        dialog = QInputDialog(self._dialogs)
        dialog.setWindowTitle("Generate best of N")
        dialog.setLabelText(f"Generate how many takes, to show the best {keep}?")
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(keep + 1, MAX_BEST_OF)
        dialog.setIntValue(min(MAX_BEST_OF, max(keep + 1,
                                                int(self.settings.value("ratings/best_of",
                                                                        keep * 4)))))
        dialog.intValueSelected.connect(lambda n: self.generate_best(n, keep))
        dialog.open()
        return dialog

    def generate_best(self, count: int, keep: int | None = None) -> Job | None:
        """Generate ``count`` takes and keep the best ``keep`` (default: the panel's takes)."""
        keep = max(1, keep if keep is not None else self._take_count())
        count = max(keep, min(int(count), MAX_BEST_OF))
        self.settings.setValue("ratings/best_of", count)
        try:
            settings = replace(concrete_seed(self.generation.controls.settings()),
                               takes=count)
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Cannot generate")
            return None
        job = self.generation.generate(settings)
        if job is not None:
            self._best = _BestOf(job, keep)
        return job

    def _set_sorted(self, on: bool, redraw: bool = True) -> None:
        self.settings.setValue("ratings/sort_by_fit", bool(on))
        self.takes_panel.order = self.ranked if on else None
        if redraw:
            self._redraw()

    def rank(self, record: TakeRecord) -> float:
        seen = self._seen.get(id(record.take))
        return take_scores.rank_value(seen.score if seen else None, self.taste,
                                      self._reference)

    def ranked(self, records: Sequence[TakeRecord]) -> list[TakeRecord]:
        """Best first: by fit to the taste, or by NLL while there is no clear taste."""
        return sorted(records, key=self.rank)

    def _redraw(self) -> None:
        gen = self.generation
        self.takes_panel.set_history(gen.groups, self.takes_panel.current())

    def score(self, record: TakeRecord) -> take_scores.TakeScore | None:
        seen = self._seen.get(id(record.take))
        return seen.score if seen is not None else None

    def fit(self, record: TakeRecord) -> float | None:
        return take_scores.fit_of(self.score(record), self.taste, self._reference)

    def _annotate(self, record: TakeRecord) -> tuple[str, str]:
        seen = self._seen.get(id(record.take))
        line, tip = take_scores.describe(seen.score if seen else None, self.taste,
                                         self._reference)
        verdict = seen.verdict if seen is not None else None
        if verdict is not None:
            mark = {LIKE: "♥ liked", DISLIKE: "✗ disliked", MORE: "♥♥ more like this"}[verdict]
            line = f"{mark} · {line}" if line else mark
            tip += f"\nYou rated it: {VERDICT_WORDS[verdict]}"
        return line, tip

    def _takes_ready(self, takes: list) -> None:
        """A generation's takes: remember what they continued, score them in the background."""
        gen = self.generation
        if not gen.groups:
            return
        group = gen.groups[-1]
        from composer.infill import InfillTake

        seed = self.doc.to_piece()
        for record in group.records:
            seen = self._seen.get(id(record.take)) or self._register(record.take, seed)
            if seen.steering is None and not isinstance(record.take, InfillTake):
                seen.steering = self._issued  # Generate's (Regenerate selection has none)
        best = self._best
        if best is not None and best.job is gen.generation:
            self._best = replace(best, group=group)
        path, bundles = self._model_path(), self.bundles
        group_takes = [r.take for r in group.records]
        if any(isinstance(t, HarmonyTake) for t in group_takes):
            return  # scored by the continuation model, their figures would mean nothing

        def work(progress, cancelled):
            return take_scores.score_takes(bundles.get(path), group_takes, seed)

        job = self._start_job("Scoring the takes", work)
        job.succeeded.connect(lambda scores: self._scored(group, scores))
        job.failed.connect(lambda message: self.messages.status(
            f"Cannot score the takes: {message}", 8000))

    def _scored(self, group: TakeGroup, scores: list) -> None:
        for record, score in zip(group.records, scores):
            seen = self._seen.get(id(record.take))
            if seen is not None:
                seen.score = score
        best = self._best
        if best is not None and best.group is group:
            self._best = None
            ranked = self.ranked(group.records)[: best.keep]
            chosen = sorted(ranked, key=lambda r: r.take.index)
            by = "fit to your taste" if self.taste.steered() else "the model's NLL"
            self.generation.replace_group(group, replace(group, records=tuple(chosen)))
            self.takes_panel.select(ranked[0].key)  # the best one, to listen to first
            self.messages.status(f"Best {len(chosen)} of {len(group.records)} takes by {by}",
                                 10000)
        elif self.actions["sort_fit_action"].isChecked():
            current = self.takes_panel.current()
            self._redraw()
            if group.records and current == group.records[0].key:  # not moved yet: the best
                self.takes_panel.select(self.ranked(group.records)[0].key)
        else:
            self.takes_panel.refresh()
        self.scored.emit()

    # ----- reset, export ---------------------------------------------------------------------
    def reset(self, ask: bool = True) -> bool:
        """Start over (after a question): the log is renamed aside, never deleted, and the
        shipped model comes back."""
        if ask:
            answer = self.messages.ask(
                "Reset ratings?",
                f"Forget your {len(self.counted())} ratings and go back to the shipped model? "
                "The ratings log is kept aside (renamed), not deleted.",
                QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Reset:
                return False
        try:
            aside = self.log.reset()
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Cannot reset the ratings")
            return False
        self._epoch += 1
        if self.job is not None:
            self.job.cancel()
        self.ratings, self._queued = [], []
        self.run = AdaptationRun()
        self.result = None
        for seen in self._seen.values():
            seen.verdict = None
        self._taste_changed()
        self.messages.dismiss_notice(NOTICE_KEY)
        self.messages.status("Ratings reset: the shipped model" +
                             (f" (the old log is kept as {aside.name})" if aside else ""),
                             10000)
        return True

    def export_dialog(self) -> Job | None:
        if self.result is None:
            return None
        base = self.result.base
        folder = Path(self.settings.value("ratings/export_folder", str(Path.home())))
        chosen, _ = QFileDialog.getSaveFileName(
            self._dialogs, "Export the adapted model (a new folder)",
            str(folder / f"{base.name}-adapted"))
        if not chosen:
            return None
        self.settings.setValue("ratings/export_folder", str(Path(chosen).parent))
        return self.export_adapted(chosen)

    def export_adapted(self, folder: str | Path, replace_model: bool | None = None
                       ) -> Job | None:
        """Write the adapted model to ``folder`` in the background (staged, then swapped in
        whole). A folder holding a model is replaced after a question (or ``replace_model``);
        one holding anything else is refused."""
        from composer.adapt import save_adapted
        from composer.outputs import bundle_inputs, check_output_folder

        result = self.result
        if result is None:
            self.messages.show_error("There is no adapted model yet: rate a few takes first",
                                     "Cannot export")
            return None
        base = result.base
        try:
            out = check_output_folder(folder, option="Export to", inputs=bundle_inputs(
                base.path), error=ModelBundleError)
            if out.is_dir() and any(out.iterdir()):
                if not (out / "config.json").exists():
                    raise ModelBundleError(f"{out}: is not empty; choose a new folder name")
                if replace_model is None:
                    replace_model = self.messages.ask(
                        "Replace the model?", f"{out} holds a model already. Replace it?",
                        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                        QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes
                if not replace_model:
                    return None
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Cannot export the adapted model")
            return None
        adaptation, names = result.adaptation, result.names

        def work(progress, cancelled):
            return save_adapted(base, adaptation, out, rated=names)

        job = self._start_job("Exporting the adapted model", work)
        self.export_job = job
        job.succeeded.connect(lambda path: self.messages.status(
            f"Exported the model adapted to {result.ratings} ratings: {path}", 10000))
        self.messages.report(job, "Cannot export the adapted model")
        return job

    # ----- widgets ---------------------------------------------------------------------------
    def _add_buttons(self) -> None:
        """Like, Dislike, More like this: a third column of the takes panel's buttons (a
        column, not a row: the panel keeps its height)."""
        self.buttons = []
        grid = self.takes_panel.button_grid
        for row, (name, text) in enumerate(BUTTONS):
            button = QToolButton()
            button.setDefaultAction(self.actions[name])
            button.setText(text)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            grid.addWidget(button, row, 2)
            self.buttons.append(button)

    def _update_actions(self) -> None:
        has = self.generation.current_record() is not None
        for name in ("like_action", "dislike_action", "more_action"):
            self.actions[name].setEnabled(has)
        for button, (_name, text) in zip(self.buttons, BUTTONS):
            button.setText(text)  # setDefaultAction gives the button the action's text back
        self.actions["export_adapted_action"].setEnabled(self.result is not None)
        self.actions["reset_ratings_action"].setEnabled(bool(self.ratings or self._queued))


def _shipped(bundle):
    """The shipped model, exactly: no adaptation, no steering."""
    return bundle, None


def _flag(value) -> bool:
    """A QSettings boolean (an ini file gives back "true"/"false")."""
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _same_model(a, b) -> bool:
    try:
        same = Path(a.path).resolve() == Path(b.path).resolve()
    except (OSError, TypeError):
        return False
    ka, kb = a.weights.get("dense_kernel"), b.weights.get("dense_kernel")
    return same and ka is not None and kb is not None and ka.shape == kb.shape
