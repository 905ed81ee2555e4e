"""Continue a seed: the API the CLI, the GUI and live playing share.

``generate(bundle, seed, settings)`` primes the NumPy engine on the seed once, then samples
``settings.takes`` continuations together (one batched LSTM step per event for all takes).

Where a continuation starts (:func:`seed_end_beat`): a musician who writes four full bars that
end with a rest expects the answer at bar 5, and one who stops in the middle of a phrase expects
it right away. So: if the seed's last sound (note or pedal) ends in the second half of its bar,
or exactly on a bar line, the continuation starts at the next bar line; if it ends in the first
half of its bar, it starts right where it ends. "Ends" is measured as the model sees the seed,
after the tokenizer snapped it to its grid (1/12 beat): a note released a few ticks after a
beat ends on that beat, so the continuation stays on the beat (it may then start up to half a
grid step before the raw end; :func:`merge` cuts such a seed note where a continuation note of
the same pitch starts). The bar grid is the time signature in force at the end of the seed.

What the model is primed with: the seed's events (quantized by the tokenizer) and the time
shifts up to the start, no EOS. A long seed costs priming time for little musical benefit, so
only its last :data:`PRIME_BEATS` beats (from a bar line) are used, and of those at most the
last :data:`PRIME_TOKENS` events (priming 1,024 events through a 2x512 model took 0.23 s on
a busy 2-core machine; a few bars of seed take a few tens of milliseconds). A window that
begins at the start of the seed is preceded by BOS, one that begins later is not (training
windows also start in mid-piece without BOS).

Length: ``bars`` of the time signature in force at the seed's end, or ``seconds`` at the tempo
in force there. Every take is exactly that long: notes still sounding at the end are closed
there.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from composer.bundle import ModelBundle
from composer.engine import LSTMEngine
from composer.errors import ComposerError, MidiFileError, SettingsError
from composer.keys import estimate_key
from composer.notes import Note, PedalSpan, Piece, TimeSignature
from composer.sampling import Constraints, TakeTracker, sample_ids
from composer.tokenizer import DecoderState, Tokenizer
from composer.vocabulary import TokenizerSettings

PRIME_BEATS = 64.0
PRIME_TOKENS = 1024
FILL_SHARE = 0.5  # last sound ending past this share of its bar -> continue at the next bar
MAX_BEATS = 10_000.0  # longest continuation (an hour and more at usual tempi)
MAX_TAKES = 64
PROGRESS_EVERY = 64  # tokens


class GenerationCancelled(ComposerError):
    """``cancelled()`` returned True: the generation stopped, nothing was produced."""


@dataclass(frozen=True)
class GenerationSettings:
    temperature: float = 1.0
    top_k: int = 0  # 0 = off
    top_p: float = 0.95  # 1.0 = off
    bars: float | None = 8.0  # length of the continuation in bars of the seed's time signature
    seconds: float | None = None  # alternative to bars (uses the seed's tempo); one of the two
    takes: int = 1
    random_seed: int | None = None
    key_lock: bool = False
    pitch_range: tuple[int, int] | None = None
    max_polyphony: int = 10
    repetition_guard: bool = True

    def validate(self) -> None:
        """Raise ``SettingsError`` with a plain message for anything that cannot work."""
        if not (isinstance(self.temperature, (int, float)) and math.isfinite(self.temperature)
                and self.temperature > 0):
            raise SettingsError(f"temperature must be above 0 (got {self.temperature})")
        if int(self.top_k) != self.top_k or self.top_k < 0:
            raise SettingsError(f"top-k must be 0 (off) or a positive count (got {self.top_k})")
        if not 0 < self.top_p <= 1:
            raise SettingsError(f"top-p must be in (0, 1], 1 = off (got {self.top_p})")
        if self.bars is not None and self.seconds is not None:
            raise SettingsError("give the length in bars or in seconds, not both")
        if self.bars is None and self.seconds is None:
            raise SettingsError("give the length in bars or in seconds")
        for name, value in (("bars", self.bars), ("seconds", self.seconds)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise SettingsError(f"{name} must be above 0 (got {value})")
        if int(self.takes) != self.takes or not 1 <= self.takes <= MAX_TAKES:
            raise SettingsError(f"takes must be between 1 and {MAX_TAKES} (got {self.takes})")
        if self.random_seed is not None and (int(self.random_seed) != self.random_seed
                                             or self.random_seed < 0):
            raise SettingsError(f"the random seed must be a whole number >= 0 "
                                f"(got {self.random_seed})")
        if int(self.max_polyphony) != self.max_polyphony or self.max_polyphony < 1:
            raise SettingsError(f"max polyphony must be at least 1 (got {self.max_polyphony})")
        if self.pitch_range is not None:
            try:
                low, high = (int(p) for p in self.pitch_range)
            except (TypeError, ValueError):
                raise SettingsError("the pitch range must be two MIDI pitches (low, high)"
                                    ) from None
            if not 0 <= low <= high <= 127:
                raise SettingsError(f"the pitch range must be low <= high within 0..127 "
                                    f"(got {low}..{high})")


@dataclass(frozen=True)
class Take:
    index: int  # 0-based take number
    notes: tuple[Note, ...]  # the continuation only, absolute beats (start >= seed end)
    pedals: tuple[PedalSpan, ...]
    start_beat: float  # where the continuation starts (seed end, on the grid)
    end_beat: float
    ids: tuple[int, ...]  # the generated event ids


# ----- where and how long -----------------------------------------------------------------
def signature_at(seed: Piece, beat: float) -> TimeSignature:
    """The time signature in force at ``beat``."""
    current = TimeSignature(0.0)
    for signature in sorted(seed.time_signatures, key=lambda s: s.beat):
        if signature.beat <= beat:
            current = signature
    return current


def tempo_at(seed: Piece, beat: float) -> float:
    """The tempo (bpm) in force at ``beat``."""
    bpm = seed.bpm
    for change in sorted(seed.tempos, key=lambda t: t.beat):
        if change.beat <= beat:
            bpm = change.bpm
    return bpm


def seed_end_beat(seed: Piece, steps_per_beat: int = 12) -> float:
    """Where a continuation of ``seed`` starts (on the grid; see the module docstring)."""
    tokenizer = Tokenizer(TokenizerSettings(steps_per_beat=steps_per_beat))
    ends = [n.end for n in tokenizer.quantize(seed.notes)]
    ends += [p.end for p in tokenizer.quantize_pedals(seed.pedals)]
    last = max(ends, default=0.0)  # on the grid already: the end as the model sees it
    if last <= 0:
        return 0.0
    signature = signature_at(seed, last - 1e-9)
    bar = signature.beats_per_bar
    bar_end = signature.beat + math.ceil((last - signature.beat) / bar - 1e-9) * bar
    bar_end = math.ceil(bar_end * steps_per_beat - 1e-6) / steps_per_beat
    if last - (bar_end - bar) >= FILL_SHARE * bar - 1e-9:
        return max(bar_end, last)
    return last


def continuation_beats(seed: Piece, settings: GenerationSettings) -> float:
    """Length of the continuation in beats."""
    start = seed_end_beat(seed)
    if settings.seconds is not None:
        return settings.seconds * tempo_at(seed, start) / 60.0
    return float(settings.bars) * signature_at(seed, start).beats_per_bar


# ----- the plan: everything derived from the seed, shared by all takes ------------------------
@dataclass(frozen=True)
class _Plan:
    prime_ids: tuple[int, ...]
    start_beat: float
    start_step: int
    target_steps: int
    velocity_bin: int | None
    silent_since: int
    history: tuple[Note, ...]
    constraints: Constraints
    after_short_shift: bool

    def tracker(self, bundle: ModelBundle) -> TakeTracker:
        return TakeTracker(
            bundle.vocab, self.constraints, start_step=self.start_step,
            velocity_bin=self.velocity_bin, silent_since=self.silent_since, history=self.history,
            after_short_shift=self.after_short_shift,
        )


def _plan(bundle: ModelBundle, seed: Piece, settings: GenerationSettings) -> _Plan:
    settings.validate()
    if not seed.notes:
        raise MidiFileError("the seed has no notes, nothing to continue")
    vocab = bundle.vocab
    tokenizer = Tokenizer(vocab.settings)
    spb = vocab.settings.steps_per_beat
    start = seed_end_beat(seed, spb)
    beats = continuation_beats(seed, settings)
    if beats > MAX_BEATS:
        raise SettingsError(f"the continuation would be {beats:.0f} beats long; "
                            f"at most {MAX_BEATS:.0f} are allowed")
    target_steps = max(1, round(beats * spb))
    signature = signature_at(seed, start - 1e-9)
    bar = signature.beats_per_bar

    # The priming window: the last PRIME_BEATS beats, from a bar line.
    window = signature.beat + math.floor((start - PRIME_BEATS - signature.beat) / bar) * bar
    window = max(0.0, round(window * spb) / spb)
    notes = [n.shifted(-window) for n in seed.notes if n.start >= window - 1e-9]
    pedals = [PedalSpan(max(p.start, window) - window, p.end - window)
              for p in seed.pedals if p.end > window]
    ids = tokenizer.encode(notes, pedals, bos=window == 0, eos=False, end_beat=start - window)
    state = DecoderState(vocab)
    for token in ids:
        state.feed(token)
    prime = ids[-PRIME_TOKENS:]
    if not prime:
        prime = [vocab.bos]
    quantized = tokenizer.quantize(notes)
    history = tuple(n.shifted(window) for n in quantized)
    start_step = round(start * spb)
    last_end = max(round((n.end + window) * spb) for n in quantized) if quantized else start_step

    allowed = _allowed_pitches(bundle, seed, settings, history)
    bar_steps = max(1, round(bar * spb))
    constraints = Constraints(
        max_polyphony=int(settings.max_polyphony),
        allowed_pitches=allowed,
        max_note_steps=max(2 * bar_steps, 8 * spb),
        max_silence_steps=max(bar_steps, 2 * spb),
        repetition_guard=settings.repetition_guard,
        bar_steps=bar_steps,
        bar_anchor_step=round(signature.beat * spb),
    )
    last = prime[-1]
    short_shift = vocab.shift_base <= last < vocab.shift(vocab.settings.max_shift_steps)
    return _Plan(tuple(prime), start, start_step, target_steps, state.velocity_bin,
                 min(0, last_end - start_step), history, constraints, short_shift)


def _allowed_pitches(bundle: ModelBundle, seed: Piece, settings: GenerationSettings,
                     window_notes: tuple[Note, ...]) -> frozenset[int] | None:
    s = bundle.vocab.settings
    if not settings.key_lock and settings.pitch_range is None:
        return None
    pitches = set(range(s.pitch_low, s.pitch_high + 1))
    if settings.pitch_range is not None:
        low, high = (int(p) for p in settings.pitch_range)
        pitches &= set(range(low, high + 1))
        if not pitches:
            raise SettingsError(f"the pitch range {low}..{high} lies outside the model's "
                                f"range {s.pitch_low}..{s.pitch_high}")
    if settings.key_lock:
        key = estimate_key(window_notes or seed.notes)
        pitches = {p for p in pitches if key.contains(p)}
        if not pitches:
            raise SettingsError(f"no pitch of {key.name} lies in the pitch range")
    return frozenset(pitches)


# ----- the engine, cached per bundle ------------------------------------------------------
_engine_cache: tuple[weakref.ref, LSTMEngine] | None = None


def engine_for(bundle: ModelBundle) -> LSTMEngine:
    """The engine of ``bundle``, built once (the GUI generates many times with one bundle)."""
    global _engine_cache
    cached = _engine_cache
    if cached is not None and cached[0]() is bundle:
        return cached[1]
    engine = LSTMEngine.from_bundle(bundle)
    _engine_cache = (weakref.ref(bundle), engine)
    return engine


# ----- the sampling loop ------------------------------------------------------------------
def _run(
    bundle: ModelBundle,
    plan: _Plan,
    settings: GenerationSettings,
    takes: int,
    cancelled: Callable[[], bool] | None,
) -> Iterator[tuple[list[TakeTracker], list[list[int]]]]:
    """Sample all takes together; yields (trackers, ids so far) after every event."""
    engine = engine_for(bundle)
    logits, state = engine.prime(plan.prime_ids)
    logits = np.repeat(logits[None, :], takes, axis=0)
    state = LSTMEngine.broadcast(state, takes)
    trackers = [plan.tracker(bundle) for _ in range(takes)]
    ids: list[list[int]] = [[] for _ in range(takes)]
    active = [True] * takes
    rng = np.random.default_rng(settings.random_seed)
    while True:
        if cancelled is not None and cancelled():
            raise GenerationCancelled("generation cancelled")
        offsets = np.empty((takes, logits.shape[1]))
        for index, tracker in enumerate(trackers):
            offsets[index] = tracker.offsets()
        chosen = sample_ids(logits, rng, temperature=settings.temperature, top_k=settings.top_k,
                            top_p=settings.top_p, bias=offsets)
        for index, tracker in enumerate(trackers):
            if active[index]:
                tracker.feed(int(chosen[index]))
                ids[index].append(int(chosen[index]))
                active[index] = tracker.step < plan.target_steps
        yield trackers, ids
        if not any(active):
            return
        logits, state = engine.step(chosen, state)


def _take(index: int, plan: _Plan, tracker: TakeTracker, ids: list[int], spb: int) -> Take:
    state = tracker.state
    state.step = min(state.step, plan.target_steps)  # a last long shift may overshoot the end
    decoded = state.finish()
    start = plan.start_beat
    return Take(
        index=index,
        notes=tuple(n.shifted(start) for n in decoded.notes),
        pedals=tuple(p.shifted(start) for p in decoded.pedals),
        start_beat=start,
        end_beat=start + plan.target_steps / spb,
        ids=tuple(ids),
    )


def generate(
    bundle: ModelBundle,
    seed: Piece,
    settings: GenerationSettings,
    *,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[Take]:
    """``settings.takes`` continuations of ``seed``, each ``settings.bars`` (or seconds) long."""
    plan = _plan(bundle, seed, settings)
    takes = int(settings.takes)
    if progress is not None:
        progress(0.0)
    last: tuple[list[TakeTracker], list[list[int]]] = ([], [])
    for count, last in enumerate(_run(bundle, plan, settings, takes, cancelled)):
        if progress is not None and count % PROGRESS_EVERY == PROGRESS_EVERY - 1:
            done = min(min(t.step for t in last[0]) / plan.target_steps, 1.0)
            progress(done)
    trackers, ids = last
    spb = bundle.vocab.settings.steps_per_beat
    result = [_take(i, plan, t, ids[i], spb) for i, t in enumerate(trackers)]
    if progress is not None:
        progress(1.0)
    return result


def stream_answer(bundle: ModelBundle, seed: Piece, settings: GenerationSettings
                  ) -> Iterator[Note]:
    """The notes of one take (``settings.takes`` is ignored), each yielded as soon as it is
    complete, i.e. when its NOTE_OFF has been generated (notes still sounding at the end come
    last). Notes come in the order they end, in absolute beats. For live playing: the first
    notes can be scheduled while the rest is being generated; stop iterating to cancel.

    Bad settings or an empty seed raise here, before the first note. With the same settings
    and random seed, the notes are those of ``generate``'s first take.
    """
    settings = replace(settings, takes=1)
    plan = _plan(bundle, seed, settings)
    return _stream(bundle, plan, settings)


def _stream(bundle: ModelBundle, plan: _Plan, settings: GenerationSettings) -> Iterator[Note]:
    start = plan.start_beat
    sent = 0
    tracker: TakeTracker | None = None
    for trackers, _ids in _run(bundle, plan, settings, 1, None):
        tracker = trackers[0]
        closed = tracker.state.notes
        while sent < len(closed):
            yield closed[sent].shifted(start)
            sent += 1
    if tracker is None:
        return
    state = tracker.state
    state.step = min(state.step, plan.target_steps)
    before = len(state.notes)
    state.finish()
    for note in sorted(state.notes[before:]):
        yield note.shifted(start)


def merge(seed: Piece, take: Take) -> Piece:
    """Seed + continuation as one piece, with the seed's tempo, time signature and program.

    A seed note that still sounds (by less than a grid step, see :func:`seed_end_beat`) when
    the continuation strikes the same pitch is cut there, so the new note is not cut short.
    """
    first_onset: dict[int, float] = {}
    for note in take.notes:
        first_onset.setdefault(note.pitch, note.start)
    seed_notes = []
    for note in seed.notes:
        onset = first_onset.get(note.pitch)
        if onset is not None and note.start < onset < note.end:
            note = replace(note, end=onset)
        seed_notes.append(note)
    return replace(
        seed,
        notes=tuple(sorted(seed_notes + list(take.notes))),
        pedals=tuple(sorted(seed.pedals + take.pedals)),
    )
