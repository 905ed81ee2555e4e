"""Notes <-> event ids (MIDILike: note-on, note-off, time-shift, velocity, pedal).

Why this shape: note-off events (instead of durations) let the model and the live generator
decide when a note ends while it is generating, which is what a performance model needs; a
velocity event is written only when the velocity bin changes, which keeps scores with flat
dynamics at about 2.6 tokens per note. Time is counted in grid steps of a beat, so generated
music has a tempo and sits on the seed's grid.

``decode`` must accept anything a sampler can produce, so it never raises: dangling note-offs
are ignored, a repeated note-on restarts the note, and whatever still sounds at the end is
closed. ``DecoderState`` is the same logic one id at a time, shared with the sampler's masks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from composer.notes import Note, PedalSpan, clamp_velocity, fold_pitch
from composer.vocabulary import TokenizerSettings, Vocabulary

# Order of simultaneous events: a note ends before another starts at the same step, the pedal
# is lifted before it is pressed again, and a new note's velocity comes right before it.
_OFF, _PEDAL_OFF, _PEDAL_ON, _ON = range(4)


@dataclass(frozen=True)
class Decoded:
    """Result of decoding: notes and pedal spans in beats, and where the stream ended."""

    notes: tuple[Note, ...]
    pedals: tuple[PedalSpan, ...]
    end_beat: float


@dataclass
class DecoderState:
    """Running state of a token stream: the time, the sounding notes, the pedal.

    Mutable on purpose: the generator advances it once per sampled token.
    """

    vocab: Vocabulary
    step: int = 0
    velocity_bin: int | None = None
    sounding: dict[int, tuple[int, int]] = field(default_factory=dict)  # pitch -> (step, vel)
    pedal_since: int | None = None
    notes: list[Note] = field(default_factory=list)
    pedals: list[PedalSpan] = field(default_factory=list)
    ended: bool = False

    def _beats(self, step: int) -> float:
        return step / self.vocab.settings.steps_per_beat

    def _close(self, pitch: int) -> None:
        start, velocity = self.sounding.pop(pitch)
        end = max(self.step, start + 1)  # a note-off on the same step still lasts one step
        self.notes.append(Note(self._beats(start), self._beats(end), pitch, velocity))

    def feed(self, token: int) -> None:
        """Advance by one id; any id, valid or not, is accepted."""
        v = self.vocab
        s = v.settings
        if self.ended or not 0 <= token < len(v):
            return
        if token == v.eos:
            self.ended = True
        elif v.note_on_base <= token < v.note_off_base:
            pitch = token - v.note_on_base + s.pitch_low
            if pitch in self.sounding:
                if self.sounding[pitch][0] == self.step:
                    return  # same note struck twice at once: keep one
                self._close(pitch)
            vel_bin = self.velocity_bin
            velocity = s.default_velocity if vel_bin is None else s.bin_velocity(vel_bin)
            self.sounding[pitch] = (self.step, velocity)
        elif v.note_off_base <= token < v.shift_base:
            pitch = token - v.note_off_base + s.pitch_low
            if pitch in self.sounding:
                self._close(pitch)
        elif v.shift_base <= token < v.velocity_base:
            self.step += token - v.shift_base + 1
        elif v.velocity_base <= token < v.velocity_base + s.velocity_bins:
            self.velocity_bin = token - v.velocity_base
        elif token == v.pedal_on:
            if self.pedal_since is None:
                self.pedal_since = self.step
        elif token == v.pedal_off and self.pedal_since is not None:
            if self.step > self.pedal_since:
                self.pedals.append(PedalSpan(self._beats(self.pedal_since), self._beats(self.step)))
            self.pedal_since = None

    def finish(self) -> Decoded:
        """Close every open note and the pedal at the current step."""
        for pitch in sorted(self.sounding):
            self._close(pitch)
        if self.pedal_since is not None:
            end = max(self.step, self.pedal_since + 1)
            self.pedals.append(PedalSpan(self._beats(self.pedal_since), self._beats(end)))
            self.pedal_since = None
        end_step = max([self.step] + [round(n.end * self.vocab.settings.steps_per_beat)
                                      for n in self.notes])
        return Decoded(tuple(sorted(self.notes)), tuple(sorted(self.pedals)), self._beats(end_step))

    @property
    def beat(self) -> float:
        return self._beats(self.step)


class Tokenizer:
    """Encodes notes and pedal spans to ids and decodes ids back."""

    def __init__(self, settings: TokenizerSettings | None = None) -> None:
        self.settings = settings or TokenizerSettings()
        self.vocab = Vocabulary(self.settings)

    # ----- time grid -------------------------------------------------------------------
    def to_step(self, beat: float) -> int:
        return int(round(beat * self.settings.steps_per_beat))

    def quantize(self, notes: Iterable[Note]) -> list[Note]:
        """Snap to the grid, fold into the pitch range, and make the notes encodable.

        A note shorter than a step lasts one step; when two notes of one pitch overlap, the
        earlier is cut where the later starts (one key cannot sound twice); notes at the very
        same step and pitch collapse into one (the longer, then the louder).
        """
        s = self.settings
        spb = s.steps_per_beat
        return [Note(a / spb, b / spb, pitch, s.bin_velocity(vel_bin))
                for a, b, pitch, vel_bin in self._grid(notes)]

    def _grid(self, notes: Iterable[Note]) -> list[tuple[int, int, int, int]]:
        """The quantized notes as sorted (start step, end step, pitch, velocity bin) tuples.

        Tuples, not Notes, because this is the inner loop of corpus preparation: comparing
        frozen dataclasses while sorting costs several times more.
        """
        s = self.settings
        spb, low, high, bins = s.steps_per_beat, s.pitch_low, s.pitch_high, s.velocity_bins
        by_pitch: dict[int, list[tuple[int, int, int]]] = {}
        for note in notes:
            start = int(round(note.start * spb))
            if start < 0:
                start = 0
            end = int(round(note.end * spb))
            if end <= start:
                end = start + 1
            pitch = int(note.pitch)
            if not low <= pitch <= high:
                pitch = fold_pitch(pitch, low, high)
            velocity = clamp_velocity(note.velocity)
            vel_bin = min((velocity - 1) * bins // 127, bins - 1)  # = settings.velocity_bin
            by_pitch.setdefault(pitch, []).append((start, -end, -vel_bin))
        result = []
        for pitch, items in by_pitch.items():
            items.sort()
            kept: list[list[int]] = []
            for start, neg_end, neg_bin in items:
                if kept and kept[-1][0] == start:
                    continue  # same onset: the first (longest, loudest) wins
                if kept and kept[-1][1] > start:
                    kept[-1][1] = start
                kept.append([start, -neg_end, pitch, -neg_bin])
            result += [tuple(k) for k in kept]
        result.sort()
        return result

    def quantize_pedals(self, pedals: Iterable[PedalSpan]) -> list[PedalSpan]:
        """Snap pedal spans to the grid and merge those that overlap; drop empty ones."""
        spans = sorted(
            (max(self.to_step(p.start), 0), self.to_step(p.end)) for p in pedals
        )
        merged: list[list[int]] = []
        for start, end in spans:
            if end <= start:
                continue
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        spb = self.settings.steps_per_beat
        return [PedalSpan(a / spb, b / spb) for a, b in merged]

    # ----- encode / decode -------------------------------------------------------------
    def encode(
        self,
        notes: Iterable[Note],
        pedals: Iterable[PedalSpan] = (),
        *,
        bos: bool = True,
        eos: bool = True,
        end_beat: float | None = None,
    ) -> list[int]:
        """Ids for ``notes`` (quantized first) starting at beat 0.

        ``end_beat`` adds trailing time shifts up to that beat, so a seed that ends with a rest
        hands the model its silence too.
        """
        v, s = self.vocab, self.settings
        events: list[tuple[int, int, int, int]] = []  # (step, order, pitch, velocity bin)
        for start, end, pitch, vel_bin in self._grid(notes):
            events.append((start, _ON, pitch, vel_bin))
            events.append((end, _OFF, pitch, 0))
        if s.pedal:
            for span in self.quantize_pedals(pedals):
                events.append((self.to_step(span.start), _PEDAL_ON, 0, 0))
                events.append((self.to_step(span.end), _PEDAL_OFF, 0, 0))
        events.sort()
        ids = [v.bos] if bos else []
        on_base = v.note_on_base - s.pitch_low
        off_base = v.note_off_base - s.pitch_low
        shift_base, max_shift = v.shift_base - 1, s.max_shift_steps
        step, vel_bin = 0, None
        for when, order, pitch, event_bin in events:
            gap = when - step
            while gap > 0:
                ids.append(shift_base + min(gap, max_shift))
                gap -= max_shift
            step = when
            if order == _ON:
                if event_bin != vel_bin:
                    ids.append(v.velocity(event_bin))
                    vel_bin = event_bin
                ids.append(on_base + pitch)
            elif order == _OFF:
                ids.append(off_base + pitch)
            elif order == _PEDAL_ON:
                ids.append(v.pedal_on)
            else:
                ids.append(v.pedal_off)
        if end_beat is not None:
            ids += self.shift_ids(self.to_step(end_beat) - step)
        if eos:
            ids.append(v.eos)
        return ids

    def shift_ids(self, steps: int) -> list[int]:
        """Time-shift ids covering ``steps`` grid steps (longest shifts first)."""
        ids = []
        limit = self.settings.max_shift_steps
        while steps > 0:
            ids.append(self.vocab.shift(min(steps, limit)))
            steps -= limit
        return ids

    def decode(self, ids: Sequence[int] | Iterable[int]) -> Decoded:
        state = self.new_state()
        for token in ids:
            state.feed(int(token))
        return state.finish()

    def new_state(self) -> DecoderState:
        return DecoderState(self.vocab)

    def event_names(self, ids: Iterable[int]) -> list[str]:
        names = self.vocab.names
        return [names[i] if 0 <= i < len(names) else f"UNKNOWN_{i}" for i in ids]
