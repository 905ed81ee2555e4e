"""What the model is told besides the events: where in the bar it is, the metre, the style of
the music and its composer. The contract between the data, the model and the generator, saved
in every bundle's ``config.json`` next to the vocabulary.

Why inputs and not extra events: a style or composer token at the start of a window is
forgotten by an LSTM after a few hundred events, while an input added at every step cannot be;
a bar-line event would have to be generated at the right moment by the model itself, while the
position in the bar is known exactly from the seed's time signature. Each is an embedding added
to the event's embedding, which the NumPy engine folds into one lookup table per input, so it
costs a row addition per step.

Class 0 of every input means "unknown". Training hides each input in a share of its windows
(``TrainConfig.condition_dropout``), so the model also works without it: a phrase played
freely on a keyboard has no reliable bar line, and a seed's composer is usually unknown.

Styles: where the music comes from, as it sounds (``STYLES``); a score's composer in the
music21 corpus decides its style there, and every piano-midi.de piece is ``piano``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from composer.meter import MAX_POSITION_STEPS, METERS, OTHER_METER, UNKNOWN, step_positions
from composer.notes import TimeSignature
from composer.vocabulary import Vocabulary

STYLES = ("piano", "chorale", "polyphony", "strings", "other")
STYLE_OF_MUSIC21_COMPOSER = {
    "bach": "chorale",
    "palestrina": "polyphony", "josquin": "polyphony", "luca": "polyphony",
    "lusitano": "polyphony", "monteverdi": "polyphony", "trecento": "polyphony",
    "ciconia": "polyphony",
    "beethoven": "strings", "haydn": "strings", "mozart": "strings", "corelli": "strings",
}
# Prior over styles where the style of a piece is not given (choosing one from a seed, scoring
# a piece as a mixture over styles): about the share of training windows each style gets.
STYLE_PRIOR = {"piano": 0.5, "chorale": 0.125, "polyphony": 0.125, "strings": 0.125,
               "other": 0.125}
STYLE_DESCRIPTIONS = {
    "piano": "classical piano music (piano-midi.de)",
    "chorale": "Bach's four-part chorales",
    "polyphony": "Renaissance and medieval vocal polyphony",
    "strings": "string quartets and trio sonatas",
    "other": "other scores of the music21 corpus",
}


@dataclass(frozen=True)
class Conditioning:
    """The names behind each input's class ids (index 0 is always ``unknown``)."""

    styles: tuple[str, ...] = (UNKNOWN,) + STYLES
    composers: tuple[str, ...] = (UNKNOWN,)
    meters: tuple[str, ...] = (UNKNOWN,) + METERS + (OTHER_METER,)
    positions: int = MAX_POSITION_STEPS + 1

    def to_dict(self) -> dict:
        return {"styles": list(self.styles), "composers": list(self.composers),
                "meters": list(self.meters), "positions": self.positions}

    @classmethod
    def from_dict(cls, data: dict) -> Conditioning:
        result = cls(tuple(str(s) for s in data["styles"]),
                     tuple(str(c) for c in data["composers"]),
                     tuple(str(m) for m in data["meters"]), int(data["positions"]))
        for names in (result.styles, result.composers, result.meters):
            if not names or names[0] != UNKNOWN or len(set(names)) != len(names):
                raise ValueError("each input's class 0 must be 'unknown', names unique")
        if result.positions < 2:
            raise ValueError("at least one known position")
        return result

    def style_id(self, style: str | None) -> int:
        return self.styles.index(style) if style in self.styles else 0

    def composer_id(self, composer: str | None) -> int:
        return self.composers.index(composer) if composer in self.composers else 0


def style_of(source_kind: str, composer: str) -> str:
    """The style of a corpus piece: ``piano`` for the piano data, by composer for music21."""
    if source_kind == "piano":
        return "piano"
    if source_kind == "music21":
        return STYLE_OF_MUSIC21_COMPOSER.get(composer, "other")
    return "other"


def step_after_each(tokens: np.ndarray, vocab: Vocabulary, start_step: int = 0) -> np.ndarray:
    """The grid step reached after each event of ``tokens`` (time shifts add up)."""
    tokens = np.asarray(tokens, dtype=np.int64)
    base, top = vocab.shift_base, vocab.velocity_base
    increments = np.where((tokens >= base) & (tokens < top), tokens - base + 1, 0)
    return start_step + np.cumsum(increments)


def token_features(
    tokens: np.ndarray,
    vocab: Vocabulary,
    signatures: Sequence[TimeSignature],
    *,
    start_step: int = 0,
    positions: int = MAX_POSITION_STEPS + 1,
) -> tuple[np.ndarray, np.ndarray]:
    """The position and metre classes given with each event (uint8 arrays, ``len(tokens)``).

    The input at event ``t`` describes the moment *after* it, where the next event happens:
    after a time shift, the new position. ``start_step`` is the step of the first event in the
    time of ``signatures``.
    """
    steps = step_after_each(tokens, vocab, start_step)
    within, meters = step_positions(signatures, steps, vocab.settings.steps_per_beat)
    position_ids = np.minimum(within, positions - 2) + 1
    return position_ids.astype(np.uint8), (meters + 1).astype(np.uint8)
