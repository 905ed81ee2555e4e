"""Event vocabulary and tokenizer settings: the contract between the data, the model and the
generator.

A model is only meaningful with the exact vocabulary it was trained on (a classic failure of
the Keras tutorials is rebuilding the vocabulary from pickles and silently shifting ids), so
the vocabulary is derived from the settings alone and both are saved as JSON inside every model
bundle; loading checks the names, not just the size.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cached_property

from composer.errors import ModelBundleError
from composer.notes import clamp_velocity

PAD, BOS, EOS = "PAD", "BOS", "EOS"
PEDAL_ON, PEDAL_OFF = "PEDAL_ON", "PEDAL_OFF"


@dataclass(frozen=True)
class TokenizerSettings:
    """How notes become events.

    ``steps_per_beat=12`` makes sixteenths (3 steps), eighth triplets (4) and sixteenth
    triplets (2) exact. Shifts go up to ``max_shift_steps``; longer gaps chain several shifts.
    """

    steps_per_beat: int = 12
    max_shift_steps: int = 48
    velocity_bins: int = 16
    pitch_low: int = 21
    pitch_high: int = 108
    pedal: bool = True
    default_velocity: int = 80

    def __post_init__(self) -> None:
        if self.steps_per_beat < 1 or self.max_shift_steps < 1 or self.velocity_bins < 1:
            raise ValueError("steps, shifts and velocity bins must be positive")
        if self.velocity_bins > 127 or not 1 <= self.default_velocity <= 127:
            raise ValueError("at most 127 velocity bins, and a velocity in 1..127")
        low, high = self.pitch_low, self.pitch_high
        if not 0 <= low <= high <= 127 or high - low < 11:
            raise ValueError("the pitch range must span at least an octave inside 0..127")

    def velocity_bin(self, velocity: int) -> int:
        """Bin of a MIDI velocity 1..127 (bins of equal width)."""
        velocity = clamp_velocity(velocity)
        return min((velocity - 1) * self.velocity_bins // 127, self.velocity_bins - 1)

    def bin_velocity(self, bin_index: int) -> int:
        """The velocity a bin decodes to: the middle of its range."""
        low, high = self.velocity_range(bin_index)
        return (low + high) // 2

    def velocity_range(self, bin_index: int) -> tuple[int, int]:
        """The smallest and largest MIDI velocity of a bin (both map to ``bin_index``)."""
        low = -(-127 * bin_index // self.velocity_bins) + 1
        high = -(-127 * (bin_index + 1) // self.velocity_bins)
        return low, high


@dataclass(frozen=True)
class Vocabulary:
    """Names of every event id; ids are dense and stable for a given settings object."""

    settings: TokenizerSettings

    @cached_property
    def names(self) -> tuple[str, ...]:
        s = self.settings
        names = [PAD, BOS, EOS]
        pitches = range(s.pitch_low, s.pitch_high + 1)
        names += [f"NOTE_ON_{p}" for p in pitches]
        names += [f"NOTE_OFF_{p}" for p in pitches]
        names += [f"SHIFT_{n}" for n in range(1, s.max_shift_steps + 1)]
        names += [f"VELOCITY_{b}" for b in range(s.velocity_bins)]
        if s.pedal:
            names += [PEDAL_ON, PEDAL_OFF]
        return tuple(names)

    @cached_property
    def ids(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    def __len__(self) -> int:
        return len(self.names)

    @property
    def pad(self) -> int:
        return 0

    @property
    def bos(self) -> int:
        return 1

    @property
    def eos(self) -> int:
        return 2

    @cached_property  # read for every id the decoder and the sampler see
    def note_on_base(self) -> int:
        return 3

    @cached_property
    def pitch_count(self) -> int:
        return self.settings.pitch_high - self.settings.pitch_low + 1

    @cached_property
    def note_off_base(self) -> int:
        return self.note_on_base + self.pitch_count

    @cached_property
    def shift_base(self) -> int:
        """Id of SHIFT_1; SHIFT_n is ``shift_base + n - 1``."""
        return self.note_off_base + self.pitch_count

    @cached_property
    def velocity_base(self) -> int:
        return self.shift_base + self.settings.max_shift_steps

    @property
    def pedal_on(self) -> int | None:
        return self.ids.get(PEDAL_ON)

    @property
    def pedal_off(self) -> int | None:
        return self.ids.get(PEDAL_OFF)

    def note_on(self, pitch: int) -> int:
        return self.note_on_base + pitch - self.settings.pitch_low

    def note_off(self, pitch: int) -> int:
        return self.note_off_base + pitch - self.settings.pitch_low

    def shift(self, steps: int) -> int:
        return self.shift_base + steps - 1

    def velocity(self, bin_index: int) -> int:
        return self.velocity_base + bin_index

    def to_json(self) -> str:
        return json.dumps({"settings": asdict(self.settings), "names": list(self.names)}, indent=1)

    @classmethod
    def from_json(cls, text: str, *, source: str = "vocabulary") -> Vocabulary:
        """Load and check a saved vocabulary; any inconsistency is a ``ModelBundleError``."""
        try:
            data = json.loads(text)
            vocab = cls(TokenizerSettings(**data["settings"]))
            names = tuple(data["names"])
        except (ValueError, TypeError, KeyError) as exc:
            raise ModelBundleError(f"{source}: not a valid vocabulary ({exc})") from None
        if names != vocab.names:
            raise ModelBundleError(
                f"{source}: the saved event names do not match its settings "
                f"({len(names)} names, expected {len(vocab.names)})"
            )
        return vocab
