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

Extra inputs (a model trained with them; composer.conditioning): every event is given the
position in the bar and the metre from the seed's time signatures (the continuation keeps the
one in force at its start), so the model knows where beat one is; every take is given a style
and a composer. The style, unless the user names one, is the one under which the model finds
the seed most likely (the seed is scored under every style at once, as a batch, while it is
primed; a prior favours the styles the model saw most), and the composer is "unknown" unless
named.

Seed memory (composer.seed_memory): while it samples, the model's prediction is mixed with
what followed the same few events in the seed (``seed_memory`` is the largest weight, 0 =
off), so the seed's figures, rhythm and dynamics last instead of fading within a bar.

Random numbers: every take has a random seed of its own, :func:`take_seed` ``(random_seed, k)``
``= random_seed + k`` (modulo 2**32) for take ``k`` (0-based), and draws from a generator seeded
by it alone, so a take does not depend on how many takes are made with it: take ``k`` of
``takes=N`` is ``takes=1`` with ``random_seed + k`` (or ``first_take=k``), which is what the CLI
prints next to each take and writes into its file. (The generator is seeded with
``[own seed, 0]``: for the first take, what versions before per-take seeds used, so single-take
files made then still reproduce.) With no random seed, one is drawn, and every take still
records its own (:attr:`Take.random_seed`).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from composer import meter
from composer.bundle import ModelBundle
from composer.conditioning import STYLE_PRIOR, token_features
from composer.dynamics import spread_velocity
from composer.engine import LSTMEngine, LSTMState
from composer.errors import GenerationCancelled, MidiFileError, SettingsError
from composer.keys import estimate_key
from composer.limits import temperature_problem
from composer.notes import Note, PedalSpan, Piece, TempoChange, TimeSignature
from composer.sampling import Constraints, TakeTracker, sample_ids
from composer.seed_memory import DEFAULT_STRENGTH, SeedMemory, mix_logits
from composer.tokenizer import DecoderState, Tokenizer
from composer.vocabulary import TokenizerSettings

PRIME_BEATS = 64.0
PRIME_TOKENS = 1024
FILL_SHARE = 0.5  # last sound ending past this share of its bar -> continue at the next bar
MAX_BEATS = 10_000.0  # longest continuation (an hour and more at usual tempi)
MAX_TAKES = 64
PROGRESS_EVERY = 64  # tokens


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
    style: str | None = None  # None: the style the model finds the seed most likely in
    composer: str | None = None  # None: unknown
    bar_grid: bool = True  # tell the model where the bar lines are (off: free-time phrases)
    first_take: int = 0  # index of the first take: regenerate take k alone with first_take=k
    # Where to continue; None: after the seed (see above). With nothing before it (beat 0, or
    # the seed's first notes later), the take begins as a piece begins, from the model's start
    # token (composer.infill regenerates the first bars so); the seed's notes after it still
    # give the key for key lock.
    start_beat: float | None = None
    seed_memory: float = DEFAULT_STRENGTH  # 0 = off; how much the seed's figures are reused

    def validate(self) -> None:
        """Raise ``SettingsError`` with a plain message for anything that cannot work."""
        if (problem := temperature_problem(self.temperature)) is not None:
            raise SettingsError(f"the temperature {problem}")
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
        if self.start_beat is not None and not (
                isinstance(self.start_beat, (int, float)) and math.isfinite(self.start_beat)
                and 0 <= self.start_beat <= MAX_BEATS):
            raise SettingsError(f"the start beat must be 0 or more (got {self.start_beat})")
        if int(self.first_take) != self.first_take or self.first_take < 0:
            raise SettingsError(f"the first take must be a whole number >= 0 "
                                f"(got {self.first_take})")
        if not (isinstance(self.seed_memory, (int, float)) and 0 <= self.seed_memory <= 1):
            raise SettingsError(f"the seed memory must be between 0 (off) and 1 "
                                f"(got {self.seed_memory})")
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
    style: str | None = None  # the style it was generated in (None: a model without styles)
    random_seed: int | None = None  # its own seed: takes=1 with it makes this take again


# ----- where and how long -----------------------------------------------------------------
def signature_at(seed: Piece, beat: float) -> TimeSignature:
    """The time signature in force at ``beat``."""
    return meter.signature_at(seed.time_signatures, beat)


def tempo_at(seed: Piece, beat: float) -> float:
    """The tempo (bpm) in force at ``beat``."""
    return meter.tempo_at(seed.tempos, beat)


def seed_end_beat(seed: Piece, steps_per_beat: int = 12) -> float:
    """Where a continuation of ``seed`` starts (on the grid; see the module docstring).

    ``steps_per_beat`` is the grid of the model that continues it (``bundle.vocab.settings``);
    :func:`generate` always uses its model's.
    """
    return _start_after(seed, _Grid.of(seed, TokenizerSettings(steps_per_beat=steps_per_beat)))


def continuation_beats(seed: Piece, settings: GenerationSettings,
                       steps_per_beat: int = 12) -> float:
    """Length of the continuation in beats, when it starts at :func:`seed_end_beat` on the
    grid of ``steps_per_beat`` (the model's)."""
    return _length_beats(seed, settings, seed_end_beat(seed, steps_per_beat))


@dataclass(frozen=True)
class _Grid:
    """The seed as the model sees it: its notes and pedal snapped to the model's grid, once."""

    notes: tuple[Note, ...]
    pedals: tuple[PedalSpan, ...]
    steps_per_beat: int

    @staticmethod
    def of(seed: Piece, settings: TokenizerSettings) -> _Grid:
        tokenizer = Tokenizer(settings)
        return _Grid(tuple(tokenizer.quantize(seed.notes)),
                     tuple(tokenizer.quantize_pedals(seed.pedals)), settings.steps_per_beat)


def _start_after(seed: Piece, grid: _Grid) -> float:
    """:func:`seed_end_beat` of a seed already on the grid."""
    spb = grid.steps_per_beat
    ends = [n.end for n in grid.notes] + [p.end for p in grid.pedals]
    last = max(ends, default=0.0)  # on the grid already: the end as the model sees it
    if last <= 0:
        return 0.0
    signature = signature_at(seed, last - 1e-9)
    bar = signature.beats_per_bar
    bar_end = signature.beat + math.ceil((last - signature.beat) / bar - 1e-9) * bar
    bar_end = math.ceil(bar_end * spb - 1e-6) / spb
    if last - (bar_end - bar) >= FILL_SHARE * bar - 1e-9:
        return max(bar_end, last)
    return last


def _length_beats(seed: Piece, settings: GenerationSettings, start: float) -> float:
    """``settings.bars`` of the signature (or ``seconds`` at the tempo) in force at ``start``."""
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
    # Extra inputs: classes for the primed events, and per step of the continuation (index =
    # steps from its start, one bar beyond its end); empty for a model without them.
    prime_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.intp))
    prime_meters: np.ndarray = field(default_factory=lambda: np.zeros(0, np.intp))
    step_positions: np.ndarray = field(default_factory=lambda: np.zeros(1, np.intp))
    step_meters: np.ndarray = field(default_factory=lambda: np.zeros(1, np.intp))
    style: str | None = None  # None: choose from the seed (or a model without styles)
    composer_id: int = 0

    def tracker(self, bundle: ModelBundle) -> TakeTracker:
        return TakeTracker(
            bundle.vocab, self.constraints, start_step=self.start_step,
            velocity_bin=self.velocity_bin, silent_since=self.silent_since, history=self.history,
            after_short_shift=self.after_short_shift,
        )

    def step_inputs(self, steps: np.ndarray) -> dict[str, np.ndarray]:
        """Position and metre classes at ``steps`` (from the continuation's start)."""
        index = np.minimum(steps, len(self.step_positions) - 1)
        return {"positions": self.step_positions[index], "meters": self.step_meters[index]}


def cut_seed(seed: Piece, beat: float) -> Piece:
    """The seed up to ``beat``: later notes and pedal dropped, those that ring on cut there."""
    notes = [replace(n, end=min(n.end, beat)) for n in seed.notes if n.start < beat - 1e-9]
    pedals = [PedalSpan(p.start, min(p.end, beat)) for p in seed.pedals if p.start < beat - 1e-9]
    return replace(seed, notes=tuple(sorted(notes)), pedals=tuple(sorted(pedals)))


def _plan(bundle: ModelBundle, seed: Piece, settings: GenerationSettings) -> _Plan:
    """Everything the takes share, in one pass: the settings checked, the seed cut (at
    ``start_beat``) and checked, then snapped to the model's grid once; where the continuation
    starts, how long it is, the priming window, its events and the constraints all come from
    that one grid view."""
    settings.validate()
    vocab = bundle.vocab
    spb = vocab.settings.steps_per_beat
    chosen_start = None
    whole = seed
    if settings.start_beat is not None:
        chosen_start = round(settings.start_beat * spb) / spb
        seed = cut_seed(seed, chosen_start)
    if not whole.notes:
        raise MidiFileError("the seed has no notes, nothing to continue")
    grid = _Grid.of(seed, vocab.settings)
    start = chosen_start if chosen_start is not None else _start_after(seed, grid)
    beats = _length_beats(seed, settings, start)
    if beats > MAX_BEATS:
        raise SettingsError(f"the continuation would be {beats:.0f} beats long; "
                            f"at most {MAX_BEATS:.0f} are allowed")
    target_steps = max(1, round(beats * spb))
    signature = signature_at(seed, start - 1e-9)
    bar = signature.beats_per_bar

    # The priming window: the last PRIME_BEATS beats, from a bar line (on the grid).
    window = signature.beat + math.floor((start - PRIME_BEATS - signature.beat) / bar) * bar
    window = max(0.0, round(window * spb) / spb)
    history = tuple(n for n in grid.notes if n.start >= window - 1e-9)
    notes = [n.shifted(-window) for n in history]
    pedals = [PedalSpan(max(p.start, window) - window, p.end - window)
              for p in grid.pedals if p.end > window]
    ids = Tokenizer(vocab.settings).encode(notes, pedals, bos=window == 0, eos=False,
                                           end_beat=start - window)
    state = DecoderState(vocab)
    for token in ids:
        state.feed(token)
    prime = ids[-PRIME_TOKENS:] or [vocab.bos]
    start_step = round(start * spb)
    last_end = max(round(n.end * spb) for n in history) if history else start_step

    allowed = _allowed_pitches(bundle, seed if seed.notes else whole, settings, history)
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
    extra = _input_plan(bundle, seed, settings, ids, prime, round(window * spb), start_step,
                        target_steps, signature)
    return _Plan(tuple(prime), start, start_step, target_steps, state.velocity_bin,
                 min(0, last_end - start_step), history, constraints, short_shift, **extra)


def _input_plan(bundle: ModelBundle, seed: Piece, settings: GenerationSettings, ids: list[int],
                prime: list[int], window_step: int, start_step: int, target_steps: int,
                signature: TimeSignature) -> dict:
    """The extra inputs of a plan (nothing for a model without them)."""
    conditioning = bundle.conditioning
    if conditioning is None:
        return {}
    for name, given, known in (("style", settings.style, conditioning.styles),
                               ("composer", settings.composer, conditioning.composers)):
        if given is not None and given not in known:  # "unknown" (class 0) is allowed
            raise SettingsError(f"unknown {name} {given!r}; the model knows: "
                                f"{', '.join(known[1:])}")
    vocab = bundle.vocab
    spb = vocab.settings.steps_per_beat
    positions_count = conditioning.positions
    if settings.bar_grid:
        signatures = list(seed.time_signatures) or [TimeSignature(0.0)]
        # Beyond the seed's end its time signature holds: later changes of the seed (past
        # where the continuation starts) do not apply to music that is not the seed's.
        signatures = [s for s in signatures if s.beat <= start_step / spb + 1e-9] or [signature]
        positions, meters = token_features(np.asarray(ids, np.int64), vocab, signatures,
                                           start_step=window_step, positions=positions_count)
        steps = start_step + np.arange(target_steps + vocab.settings.max_shift_steps + 1)
        within, meter_index = meter.step_positions(signatures, steps, spb)
        step_positions = (np.minimum(within, positions_count - 2) + 1).astype(np.intp)
        step_meters = (meter_index + 1).astype(np.intp)
        cut = len(ids) - len(prime)
        prime_positions = positions[cut:].astype(np.intp)
        prime_meters = meters[cut:].astype(np.intp)
        if len(prime) == 1 and prime[0] == vocab.bos and not ids:
            prime_positions = prime_meters = np.zeros(1, np.intp)
    else:
        prime_positions = prime_meters = np.zeros(len(prime), np.intp)
        step_positions = step_meters = np.zeros(1, np.intp)
    return {"prime_positions": prime_positions, "prime_meters": prime_meters,
            "step_positions": step_positions, "step_meters": step_meters,
            "style": settings.style, "composer_id": conditioning.composer_id(settings.composer)}


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


# ----- priming and the style ----------------------------------------------------------------
@dataclass(frozen=True)
class Primed:
    """The model after the seed: next-event logits ``(vocab,)``, the batch-1 state, the
    per-take context rows of style and composer, and the style chosen."""

    logits: np.ndarray
    state: LSTMState
    context: np.ndarray | None
    style: str | None
    style_scores: dict[str, float]  # mean log-probability per seed event, per style tried


def prime(bundle: ModelBundle, plan: _Plan) -> Primed:
    """Run the seed through the model; choose the style if the plan leaves it open."""
    engine = engine_for(bundle)
    conditioning = bundle.conditioning
    if conditioning is None or "styles" not in engine.inputs:
        logits, state = engine.prime(plan.prime_ids)
        return Primed(logits, state, None, None, {})
    inputs = {"positions": plan.prime_positions, "meters": plan.prime_meters}
    candidates = [plan.style] if plan.style is not None else list(conditioning.styles[1:])
    context = engine.context(len(candidates),
                             styles=[conditioning.style_id(c) for c in candidates],
                             composers=plan.composer_id)
    logits, state = engine.run(plan.prime_ids, inputs=inputs, context=context)
    if len(candidates) == 1:
        return Primed(logits[-1], state, context[:1], candidates[0], {})
    ids = np.asarray(plan.prime_ids[1:], dtype=np.intp)
    scores = {}
    for index, style in enumerate(candidates):
        row = logits[:-1, index].astype(np.float64)
        peak = row.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(row - peak).sum(axis=1)) + peak[:, 0]
        picked = row[np.arange(len(ids)), ids] - log_norm
        scores[style] = float(picked.sum()) / max(len(ids), 1)
    count = max(len(ids), 1)
    best = max(range(len(candidates)), key=lambda i: scores[candidates[i]] * count
               + math.log(STYLE_PRIOR.get(candidates[i], 0.05)))
    chosen = LSTMState(tuple(h[best : best + 1] for h in state.h),
                       tuple(c[best : best + 1] for c in state.c))
    return Primed(logits[-1, best], chosen, context[best : best + 1], candidates[best], scores)


def heard_style(bundle: ModelBundle, seed: Piece, settings: GenerationSettings) -> str | None:
    """The style :func:`generate` would choose to continue ``seed`` after its end (the one
    ``settings`` names, if it does; None for a model without styles). For music with nothing
    before it to hear a style in: :mod:`composer.infill` asks it of the whole piece when it
    regenerates the first bars."""
    if settings.style is not None or bundle.conditioning is None:
        return settings.style
    return prime(bundle, _plan(bundle, seed, replace(settings, start_beat=None))).style


# ----- the sampling loop ------------------------------------------------------------------
SEED_RANGE = 2**32  # random seeds are 32-bit (NumPy's and Keras's), as --random-seed takes


def take_seed(random_seed: int, index: int) -> int:
    """The random seed of take ``index`` (0-based) of a generation with ``random_seed``.

    ``random_seed + index``, wrapped to 32 bits: so take ``k`` can be made again alone with
    ``takes=1, random_seed=take_seed(s, k)``, and every take's seed is one a user can type.
    The CLI and the app both name a take by this seed.
    """
    return (int(random_seed) + int(index)) % SEED_RANGE


def fresh_random_seed() -> int:
    """A random seed from the operating system's entropy, for settings that leave it open."""
    return int(np.random.SeedSequence().entropy % SEED_RANGE)


def with_random_seed(settings: GenerationSettings) -> GenerationSettings:
    """``settings`` with a random seed: its own, or a fresh one (so every take records it)."""
    if settings.random_seed is not None:
        return settings
    return replace(settings, random_seed=fresh_random_seed())


def take_rngs(settings: GenerationSettings, takes: int) -> list[np.random.Generator]:
    """One generator per take, seeded by that take's own seed (:func:`take_seed`)."""
    settings = with_random_seed(settings)
    first = int(settings.first_take)
    return [np.random.default_rng([take_seed(settings.random_seed, first + i), 0])
            for i in range(takes)]


def _run(
    bundle: ModelBundle,
    plan: _Plan,
    settings: GenerationSettings,
    takes: int,
    cancelled: Callable[[], bool] | None,
    primed: Primed | None = None,
    steer: np.ndarray | None = None,
) -> Iterator[tuple[list[TakeTracker], list[list[int]]]]:
    """Sample all takes together; yields (trackers, ids so far) after every event.

    Per event: each take's mask and guard offsets (written into one buffer, allocated once),
    its seed-memory lookup and its own uniform draw, then one :func:`sample_ids` over the
    batch and one engine step. The Python work per take is kept to what cannot be batched
    (following each stream), since at one take it costs as much as the LSTM step itself.

    ``steer``: a logit bias over the vocabulary added at every step (composer.taste).
    """
    engine = engine_for(bundle)
    primed = primed or prime(bundle, plan)
    logits = np.repeat(primed.logits[None, :], takes, axis=0)
    state = LSTMEngine.broadcast(primed.state, takes)
    context = None if primed.context is None else np.repeat(primed.context, takes, axis=0)
    trackers = [plan.tracker(bundle) for _ in range(takes)]
    ids: list[list[int]] = [[] for _ in range(takes)]
    active = [True] * takes
    rngs = take_rngs(settings, takes)
    memory = SeedMemory(plan.prime_ids, logits.shape[1], settings.seed_memory)
    histories = [list(plan.prime_ids) for _ in range(takes)] if memory else []
    offsets = np.empty((takes, logits.shape[1]))
    weights = np.zeros(takes)
    recalled = np.zeros((takes, logits.shape[1])) if takes > 1 else None
    top_k, top_p, target = settings.top_k, settings.top_p, plan.target_steps
    while True:
        if cancelled is not None and cancelled():
            raise GenerationCancelled("generation cancelled")
        for index, tracker in enumerate(trackers):
            offsets[index] = tracker.offsets()
        if steer is not None:  # the listener's taste (composer.taste); -inf stays -inf
            offsets += steer
        uniforms = [rng.random() for rng in rngs]
        temperature = settings.temperature
        if memory:
            if takes == 1:
                weight, q = memory.lookup(histories[0])
                if q is not None:
                    weights[0] = weight
                    logits = mix_logits(logits, temperature, weights, q[None, :])
                    temperature = 1.0
            else:
                weights[:] = 0.0
                recalled[:] = 0.0
                for index, history in enumerate(histories):
                    weight, q = memory.lookup(history)
                    if q is not None:
                        weights[index], recalled[index] = weight, q
                if weights.any():
                    logits = mix_logits(logits, temperature, weights, recalled)
                    temperature = 1.0
        chosen = sample_ids(logits, None, temperature=temperature, top_k=top_k,
                            top_p=top_p, bias=offsets, uniforms=uniforms)
        for index, token in enumerate(chosen.tolist()):
            if active[index]:
                tracker = trackers[index]
                tracker.feed(token)
                ids[index].append(token)
                if memory:
                    histories[index].append(token)
                active[index] = tracker.step < target
        yield trackers, ids
        if not any(active):
            return
        inputs = None
        if context is not None:
            inputs = plan.step_inputs(np.array([t.step for t in trackers], dtype=np.intp))
        logits, state = engine.step(chosen, state, inputs, context)


def _take(index: int, plan: _Plan, tracker: TakeTracker, ids: list[int],
          vocab_settings: TokenizerSettings, style: str | None) -> Take:
    state = tracker.state
    state.step = min(state.step, plan.target_steps)  # a last long shift may overshoot the end
    decoded = state.finish()
    start = plan.start_beat
    spb = vocab_settings.steps_per_beat
    return Take(
        index=index,
        notes=tuple(spread_velocity(n, vocab_settings).shifted(start)
                    for n in decoded.notes),
        pedals=tuple(p.shifted(start) for p in decoded.pedals),
        start_beat=start,
        end_beat=start + plan.target_steps / spb,
        ids=tuple(ids),
        style=style,
    )


def generate(
    bundle: ModelBundle,
    seed: Piece,
    settings: GenerationSettings,
    *,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    steer: np.ndarray | None = None,
) -> list[Take]:
    """``settings.takes`` continuations of ``seed``, each ``settings.bars`` (or seconds) long;
    each take records its own random seed (a fresh one is drawn if ``settings`` has none).
    ``steer``: a logit bias over the vocabulary (``composer.taste.Taste.bias``)."""
    settings = with_random_seed(settings)
    plan = _plan(bundle, seed, settings)
    takes = int(settings.takes)
    if progress is not None:
        progress(0.0)
    primed = prime(bundle, plan)
    last: tuple[list[TakeTracker], list[list[int]]] = ([], [])
    for count, last in enumerate(_run(bundle, plan, settings, takes, cancelled, primed,
                                           steer)):
        if progress is not None and count % PROGRESS_EVERY == PROGRESS_EVERY - 1:
            done = min(min(t.step for t in last[0]) / plan.target_steps, 1.0)
            progress(done)
    trackers, ids = last
    first = int(settings.first_take)
    result = []
    for i, tracker in enumerate(trackers):
        own_seed = take_seed(settings.random_seed, first + i)
        take = _take(first + i, plan, tracker, ids[i], bundle.vocab.settings, primed.style)
        result.append(replace(take, random_seed=own_seed))
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
    vocab_settings = bundle.vocab.settings
    sent = 0
    tracker: TakeTracker | None = None
    for trackers, _ids in _run(bundle, plan, settings, 1, None):
        tracker = trackers[0]
        closed = tracker.state.notes
        while sent < len(closed):
            yield spread_velocity(closed[sent], vocab_settings).shifted(start)
            sent += 1
    if tracker is None:
        return
    state = tracker.state
    state.step = min(state.step, plan.target_steps)
    before = len(state.notes)
    state.finish()
    for note in sorted(state.notes[before:]):
        yield spread_velocity(note, vocab_settings).shifted(start)


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


def continuation_piece(seed: Piece, take: Take) -> Piece:
    """Only the new music, moved so it starts at the bar line at or before its first beat,
    with the tempo and time signature in force where it starts."""
    signature = signature_at(seed, take.start_beat)
    origin = meter.bar_start(seed.time_signatures, take.start_beat)
    return Piece(
        notes=tuple(n.shifted(-origin) for n in take.notes),
        pedals=tuple(p.shifted(-origin) for p in take.pedals),
        tempos=(TempoChange(0.0, tempo_at(seed, take.start_beat)),),
        time_signatures=(TimeSignature(0.0, signature.numerator, signature.denominator),),
        program=seed.program,
    )


def provenance(bundle: ModelBundle, seed_name: str, settings: GenerationSettings, take: Take,
               version: str) -> list[str]:
    """Text events that say how a take was made, so it can be made again."""
    own = take.random_seed if take.random_seed is not None else (
        None if settings.random_seed is None else take_seed(settings.random_seed, take.index))
    options = (f"temperature={settings.temperature:g} top_k={settings.top_k} "
               f"top_p={settings.top_p:g} random_seed={own} take={take.index + 1}")
    if settings.key_lock:
        options += " key_lock"
    if settings.pitch_range:
        options += f" pitch_range={settings.pitch_range[0]}-{settings.pitch_range[1]}"
    if take.style is not None:
        options += f" style={take.style}"
    if settings.composer is not None:
        options += f" composer={settings.composer}"
    options += f" seed_memory={settings.seed_memory:g}"
    return [
        f"composer {version}: continued by model '{bundle.name}'",
        f"seed: {seed_name}; continuation from beat {take.start_beat:g}",
        f"settings: {options}",
    ]
