"""Rendering to PCM and WAV, with the SoundFont synth and with the NumPy fallback.

Known file: ``test10.mid`` from music21's test set (16 notes, tempo changes 120 -> 110 -> 90
-> 60 bpm, 10.1 s), so the length checks also check that the tempo map is followed.
"""

from __future__ import annotations

import wave
from dataclasses import replace

import numpy as np
import pytest

from composer import audio
from composer.audio import (
    TAIL_SECONDS,
    TARGET_PEAK,
    AdditiveSynth,
    loudness,
    make_synth,
    piece_messages,
    render,
    render_wav,
    write_wav,
)
from composer.cli import main
from composer.errors import AudioError
from composer.midi_io import read_midi
from composer.notes import Note, PedalSpan, Piece, TempoChange
from tests.conftest import music21_test_midis

KNOWN = next(p for p in music21_test_midis() if p.name == "test10.mid")
RATE = 22050  # half the CD rate keeps the tests quick; the code path is the same
SYNTHS = ["soundfont", "additive"]
needs_soundfont = pytest.mark.skipif(not audio.soundfont_available(),
                                     reason="tinysoundfont is not installed")


def synth_param(name):
    marks = [needs_soundfont] if name == "soundfont" else []
    return pytest.param(name, marks=marks, id=name)


ALL_SYNTHS = [synth_param(name) for name in SYNTHS]


def rms(pcm: np.ndarray, start: float, end: float, rate: int = RATE) -> float:
    part = pcm[int(start * rate):int(end * rate)]
    return float(np.sqrt(np.mean(part.astype(np.float64) ** 2))) if part.size else 0.0


@pytest.mark.parametrize("synth", ALL_SYNTHS)
def test_render_is_audible_and_as_long_as_the_piece(synth):
    piece = read_midi(KNOWN)
    pcm = render(piece, RATE, synth=synth, normalize=True)
    seconds = piece.seconds_at(piece.end_beat)
    assert seconds == pytest.approx(10.1, abs=0.05)  # the tempo map, not 15.25 beats at 120
    assert pcm.shape == (round((seconds + TAIL_SECONDS) * RATE), 2)
    assert pcm.dtype == np.float32
    level, peak = loudness(pcm)
    assert peak == pytest.approx(TARGET_PEAK, rel=1e-3)
    assert level > 0.02  # about -34 dBFS or louder: clearly audible
    # sound wherever a note sounds: every second of the piece has energy
    for second in range(int(seconds)):
        assert rms(pcm, second, second + 1) > 0.003, f"silent at {second} s"


def note_onsets(pcm: np.ndarray, rate: int = RATE, block: float = 0.01) -> list[float]:
    """Times where the level jumps up (a new note)."""
    size = int(block * rate)
    mono = np.abs(pcm[:, 0])
    levels = np.array([0.0] + [mono[i:i + size].max()
                               for i in range(0, len(mono) - size, size)])
    rising = np.flatnonzero((levels[1:] > 4 * levels[:-1] + 1e-4) & (levels[1:] > 0.05))
    return [i * block for i in rising]


@pytest.mark.parametrize("synth", ALL_SYNTHS)
def test_notes_start_where_the_tempo_map_puts_them(synth):
    tempos = (TempoChange(0.0, 120.0), TempoChange(2.0, 60.0))
    notes = [Note(0.0, 0.5, 60), Note(2.0, 2.5, 64), Note(3.0, 3.5, 67)]
    piece = Piece(notes=tuple(notes), tempos=tempos)
    onsets = note_onsets(render(piece, RATE, synth=synth))
    assert onsets[0] == pytest.approx(0.0, abs=0.015)
    assert any(abs(t - 1.0) < 0.015 for t in onsets)  # beat 2 at 120 bpm
    assert any(abs(t - 2.0) < 0.015 for t in onsets)  # beat 3 after the change to 60


@pytest.mark.parametrize("synth", ALL_SYNTHS)
def test_sustain_pedal_extends_the_release(synth):
    short = Piece(notes=(Note(0.0, 0.5, 60, 100),), tempos=(TempoChange(0.0, 60.0),))
    pedalled = replace(short, pedals=(PedalSpan(0.0, 2.0),))
    dry = render(short, RATE, synth=synth, normalize=False)
    wet = render(pedalled, RATE, synth=synth, normalize=False)
    assert len(wet) > len(dry)  # the piece lasts until the pedal comes up
    window = (1.0, 1.5)  # the key is up, the pedal still down
    assert rms(wet, *window) > 20 * rms(dry, *window)
    assert rms(wet, *window) > 1e-3
    assert rms(wet, 2.6, 2.9) < 0.1 * rms(wet, *window)  # released when the pedal comes up


@needs_soundfont
def test_soundfont_honours_the_program():
    notes = (Note(0.0, 1.0, 72, 100),)
    piano = render(Piece(notes=notes, program=0), RATE, synth="soundfont")
    flute = render(Piece(notes=notes, program=73), RATE, synth="soundfont")
    spectrum = [np.abs(np.fft.rfft(x[: RATE // 2, 0])) for x in (piano, flute)]
    similarity = float(np.dot(*spectrum) / (np.linalg.norm(spectrum[0]) *
                                            np.linalg.norm(spectrum[1])))
    assert similarity < 0.9


def test_additive_fallback_is_not_a_bare_sine():
    """Harmonic partials decay: the timbre brightens at the attack and mellows after."""
    pcm = render(Piece(notes=(Note(0.0, 4.0, 57, 100),)), RATE, synth="additive",
                 normalize=False)[:, 0]
    freqs = np.fft.rfftfreq(RATE // 4, 1 / RATE)

    def harmonic_share(start: float) -> float:
        segment = pcm[int(start * RATE): int(start * RATE) + RATE // 4]
        spectrum = np.abs(np.fft.rfft(segment * np.hanning(len(segment))))
        fundamental = spectrum[np.abs(freqs - 220).argmin()]
        upper = sum(spectrum[np.abs(freqs - 220 * k).argmin()] for k in range(2, 6))
        return upper / fundamental

    assert harmonic_share(0.0) > 0.2
    assert harmonic_share(1.5) < harmonic_share(0.0)
    assert rms(pcm[:, None], 1.5, 1.75) < rms(pcm[:, None], 0.0, 0.25)  # it decays


def test_auto_picks_the_soundfont_or_the_fallback():
    expected = "soundfont" if audio.soundfont_available() else "additive"
    assert make_synth("auto", RATE).name == expected
    assert isinstance(make_synth("additive", RATE), AdditiveSynth)
    with pytest.raises(AudioError, match="unknown synthesizer"):
        make_synth("organ")


def test_messages_follow_the_tempo_map_and_start_beat():
    piece = read_midi(KNOWN)
    events = piece_messages(piece)
    ons = [e for e in events if e.message.type == "note_on"]
    assert len(ons) == len(piece.notes)
    assert [e.seconds for e in ons] == pytest.approx(sorted(
        piece.seconds_at(n.start) for n in piece.notes))
    later = piece_messages(piece, start_beat=8.0)
    assert min(e.seconds for e in later) == 0.0
    assert len([e for e in later if e.message.type == "note_on"]) == len(
        [n for n in piece.notes if n.end > 8.0])


@pytest.mark.parametrize("synth", ALL_SYNTHS)
def test_render_wav_writes_a_readable_file(tmp_path, synth):
    piece = read_midi(KNOWN)
    path = render_wav(piece, tmp_path / "out.wav", sample_rate=RATE, synth=synth,
                      normalize=True)
    assert path == tmp_path / "out.wav"
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]  # no temporary file left
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, RATE)
        frames = wav.getnframes()
        pcm = np.frombuffer(wav.readframes(frames), dtype="<i2").reshape(-1, 2)
    assert frames == round((piece.seconds_at(piece.end_beat) + TAIL_SECONDS) * RATE)
    level, peak = loudness(pcm)
    assert peak == pytest.approx(TARGET_PEAK, abs=0.01)
    assert level > 0.02


def _at_velocity(piece: Piece, velocity: int) -> Piece:
    return replace(piece, notes=tuple(replace(n, velocity=velocity) for n in piece.notes))


@pytest.mark.parametrize("synth", ALL_SYNTHS)
def test_renders_keep_the_music_s_dynamics_unless_normalizing(tmp_path, synth):
    """A quiet take must not come out as loud as a loud one (issue 14): no normalization
    unless asked, and asked, both peak at -1 dBFS."""
    piece = read_midi(KNOWN)
    quiet = write_wav(_at_velocity(piece, 35), tmp_path / "quiet.wav", RATE, synth)
    loud = write_wav(_at_velocity(piece, 115), tmp_path / "loud.wav", RATE, synth)
    assert quiet.peak < loud.peak * 0.6 and quiet.rms < loud.rms * 0.6
    assert loud.peak <= TARGET_PEAK + 0.01  # never clipped
    assert loudness(render(_at_velocity(piece, 35), RATE, synth=synth))[1] == pytest.approx(
        quiet.peak, abs=2e-4)  # the same level in memory as in the file
    both = [write_wav(_at_velocity(piece, v), tmp_path / f"n{v}.wav", RATE, synth,
                      normalize=True) for v in (35, 115)]
    assert [info.peak for info in both] == pytest.approx([TARGET_PEAK] * 2, abs=0.01)


def test_a_render_that_would_clip_is_brought_down_not_clipped():
    chord = Piece(notes=tuple(Note(0.0, 2.0, p, 127) for p in range(40, 88, 2)))
    raw = np.concatenate(list(audio.render_blocks(chord, RATE, "additive")))
    assert np.abs(raw).max() > 1.0  # this many loud voices clip as played
    pcm = render(chord, RATE, synth="additive")
    assert loudness(pcm)[1] == pytest.approx(TARGET_PEAK, rel=1e-3)
    assert np.allclose(pcm * (np.abs(raw).max() / TARGET_PEAK), raw, atol=1e-4)  # scaled


def test_long_renders_stream_in_two_passes(tmp_path, monkeypatch):
    """Above the in-memory limit the WAV is written block by block: same samples."""
    piece = read_midi(KNOWN)
    in_memory = render_wav(piece, tmp_path / "memory.wav", sample_rate=RATE)
    monkeypatch.setattr(audio, "IN_MEMORY_SECONDS", 2.0)
    streamed = render_wav(piece, tmp_path / "streamed.wav", sample_rate=RATE)
    assert streamed.read_bytes() == in_memory.read_bytes()


def test_render_wav_into_a_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(AudioError, match="missing"):
        render_wav(read_midi(KNOWN), tmp_path / "missing" / "out.wav", sample_rate=RATE)
    assert not (tmp_path / "missing").exists()


def test_cli_render(tmp_path, capsys):
    out = tmp_path / "known.wav"
    assert main(["render", str(KNOWN), "-o", str(out), "--sample-rate", str(RATE)]) == 0
    printed = capsys.readouterr().out
    assert "known.wav" in printed and "11.1 s" in printed and "dBFS" in printed
    assert out.stat().st_size > 100_000


def test_cli_render_bad_input_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not midi at all")
    assert main(["render", str(bad), "-o", str(tmp_path / "x.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.mid" in err and "Traceback" not in err
    assert not (tmp_path / "x.wav").exists()
