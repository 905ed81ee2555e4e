"""composer.tokenizer: notes -> ids -> notes, on real music and on anything a sampler emits.

The round trip is exact after quantizing to the grid: same pitches, starts and ends on the same
grid step, velocities in the same bin, same pedal. Real files: music21's test MIDI files, the
seeds in ``midi_samples/``, and a few corpus pieces that music21 itself writes to MIDI here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composer.midi_io import read_midi
from composer.notes import Note, PedalSpan
from composer.tokenizer import Decoded, Tokenizer
from composer.vocabulary import TokenizerSettings
from tests.conftest import music21_test_midis

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "midi_samples"
CORPUS_PIECES = [
    "bach/bwv66.6",
    "bach/bwv269",
    "mozart/k545/movement1_exposition",
    "schumann_robert/dichterliebe_no2",
]
TOKENIZER = Tokenizer()
SPB = TOKENIZER.settings.steps_per_beat


@pytest.fixture(scope="module")
def corpus_midi(tmp_path_factory):
    """A few corpus pieces written to MIDI by music21 (not by composer): path by name."""
    from music21 import corpus

    folder = tmp_path_factory.mktemp("corpus_midi")
    paths = {}
    for name in CORPUS_PIECES:
        path = folder / (name.replace("/", "_") + ".mid")
        corpus.parse(name).write("midi", fp=str(path))
        paths[name] = path
    return paths


def _file_cases():
    files = music21_test_midis() + sorted(SAMPLES_DIR.glob("*.mid"))
    cases = [pytest.param(str(p), id=p.name) for p in files]
    cases += [pytest.param(name, id=name.replace("/", "-")) for name in CORPUS_PIECES]
    return cases


def _assert_round_trip(notes, pedals):
    quantized = TOKENIZER.quantize(notes)
    quantized_pedals = TOKENIZER.quantize_pedals(pedals)
    decoded = TOKENIZER.decode(TOKENIZER.encode(notes, pedals))
    assert decoded.notes == tuple(quantized)
    assert decoded.pedals == tuple(quantized_pedals)
    return quantized, decoded


@pytest.mark.parametrize("source", _file_cases())
def test_real_music_round_trips_on_the_grid(source, corpus_midi):
    piece = read_midi(corpus_midi.get(source, source))
    assert piece.notes
    quantized, decoded = _assert_round_trip(piece.notes, piece.pedals)
    # ...and the grid is the input's own: every input note's onset is kept, same pitch, its
    # grid step, its velocity bin (unless another note struck the same key at the same step).
    s = TOKENIZER.settings
    kept = {(round(n.start * SPB), n.pitch, s.velocity_bin(n.velocity)) for n in decoded.notes}
    onsets = {k[:2] for k in kept}
    struck = {}
    for note in piece.notes:
        key = (round(note.start * SPB), note.pitch)
        struck[key] = struck.get(key, 0) + 1
    for note in piece.notes:
        if not s.pitch_low <= note.pitch <= s.pitch_high:
            continue  # folded by octaves: checked in test_quantize_rules
        step = round(note.start * SPB)
        assert (step, note.pitch) in onsets, f"{note} lost"
        exact = (step, note.pitch, s.velocity_bin(note.velocity)) in kept
        assert exact or struck[(step, note.pitch)] > 1, f"{note} changed velocity bin"
    assert decoded.end_beat == pytest.approx(max(n.end for n in quantized))


def test_files_with_pedal_keep_it():
    mazurka = read_midi(SAMPLES_DIR / "chopin_mazurka_3-4_pedal.mid")
    _, decoded = _assert_round_trip(mazurka.notes, mazurka.pedals)
    assert len(decoded.pedals) == 8
    assert decoded.pedals[0] == PedalSpan(0.0, 3.0 - 1 / SPB)


# ----- encoding details ------------------------------------------------------------------
def test_events_of_a_small_phrase():
    notes = [Note(0, 1, 60, 100), Note(0, 0.5, 64, 100), Note(1.25, 6, 67, 30)]
    ids = TOKENIZER.encode(notes, [PedalSpan(0.5, 2)], end_beat=7)
    assert TOKENIZER.event_names(ids) == [
        "BOS", "VELOCITY_12", "NOTE_ON_60", "NOTE_ON_64", "SHIFT_6", "NOTE_OFF_64", "PEDAL_ON",
        "SHIFT_6", "NOTE_OFF_60", "SHIFT_3", "VELOCITY_3", "NOTE_ON_67", "SHIFT_9", "PEDAL_OFF",
        "SHIFT_48", "NOTE_OFF_67", "SHIFT_12", "EOS",
    ]


def test_velocity_written_only_when_the_bin_changes():
    notes = [Note(i, i + 1, 60 + i, 80) for i in range(8)]
    names = TOKENIZER.event_names(TOKENIZER.encode(notes, bos=False, eos=False))
    assert sum(n.startswith("VELOCITY") for n in names) == 1
    assert len(names) / len(notes) == pytest.approx((1 + 8 * 3) / 8)


def test_release_and_restrike_at_one_step():
    notes = [Note(0, 1, 60), Note(1, 2, 60)]
    names = TOKENIZER.event_names(TOKENIZER.encode(notes, bos=False, eos=False))
    assert names[3:5] == ["NOTE_OFF_60", "NOTE_ON_60"]
    assert TOKENIZER.decode(TOKENIZER.encode(notes)).notes == tuple(TOKENIZER.quantize(notes))


def test_quantize_rules():
    s = TOKENIZER.settings
    notes = [
        Note(0.01, 0.02, 60, 90),  # shorter than a step: one step
        Note(0.5, 3.0, 62, 50), Note(1.0, 2.0, 62, 70),  # overlap: the first is cut
        Note(4.0, 5.0, 64, 30), Note(4.0, 4.5, 64, 100),  # same onset: the longer wins
        Note(0.0, 1.0, 12, 80), Note(0.0, 1.0, 120, 80),  # folded by octaves into 21..108
        Note(-1.0, 0.5, 70, 80),  # before beat 0: starts at 0
    ]
    bin_of = lambda v: s.bin_velocity(s.velocity_bin(v))  # noqa: E731
    assert TOKENIZER.quantize(notes) == sorted([
        Note(0.0, 1 / 12, 60, bin_of(90)),
        Note(0.5, 1.0, 62, bin_of(50)), Note(1.0, 2.0, 62, bin_of(70)),
        Note(4.0, 5.0, 64, bin_of(30)),
        Note(0.0, 1.0, 24, bin_of(80)), Note(0.0, 1.0, 108, bin_of(80)),
        Note(0.0, 0.5, 70, bin_of(80)),
    ])


def test_pedal_quantize_merges_and_drops():
    pedals = [PedalSpan(0, 1), PedalSpan(0.5, 2), PedalSpan(2, 3), PedalSpan(4, 4.01)]
    assert TOKENIZER.quantize_pedals(pedals) == [
        PedalSpan(0, 2), PedalSpan(2, 3),
    ]


def test_tokenizer_without_pedal_ignores_it():
    tokenizer = Tokenizer(TokenizerSettings(pedal=False))
    ids = tokenizer.encode([Note(0, 1, 60)], [PedalSpan(0, 1)])
    assert "PEDAL_ON" not in tokenizer.event_names(ids)
    assert tokenizer.decode(ids).pedals == ()


def test_other_grid_settings_round_trip():
    tokenizer = Tokenizer(TokenizerSettings(steps_per_beat=4, max_shift_steps=8, velocity_bins=32,
                                            pitch_low=36, pitch_high=96))
    notes = [Note(0, 0.25, 30, 10), Note(0.25, 7.5, 100, 127), Note(3, 4, 60, 64)]
    assert tokenizer.decode(tokenizer.encode(notes)).notes == tuple(tokenizer.quantize(notes))


# ----- decoding anything -----------------------------------------------------------------
def test_decode_is_forgiving():
    v = TOKENIZER.vocab
    ids = [
        v.note_off(60),  # off with no on: ignored
        v.note_on(60), v.note_on(60),  # struck twice at once: one note
        v.shift(12), v.note_on(60),  # struck again while sounding: restarts
        v.pedal_off, v.pedal_on, v.pedal_on,  # pedal off while up, on while down: ignored
        -5, 10_000, v.pad, v.bos,  # out of range ids and specials: ignored
        v.shift(6), v.note_on(64),  # never released: closed at the end
        v.eos, v.note_on(70),  # after EOS: nothing more
    ]
    decoded = TOKENIZER.decode(ids)
    assert decoded == Decoded(
        notes=(Note(0, 1, 60, 80), Note(1, 1.5, 60, 80), Note(1.5, 1.5 + 1 / 12, 64, 80)),
        pedals=(PedalSpan(1, 1.5),),
        end_beat=1.5 + 1 / 12,
    )


def test_decoder_state_step_by_step_matches_decode():
    notes = [Note(0, 1, 60, 100), Note(0.5, 2, 64, 40)]
    ids = TOKENIZER.encode(notes, [PedalSpan(0, 1.5)])
    state = TOKENIZER.new_state()
    second_on = ids.index(TOKENIZER.vocab.note_on(64)) + 1
    for token in ids[:second_on]:
        state.feed(token)
    assert state.beat == 0.5 and set(state.sounding) == {60, 64}
    assert state.pedal_since == 0
    for token in ids[second_on:]:
        state.feed(token)
    assert state.finish() == TOKENIZER.decode(ids)


def test_event_names_of_unknown_ids():
    assert TOKENIZER.event_names([0, 1, 2, -1, 99999]) == [
        "PAD", "BOS", "EOS", "UNKNOWN_-1", "UNKNOWN_99999"]


# ----- properties ------------------------------------------------------------------------
_steps = st.integers(0, 200)
_notes = st.lists(
    st.builds(
        lambda start, length, pitch, velocity: Note(start / 12, (start + length) / 12, pitch,
                                                    velocity),
        _steps, st.integers(1, 100), st.integers(0, 127), st.integers(1, 127),
    ),
    max_size=60,
)
_pedals = st.lists(
    st.builds(lambda a, n: PedalSpan(a / 12, (a + n) / 12), _steps, st.integers(0, 60)),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(_notes, _pedals)
def test_random_notes_round_trip(notes, pedals):
    _assert_round_trip(notes, pedals)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(Note, st.floats(-2, 40), st.floats(0, 10), st.integers(0, 127),
                  st.integers(-10, 200)).map(lambda n: Note(n.start, n.start + n.end + 1e-3,
                                                            n.pitch, n.velocity)),
        max_size=40,
    )
)
def test_unquantized_notes_round_trip_after_quantizing(notes):
    _assert_round_trip(notes, [])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-3, len(TOKENIZER.vocab) + 3), max_size=300))
def test_any_id_sequence_decodes_to_valid_notes(ids):
    decoded = TOKENIZER.decode(ids)
    s = TOKENIZER.settings
    for note in decoded.notes:
        assert note.end > note.start >= 0
        assert s.pitch_low <= note.pitch <= s.pitch_high
        assert 1 <= note.velocity <= 127
        assert note.end <= decoded.end_beat
    for span in decoded.pedals:
        assert span.end > span.start >= 0
    # what decodes, encodes and decodes again to the same notes
    again = TOKENIZER.decode(TOKENIZER.encode(decoded.notes, decoded.pedals))
    assert again.notes == tuple(TOKENIZER.quantize(decoded.notes))
