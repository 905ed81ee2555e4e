"""composer.midi_io: reading every kind of standard MIDI file, rejecting broken ones with one
clear MidiFileError, and writing files that read back the same.

Real files: the MIDI files shipped in music21 (``music21/midi/testPrimitive``), the seeds in
``midi_samples/``, and files built byte by byte in ``tests/midi_bytes.py`` for what no library
writes (running status, SMPTE, truncation, RIFF wrappers, hostile sizes).
"""

from __future__ import annotations

import math
import os
import struct
from collections import defaultdict, deque
from pathlib import Path

import mido
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer import midi_io
from composer.errors import ComposerError, MidiFileError
from composer.midi_io import parse_midi_bytes, read_midi, require_notes, write_atomic, write_midi
from composer.notes import Note, PedalSpan, Piece, TempoChange, TimeSignature
from tests.conftest import music21_test_midis
from tests.midi_bytes import (
    BAD_FILES,
    END,
    GOOD,
    chunk,
    event,
    header,
    rmid,
    smf,
    tempo,
    time_signature,
    varlen,
)

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "midi_samples"
PRIMITIVES = music21_test_midis()
SAMPLES = sorted(SAMPLES_DIR.glob("*.mid"))
REAL_FILES = PRIMITIVES + SAMPLES


def _ids(paths):
    return [p.name for p in paths]


# ----- a file with every feature, built byte by byte -------------------------------------
def _feature_file() -> bytes:
    """Two tempos, two time signatures, sysex, text, running status, note-on velocity 0,
    overlapping notes of one pitch, sustain pedal, two programs, a drum note; 96 ticks a beat."""
    conductor = (
        time_signature(4, 2) + tempo(500_000)
        + event(0, 0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7)  # sysex: GM on
        + b"\x00\xff\x01\x05hello"  # text
        + tempo(750_000, delta=192)  # beat 2: 80 bpm
        + time_signature(3, 2, delta=192)  # beat 4: 3/4
        + END
    )
    piano = (
        event(0, 0xC0, 5)  # program 5 on channel 1
        + event(0, 0x90, 60, 100)
        + event(0, 64, 90)  # running status: note-on 64
        + event(48, 0xB0, 64, 127)  # pedal down at beat 0.5
        + event(48, 0x90, 60, 0)  # velocity 0 is a note-off: 60 lasts [0, 1)
        + event(0, 60, 70)  # running status again: 60 struck again at beat 1
        + event(48, 60, 50)  # and once more at 1.5 while still sounding (overlap)
        + event(48, 0x80, 60, 0)  # first off closes the first open note: [1, 2)
        + event(0, 0x80, 64, 0)  # 64: [0, 2)
        + event(48, 0x80, 60, 0)  # [1.5, 2.5)
        + event(48, 0xB0, 64, 0)  # pedal up at beat 3
        + END
    )
    other = (
        event(0, 0xC1, 40)  # violin on channel 2
        + event(0, 0x99, 36, 100) + event(24, 0x89, 36, 0)  # a kick drum, [0, 0.25)
        + event(72, 0x91, 72, 64) + event(96, 0x81, 72, 0)  # [1, 2)
        + END
    )
    return smf(conductor, piano, other)


FEATURE_PIECE = Piece(
    notes=(
        Note(0.0, 1.0, 60, 100),
        Note(0.0, 2.0, 64, 90),
        Note(1.0, 2.0, 60, 70),
        Note(1.0, 2.0, 72, 64),
        Note(1.5, 2.5, 60, 50),
    ),
    pedals=(PedalSpan(0.5, 3.0),),
    tempos=(TempoChange(0.0, 120.0), TempoChange(2.0, 80.0)),
    time_signatures=(TimeSignature(0.0, 4, 4), TimeSignature(4.0, 3, 4)),
    program=5,
    drum_notes=(Note(0.0, 0.25, 36, 100),),
    texts=("hello",),
)


def test_reads_every_feature_of_a_hand_built_file():
    assert parse_midi_bytes(_feature_file()) == FEATURE_PIECE


def test_type_0_file_with_every_channel_in_one_track():
    track = (
        tempo(400_000) + event(0, 0xC3, 19) + event(0, 0x93, 50, 60) + event(0, 0x99, 42, 90)
        + event(0, 0x90, 70, 80) + event(96, 0x83, 50, 0) + event(0, 0x89, 42, 0)
        + event(96, 0x80, 70, 0) + END
    )
    piece = parse_midi_bytes(smf(track, fmt=0))
    assert piece.notes == (Note(0.0, 1.0, 50, 60), Note(0.0, 2.0, 70, 80))
    assert piece.drum_notes == (Note(0.0, 1.0, 42, 90),)
    assert piece.program == 19  # the channel of the first pitched note
    assert piece.bpm == pytest.approx(150.0)


def test_rmid_wrapped_file_is_unwrapped():
    assert parse_midi_bytes(rmid(_feature_file())) == FEATURE_PIECE


def test_tolerates_what_players_tolerate():
    """Unknown chunks are skipped, missing declared tracks and trailing junk are ignored,
    running status survives a meta event, notes never closed ring to the end."""
    body = (
        event(0, 0x90, 60, 80) + b"\x00\xff\x03\x03abc" + event(96, 62, 80)
        + event(96, 0x80, 60, 0) + event(96, 0xB0, 64, 100) + event(96, 0xB0, 7, 100) + END
    )
    data = (
        header(tracks=3) + chunk(b"vendor data", chunk_id=b"XFIH") + chunk(body)
    )
    piece = parse_midi_bytes(data + b"\x00\x00junk")
    assert piece.notes == (Note(0.0, 2.0, 60, 80), Note(1.0, 4.0, 62, 80))
    assert piece.pedals == (PedalSpan(3.0, 4.0),)  # never lifted: held to the end


def test_zero_length_note_lasts_one_tick():
    piece = parse_midi_bytes(smf(event(10, 0x90, 60, 80) + event(0, 0x80, 60, 0) + END))
    assert piece.notes == (Note(10 / 96, 11 / 96, 60, 80),)


def test_damaged_data_bytes_are_clipped_like_mido():
    piece = parse_midi_bytes(smf(event(0, 0x90, 60, 0xC8) + event(96, 0x80, 60, 0) + END))
    assert piece.notes == (Note(0.0, 1.0, 60, 127),)


def test_odd_time_signature_denominator_is_ignored():
    piece = parse_midi_bytes(smf(time_signature(5, 9) + time_signature(7, 3, delta=96) + GOOD[22:]))
    assert piece.time_signatures == (TimeSignature(0.0, 4, 4), TimeSignature(1.0, 7, 8))


# ----- agreement with mido on real files -------------------------------------------------
def _mido_view(path: Path):
    """Notes, drums and tempos as mido's own reader sees the file (same pairing rules)."""
    midi = mido.MidiFile(path, clip=True)
    notes, drums, tempos = [], [], []
    for track in midi.tracks:
        tick, sounding = 0, defaultdict(deque)
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, msg.tempo))
            if msg.type not in ("note_on", "note_off"):
                continue
            key = (msg.channel, msg.note)
            if msg.type == "note_on" and msg.velocity:
                sounding[key].append((tick, msg.velocity))
            elif sounding[key]:
                start, velocity = sounding[key].popleft()
                target = drums if msg.channel == 9 else notes
                target.append((start, max(tick, start + 1), msg.note, velocity))
    division = midi.ticks_per_beat
    as_notes = lambda items: [Note(s / division, e / division, p, v) for s, e, p, v in items]  # noqa: E731
    return sorted(as_notes(notes)), sorted(as_notes(drums)), sorted(tempos), division


@pytest.mark.parametrize("path", REAL_FILES, ids=_ids(REAL_FILES))
def test_reader_agrees_with_mido(path):
    piece = read_midi(path)
    notes, drums, tempos, division = _mido_view(path)
    assert list(piece.notes) == notes
    assert list(piece.drum_notes) == drums
    bpms = {tick / division: 60_000_000 / us for tick, us in tempos}
    for change in piece.tempos:
        assert change.bpm == pytest.approx(bpms.get(change.beat, 120.0))


# ----- writing ---------------------------------------------------------------------------
WRITTEN = Piece(
    notes=(
        Note(0.0, 1.0, 60, 100),
        Note(0.5, 0.75, 21, 1),
        Note(0.5, 2.0, 60, 40),  # overlaps the note before, same pitch
        Note(1.0, 4.0 / 3.0, 108, 127),
        Note(3.25, 4.0, 67, 64),
    ),
    pedals=(PedalSpan(0.0, 1.5), PedalSpan(2.0, 4.0)),
    tempos=(TempoChange(0.0, 90.0), TempoChange(2.0, 132.0)),
    time_signatures=(TimeSignature(0.0, 6, 8), TimeSignature(3.0, 2, 4)),
    program=42,
    drum_notes=(Note(0.0, 0.5, 38, 99),),
    texts=("composer 0.1 – take 1",),
)


def test_write_then_read_keeps_everything(tmp_path):
    path = write_midi(tmp_path / "out.mid", WRITTEN, texts=WRITTEN.texts)
    piece = read_midi(path)
    assert piece.notes == WRITTEN.notes
    assert piece.pedals == WRITTEN.pedals
    assert piece.drum_notes == WRITTEN.drum_notes
    assert piece.program == 42
    assert piece.time_signatures == WRITTEN.time_signatures
    assert [t.beat for t in piece.tempos] == [0.0, 2.0]
    assert [t.bpm for t in piece.tempos] == pytest.approx([90.0, 132.0], rel=1e-5)
    assert piece.texts == ("composer 0.1 ? take 1",)  # MIDI text is latin-1
    assert mido.MidiFile(path).type == 1  # and mido reads it too


def test_generated_notes_are_marked_by_their_own_track(tmp_path):
    # One generated note is identical to a seed note: only the count tells them apart.
    twin = WRITTEN.notes[0]
    piece = WRITTEN.with_notes(WRITTEN.notes + (twin, Note(8.0, 9.0, 72, 70)))
    generated = [twin, Note(8.0, 9.0, 72, 70)]
    path = write_midi(tmp_path / "kept.mid", piece, generated=generated)
    again, flags = midi_io.read_midi_with_generated(path)
    assert again.notes == piece.notes and again.drum_notes == piece.drum_notes
    assert sorted(n for n, g in zip(again.notes, flags) if g) == sorted(generated)
    names = [t.name for t in mido.MidiFile(path).tracks]
    assert names[2] == midi_io.GENERATED_TRACK_NAME and len(names) == 4  # + drums
    # A file from anywhere else: nothing is marked; the plain reader sees the same piece.
    plain = write_midi(tmp_path / "plain.mid", piece)
    assert midi_io.read_midi_with_generated(plain)[1] == (False,) * len(piece.notes)
    assert read_midi(path) == again
    # A generated note left sounding at the end of its track (another tool cut its note-off).
    cut = mido.MidiFile(path)
    generated_track = cut.tracks[2]
    last_off = max(i for i, m in enumerate(generated_track) if m.type == "note_off")
    del generated_track[last_off]
    cut.save(tmp_path / "cut.mid")
    still, flags = midi_io.read_midi_with_generated(tmp_path / "cut.mid")
    assert sum(flags) == len(generated) and len(still.notes) == len(piece.notes)
    # Merged into one track by another tool (type 0): the name survives, the marking does not.
    merged = mido.MidiFile(type=0, ticks_per_beat=480)
    merged.tracks.append(mido.merge_tracks(mido.MidiFile(path).tracks))
    merged.save(tmp_path / "merged.mid")
    assert midi_io.read_midi_with_generated(tmp_path / "merged.mid")[1] == (False,) * len(
        piece.notes)
    tracks = mido.MidiFile(path).tracks  # the same as type 1: tempo track + one note track
    merged = mido.MidiFile(type=1, ticks_per_beat=480)
    merged.tracks += [tracks[0], mido.merge_tracks(tracks[1:])]
    merged.save(tmp_path / "merged1.mid")
    assert not any(midi_io.read_midi_with_generated(tmp_path / "merged1.mid")[1])


@pytest.mark.parametrize("path", REAL_FILES, ids=_ids(REAL_FILES))
def test_real_file_survives_write_and_read(tmp_path, path):
    piece = read_midi(path)
    again = read_midi(write_midi(tmp_path / "copy.mid", piece))
    # Times are rewritten at 480 ticks a beat: equal up to one tick of the original grid.
    # All channels become one: where notes of one pitch from two channels nest, the note-offs
    # pair up differently, so ends are compared per pitch, as a multiset.
    assert len(again.notes) == len(piece.notes)
    onsets = lambda p: sorted((n.start, n.pitch, n.velocity) for n in p.notes)  # noqa: E731
    for (start_a, *rest_a), (start_b, *rest_b) in zip(onsets(again), onsets(piece)):
        assert rest_a == rest_b
        assert start_a == pytest.approx(start_b, abs=1 / 480)
    ends = lambda p: sorted((n.pitch, n.end) for n in p.notes)  # noqa: E731
    for (pitch_a, end_a), (pitch_b, end_b) in zip(ends(again), ends(piece)):
        assert pitch_a == pitch_b
        assert end_a == pytest.approx(end_b, abs=1 / 480)
    assert len(again.pedals) == len(piece.pedals)
    assert again.time_signatures == piece.time_signatures
    assert again.program == piece.program


def test_samples_are_written_on_composer_grid():
    """Every seed is exact at 480 ticks a beat, so reading is lossless."""
    for path in SAMPLES:
        piece = read_midi(path)
        assert piece.notes and piece.texts
        assert all(round(n.start * 480) == n.start * 480 for n in piece.notes)


def test_unwritable_values_are_fixed_or_refused(tmp_path):
    odd = Piece(notes=(Note(0.0, 1.0, 200, 300),), time_signatures=(TimeSignature(0.0, 5, 6),),
                tempos=(TempoChange(0.0, 0.0),), program=300)
    piece = read_midi(write_midi(tmp_path / "odd.mid", odd))
    assert piece.notes == (Note(0.0, 1.0, 127, 127),)
    assert piece.time_signature == TimeSignature(0.0, 4, 4)
    assert piece.bpm == pytest.approx(120.0)

    target = tmp_path / "keep.mid"
    write_midi(target, WRITTEN)
    before = target.read_bytes()
    with pytest.raises(MidiFileError, match="keep.mid: cannot write"):
        write_midi(target, Piece(notes=(Note(math.nan, 1.0, 60),)))
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mid", "odd.mid"]


def test_write_into_missing_folder_is_a_midi_file_error(tmp_path):
    with pytest.raises(MidiFileError, match="cannot write here"):
        write_midi(tmp_path / "no" / "such" / "folder.mid", WRITTEN)


def test_write_atomic_replaces_and_keeps_mode(tmp_path):
    target = tmp_path / "file.mid"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640
    write_atomic(tmp_path / "fresh.mid", b"x")
    assert (tmp_path / "fresh.mid").stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.mid", "fresh.mid"]


# ----- what a seed needs ----------------------------------------------------------------
def test_require_notes():
    silent = parse_midi_bytes(smf(tempo(500_000) + END))
    with pytest.raises(MidiFileError, match="silent.mid: has no notes, nothing to continue"):
        require_notes(silent, "silent.mid")
    drums = parse_midi_bytes(smf(event(0, 0x99, 36, 90) + event(96, 0x89, 36, 0) + END))
    with pytest.raises(MidiFileError, match="has only drum notes"):
        require_notes(drums, "drums.mid")
    piece = parse_midi_bytes(GOOD)
    assert require_notes(piece, "good.mid") is piece


# ----- broken files ----------------------------------------------------------------------
@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_is_one_clear_error(tmp_path, name):
    data, words = BAD_FILES[name]
    path = tmp_path / f"{name}.mid"
    path.write_bytes(data)
    with pytest.raises(MidiFileError) as caught:
        read_midi(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert words in message
    assert "\n" not in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(MidiFileError, match="no such file"):
        read_midi(tmp_path / "absent.mid")
    with pytest.raises(MidiFileError, match="is a folder"):
        read_midi(tmp_path)


def test_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.mid"
    with open(path, "wb") as handle:
        handle.write(GOOD)
        handle.truncate(midi_io.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(MidiFileError, match="too large"):
        read_midi(path)


def test_16_mb_of_notes_stops_at_the_note_limit(tmp_path):
    """The largest file accepted, all notes: rejected after MAX_NOTES notes, not parsed whole.
    (benchmarks are for speed; here the point is that the limit is what stops it.)"""
    pair = event(1, 60, 0) + event(1, 60, 64)  # running status: off, on
    count = (midi_io.MAX_FILE_BYTES - 100) // len(pair)
    body = event(0, 0x90, 60, 64) + pair * count + END
    path = tmp_path / "notes16.mid"
    path.write_bytes(smf(body))
    assert path.stat().st_size > 15 * 2**20
    with pytest.raises(MidiFileError, match="too many notes"):
        read_midi(path)
    path.unlink()  # pytest keeps the last runs' temporary folders: not 16 MB of them


def test_notes_never_ended_count_against_the_limit():
    body = event(0, 0x90, 60, 64) + event(1, 61, 64) * midi_io.MAX_NOTES + END
    with pytest.raises(MidiFileError, match="too many notes"):
        parse_midi_bytes(smf(body))


def test_event_limit_stops_a_file_of_controllers():
    body = event(0, 0xB0, 1, 0) + event(0, 1, 1) * midi_io.MAX_EVENTS + END
    with pytest.raises(MidiFileError, match="too many events"):
        parse_midi_bytes(smf(body))


def test_tempo_limit():
    body = b"".join(tempo(500_000 + i % 2, delta=1) for i in range(midi_io.MAX_TEMPO_EVENTS + 1))
    with pytest.raises(MidiFileError, match="too many tempo changes"):
        parse_midi_bytes(smf(body + END))


def test_many_empty_tracks_are_cheap():
    data = header(tracks=65535) + chunk(END) * 65535
    assert parse_midi_bytes(data).notes == ()


# ----- no input can raise anything else --------------------------------------------------
SMALL_REAL = [p.read_bytes() for p in REAL_FILES if p.stat().st_size < 4000]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_or_midi_error(data: bytes) -> None:
    try:
        piece = parse_midi_bytes(data, name="fuzz.mid")
    except MidiFileError as exc:
        assert str(exc).startswith("fuzz.mid: ")
        return
    assert isinstance(piece, Piece)
    assert all(n.end > n.start >= 0 for n in piece.notes)


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_only_raise_midi_file_error(data):
    _parse_or_midi_error(data)


@FUZZ
@given(st.binary(max_size=400), st.sampled_from([b"MThd", b"RIFF", header(), header(0),
                                                 rmid(GOOD)[:20]]))
def test_random_bytes_after_a_header_only_raise_midi_file_error(data, prefix):
    _parse_or_midi_error(prefix + data)


@FUZZ
@given(
    st.sampled_from(range(len(SMALL_REAL))),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_mutated_real_files_only_raise_midi_file_error(index, flips, cut):
    data = bytearray(SMALL_REAL[index])
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        del data[cut % len(data):]
    _parse_or_midi_error(bytes(data))


def test_midi_file_error_is_a_composer_error():
    assert issubclass(MidiFileError, ComposerError)


def test_helpers_build_what_they_say():
    assert varlen(0x0FFFFFFF) == b"\xff\xff\xff\x7f"
    assert struct.unpack(">4sI", chunk(b"ab")[:8]) == (b"MTrk", 2)
