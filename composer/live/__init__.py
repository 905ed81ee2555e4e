"""Call and response with a MIDI keyboard (the Sound side of live mode).

The person plays a phrase; when they stop, composer answers with a continuation of similar
length, played on time, and stops the moment they play again. One module per job:

- :mod:`composer.live.phrase`: listening. :class:`PhraseDetector` finds the end of a phrase
  (a silence that follows the player's tempo, the pedal keeps it open);
  :func:`phrase_to_piece` puts it on a beat grid.
- :mod:`composer.live.schedule`: :class:`AnswerScheduler` plays the answer's notes on time
  while the rest is still being generated; ``stop()`` ends exactly the notes it started.
- :mod:`composer.live.duet`: :class:`Duet` puts the two together, with speculation (the answer
  is asked for a little before the wait is over), in explicit time.
- :mod:`composer.live.session`: :class:`LiveSession`, the thin real-time shell: ports, a queue,
  a generation thread, port watching and reconnection.

All but the session take explicit times, so a recorded performance (a MIDI file turned into
timed messages by :func:`composer.audio.piece_messages`) replays through them
deterministically in simulated time.

Where answers come from is not Sound's business: an answer source is any callable
``(seed, bars) -> notes``. The one over a model (:class:`composer.answer.ModelAnswerer`,
``stream_answer`` with the phrase's length) lives on the Play side and serves both the CLI's
``composer live`` and the app's live panel. ``composer.live.model_answerer`` still names it
(imported on first use, so importing this package loads no model code).

Timing of the answer: the phrase is quantized to a beat grid (tempo from ``--bpm`` or estimated
from the inter-onset intervals) and continued note by note. The first note is played the
moment the phrase ends (or the moment it arrives, if later); later notes keep their rhythm
relative to it. Generation runs far faster than real time, so in practice only the first few
milliseconds move.
"""

from __future__ import annotations

from composer.live.duet import AnswerRequest, AnswerTiming, Duet
from composer.live.phrase import (
    PEDAL_CC,
    Clock,
    LiveSettings,
    Phrase,
    PhraseDetector,
    PlayedNote,
    answer_bars,
    estimate_bpm,
    inter_onset_intervals,
    phrase_to_piece,
)
from composer.live.schedule import AnswerScheduler, Send, answer_piece
from composer.live.session import AnswerSource, LiveSession

__all__ = [
    "PEDAL_CC", "AnswerRequest", "AnswerScheduler", "AnswerSource", "AnswerTiming", "Clock",
    "Duet", "LiveSession", "LiveSettings", "Phrase", "PhraseDetector", "PlayedNote", "Send",
    "answer_bars", "answer_piece", "estimate_bpm", "inter_onset_intervals", "model_answerer",
    "phrase_to_piece",
]


def __getattr__(name: str):
    """``model_answerer`` lives on the Play side; imported only when asked for."""
    if name == "model_answerer":
        from composer.answer import model_answerer

        return model_answerer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
