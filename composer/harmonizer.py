"""Harmonize a melody: alto, tenor and bass under it, in the style of the Bach chorales (Play
side: NumPy only, never TensorFlow).

The network (composer.harmonizer_model builds and trains it) gives, for one voice at one
eighth-note step, the distribution of its token given every voice in the four beats around
it. :class:`HarmonizerNet` runs it in NumPy from the exported weights, with the LSTM cell of
composer.engine (the same Keras maths; ``tests/test_harmonizer.py`` checks the logits against
Keras), and with every embedding folded into the LSTM's and the dense layers' input matrices,
so a step's input projection is a few row lookups.

Sampling is DeepBach's pseudo-Gibbs: the soprano is the melody and never changes; alto, tenor
and bass start from random pitches (in their ranges, on the melody's rhythm), then again and
again one voice at a set of steps is redrawn from the network given everything else, at a
temperature falling from :data:`START_TEMPERATURE` to :data:`END_TEMPERATURE`, so the early
passes explore and the late ones settle on the likeliest chords. The steps redrawn together
are :data:`STRIDE` apart (their windows overlap, but each sees the others' current values),
which makes one pass a single batched network call: 16 bars take well under a second.

The melody is kept exactly: the output's soprano is the melody's own notes; the grid is only
what the network hears of it. A melody outside the soprano's range is heard octaves moved into
it and the harmony is moved back by the same octaves, so it still lies under the melody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from composer.chorales import (
    HOLD,
    MASK,
    OUTPUT_TOKENS,
    PAD,
    PITCH_LOW,
    POSITION_PAD,
    REST,
    STEPS_PER_BEAT,
    token_notes,
    voice_tokens,
)
from composer.engine import gate_scale, lstm_cell
from composer.errors import MidiFileError
from composer.harmonizer_bundle import HarmonizerBundle, HarmonizerConfig
from composer.notes import Note, TimeSignature

START_TEMPERATURE = 1.0
END_TEMPERATURE = 0.2
STRIDE = 4  # steps between the sites redrawn together (two beats)
SWEEPS = 40  # how often each (voice, step) is redrawn, on average
MAX_STEPS = 20_000  # about 40 minutes of melody at 120 bpm
PARALLEL_PENALTY = 6.0  # nats taken from a pitch per parallel fifth or octave it would make
POLL_EVERY = 4  # draws between two checks of cancelled() and progress()
POLYPHONY_TOLERANCE = 0.25  # beats two notes may overlap (legato) and still be one line


class HarmonizerNet:
    """Logits of one voice's token at one step, for a batch of windows, in NumPy."""

    def __init__(self, weights: dict[str, np.ndarray], config: HarmonizerConfig) -> None:
        def w(name: str) -> np.ndarray:
            return np.asarray(weights[name], dtype=np.float32)

        self.config = config
        d, p = config.token_dim, config.position_dim
        scale = gate_scale(config.units)
        tokens, positions = w("token_embedding"), w("position_embedding")

        def fold(kernel: np.ndarray, bias: np.ndarray | None) -> tuple[list, np.ndarray]:
            voices = [np.ascontiguousarray(tokens @ kernel[v * d:(v + 1) * d])
                      for v in range(4)]
            pos = positions @ kernel[4 * d:4 * d + p]
            return voices, pos + (0 if bias is None else bias)

        self._directions = []
        for name in ("forward", "backward") if config.bidirectional else ("forward",):
            kernel, bias = w(f"{name}_kernel") * scale, w(f"{name}_bias") * scale
            voices, pos = fold(kernel, bias)
            self._directions.append(
                (voices, pos, np.ascontiguousarray(w(f"{name}_recurrent") * scale)))
        center = w("center_kernel")
        self._center_voices, self._center_pos = fold(center, None)
        self._center_voice = w("voice_embedding") @ center[4 * d + p:] + w("center_bias")
        self._merge, self._merge_bias = w("merge_kernel"), w("merge_bias")
        self._logits, self._logits_bias = w("logits_kernel"), w("logits_bias")

    @classmethod
    def from_bundle(cls, bundle: HarmonizerBundle) -> HarmonizerNet:
        return cls(bundle.weights, bundle.config)

    def _run(self, direction: int, tokens: np.ndarray, positions: np.ndarray,
             steps: range) -> np.ndarray:
        """The LSTM's last output over ``steps`` (in that order) of the windows."""
        voices, pos, recurrent = self._directions[direction]
        order = list(steps)
        # Every step's input projection at once: row lookups, one sum per voice.
        projected = pos[positions[:, order]]
        for v in range(4):
            projected += voices[v][tokens[:, order, v]]
        batch = tokens.shape[0]
        h = np.zeros((batch, self.config.units), dtype=np.float32)
        c = np.zeros_like(h)
        for index in range(len(order)):
            h, c = lstm_cell(projected[:, index] + h @ recurrent, c)
        return h

    def logits(self, tokens: np.ndarray, positions: np.ndarray, voice: np.ndarray
               ) -> np.ndarray:
        """``tokens (N, W, 4)`` (the predicted one is MASK), ``positions (N, W)``, ``voice
        (N,)`` (0 alto, 1 tenor, 2 bass) -> logits ``(N, OUTPUT_TOKENS)``, as Keras gives."""
        L, W = self.config.context, self.config.window
        tokens = np.asarray(tokens, dtype=np.intp)
        positions = np.asarray(positions, dtype=np.intp)
        parts = [self._run(0, tokens, positions, range(0, L + 1))]
        if self.config.bidirectional:
            parts.append(self._run(1, tokens, positions, range(W - 1, L - 1, -1)))
        own = self._center_pos[positions[:, L]] + self._center_voice[np.asarray(voice)]
        for v in range(4):
            own = own + self._center_voices[v][tokens[:, L, v]]
        x = np.concatenate([*parts, np.maximum(own, 0)], axis=1)
        x = np.maximum(x @ self._merge + self._merge_bias, 0)
        return x @ self._logits + self._logits_bias


# ----- the melody -----------------------------------------------------------------------
@dataclass(frozen=True)
class Melody:
    """The line to harmonize and what was done to find it."""

    notes: tuple[Note, ...]
    polyphonic: bool = False  # the input had chords or overlapping lines: this is the top
    dropped: int = 0  # notes of the input that are not in the line


def melody_line(notes: Sequence[Note], name: str = "the melody") -> Melody:
    """The notes as they are if they form one line (legato overlaps up to
    :data:`POLYPHONY_TOLERANCE` beats allowed), else their top line (the highest note at
    each onset; a lower note starting under a sounding higher one is left out, a higher one
    cuts the sounding note short). A MidiFileError naming ``name`` if there are no notes."""
    ordered = sorted(notes, key=lambda n: (n.start, -n.pitch))
    if not ordered:
        raise MidiFileError(f"{name}: has no notes, nothing to harmonize")
    polyphonic = any(b.start < a.end - POLYPHONY_TOLERANCE or abs(b.start - a.start) < 1e-6
                     for a, b in zip(ordered, ordered[1:]))
    if not polyphonic:
        return Melody(tuple(sorted(notes)))
    line: list[Note] = []
    for note in ordered:
        if line and abs(note.start - line[-1].start) < 1e-6:
            continue  # a lower note of the same onset
        if line and note.start < line[-1].end - 1e-9:
            if note.pitch <= line[-1].pitch:
                continue
            last = line[-1]
            line[-1] = Note(last.start, note.start, last.pitch, last.velocity)
        line.append(note)
    return Melody(tuple(line), True, len(ordered) - len(line))


def grid_positions(steps: int, signatures: Sequence[TimeSignature]) -> np.ndarray:
    """The network's position class of every grid step: its eighth in the bar, counted from
    the bar lines of ``signatures`` (3-beat bars as 3/4, any other as 4/4)."""
    from composer.meter import bar_start, signature_at

    out = np.empty(steps, dtype=np.intp)
    for step in range(steps):
        beat = step / STEPS_PER_BEAT
        signature = signature_at(signatures, beat)
        three = abs(signature.beats_per_bar - 3.0) < 1e-9
        length = (3 if three else 4) * STEPS_PER_BEAT
        offset = int(round((beat - bar_start(signatures, beat)) * STEPS_PER_BEAT))
        out[step] = (8 if three else 0) + offset % length
    return out


def octave_shift(pitches: Sequence[int], low: int, high: int) -> int:
    """The multiple of 12 that puts most of ``pitches`` inside ``low..high`` (ties: the
    smallest move)."""
    def inside(shift: int) -> int:
        return sum(low <= p + shift <= high for p in pitches)

    return max(range(-48, 49, 12), key=lambda s: (inside(s), -abs(s)))


# ----- sampling -------------------------------------------------------------------------
def _allowed(config: HarmonizerConfig) -> np.ndarray:
    """``(3, OUTPUT_TOKENS)``: the tokens alto, tenor and bass may take (their range, hold,
    rest)."""
    allowed = np.zeros((3, OUTPUT_TOKENS), dtype=bool)
    for index, (low, high) in enumerate(config.ranges[1:]):
        allowed[index, low - PITCH_LOW:high - PITCH_LOW + 1] = True
        allowed[index, [HOLD, REST]] = True
    return allowed


def initial_voices(soprano: np.ndarray, config: HarmonizerConfig,
                   rng: np.random.Generator) -> np.ndarray:
    """Tokens ``(steps, 4)``: the soprano, and random pitches in each lower voice's range on
    the soprano's rhythm (where the soprano rests, they rest)."""
    steps = soprano.shape[0]
    tokens = np.empty((steps, 4), dtype=np.intp)
    tokens[:, 0] = soprano
    for voice in range(1, 4):
        low, high = config.ranges[voice]
        random = rng.integers(low, high + 1, size=steps) - PITCH_LOW
        tokens[:, voice] = np.where(soprano < HOLD, random, soprano)
    return tokens


def sounding(tokens: np.ndarray) -> np.ndarray:
    """The MIDI pitch each voice sounds at each step (holds resolved), -1 where silent:
    :func:`composer.chorales.voice_pitches` for every column at once."""
    steps = tokens.shape[0]
    value = np.where(tokens < HOLD, tokens + PITCH_LOW, -1)
    value[0] = np.where(tokens[0] == HOLD, -1, value[0])
    last = np.where(tokens != HOLD, np.arange(steps)[:, None], 0)
    last = np.maximum.accumulate(last, axis=0)
    return np.take_along_axis(value, last, axis=0)


def parallel_counts(pitches: np.ndarray, onsets: np.ndarray, sites: np.ndarray, voice: int
                    ) -> np.ndarray:
    """``(sites, HOLD)``: for every site of ``voice`` and every pitch it could start there,
    how many parallel (or contrary) fifths and octaves it would make with the other voices,
    into the step (from the step before) and out of it (to the voice's next note, when that
    starts on the next step). ``pitches`` is :func:`sounding`, ``onsets`` whether a voice
    starts a note at each step."""
    steps = pitches.shape[0]
    candidates = np.arange(HOLD)[None, :] + PITCH_LOW
    counts = np.zeros((sites.size, HOLD), dtype=np.int64)
    before = np.maximum(sites - 1, 0)
    after = np.minimum(sites + 1, steps - 1)
    for other in range(4):
        if other == voice:
            continue
        o_now = pitches[sites, other][:, None]
        # into the step: the voice comes from its pitch before, the other voice moves
        v0, o0 = pitches[before, voice][:, None], pitches[before, other][:, None]
        interval = (v0 - o0) % 12
        into = ((sites > 0)[:, None] & (v0 >= 0) & (o0 >= 0) & (o_now >= 0)
                & (candidates != v0) & (o_now != o0) & ((interval == 0) | (interval == 7))
                & ((candidates - o_now) % 12 == interval))
        # out of it: the voice's next note starts on the next step, the other voice moves
        v1, o1 = pitches[after, voice][:, None], pitches[after, other][:, None]
        leaves = (sites < steps - 1)[:, None] & onsets[after, voice][:, None]
        interval = (candidates - o_now) % 12
        out = (leaves & (v1 >= 0) & (o1 >= 0) & (o_now >= 0) & (candidates != v1)
               & (o1 != o_now) & ((interval == 0) | (interval == 7))
               & ((v1 - o1) % 12 == interval))
        counts += into.astype(np.int64) + out
    return counts


def gibbs(net: HarmonizerNet, soprano: np.ndarray, positions: np.ndarray,
          rng: np.random.Generator, sweeps: int = SWEEPS,
          start_temperature: float = START_TEMPERATURE,
          end_temperature: float = END_TEMPERATURE, parallel_penalty: float = PARALLEL_PENALTY,
          cancelled=None, progress=None) -> np.ndarray:
    """Tokens ``(steps, 4)`` of the four voices: ``soprano`` kept, the rest sampled.

    Each draw takes :data:`PARALLEL_PENALTY` nats from a pitch for every parallel fifth or
    octave it would make (a rule on top of the network, as DeepBach allows constraints): the
    network alone, trained for half an hour, wrote about ten times Bach's rate of them.
    ``cancelled()`` (polled) stops it with :class:`~composer.errors.Cancelled`;
    ``progress(fraction)`` hears how far it is: both every :data:`POLL_EVERY` draws (a few
    milliseconds), so the app's background job can also let the UI thread run then.
    """
    config = net.config
    L = config.context
    steps = int(soprano.shape[0])
    allowed = _allowed(config)
    state = np.full((steps + 2 * L, 4), PAD, dtype=np.intp)
    state[L:L + steps] = initial_voices(np.asarray(soprano, dtype=np.intp), config, rng)
    padded_positions = np.full(steps + 2 * L, POSITION_PAD, dtype=np.intp)
    padded_positions[L:L + steps] = positions
    window = np.arange(-L, L + 1)
    iterations = max(1, sweeps * 3 * min(STRIDE, steps))
    for iteration in range(iterations):
        if cancelled is not None and iteration % POLL_EVERY == 0 and cancelled():
            from composer.errors import Cancelled

            raise Cancelled("harmonizing stopped")
        if progress is not None and iteration % POLL_EVERY == 0:
            progress(iteration / iterations)
        fraction = iteration / max(iterations - 1, 1)
        temperature = start_temperature + (end_temperature - start_temperature) * fraction
        voice = int(rng.integers(1, 4))
        sites = np.arange(int(rng.integers(0, min(STRIDE, steps))), steps, STRIDE)
        rows = L + sites[:, None] + window
        tokens = state[rows]  # (N, W, 4), a copy
        tokens[:, L, voice] = MASK
        logits = net.logits(tokens, padded_positions[rows],
                            np.full(sites.size, voice - 1)).astype(np.float64)
        mask = np.broadcast_to(allowed[voice - 1], logits.shape).copy()
        mask[sites == 0, HOLD] = False  # nothing to hold at the start
        if parallel_penalty:
            current = state[L:L + steps]
            logits[:, :HOLD] -= parallel_penalty * parallel_counts(
                sounding(current), current < HOLD, sites, voice)
        logits = np.where(mask, logits / temperature, -np.inf)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        draws = (probs.cumsum(axis=1) > rng.random((sites.size, 1))).argmax(axis=1)
        state[L + sites, voice] = draws
    return state[L:L + steps]


# ----- the whole harmonization ----------------------------------------------------------
@dataclass(frozen=True)
class Harmonization:
    """Four voices as notes; ``soprano`` is the melody exactly."""

    soprano: tuple[Note, ...]
    alto: tuple[Note, ...]
    tenor: tuple[Note, ...]
    bass: tuple[Note, ...]
    tokens: np.ndarray  # (steps, 4) what was sampled on the grid
    melody: Melody
    shift: int  # octaves (in semitones) the melody was heard moved by

    @property
    def voices(self) -> tuple[tuple[Note, ...], ...]:
        return (self.soprano, self.alto, self.tenor, self.bass)


def harmonize(bundle_or_net: HarmonizerBundle | HarmonizerNet, notes: Sequence[Note],
              signatures: Sequence[TimeSignature] = (TimeSignature(0.0),), *,
              random_seed: int = 0, sweeps: int = SWEEPS, name: str = "the melody",
              cancelled=None, progress=None) -> Harmonization:
    """Alto, tenor and bass under ``notes`` (the top line if they are not one line)."""
    net = (bundle_or_net if isinstance(bundle_or_net, HarmonizerNet)
           else HarmonizerNet.from_bundle(bundle_or_net))
    melody = melody_line(notes, name)
    start = min(n.start for n in melody.notes)
    if start < 0:
        raise MidiFileError(f"{name}: a note starts before beat 0")
    end = max(n.end for n in melody.notes)
    steps = int(np.ceil(end * STEPS_PER_BEAT - 1e-6))
    if steps > MAX_STEPS:
        raise MidiFileError(f"{name}: too long to harmonize (over {MAX_STEPS // 8} bars)")
    low, high = net.config.ranges[0]
    shift = octave_shift([n.pitch for n in melody.notes], low, high)
    soprano = voice_tokens([(n.start, n.end, n.pitch + shift) for n in melody.notes], steps)
    positions = grid_positions(steps, signatures)
    rng = np.random.default_rng(random_seed)
    tokens = gibbs(net, soprano.astype(np.intp), positions, rng, sweeps=sweeps,
                   cancelled=cancelled, progress=progress)
    velocity = int(np.median([n.velocity for n in melody.notes]))
    lower = [tuple(Note(s, e, p - shift, velocity) for s, e, p in token_notes(tokens[:, v]))
             for v in (1, 2, 3)]
    return Harmonization(melody.notes, *lower, tokens=tokens, melody=melody, shift=shift)
