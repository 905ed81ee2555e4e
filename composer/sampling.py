"""Choosing the next event: temperature, top-k, top-p, masks that keep the stream valid, and a
repetition guard.

Why masks: the model gives every id some probability, including ids that make no sense at this
point (a NOTE_OFF for a silent pitch, PAD, BOS, EOS before the requested length). Sampling them
would at best be ignored by the decoder and at worst throw the model's own idea of what is
sounding out of step with reality. So every take carries a :class:`TakeTracker` that follows
the stream exactly like the decoder does (:class:`composer.tokenizer.DecoderState`) and allows
only the events the tokenizer itself could have written next, in its canonical order:

- at one time step: note-offs (ascending pitch), pedal off, pedal on, then velocity/note-on
  pairs (ascending pitch); a VELOCITY event only when the velocity bin changes (and before
  the first NOTE_ON if none was set), always followed by a NOTE_ON;
- a NOTE_OFF only for a pitch that sounds and started before this step; a NOTE_ON only for a
  pitch that does not sound, and none at all while ``max_polyphony`` notes sound;
- time shifts written longest first (after a shift shorter than the maximum comes an event);
- never PAD, BOS or EOS (we want the requested length).

Guarantees that make the loop finish: at most ``max_events_per_step`` events at one step,
then only a time shift is allowed, so time always advances; a note (or the pedal) held longer
than ``max_note_steps`` is ended; a silence longer than ``max_silence_steps`` is not extended
(a note must come); and if the constraints ever leave nothing, the smallest time shift is
allowed. Optional: ``allowed_pitches`` (key lock, pitch range) for NOTE_ONs.

The :class:`RepetitionGuard` fights the classic failure of small LSTMs, looping on one note or
one bar. It lowers the logits of (1) a pitch that makes up more than a sixth of the last 24
onsets, more the more it dominates, and forbids it once it has 7 of them (so no pitch takes
more than about 30 % of any stretch of 24 onsets: in a four-voice texture no pitch gets near
that, in a melody it stops a one-note loop); (2) the note-ons that would continue a loop: when
the last bars repeat with a period of one or two bars and the current bar has so far followed
that pattern, the onsets that would repeat it once more are lowered (a third identical unit: a
little, a fourth: a lot) and forbidden for a fifth; (3) one chord struck again and again
(issue 14: at top-p 0.5 a piano take struck one 7-note chord 18 times in a row, which (1) misses
because each of its pitches has only a seventh of the onsets, and (2) misses when the strikes
do not fall on the same places in consecutive bars). A strike is the set of pitches struck at
one grid step; of the last 16 strikes, a chord (two or more pitches) that makes up 6 gets the
note-on that would complete it once more lowered a little, 8 a lot, and 10 forbidden. That
note-on is the chord's top pitch, once the pitches below it are struck (note-ons at one step
come in ascending order), so the model may still strike the chord without its top, or with
other notes, or not at all. A share of recent strikes rather than a run: a run ends with one
different strike, after which a stubborn model strikes the same chord ten times again; with
the share, no chord takes more than 10 of any 16 strikes (a bar of repeated eighth-note chords
stays free). Penalties are added after temperature scaling so they mean the same thing at
every temperature.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from composer.notes import Note
from composer.tokenizer import DecoderState
from composer.vocabulary import Vocabulary

# Event phases at one time step, in the tokenizer's order.
_PHASE_OFF, _PHASE_PEDAL_OFF, _PHASE_PEDAL_ON, _PHASE_ON = range(4)


# ----- temperature, top-k, top-p -----------------------------------------------------------
def _filtered_weights(x: np.ndarray, top_k: int, top_p: float) -> np.ndarray:
    """Unnormalized probabilities of ``x`` (logits, ``-inf`` = forbidden) after top-k/top-p.

    Thresholds on a sorted copy of the probabilities, no index gathering: this runs once per
    generated event, so it is kept to a dozen small NumPy calls.
    """
    weights = np.exp(x - x.max(axis=1, keepdims=True))
    rows, size = weights.shape
    use_k = 0 < top_k < size
    if use_k or top_p < 1.0:
        ranked = np.sort(weights, axis=1)[:, ::-1]  # descending (a view)
        if use_k:
            ranked = ranked[:, :top_k]
        if top_p < 1.0:
            cumulative = np.cumsum(ranked, axis=1)
            needed = (cumulative < top_p * cumulative[:, -1:]).sum(axis=1)
            last = np.minimum(needed, ranked.shape[1] - 1)
            threshold = ranked[np.arange(rows), last] if rows > 1 else ranked[0, last]
        else:
            threshold = ranked[:, -1]
        weights[weights < threshold.reshape(rows, 1)] = 0.0
    return weights


def nucleus_support(logits: np.ndarray, top_k: int = 0, top_p: float = 1.0) -> np.ndarray:
    """Which ids survive top-k and then top-p, per row of ``logits`` ``(N, V)``.

    Top-k keeps the k highest logits; top-p keeps the smallest set of highest ids whose
    probability (softmax of the row) reaches ``top_p``, within the top-k set. Ids tied with
    the last one kept are kept too. ``-inf`` entries (and ids whose probability underflows
    to 0) are never kept; the most likely id always is.
    """
    x = np.atleast_2d(np.asarray(logits, dtype=np.float64))
    return _filtered_weights(x, top_k, top_p) > 0.0


# Below this the draw is the argmax whatever the exact value, and 1/T would overflow to inf,
# turning the logits into NaN (``--temperature 1e-320`` once made generation run forever).
MIN_TEMPERATURE = 1e-6


def sample_ids(
    logits: np.ndarray,
    rng: np.random.Generator | None,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    allowed: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    uniforms: np.ndarray | None = None,
) -> np.ndarray:
    """One id per row of ``logits`` ``(N, V)``.

    Order: divide by the temperature, add ``bias`` (the repetition guard; ``-inf`` forbids),
    drop what ``allowed`` forbids, then top-k and top-p over what is left, then draw. Each row
    must allow at least one id. Deterministic for a given ``rng`` state, or for given
    ``uniforms`` (one number in [0, 1) per row: takes with generators of their own).
    """
    logits = np.atleast_2d(logits)
    if temperature == 1.0:  # x * 1.0 is x: skip the multiplication, keep the float64 copy
        x = logits.astype(np.float64)
    else:
        x = np.multiply(logits, 1.0 / max(temperature, MIN_TEMPERATURE), dtype=np.float64)
    if bias is not None:
        x += bias
    if allowed is not None:
        x[~allowed] = -np.inf
    draws = uniforms if uniforms is not None else rng.random(x.shape[0])
    if x.shape[0] == 1:  # one take (live playing, most generations): one row, fewer calls
        return np.array([_draw_row(x[0], top_k, top_p, float(draws[0]))])
    cumulative = np.cumsum(_filtered_weights(x, top_k, top_p), axis=1)
    total = cumulative[:, -1]
    u = np.minimum(np.asarray(draws) * total, np.nextafter(total, 0.0))
    return (cumulative <= u[:, None]).sum(axis=1)


def _draw_row(x: np.ndarray, top_k: int, top_p: float, draw: float) -> int:
    """:func:`sample_ids` for one row, with the same floating-point operations as the batch
    path in the same order (so one take draws what it would in a batch), in fewer NumPy
    calls: counts of sorted cumulative sums become ``searchsorted``."""
    weights = np.exp(x - x.max())
    size = weights.shape[0]
    use_k = 0 < top_k < size
    if use_k or top_p < 1.0:
        ranked = np.sort(weights)[::-1]
        if use_k:
            ranked = ranked[:top_k]
        if top_p < 1.0:
            cumulative = np.cumsum(ranked)
            # (cumulative < top_p * total).sum() of a non-decreasing array
            needed = int(cumulative.searchsorted(top_p * cumulative[-1], side="left"))
            threshold = ranked[min(needed, ranked.shape[0] - 1)]
        else:
            threshold = ranked[-1]
        weights[weights < threshold] = 0.0
    cumulative = np.cumsum(weights)
    total = float(cumulative[-1])
    u = min(draw * total, math.nextafter(total, 0.0))
    return int(cumulative.searchsorted(u, side="right"))  # (cumulative <= u).sum()


# ----- constraints --------------------------------------------------------------------------
@dataclass(frozen=True)
class Constraints:
    """What every generated stream must respect (steps are grid steps of the vocabulary)."""

    max_polyphony: int = 10
    allowed_pitches: frozenset[int] | None = None  # key lock and pitch range; None = all
    max_events_per_step: int = 32
    max_note_steps: int | None = 8 * 12  # a note (or the pedal) held longer is ended
    max_silence_steps: int | None = 4 * 12  # no longer silence than this
    repetition_guard: bool = True
    bar_steps: int = 4 * 12  # bar length, for the loop detector
    bar_anchor_step: int = 0  # absolute step of some bar line


class RepetitionGuard:
    """Logit penalties against one-note and one-bar loops and repeated chords (see the module
    docstring).

    Works in absolute grid steps so the seed's last bars (fed with :meth:`observe_history`)
    count: a seed that already loops is not looped further.
    """

    WINDOW = 24  # recent onsets considered for the pitch share
    FREE_COUNT = 4  # a pitch with more of them than this (a sixth) is penalized ...
    STRENGTH = 1.0  # ... by this much per onset over FREE_COUNT (5: -1, 6: -2) ...
    BAN_COUNT = 7  # ... and forbidden once it has this many (29 %)
    LOOP_PENALTIES = {3: 1.0, 4: 3.0}  # identical units in a row (with this bar) -> penalty
    LOOP_BAN = 5  # and forbidden from this count on
    PERIODS = (1, 2)  # loop lengths in bars
    MAX_BARS = 16
    CHORD_WINDOW = 16  # recent strikes (steps with onsets) considered for chords
    CHORD_PENALTIES = {6: 1.0, 8: 3.0}  # strikes of one chord among them -> penalty ...
    CHORD_BAN = 10  # ... and forbidden from this count on
    CHORD_MIN = 2  # pitches struck together that make a chord

    def __init__(self, vocab: Vocabulary, bar_steps: int, bar_anchor_step: int = 0) -> None:
        self.low = vocab.settings.pitch_low
        self.pitch_count = vocab.pitch_count
        self.bar_steps = max(int(bar_steps), 1)
        self.anchor = bar_anchor_step
        self.recent: deque[int] = deque(maxlen=self.WINDOW)
        self.counts = np.zeros(self.pitch_count)
        self.bars: list[frozenset[tuple[int, int]]] = []
        self.current: set[tuple[int, int]] = set()
        self.step = 0
        self.bar_index: int | None = None
        self.struck: set[int] = set()  # pitches struck at self.step so far
        self.strikes: deque[frozenset[int]] = deque()  # the last CHORD_WINDOW strikes
        self.chord_counts: dict[frozenset[int], int] = {}  # chords among them -> strikes
        self.frequent: list[tuple[frozenset[int], int]] = []  # those with a penalty or ban
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def _bar_of(self, step: int) -> int:
        return (step - self.anchor) // self.bar_steps

    def advance_to(self, step: int) -> None:
        if step != self.step and self.struck:
            self._end_strike()
        bar = self._bar_of(step)
        if self.bar_index is None:
            self.bar_index = bar
        while self.bar_index < bar:
            self.bars.append(frozenset(self.current))
            self.current = set()
            self.bar_index += 1
        del self.bars[: -self.MAX_BARS]
        if step != self.step:
            self._cache = None
        self.step = step

    def note_on(self, step: int, pitch: int) -> None:
        self.advance_to(step)
        index = pitch - self.low
        if len(self.recent) == self.recent.maxlen:
            self.counts[self.recent[0]] -= 1
        self.recent.append(index)
        self.counts[index] += 1
        self.current.add(((step - self.anchor) % self.bar_steps, pitch))
        self.struck.add(pitch)
        self._cache = None

    def _end_strike(self) -> None:
        strike = frozenset(self.struck)
        self.struck = set()
        counts = self.chord_counts
        if len(self.strikes) == self.CHORD_WINDOW:
            old = self.strikes.popleft()
            if old in counts:
                counts[old] -= 1
                if not counts[old]:
                    del counts[old]
        self.strikes.append(strike)
        if len(strike) >= self.CHORD_MIN:
            counts[strike] = counts.get(strike, 0) + 1
        lowest = min(self.CHORD_PENALTIES)  # those worth a look at every event
        self.frequent = [(chord, n) for chord, n in counts.items() if n >= lowest]

    def _chord_pitches(self) -> list[tuple[int, float]]:
        """The note-ons that would strike a chord once more too often, each with its penalty
        (``inf``: forbidden)."""
        struck = self.struck
        found = []
        for chord, count in self.frequent:
            if len(struck) != len(chord) - 1 or not struck < chord:
                continue
            top = max(chord)
            if top in struck:
                continue  # the chord minus a lower pitch: striking the top makes another
            found.append((top, float("inf") if count >= self.CHORD_BAN else
                          max(v for k, v in self.CHORD_PENALTIES.items() if count >= k)))
        return found

    def observe_history(self, notes: Iterable[Note], steps_per_beat: int) -> None:
        """Feed the onsets of the seed (absolute beats) before generating."""
        for note in sorted(notes):
            pitch = note.pitch
            if self.low <= pitch < self.low + self.pitch_count:
                self.note_on(int(round(note.start * steps_per_beat)), pitch)

    def _loop_pitches(self) -> tuple[dict[int, float], set[int]]:
        """Pitches whose onset now would continue a loop: pitch -> penalty, and banned ones."""
        offset = (self.step - self.anchor) % self.bar_steps
        penalties: dict[int, float] = {}
        banned: set[int] = set()
        for period in self.PERIODS:
            if len(self.bars) < period or not self.bars[-period]:
                continue
            reference = self.bars[-period]
            repeats = 0
            while (len(self.bars) >= repeats + 1 + period
                   and self.bars[-1 - repeats] == self.bars[-1 - repeats - period]):
                repeats += 1
            units = (repeats + period + 1) // period  # identical units if this bar repeats too
            if units < min(self.LOOP_PENALTIES):
                continue
            before = {event for event in reference if event[0] < offset}
            if {event for event in self.current if event[0] < offset} != before:
                continue  # this bar already left the loop
            now = {p for o, p in self.current if o == offset}
            expected = {p for o, p in reference if o == offset}
            if not now <= expected:
                continue
            for pitch in expected - now:
                if units >= self.LOOP_BAN:
                    banned.add(pitch)
                else:
                    penalty = max(v for k, v in self.LOOP_PENALTIES.items() if units >= k)
                    penalties[pitch] = max(penalties.get(pitch, 0.0), penalty)
        return penalties, banned

    def penalties(self) -> tuple[np.ndarray, np.ndarray]:
        """(penalty >= 0 to subtract, banned) for each NOTE_ON pitch of the vocabulary."""
        if self._cache is None:
            excess = self.counts - self.FREE_COUNT
            penalty = self.STRENGTH * np.maximum(excess, 0.0)
            banned = self.counts >= self.BAN_COUNT
            loop_penalties, loop_banned = self._loop_pitches()
            for pitch, value in loop_penalties.items():
                if 0 <= pitch - self.low < self.pitch_count:
                    penalty[pitch - self.low] += value
            for pitch in loop_banned:
                if 0 <= pitch - self.low < self.pitch_count:
                    banned[pitch - self.low] = True
            for pitch, value in self._chord_pitches():
                if 0 <= pitch - self.low < self.pitch_count:
                    if value == float("inf"):
                        banned[pitch - self.low] = True
                    else:
                        penalty[pitch - self.low] += value
            self._cache = (penalty, banned)
        return self._cache


class TakeTracker:
    """Follows one generated stream and says which ids may come next.

    ``state`` is the decoder's own running state, with steps counted from the start of the
    continuation; ``start_step`` is that start in absolute grid steps (for the bar grid).
    """

    def __init__(
        self,
        vocab: Vocabulary,
        constraints: Constraints,
        *,
        start_step: int = 0,
        velocity_bin: int | None = None,
        silent_since: int = 0,
        history: Iterable[Note] = (),
        after_short_shift: bool = False,
    ) -> None:
        self.vocab = vocab
        self.constraints = constraints
        self.start_step = start_step
        self.state = DecoderState(vocab, velocity_bin=velocity_bin)
        self.silent_since = silent_since
        self.phase = _PHASE_OFF
        self.events_this_step = 0
        self.last_off = -1
        self.last_on = -1
        self.pending_velocity = False
        self.after_short_shift = after_short_shift  # the primed stream ended on a short shift
        self.tokens = 0
        self.onsets = 0
        size = len(vocab)
        s = vocab.settings
        self._size = size
        self._low = s.pitch_low
        self._on_base, self._off_base = vocab.note_on_base, vocab.note_off_base
        self._shift_base, self._velocity_base = vocab.shift_base, vocab.velocity_base
        self._velocity_end = vocab.velocity_base + s.velocity_bins
        self._max_shift = s.max_shift_steps
        self._longest_shift_id = vocab.shift(s.max_shift_steps)
        self._pedal_on, self._pedal_off = vocab.pedal_on, vocab.pedal_off
        self._pitches = np.arange(s.pitch_low, s.pitch_high + 1)
        if constraints.allowed_pitches is None:
            self._pitch_ok = np.ones(vocab.pitch_count, dtype=bool)
        else:
            self._pitch_ok = np.isin(self._pitches, sorted(constraints.allowed_pitches))
        # Row i: the allowed pitches from the i-th up (note-ons at one step ascend), so the
        # NOTE_ON mask is one row, less what sounds and what the guard bans: two NumPy calls.
        count = vocab.pitch_count
        self._ascending = np.vstack([self._pitch_ok[None, :],
                                     self._pitch_ok & ~np.tri(count, count, 0, dtype=bool)])
        self._sounding = np.zeros(count, dtype=bool)  # the state's sounding pitches, as a mask
        self._no_pitch = np.zeros(count, dtype=bool)
        self.guard = None
        if constraints.repetition_guard:
            self.guard = RepetitionGuard(vocab, constraints.bar_steps, constraints.bar_anchor_step)
            self.guard.observe_history(history, s.steps_per_beat)
            self.guard.advance_to(start_step)

    # ----- what may come next -----------------------------------------------------------
    @property
    def step(self) -> int:
        return self.state.step

    def _note_on_ok(self) -> np.ndarray:
        if len(self.state.sounding) >= self.constraints.max_polyphony:
            return self._no_pitch
        row = self._ascending[max(self.last_on - self._low + 1, 0)]
        blocked = self._sounding
        if self.guard is not None:
            blocked = blocked | self.guard.penalties()[1]
        return row > blocked  # allowed and not blocked

    def allowed(self) -> np.ndarray:
        """Boolean mask over the vocabulary: the ids that may come next (never empty)."""
        c, state = self.constraints, self.state
        mask = np.zeros(self._size, dtype=bool)
        on, off = self._on_base, self._off_base
        if self.pending_velocity:
            mask[on:off] = self._note_on_ok()
            if not mask.any():
                mask[self._shift_base] = True
            return mask
        step = state.step
        sounding = state.sounding
        if self.events_this_step < c.max_events_per_step:
            if self.phase == _PHASE_OFF:
                offs = [p for p, (start, _) in sounding.items()
                        if start < step and p > self.last_off] if sounding else []
                if c.max_note_steps is not None:
                    overdue = [p for p in offs if step - sounding[p][0] >= c.max_note_steps]
                    pedal_overdue = (state.pedal_since is not None and self._pedal_off is not None
                                     and step - state.pedal_since >= c.max_note_steps)
                    if overdue or pedal_overdue:
                        if overdue:  # the lowest first: all end at this step, in order
                            mask[off + min(overdue) - self._low] = True
                        else:
                            mask[self._pedal_off] = True
                        return mask
                for p in offs:
                    mask[off + p - self._low] = True
                if (self._pedal_off is not None and state.pedal_since is not None
                        and state.pedal_since < step):
                    mask[self._pedal_off] = True
            if (self._pedal_on is not None and self.phase <= _PHASE_PEDAL_OFF
                    and state.pedal_since is None):
                mask[self._pedal_on] = True
            on_ok = self._note_on_ok()
            if on_ok.any():
                if state.velocity_bin is not None:  # else a VELOCITY must come first
                    mask[on:off] = on_ok
                mask[self._velocity_base : self._velocity_end] = True
                if state.velocity_bin is not None:
                    mask[self._velocity_base + state.velocity_bin] = False
        if not self.after_short_shift:
            longest = self._max_shift
            if not sounding and c.max_silence_steps is not None:
                longest = min(longest, c.max_silence_steps - (step - self.silent_since))
            if c.max_note_steps is not None and (sounding or state.pedal_since is not None):
                # land exactly on the step where the oldest note (or the pedal) must end
                oldest = min([start for start, _ in sounding.values()]
                             + ([state.pedal_since] if state.pedal_since is not None else []))
                longest = min(longest, max(1, c.max_note_steps - (step - oldest)))
            if longest > 0:
                mask[self._shift_base : self._shift_base + longest] = True
        if not mask.any():
            mask[self._shift_base] = True  # the constraints left nothing: let time move on
        return mask

    def bias(self) -> np.ndarray | None:
        """Additive logit bias of the repetition guard (``None`` when it is off)."""
        if self.guard is None:
            return None
        bias = np.zeros(self._size)
        bias[self._on_base : self._off_base] = -self.guard.penalties()[0]
        return bias

    def offsets(self) -> np.ndarray:
        """The mask and the guard's bias as one additive array (0, -penalty, or -inf): one
        NumPy addition per event instead of two operations in the sampler."""
        offsets = np.where(self.allowed(), 0.0, -np.inf)
        if self.guard is not None:
            offsets[self._on_base : self._off_base] -= self.guard.penalties()[0]
        return offsets

    # ----- advancing --------------------------------------------------------------------
    def feed(self, token: int) -> None:
        state = self.state
        token = int(token)
        self.tokens += 1
        step_before = state.step
        state.feed(token)
        self.after_short_shift = False
        if state.step != step_before:  # a time shift
            self.after_short_shift = token != self._longest_shift_id
            self.phase = _PHASE_OFF
            self.events_this_step = 0
            self.last_off = self.last_on = -1
            self.pending_velocity = False
            if self.guard is not None:
                self.guard.advance_to(self.start_step + state.step)
            return
        self.events_this_step += 1
        if self._on_base <= token < self._off_base:
            pitch = token - self._on_base + self._low
            self._sounding[pitch - self._low] = pitch in state.sounding
            self.phase = _PHASE_ON
            self.last_on = pitch
            self.pending_velocity = False
            self.onsets += 1
            if self.guard is not None:
                self.guard.note_on(self.start_step + state.step, pitch)
        elif self._off_base <= token < self._shift_base:
            self.last_off = token - self._off_base + self._low
            self._sounding[self.last_off - self._low] = self.last_off in state.sounding
            if not state.sounding:
                self.silent_since = state.step
        elif self._velocity_base <= token < self._velocity_end:
            self.phase = _PHASE_ON
            self.pending_velocity = True
        elif token == self._pedal_off:
            self.phase = max(self.phase, _PHASE_PEDAL_OFF)
        elif token == self._pedal_on:
            self.phase = max(self.phase, _PHASE_PEDAL_ON)
