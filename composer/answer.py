"""Answers for live playing: a model continues the player's phrase (the Play side of live).

Live mode (:mod:`composer.live`, Sound) knows an answer source only as a callable
``(seed, bars) -> notes``. :class:`ModelAnswerer` is that callable over a model: each phrase
is continued with :func:`composer.generate.stream_answer`, for about the phrase's length, one
take, notes yielded as soon as they are complete. Both faces use it: ``composer live`` with a
fixed bundle and settings (:func:`model_answerer`), the app's live panel with the model and
settings chosen at the moment of each phrase, through the app's one
:class:`~composer.bundle_cache.BundleCache`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from composer.bundle import ModelBundle
from composer.errors import ComposerError
from composer.generate import GenerationSettings, engine_for, stream_answer
from composer.notes import Note, Piece

# Three notes of a C major arpeggio: enough to run every part of generation once.
_WARM_UP_SEED = Piece(notes=(Note(0.0, 1.0, 60), Note(1.0, 2.0, 64), Note(2.0, 3.0, 67)))


class ModelAnswerer:
    """``(seed, bars) -> notes`` with the bundle and settings that ``bundle()`` and
    ``settings()`` give when the phrase ends (so a change of model or settings applies to the
    next phrase, also while a live session runs)."""

    def __init__(self, bundle: Callable[[], ModelBundle],
                 settings: Callable[[], GenerationSettings]) -> None:
        self._bundle = bundle
        self._settings = settings

    def prepare(self) -> ModelBundle:
        """Load the model and build its engine now, not when the first phrase ends, and run
        one short generation so the first real answer pays no first-call costs. A missing or
        broken model raises its :class:`~composer.errors.ComposerError` here."""
        bundle = self._bundle()
        engine_for(bundle)
        settings = replace(self._settings(), bars=0.5, seconds=None, takes=1, random_seed=0)
        try:
            for _ in stream_answer(bundle, _WARM_UP_SEED, settings):
                break
        except ComposerError:
            pass  # bad settings show up, with their message, at the first phrase
        return bundle

    def __call__(self, seed: Piece, bars: float) -> Iterator[Note]:
        settings = replace(self._settings(), bars=bars, seconds=None, takes=1)
        return stream_answer(self._bundle(), seed, settings)


def model_answerer(bundle: ModelBundle, generation_settings: GenerationSettings
                   ) -> ModelAnswerer:
    """An answer source over one bundle and fixed settings, prepared (see
    :meth:`ModelAnswerer.prepare`)."""
    answerer = ModelAnswerer(lambda: bundle, lambda: generation_settings)
    answerer.prepare()
    return answerer
