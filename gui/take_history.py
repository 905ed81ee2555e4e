"""The session's takes: every generation's takes, each with the settings that made it.

Plain data, no widgets: the takes panel shows it, the generation bridge grows it. A take can be
made again alone because :mod:`composer.generate` draws take ``k`` of a generation from its own
generator whatever the batch (``GenerationSettings.first_take``): the settings kept with each
take carry the concrete random seed (the app picks one when none is fixed), and
:func:`take_alone` turns them into the settings of that one take.

Each take is named by its own random seed, :func:`take_seed` (the generation's + its index),
the number the command line prints next to each take. The rule belongs to
``composer.generate.take_seed`` (added on the CLI's branch); until that is merged, the same rule
is kept here, and :func:`take_seed` uses the library's as soon as it exists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # composer.generate is imported when the first generation runs
    from composer.generate import GenerationSettings, Take

MAX_RANDOM_SEED = 2**31 - 1


def concrete_seed(settings: GenerationSettings) -> GenerationSettings:
    """``settings`` with a random seed of its own (a new one when none is fixed), so every take
    of the generation can be made again."""
    if settings.random_seed is not None:
        return settings
    return replace(settings, random_seed=secrets.randbelow(MAX_RANDOM_SEED + 1))


SEED_RANGE = 2**32


def take_seed(random_seed: int, index: int) -> int:
    """The own random seed of take ``index`` (0-based) of a generation with ``random_seed``."""
    from composer import generate

    shared = getattr(generate, "take_seed", None)
    if shared is not None:
        return shared(random_seed, index)
    return (int(random_seed) + int(index)) % SEED_RANGE


def take_alone(settings: GenerationSettings, index: int) -> GenerationSettings:
    """The settings that make take ``index`` (0-based, as :attr:`Take.index`) of a generation
    with ``settings`` again, alone: the same random seed, one take, starting at ``index``."""
    return replace(settings, takes=1, first_take=index)


@dataclass(frozen=True)
class TakeRecord:
    """One take of the history, with how it was made."""

    take: Take
    generation: int  # 1-based number of the generation it came from
    settings: GenerationSettings  # as generated (a concrete random seed)
    serial: int  # 0-based number among all takes of the session (its colour)
    model: str = ""

    @property
    def key(self) -> tuple[int, int]:
        return (self.generation, self.take.index)

    @property
    def random_seed(self) -> int:
        """Its own random seed (see :func:`take_seed`)."""
        return take_seed(self.settings.random_seed, self.take.index)

    @property
    def label(self) -> str:
        return f"Take {self.take.index + 1}"

    def alone(self) -> GenerationSettings:
        return take_alone(self.settings, self.take.index)

    def describe(self) -> str:
        """Its settings in words, for the list's tooltip (a take that can say what it is, a
        harmonization, says it itself)."""
        own = getattr(self.take, "describe", None)
        if own is not None:
            return own(self.generation)
        s = self.settings
        lines = [f"Generation {self.generation}, take {self.take.index + 1}"
                 + (f" (model {self.model})" if self.model else ""),
                 f"its random seed {self.random_seed} (generation's {s.random_seed}, "
                 f"take {self.take.index + 1}); Make again gives the same notes",
                 f"temperature {s.temperature:.2f}, top-p {s.top_p:.2f}, "
                 f"top-k {s.top_k or 'off'}",
                 f"style {style_text(s, self.take)}, composer {s.composer or 'any'}",
                 f"seed memory {s.seed_memory:.2f}" + (", key lock" if s.key_lock else ""),
                 f"beats {self.take.start_beat:g}–{self.take.end_beat:g}, "
                 f"{len(self.take.notes)} notes, {len(self.take.ids)} events"]
        return "\n".join(lines)


def style_text(settings: GenerationSettings, take: Take | None = None) -> str:
    """"piano" (chosen), "piano (automatic)" (chosen from the seed) or "automatic"."""
    chosen = take.style if take is not None else None
    if settings.style is not None:
        return settings.style
    return f"{chosen} (automatic)" if chosen else "automatic"


@dataclass(frozen=True)
class TakeGroup:
    """The takes of one generation."""

    number: int
    settings: GenerationSettings
    records: tuple[TakeRecord, ...]
    model: str = ""
    again: bool = False  # one take made again alone

    def headline(self) -> str:
        """Two lines: which generation, and the settings that tell it from the others
        (settings that can say it themselves, a harmonization's, say it)."""
        own = getattr(self.settings, "headline", None)
        if own is not None:
            return own(self.number, len(self.records))
        s = self.settings
        count = len(self.records)
        what = (f"{self.records[0].label} again" if self.again and count == 1
                else f"{count} take{'s' if count != 1 else ''}")
        style = style_text(s, self.records[0].take if self.records else None)
        return (f"Generation {self.number}: {what} · random seed {s.random_seed}\n"
                f"T {s.temperature:.2f} · top-p {s.top_p:.2f} · "
                f"{style.replace('(automatic)', '(auto)')}")


def make_group(number: int, takes, settings: GenerationSettings, first_serial: int,
               model: str = "", again: bool = False) -> TakeGroup:
    records = tuple(TakeRecord(take, number, settings, first_serial + i, model)
                    for i, take in enumerate(takes))
    return TakeGroup(number, settings, records, model, again)
