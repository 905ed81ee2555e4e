"""The app's durable adaptation, one round at a time, for the background job (no widgets).

:class:`AdaptationRun` keeps a :class:`composer.adapt.Adapter` for the current model between
rounds: the LSTM's hidden states of a rated take are computed once, when it is first rated,
so a round after one more click costs the LSTM over that one take plus the fit (warm-started
from the last one). Replay music for the KL anchor is what ``benchmarks/feedback.py`` and
``composer adapt`` use: the bundled sample seeds, and the seed of every rated take.

A take rated again (a like turned into a dislike, a "more like this") is one rating, its
last: :func:`effective` keeps the last verdict per take (the log stays append-only; the
take's id is in the rating's settings). Its cached rows are reused with the new sign.

Only one round runs at a time (the bridge starts the next when the last one has reported),
so the adapter is never touched by two threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from composer.adapt import (
    DEFAULT_VARIANT,
    REPLAY_EVENTS,
    Adaptation,
    Adapter,
    FitSettings,
    stream_of,
    stream_of_rating,
)
from composer.bundle import ModelBundle
from composer.errors import Cancelled

REPLAY_BEATS = 32.0  # of a rated take's seed, before the take, kept as replay music


def rating_key(rating, index: int) -> tuple:
    """What makes two ratings the same take's: its id and the rated span (a rating from
    elsewhere, without an id, is its own)."""
    take_id = rating.settings.get("take_id") if isinstance(rating.settings, dict) else None
    if not take_id:
        return ("#", index)
    return (str(take_id), round(rating.start_beat, 6), round(rating.end_beat, 6))


def effective(ratings: Sequence) -> list:
    """The ratings that count: per take (and span), the last verdict, in first-rated order."""
    last: dict[tuple, object] = {}
    for index, rating in enumerate(ratings):
        last[rating_key(rating, index)] = rating
    return list(last.values())


@dataclass(frozen=True)
class RoundResult:
    base: ModelBundle
    adaptation: Adaptation
    adapted: ModelBundle  # the base with the adapted output layer (in memory)
    ratings: int  # ratings learned from (those with notes to learn from)
    seconds: float  # wall clock of the round
    cpu: float  # this thread's CPU seconds
    names: tuple[tuple[str, str], ...]  # (verdict, source) per rated take, for a card


class AdaptationRun:
    """The adapter of one model, and the rows of every take rated so far."""

    def __init__(self, variant: str = DEFAULT_VARIANT) -> None:
        self.settings = FitSettings(variant=variant)
        self.adapter: Adapter | None = None
        self._entries: dict[tuple, object] = {}  # rating key -> the adapter's rows of it
        self._replayed: set = set()

    def _start(self, bundle: ModelBundle) -> Adapter:
        from composer.midi_io import read_midi
        from composer.samples import samples

        adapter = Adapter(bundle, self.settings)
        for sample in samples():
            try:
                piece = read_midi(sample.path)
            except Exception:  # noqa: BLE001 - a broken sample file only weakens the anchor
                continue
            adapter.add_replay(stream_of(bundle, piece.notes, 0.0, piece.end_beat + 1e-6,
                                         pedals=piece.pedals,
                                         time_signatures=piece.time_signatures,
                                         max_events=REPLAY_EVENTS))
        self.adapter = adapter
        self._entries = {}
        self._replayed = set()
        return adapter

    def round(self, bundle: ModelBundle, ratings: Sequence,
              cancelled: Callable[[], bool] | None = None) -> RoundResult:
        """Learn from ``ratings`` (every rating so far; only the new ones cost an LSTM pass)
        and fit; the result holds the adapted model."""
        began, cpu = time.perf_counter(), time.thread_time()
        adapter = self.adapter
        if adapter is None or adapter.bundle is not bundle:
            adapter = self._start(bundle)
        counted = effective(ratings)
        # A rating without an id is keyed by its index among all ratings (stable between
        # rounds, as the log only grows), not among the effective ones.
        keys = self._stable_keys(ratings, counted)
        new = [(k, r) for k, r in zip(keys, counted) if k not in self._entries]
        new = [(k, r) for k, r in new if stream_of_rating(bundle, r) is not None]
        for start in range(0, len(new), 8):  # in bites, so a cancel is heard
            if cancelled is not None and cancelled():
                raise Cancelled("adaptation cancelled")
            bite = new[start : start + 8]
            before = len(adapter.rated)
            adapter.add_ratings([r for _, r in bite])
            for (key, _), rows in zip(bite, adapter.rated[before:]):
                self._entries[key] = rows
            for _, rating in bite:
                self._add_seed_replay(adapter, bundle, rating)
        # The rows in rating order, each with its take's last verdict.
        rated, names = [], []
        for key, rating in zip(keys, counted):
            rows = self._entries.get(key)
            if rows is None:
                continue
            rows.sign, rows.weight = rating.sign, rating.weight
            rated.append(rows)
            names.append((rating.verdict, rating.source or "app"))
        adapter.rated[:] = rated
        adapter.names[:] = names
        if cancelled is not None and cancelled():
            raise Cancelled("adaptation cancelled")
        adaptation = adapter.fit()
        adapted = adaptation.apply(bundle)
        return RoundResult(bundle, adaptation, adapted, len(rated),
                           time.perf_counter() - began, time.thread_time() - cpu,
                           tuple(names))

    @staticmethod
    def _stable_keys(ratings: Sequence, counted: Sequence) -> list[tuple]:
        keyed = {}
        for index, rating in enumerate(ratings):
            keyed[rating_key(rating, index)] = rating
        by_identity = {id(r): k for k, r in keyed.items()}
        return [by_identity[id(r)] for r in counted]

    def _add_seed_replay(self, adapter: Adapter, bundle: ModelBundle, rating) -> None:
        """The rated take's seed is music the adapted model must keep predicting well."""
        if not rating.seed or rating.start_beat <= 0:
            return
        mark = (len(rating.seed), rating.seed[0], rating.seed[-1], rating.start_beat)
        if mark in self._replayed:
            return
        self._replayed.add(mark)
        begin = max(0.0, rating.start_beat - REPLAY_BEATS)
        inside = [n for n in rating.seed if n.start >= begin - 1e-9]
        before = [n for n in rating.seed if n.start < begin - 1e-9]
        stream = stream_of(bundle, inside, begin, rating.start_beat, before,
                           time_signatures=rating.time_signatures, max_events=REPLAY_EVENTS)
        if stream is not None:
            adapter.add_replay(stream)
