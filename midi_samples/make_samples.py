"""Make the seed files in this folder from public-domain pieces of the music21 corpus.

Run from the repository root: ``python midi_samples/make_samples.py``. It needs music21 (a
dependency of composer) and writes the files with ``composer.midi_io``, so they are exactly
the kind of file composer itself writes. The output is deterministic; README.md lists the
sources, bars, tempo and what each sample is good for.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from composer.midi_io import write_midi  # noqa: E402
from composer.notes import Note, PedalSpan, Piece, TempoChange, TimeSignature  # noqa: E402


@dataclass(frozen=True)
class Sample:
    file: str
    source: str  # music21 corpus name
    bars: int
    bpm: float  # quarter notes per minute
    program: int = 0  # General MIDI: 0 piano, 48 strings, 52 choir aahs
    pedal_per_bar: bool = False
    melody_accent: int = 8  # the top part a little louder, the others a little softer


SAMPLES = (
    Sample("bach_chorale.mid", "bach/bwv66.6", bars=6, bpm=76),
    Sample("mozart_sonata_k545.mid", "mozart/k545/movement1_exposition", bars=4, bpm=126,
           melody_accent=10),
    Sample("mozart_quartet_k458_6-8.mid", "mozart/k458/movement1", bars=8, bpm=132),
    Sample("chopin_mazurka_3-4_pedal.mid", "chopin/mazurka06-2", bars=8, bpm=144,
           pedal_per_bar=True, melody_accent=0),
    Sample("joplin_maple_leaf_rag_2-4.mid", "joplin/maple_leaf_rag", bars=8, bpm=92,
           melody_accent=0),
)
STEP = 1 / 12  # composer's grid: the pedal is lifted one step before each bar line


def score_excerpt(sample: Sample) -> Piece:
    """The first ``bars`` full bars (a pickup is skipped), every part merged, in beats."""
    from music21 import corpus, dynamics, meter

    score = corpus.parse(sample.source)
    parts = list(score.parts)
    signature = score.recurse().getElementsByClass(meter.TimeSignature).first()
    num, den = signature.numerator, signature.denominator
    bar = num * 4 / den
    first_bar = parts[0].measure(1)
    origin = float(first_bar.getOffsetInHierarchy(parts[0])) if first_bar is not None else 0.0
    limit = origin + sample.bars * bar
    notes = []
    for index, part in enumerate(parts):
        flat = part.flatten().stripTies()
        velocity = 80
        accent = sample.melody_accent if index == 0 else -sample.melody_accent // 2
        for element in flat.getElementsByClass(["Note", "Chord", "Dynamic"]):
            if isinstance(element, dynamics.Dynamic):
                if element.volumeScalar:
                    velocity = int(min(max(element.volumeScalar * 127, 52), 110))
                continue
            start = float(element.getOffsetInHierarchy(flat))
            length = float(element.duration.quarterLength)
            if element.duration.isGrace or length <= 0 or not origin <= start < limit:
                continue
            end = min(start + length, limit)
            for pitch in element.pitches:
                notes.append(
                    Note(start - origin, end - origin, int(pitch.midi), velocity + accent)
                )
    pedals = []
    if sample.pedal_per_bar:
        pedals = [PedalSpan(i * bar, (i + 1) * bar - STEP) for i in range(sample.bars)]
    return Piece(
        notes=tuple(sorted(notes)),
        pedals=tuple(pedals),
        tempos=(TempoChange(0.0, sample.bpm),),
        time_signatures=(TimeSignature(0.0, num, den),),
        program=sample.program,
    )


def main() -> int:
    for sample in SAMPLES:
        piece = score_excerpt(sample)
        credit = f"{sample.source} (music21 corpus), bars 1-{sample.bars}"
        write_midi(HERE / sample.file, piece, texts=[credit])
        sig = piece.time_signature
        print(f"{sample.file:34} {len(piece.notes):4} notes  {sig.numerator}/{sig.denominator}"
              f"  {piece.end_beat:5.1f} beats  {len(piece.pedals)} pedal spans")
    return 0


if __name__ == "__main__":
    sys.exit(main())
