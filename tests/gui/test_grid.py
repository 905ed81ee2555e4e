"""Bar/beat arithmetic shared by the roll, the ruler and the readouts."""

import pytest

from composer.notes import Note, TimeSignature
from gui import grid


def test_bars_follow_time_signature_changes():
    # 4/4 for two bars, then 6/8 (3 beats a bar) from beat 8, then 2/4 from beat 14.
    sigs = [TimeSignature(0, 4, 4), TimeSignature(8, 6, 8), TimeSignature(14, 2, 4)]
    starts = [(b.number, b.start, b.length) for b in grid.bars(sigs, 18)]
    assert starts == [(1, 0, 4), (2, 4, 4), (3, 8, 3), (4, 11, 3), (5, 14, 2), (6, 16, 2)]
    assert grid.bar_start(sigs, 4) == 11
    assert grid.bar_start(sigs, 9) == 22  # past the last change, the last metre goes on
    assert grid.bar_at(sigs, 12.5).number == 4
    assert grid.describe_beat(sigs, 9.5) == "3.4"  # eighth-note beats in 6/8: 1.5 beats = 4th
    assert grid.next_bar_line(sigs, 8.0) == 8.0
    assert grid.next_bar_line(sigs, 8.1) == 11.0


@pytest.mark.parametrize("beat, step, snapped, down", [
    (1.13, 0.25, 1.25, 1.0), (0.9, 1 / 3, 1.0, 2 / 3), (2.2, 0.0, 2.2, 2.2),
])
def test_snap(beat, step, snapped, down):
    assert grid.snap(beat, step) == pytest.approx(snapped)
    assert grid.snap_down(beat, step) == pytest.approx(down)


def test_pitch_names_and_readout():
    assert [grid.pitch_name(p) for p in (21, 60, 61, 108)] == ["A0", "C4", "C#4", "C8"]
    notes = [Note(8, 9, 60), Note(9, 10, 67), Note(10, 12, 55)]
    info = grid.readout(notes, 8.0, 12.0)
    assert (info.notes, info.low, info.high, info.density) == (3, 55, 67, 0.75)
    assert info.text() == "3 notes, G3–G4, 0.8 notes/beat"
    assert grid.readout([], 0, 4).text() == "no notes"


@pytest.mark.parametrize(
    ("played", "step", "expected"),
    [
        (Note(0.98, 2.04, 60, 70), 0.25, Note(1.0, 2.0, 60, 70)),  # both ends to the nearest
        (Note(1.01, 1.05, 60), 0.25, Note(1.0, 1.25, 60)),  # never shorter than one step
        (Note(-0.02, 0.4, 60), 0.5, Note(0.0, 0.5, 60)),  # never before the start
        (Note(1.3, 1.64, 60), 1 / 3, Note(4 / 3, 5 / 3, 60)),  # triplets
    ],
    ids=["nearest", "one-step-minimum", "not-before-zero", "triplet-grid"],
)
def test_quantized(played, step, expected):
    got = grid.quantized(played, step)
    assert got.pitch == expected.pitch and got.velocity == expected.velocity
    assert (got.start, got.end) == pytest.approx((expected.start, expected.end))


def test_quantizing_twice_changes_nothing_even_on_triplets():
    for step in (1 / 3, 1 / 6, 0.25, 0.5):
        for k in range(200):
            start = k * 0.0173
            once = grid.quantized(Note(start, start + 0.01 * (k % 7), 60), step)
            assert grid.quantized(once, step) == once, (step, start)
