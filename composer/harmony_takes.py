"""Harmonizations as takes: what the app's "Harmonize melody" offers (Qt-free, NumPy only).

A take here is the alto, tenor and bass that :func:`composer.harmonizer.harmonize` writes under
a melody, as notes to add to the piece; the melody itself is never part of it (it is already
in the piece, and stays exactly as it is). Take ``k`` of a harmonization with random seed
``s`` is harmonized with ``composer.generate.take_seed(s, k)``, the rule every take follows,
so take 1 of a piece whose melody starts in bar 1 is what ``composer harmonize
--random-seed s`` writes.

Why a module of its own: the app's take history reads a take's ``notes``, ``start_beat``,
``end_beat`` and ``index`` (as :class:`composer.generate.Take` has them), and the piece with a
take in it (:func:`composer.infill.with_take`, used to play and to keep a take) has to know
that a harmonization is *added* under the melody: neither appended after the piece like a
continuation nor replacing a region like an infill.

One keyboard, one key: the piece is one stream of notes, so a voice note on a key that
already sounds at its onset (a unison with the melody, or between two voices) is left out
(the pitch is heard anyway), and one that a later note of the same key strikes is cut there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from composer import meter
from composer.errors import Cancelled, SettingsError
from composer.harmonizer import HarmonizerNet, Melody, harmonize, melody_line
from composer.harmonizer_bundle import HarmonizerBundle, load_harmonizer
from composer.notes import Note, PedalSpan, Piece, TimeSignature

EPS = 1e-9
VOICES = ("alto", "tenor", "bass")


@dataclass(frozen=True)
class LoadedHarmonizer:
    """A harmonizer bundle and its NumPy network, built once (what the app caches)."""

    bundle: HarmonizerBundle
    net: HarmonizerNet

    @property
    def name(self) -> str:
        return self.bundle.name


def load_for_takes(path: str | Path | None = None) -> LoadedHarmonizer:
    """:func:`composer.harmonizer_bundle.load_harmonizer` and the network from it; a
    ModelBundleError naming the file if the bundle is missing or broken."""
    bundle = load_harmonizer(path)
    return LoadedHarmonizer(bundle, HarmonizerNet.from_bundle(bundle))


@dataclass(frozen=True)
class HarmonySettings:
    """How a harmonization's takes were made: the take history keeps them with each take,
    as it keeps a generation's settings."""

    random_seed: int
    takes: int = 1
    source: str = "the piece's top line"  # what was harmonized, for the history's heading

    def headline(self, number: int, count: int) -> str:
        """Two lines for the take history's heading of its ``number``-th group."""
        return (f"Harmonization {number}: {count} take{'s' if count != 1 else ''} · "
                f"random seed {self.random_seed}\nA, T, B under {self.source}")


@dataclass(frozen=True)
class HarmonyTake:
    """Alto, tenor and bass under a melody, read by the take history like a
    :class:`composer.generate.Take` (its first fields)."""

    index: int  # 0-based
    notes: tuple[Note, ...]  # the three voices as they join the piece (see the module doc)
    start_beat: float  # the melody's first onset
    end_beat: float  # the melody's last end
    alto: tuple[Note, ...]
    tenor: tuple[Note, ...]
    bass: tuple[Note, ...]
    melody: tuple[Note, ...]  # the line harmonized (the piece's own notes, untouched)
    random_seed: int  # this take's own seed
    polyphonic: bool = False  # the source had chords or overlapping lines: its top line
    dropped: int = 0  # notes of the source not in that line
    pedals: tuple[PedalSpan, ...] = ()
    ids: tuple[int, ...] = ()
    style: str | None = None
    model: str = ""

    def describe(self, generation: int) -> str:
        """Lines for the take's tooltip in the history."""
        counts = ", ".join(f"{name} {len(notes)}" for name, notes in
                           zip(VOICES, (self.alto, self.tenor, self.bass)))
        lines = [f"Harmonization {generation}, take {self.index + 1}"
                 + (f" (harmonizer bundle '{self.model}')" if self.model else ""),
                 f"its random seed {self.random_seed} (the same seed on the same melody "
                 "gives the same voices)",
                 f"under a melody of {len(self.melody)} notes, beats "
                 f"{self.start_beat:g}–{self.end_beat:g}",
                 f"{counts} notes; {len(self.notes)} join the piece"]
        if self.polyphonic:
            lines.append(f"the top line of the notes ({self.dropped} below it left as they are)")
        return "\n".join(lines)


def choose_melody(notes: Sequence[Note], name: str = "the melody") -> Melody:
    """The line to harmonize in ``notes`` (:func:`composer.harmonizer.melody_line`: the notes
    if they are one line, else their top line), refused when it is no melody: no notes (a
    MidiFileError naming ``name``), or notes that all start together (one chord)."""
    melody = melody_line(notes, name)
    if len(notes) > 1 and len(melody.notes) == 1:
        raise SettingsError(f"{name}: {len(notes)} notes that all start together are a chord, "
                            "not a melody; select the notes of a tune (or none, for the "
                            "piece's top line)")
    return melody


def _from_bar(signatures: Sequence[TimeSignature], origin: float
              ) -> tuple[TimeSignature, ...]:
    """``signatures`` as seen from the bar line ``origin`` (moved to beat 0)."""
    ordered = meter.ordered(signatures)
    first = meter.signature_at(ordered, origin)
    later = [replace(s, beat=s.beat - origin) for s in ordered if s.beat > origin + EPS]
    return (replace(first, beat=0.0), *later)


def fit_voices(piece_notes: Sequence[Note], voices: Sequence[Sequence[Note]]
               ) -> tuple[Note, ...]:
    """The notes of ``voices`` (in that order of precedence) that can join ``piece_notes`` on
    one keyboard: left out if their key sounds at their onset, cut where their key is struck
    again (see the module docstring)."""
    by_pitch: dict[int, list[Note]] = {}
    for note in piece_notes:
        by_pitch.setdefault(note.pitch, []).append(note)
    joined = []
    for voice in voices:
        for note in sorted(voice):
            others = by_pitch.setdefault(note.pitch, [])
            if any(o.start - EPS <= note.start < o.end - EPS for o in others):
                continue
            cut = min((o.start for o in others if note.start + EPS < o.start < note.end - EPS),
                      default=note.end)
            note = replace(note, end=cut)
            others.append(note)
            joined.append(note)
    return tuple(sorted(joined))


def merge_harmony(piece: Piece, take: HarmonyTake) -> Piece:
    """``piece`` with ``take``'s voices added (fitted to the piece as it is now); every note of
    the piece kept exactly."""
    added = fit_voices(piece.notes, [take.notes])
    return replace(piece, notes=tuple(sorted(piece.notes + added)))


def harmony_takes(
    harmonizer: LoadedHarmonizer,
    notes: Sequence[Note],
    signatures: Sequence[TimeSignature],
    settings: HarmonySettings,
    *,
    piece_notes: Sequence[Note] = (),
    name: str = "the melody",
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[HarmonyTake]:
    """``settings.takes`` harmonizations of the line in ``notes``, take ``k`` from
    ``take_seed(settings.random_seed, k)``, each fitted to ``piece_notes`` (the piece they will
    join). The grid starts at the bar line before the melody (a line in bar 20 is harmonized
    as bars 20.. of its metre, not after 19 bars of rests)."""
    from composer.generate import take_seed

    if not 1 <= int(settings.takes) <= 64:
        raise SettingsError(f"takes must be 1 to 64 (got {settings.takes})")
    melody = choose_melody(notes, name)
    line = melody.notes
    origin = max(meter.bar_start(meter.ordered(signatures), min(n.start for n in line)), 0.0)
    shifted = [n.shifted(-origin) for n in line]
    local = _from_bar(signatures, origin)
    count = int(settings.takes)
    takes = []
    for k in range(count):
        if cancelled is not None and cancelled():
            raise Cancelled("harmonizing stopped")
        own = take_seed(settings.random_seed, k)

        def step(fraction: float, k: int = k) -> None:
            if progress is not None:
                progress((k + fraction) / count)

        result = harmonize(harmonizer.net, shifted, local, random_seed=own, name=name,
                           cancelled=cancelled, progress=step)
        alto, tenor, bass = (tuple(n.shifted(origin) for n in voice)
                             for voice in (result.alto, result.tenor, result.bass))
        joined = fit_voices(piece_notes, [alto, tenor, bass])
        takes.append(HarmonyTake(
            index=k, notes=joined, start_beat=min(n.start for n in line),
            end_beat=max(n.end for n in line), alto=alto, tenor=tenor, bass=bass,
            melody=tuple(line), random_seed=own, polyphonic=melody.polyphonic,
            dropped=melody.dropped, model=harmonizer.name))
    if progress is not None:
        progress(1.0)
    return takes
