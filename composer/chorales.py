"""The Bach chorales of the music21 corpus as four voices on an eighth-note grid (Learn side).

Why this shape (DeepBach's, on a coarser grid): the harmonizer predicts one voice at one grid
step from everything around it, so each chorale becomes an array ``(steps, 4)`` of tokens, one
per voice (soprano, alto, tenor, bass) per eighth note: a MIDI pitch where a note starts,
:data:`HOLD` where the voice keeps sounding, :data:`REST` where it is silent. Tied notes are
merged first, so a tie is a hold; two notes of one pitch are two onsets. Beside the tokens, one
*position* class per step says where in the bar it falls (eighth 0..7 of a 4/4 bar, 8..13 of a
3/4 bar), counted from the bar lines, so a pick-up bar is placed right.

The eighth grid, not DeepBach's sixteenths: the inner voices of the chorales move in eighths
(sixteenth passing notes are rare), and half the steps is half the training and sampling time
on a 2-core CPU. A sixteenth that starts between two grid points is folded into the step it
falls in (the note sounding at the grid point wins).

Fermatas and the key are not inputs: a melody MIDI file carries neither, and the training data
is transposed to every key the voice ranges allow (:func:`transpositions`), so the key is
implicit in the pitches.

The split is by *melody*, not by chorale file: Bach harmonized many tunes several times, and a
split by file would put a melody's second harmonization in the test set after training on the
first. The key is a hash of the soprano's first intervals (transposition-free).

Parsing takes a few seconds with music21's own pickles; the prepared arrays are cached under
``~/.cache/composer/chorales`` (or ``$XDG_CACHE_HOME``), keyed by :data:`FORMAT_VERSION`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from composer.errors import CorpusError

FORMAT_VERSION = 1
STEPS_PER_BEAT = 2  # eighth notes
VOICES = ("soprano", "alto", "tenor", "bass")
PITCH_LOW, PITCH_HIGH = 28, 92  # the token range of MIDI pitches (every voice, every key)
HOLD = PITCH_HIGH - PITCH_LOW + 1  # token ids: pitches 0..HOLD-1, then HOLD, REST
REST = HOLD + 1
OUTPUT_TOKENS = REST + 1  # what the model predicts
PAD = OUTPUT_TOKENS  # beyond the piece (inputs only)
MASK = PAD + 1  # the token being predicted (inputs only)
INPUT_TOKENS = MASK + 1
METERS = {4: 0, 3: 8}  # beats per bar -> first position class
POSITIONS = 15  # 8 + 6 position classes, and one for padding
POSITION_PAD = POSITIONS - 1
SPLIT_SHARES = (0.1, 0.1)  # valid, test


def pitch_token(pitch: int) -> int:
    if not PITCH_LOW <= pitch <= PITCH_HIGH:
        raise ValueError(f"pitch {pitch} outside the token range")
    return pitch - PITCH_LOW


def token_pitch(token: int) -> int | None:
    """The MIDI pitch a token starts, None for hold, rest and padding."""
    return int(token) + PITCH_LOW if 0 <= token < HOLD else None


def position_class(step: int, beats_per_bar: int, pickup_steps: int = 0) -> int:
    """Position class of grid step ``step`` in a bar of ``beats_per_bar`` (3 or 4) beats,
    when the piece starts ``pickup_steps`` into its first bar."""
    length = beats_per_bar * STEPS_PER_BEAT
    return METERS[beats_per_bar] + (step + pickup_steps) % length


@dataclass(frozen=True)
class Chorale:
    """One chorale: tokens ``(steps, 4)`` (S, A, T, B) and positions ``(steps,)``."""

    name: str
    tokens: np.ndarray
    positions: np.ndarray
    beats_per_bar: int
    split: str

    @property
    def steps(self) -> int:
        return int(self.tokens.shape[0])


# ----- grid -----------------------------------------------------------------------------
def voice_tokens(notes: Iterable[tuple[float, float, int]], steps: int) -> np.ndarray:
    """Tokens of one voice from ``(start, end, pitch)`` in beats (a monophonic line).

    At each grid point the note sounding there (the latest started, if two overlap) is the
    voice's pitch; it is an onset where that note was not already sounding at the step
    before, a hold otherwise; no note is a rest. A note shorter than a step that sounds at no
    grid point takes the step it starts in, if that step has no onset yet.
    """
    out = np.full(steps, REST, dtype=np.int16)
    owner = np.full(steps, -1, dtype=np.int64)
    ordered = sorted(notes)
    for index, (start, end, _pitch) in enumerate(ordered):
        first = int(np.ceil(start * STEPS_PER_BEAT - 1e-6))
        last = int(np.ceil(end * STEPS_PER_BEAT - 1e-6))  # exclusive
        for step in range(max(first, 0), min(last, steps)):
            owner[step] = index
        if first >= last:  # sounds at no grid point
            step = int(np.floor(start * STEPS_PER_BEAT + 1e-6))
            if 0 <= step < steps and (owner[step] < 0 or
                                      ordered[owner[step]][0] < step / STEPS_PER_BEAT):
                owner[step] = index
    for step in range(steps):
        index = owner[step]
        if index < 0:
            continue
        pitch = min(max(ordered[index][2], PITCH_LOW), PITCH_HIGH)
        onset = step == 0 or owner[step - 1] != index
        out[step] = pitch_token(pitch) if onset else HOLD
    return out


def token_notes(tokens: Sequence[int], start_step: int = 0) -> list[tuple[float, float, int]]:
    """``(start, end, pitch)`` in beats from one voice's tokens (the inverse of
    :func:`voice_tokens` on the grid); a hold after a rest, or first, is a rest."""
    notes: list[tuple[float, float, int]] = []
    current: list | None = None
    for step, token in enumerate(tokens, start=start_step):
        pitch = token_pitch(int(token))
        if pitch is not None:
            if current is not None:
                notes.append(tuple(current))
            current = [step / STEPS_PER_BEAT, (step + 1) / STEPS_PER_BEAT, pitch]
        elif int(token) == HOLD and current is not None:
            current[1] = (step + 1) / STEPS_PER_BEAT
        else:
            if current is not None:
                notes.append(tuple(current))
            current = None
    if current is not None:
        notes.append(tuple(current))
    return notes


def voice_pitches(tokens: np.ndarray) -> np.ndarray:
    """The sounding MIDI pitch of one voice at each step (holds resolved), -1 where silent."""
    out = np.full(len(tokens), -1, dtype=np.int64)
    current = -1
    for step, token in enumerate(tokens):
        token = int(token)
        if token < HOLD:
            current = token + PITCH_LOW
        elif token != HOLD:
            current = -1
        out[step] = current
    return out


# ----- music21 --------------------------------------------------------------------------
def melody_key(soprano: np.ndarray) -> str:
    """Split key of a chorale: its soprano's first 24 intervals (transposition-free)."""
    pitches = [int(t) for t in soprano if int(t) < HOLD][:25]
    intervals = np.diff(pitches).tolist()
    return hashlib.sha1(repr(intervals).encode()).hexdigest()


def split_of(key: str) -> str:
    valid, test = SPLIT_SHARES
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
    return "test" if h < test else "valid" if h < test + valid else "train"


def parse_chorale(name: str) -> Chorale | None:
    """One chorale of the music21 corpus, or None when it does not fit (not four parts, or
    a metre other than 3/4 or 4/4)."""
    from music21 import corpus

    score = corpus.parse(name)
    parts = list(score.parts)
    if len(parts) != 4:
        return None
    signatures = score.recurse().getElementsByClass("TimeSignature")
    if not signatures:
        return None
    sig = signatures[0]
    if sig.denominator != 4 or sig.numerator not in METERS:
        return None
    if len({s.ratioString for s in signatures}) > 1:
        return None
    measures = parts[0].getElementsByClass("Measure")
    pickup = float(measures[0].paddingLeft) if measures else 0.0
    lines = []
    end = 0.0
    for part in parts:
        line = []
        for element in part.stripTies().flatten().notes:
            pitch = (max(p.midi for p in element.pitches) if element.isChord
                     else element.pitch.midi)
            start = float(element.offset)
            stop = start + float(element.quarterLength)
            if stop > start:
                line.append((start, stop, int(pitch)))
                end = max(end, stop)
        lines.append(line)
    steps = int(np.ceil(end * STEPS_PER_BEAT - 1e-6))
    if steps < 8 or any(not line for line in lines):
        return None
    tokens = np.stack([voice_tokens(line, steps) for line in lines], axis=1)
    pickup_steps = int(round(pickup * STEPS_PER_BEAT))
    positions = np.array([position_class(s, sig.numerator, pickup_steps) for s in range(steps)],
                         dtype=np.int16)
    return Chorale(name, tokens, positions, int(sig.numerator),
                   split_of(melody_key(tokens[:, 0])))


def chorale_names() -> list[str]:
    from music21 import corpus

    return list(corpus.chorales.Iterator(numberingSystem="riemenschneider",
                                         returnType="filename"))


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "composer" / "chorales"


def load_chorales(cache_dir: str | os.PathLike | None = None,
                  names: Sequence[str] | None = None) -> list[Chorale]:
    """Every usable chorale (or those of ``names``), from the cache when it is there."""
    from composer.atomic import atomic_file

    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    wanted = list(names) if names is not None else None
    tag = "all" if wanted is None else hashlib.sha1(repr(wanted).encode()).hexdigest()[:12]
    path = folder / f"chorales-v{FORMAT_VERSION}-{tag}.npz"
    if path.is_file():
        try:
            return _from_arrays(dict(np.load(path, allow_pickle=False)))
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt
    chorales = [c for c in (parse_chorale(n) for n in (wanted or chorale_names()))
                if c is not None]
    if not chorales:
        raise CorpusError("no usable chorale in the music21 corpus")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_file(path, error=CorpusError) as handle:
            np.savez_compressed(handle, **_to_arrays(chorales))
    except (OSError, CorpusError):
        pass  # no cache: the next run parses again
    return chorales


def _to_arrays(chorales: Sequence[Chorale]) -> dict[str, np.ndarray]:
    return {
        "names": np.array([c.name for c in chorales]),
        "splits": np.array([c.split for c in chorales]),
        "lengths": np.array([c.steps for c in chorales], dtype=np.int64),
        "meters": np.array([c.beats_per_bar for c in chorales], dtype=np.int64),
        "tokens": np.concatenate([c.tokens for c in chorales]),
        "positions": np.concatenate([c.positions for c in chorales]),
    }


def _from_arrays(data: dict[str, np.ndarray]) -> list[Chorale]:
    bounds = np.concatenate([[0], np.cumsum(data["lengths"])])
    return [Chorale(str(name), data["tokens"][a:b], data["positions"][a:b], int(meter),
                    str(split))
            for name, split, meter, a, b in zip(data["names"], data["splits"], data["meters"],
                                                bounds[:-1], bounds[1:])]


# ----- ranges and transposition ---------------------------------------------------------
def voice_ranges(chorales: Iterable[Chorale]) -> tuple[tuple[int, int], ...]:
    """Lowest and highest MIDI pitch of each voice over the chorales (as Bach wrote them)."""
    lows, highs = [999] * 4, [-1] * 4
    for chorale in chorales:
        for voice in range(4):
            column = chorale.tokens[:, voice]
            pitches = column[column < HOLD]
            if pitches.size:
                lows[voice] = min(lows[voice], int(pitches.min()) + PITCH_LOW)
                highs[voice] = max(highs[voice], int(pitches.max()) + PITCH_LOW)
    return tuple(zip(lows, highs))


def transpositions(chorale: Chorale, ranges: Sequence[tuple[int, int]]) -> list[int]:
    """The semitone shifts in -6..+5 that keep every voice of ``chorale`` inside ``ranges``
    (DeepBach's augmentation: every key the voices can sing it in)."""
    shifts = []
    for shift in range(-6, 6):
        fits = True
        for voice, (low, high) in enumerate(ranges):
            column = chorale.tokens[:, voice]
            pitches = column[column < HOLD].astype(np.int64) + PITCH_LOW + shift
            if pitches.size and (pitches.min() < low or pitches.max() > high):
                fits = False
                break
        if fits:
            shifts.append(shift)
    return shifts


def transpose(tokens: np.ndarray, shift: int) -> np.ndarray:
    """Tokens moved by ``shift`` semitones (holds, rests and padding unchanged)."""
    out = tokens.astype(np.int16, copy=True)
    pitched = out < HOLD
    out[pitched] += shift
    if (out[pitched] < 0).any() or (out[pitched] >= HOLD).any():
        raise ValueError(f"a transposition by {shift} leaves the token range")
    return out
