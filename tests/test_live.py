"""The live logic in simulated time: recorded performances replayed through the detector,
the scheduler and the duet, deterministically.

A "recorded performance" is a MIDI file from music21's test set turned into keyboard messages
at their real times (:func:`composer.audio.piece_messages`, which follows the file's tempo map).
``test17.mid`` is an unquantized performance; ``test03.mid`` bars 44-48 hold real sustain-pedal
playing. The simulation ticks exactly when the code under test says it has something to do
(and once a millisecond before, to see that it does not act early).
"""

from __future__ import annotations

import random
from dataclasses import replace

import mido
import pytest

from composer.audio import piece_messages
from composer.keys import estimate_key
from composer.live import (
    AnswerScheduler,
    Duet,
    LiveSettings,
    PhraseDetector,
    estimate_bpm,
    inter_onset_intervals,
    model_answerer,
    phrase_to_piece,
)
from composer.midi_io import read_midi
from composer.notes import Note, PedalSpan, Piece, TempoChange
from tests.conftest import music21_test_midis

FILES = {path.name: path for path in music21_test_midis()}
SHORT_FILES = ["test01.mid", "test05.mid", "test08.mid", "test13.mid", "test14.mid",
               "test17.mid"]
EARLY = 1e-3


def performance(piece: Piece, offset: float = 1.0) -> list[tuple[float, mido.Message]]:
    """Keyboard messages of ``piece`` at their real times, starting ``offset`` s in."""
    return [(offset + e.seconds, e.message) for e in piece_messages(piece)
            if e.message.type in ("note_on", "note_off", "control_change")]


def excerpt(piece: Piece, start: float, end: float) -> Piece:
    """Beats [start, end) of a piece, moved to beat 0 (notes cut at ``end``)."""
    notes = [Note(n.start - start, min(n.end, end) - start, n.pitch, n.velocity)
             for n in piece.notes if start <= n.start < end]
    pedals = [PedalSpan(max(p.start, start) - start, min(p.end, end) - start)
              for p in piece.pedals if p.end > start and p.start < end]
    return replace(piece, notes=tuple(notes), pedals=tuple(pedals))


def releases(events) -> list[tuple[float, float]]:
    """(time all keys and the pedal came up, time of the next note-on) for a performance."""
    down, pedal, up_at, started, result = set(), False, None, False, []
    for t, msg in events:
        if msg.type == "note_on" and msg.velocity > 0:
            if up_at is not None:
                result.append((up_at, t))
            down.add(msg.note)
            up_at, started = None, True
            continue
        if msg.type in ("note_on", "note_off"):
            down.discard(msg.note)
        elif msg.type == "control_change" and msg.control == 64:
            pedal = msg.value >= 64
        up_at = t if started and not down and not pedal else None
    if up_at is not None:
        result.append((up_at, float("inf")))
    return result


def replay_detector(detector: PhraseDetector, events, until: float | None = None):
    """Feed a performance, ticking at every deadline; returns the phrases found."""
    phrases = []

    def run_until(limit: float) -> None:
        while (deadline := detector.deadline()) is not None and deadline <= limit:
            assert detector.tick(deadline - EARLY) is None, "phrase ended before its wait"
            phrase = detector.tick(deadline)
            assert phrase is not None
            phrases.append(phrase)

    for t, msg in events:
        run_until(t)
        detector.feed(msg, t)
    run_until(float("inf") if until is None else until)
    return phrases


# ----- phrase detection ---------------------------------------------------------------------
@pytest.mark.parametrize("name", SHORT_FILES)
def test_fixed_wait_ends_phrases_exactly_after_the_silence(name):
    wait = 0.6
    settings = LiveSettings(min_wait=wait, max_wait=wait)
    events = performance(read_midi(FILES[name]))
    phrases = replay_detector(PhraseDetector(settings), events)
    expected = [up + wait for up, next_on in releases(events) if next_on - up >= wait]
    assert [p.detected_at for p in phrases] == pytest.approx(expected)
    assert sum(len(p.notes) for p in phrases) == sum(
        1 for _, m in events if m.type == "note_on" and m.velocity > 0)
    for phrase in phrases:
        assert phrase.detected_at - phrase.last_release == pytest.approx(wait)
        assert phrase.last_release >= max(n.end for n in phrase.notes)


def test_wait_follows_the_players_tempo():
    """Same phrase at two tempi: the faster performance is answered sooner."""
    piece = read_midi(FILES["test08.mid"])  # sixteenth-note figures
    waits = {}
    for bpm in (60.0, 90.0):
        played = replace(piece, tempos=(TempoChange(0.0, bpm),))
        phrases = replay_detector(PhraseDetector(LiveSettings(max_wait=3.0)),
                                  performance(played))
        waits[bpm] = phrases[-1].wait
        iois = inter_onset_intervals(n.start for p in phrases for n in p.notes)
        assert min(iois) > 0.05
    assert waits[90.0] < waits[60.0]
    assert waits[90.0] == pytest.approx(waits[60.0] * 60 / 90, rel=0.05)


def test_wait_is_clamped():
    settings = LiveSettings(min_wait=0.4, max_wait=1.2)
    detector = PhraseDetector(settings)
    for i in range(8):  # very fast notes: 1.75 * 0.05 s would be far below the minimum
        detector.feed(mido.Message("note_on", note=60 + i, velocity=80), i * 0.06)
        detector.feed(mido.Message("note_off", note=60 + i), i * 0.06 + 0.03)
    assert detector.wait() == 0.4
    slow = PhraseDetector(settings)
    for i in range(3):  # 2 s apart: 1.75 * 2 s would be far above the maximum
        slow.feed(mido.Message("note_on", note=60, velocity=80), i * 2.0)
        slow.feed(mido.Message("note_off", note=60), i * 2.0 + 1.9)
    assert slow.wait() == 1.2


def test_sustain_pedal_keeps_the_phrase_open():
    """test03.mid bars 44-48, real pedalling, played staccato (keys let go after a sixteenth,
    the pedal holding the sound): no phrase ends while the pedal is down."""
    piece = excerpt(read_midi(FILES["test03.mid"]), 172.0, 190.0)
    staccato = piece.with_notes([replace(n, end=n.start + 0.25) for n in piece.notes])
    assert len(staccato.pedals) == 2
    settings = LiveSettings(min_wait=0.4, max_wait=0.4)
    events = performance(staccato)
    without_pedal = [e for e in events if e[1].type != "control_change"]
    unpedalled = replay_detector(PhraseDetector(settings), without_pedal)
    phrases = replay_detector(PhraseDetector(settings), events)
    spans = [(staccato.seconds_at(p.start) + 1.0, staccato.seconds_at(p.end) + 1.0)
             for p in staccato.pedals]
    inside = [p for p in unpedalled for down, up in spans if down < p.detected_at < up]
    assert len(inside) >= 4, "without the pedal, the staccato should end phrases early"
    assert len(phrases) <= len(unpedalled) - len(inside)
    for phrase in phrases:
        for down, up in spans:
            assert not down < phrase.detected_at < up + 0.4, "ended while the pedal was held"
    assert sum(len(p.pedals) for p in phrases) == len(spans)


def test_pedal_held_after_the_last_note():
    """Keys up, pedal still down for 3 s: the phrase ends a wait after the pedal comes up."""
    piece = read_midi(FILES["test01.mid"])
    events = performance(piece)
    last = events[-1][0]
    events = [(0.5, mido.Message("control_change", control=64, value=127)), *events,
              (last + 3.0, mido.Message("control_change", control=64, value=0))]
    detector = PhraseDetector(LiveSettings(min_wait=0.5, max_wait=0.5))
    phrases = replay_detector(detector, events)
    assert [p.detected_at for p in phrases] == pytest.approx([last + 3.5])
    assert phrases[0].pedals == ((1.0, last + 3.0),)  # counted from the first note


def test_a_lost_note_off_does_not_keep_the_phrase_open_for_ever():
    piece = read_midi(FILES["test08.mid"])
    events = performance(piece)
    lost = next(i for i, (_, m) in enumerate(events) if m.type == "note_off" and not any(
        later.type == "note_on" and later.note == m.note for _, later in events[i:]))
    del events[lost]  # that key never comes up
    settings = LiveSettings(min_wait=0.5, max_wait=0.5, stuck_after=4.0)
    phrases = replay_detector(PhraseDetector(settings), events)
    assert [p.detected_at for p in phrases] == pytest.approx([events[-1][0] + 4.0])
    assert len(phrases[0].notes) == len(piece.notes)


# ----- quantization -------------------------------------------------------------------------
def test_quantized_phrase_matches_the_score_despite_human_timing():
    """test08 played with +-20 ms of jitter comes back on its sixteenth-note grid."""
    piece = read_midi(FILES["test08.mid"])
    rng = random.Random(3)
    events = [(t + rng.uniform(-0.02, 0.02) if m.type == "note_on" else t, m)
              for t, m in performance(piece)]
    events.sort(key=lambda e: e[0])
    detector = PhraseDetector(LiveSettings(max_wait=2.0, min_wait=2.0))
    (phrase,) = replay_detector(detector, events)
    seed = phrase_to_piece(phrase, LiveSettings(bpm=piece.bpm))
    first = min(n.start for n in piece.notes)
    expected = sorted((n.start - first, n.pitch) for n in piece.notes)
    assert sorted((n.start, n.pitch) for n in seed.notes) == expected


def test_tempo_estimate_folds_into_one_octave():
    quarter_at_100 = [i * 0.6 for i in range(8)]
    eighths_at_100 = [i * 0.3 for i in range(8)]
    assert estimate_bpm(quarter_at_100) == pytest.approx(100.0)
    assert estimate_bpm(eighths_at_100) == pytest.approx(100.0)
    chords = [0.0, 0.01, 0.02, 0.6, 0.61, 1.2]
    assert inter_onset_intervals(chords) == pytest.approx([0.6, 0.6])


# ----- answer scheduling --------------------------------------------------------------------
def sent_log(clock_box):
    log = []
    return log, lambda msg: log.append((clock_box[0], msg))


def test_scheduler_plays_a_real_answer_on_time():
    """test14's notes handed over in the order they end (as stream_answer yields them)."""
    piece = read_midi(FILES["test14.mid"])
    notes = sorted(piece.notes, key=lambda n: (n.end, n.start))
    now = [10.0]
    log, send = sent_log(now)
    scheduler = AnswerScheduler(send, bpm=piece.bpm)
    for note in notes:
        scheduler.add(note, now[0])
    scheduler.finish()
    while not scheduler.done:
        now[0] = scheduler.next_due()
        scheduler.tick(now[0])
    first = notes[0].start
    spb = 60.0 / piece.bpm
    ons = sorted((t, m.note) for t, m in log if m.type == "note_on")
    expected = sorted((10.0 + max(n.start - first, 0.0) * spb, n.pitch) for n in notes)
    assert [p for _, p in ons] == [p for _, p in expected]
    assert [t for t, _ in ons] == pytest.approx([t for t, _ in expected])
    assert ons[0][0] == 10.0  # the first note handed over plays at once
    assert not scheduler.sounding
    offs = [m for _, m in log if m.type == "note_off"]
    assert len(offs) == len([m for _, m in log if m.type == "note_on"])


def test_scheduler_stop_silences_exactly_the_sounding_notes():
    piece = read_midi(FILES["test13.mid"])  # long held chords
    now = [0.0]
    log, send = sent_log(now)
    scheduler = AnswerScheduler(send, bpm=120.0)
    for note in piece.notes:
        scheduler.add(note, 0.0)
    now[0] = 2.5  # beat 5: pitches 62 (4..8) and 66 (4..6) sound
    scheduler.tick(2.5)
    sounding = {62, 66}
    assert scheduler.sounding == sounding
    log.clear()
    scheduler.stop()
    assert sorted(m.note for _, m in log) == sorted(sounding)
    assert all(m.type == "note_off" for _, m in log)
    assert scheduler.done and scheduler.next_due() is None
    scheduler.add(Note(9.0, 10.0, 70), 3.0)
    assert scheduler.tick(100.0) == []


def test_scheduler_restrikes_a_repeated_pitch():
    now = [0.0]
    log, send = sent_log(now)
    scheduler = AnswerScheduler(send, bpm=60.0)
    scheduler.add(Note(0.0, 2.0, 60), 0.0)
    scheduler.add(Note(1.0, 1.5, 60), 0.0)  # struck again while sounding
    for t in (0.0, 1.0, 1.5, 2.0):
        now[0] = t
        scheduler.tick(t)
    kinds = [(t, m.type) for t, m in log]
    assert kinds == [(0.0, "note_on"), (1.0, "note_off"), (1.0, "note_on"), (1.5, "note_off")]


# ----- the duet, with the tiny real model ---------------------------------------------------
class SimulatedDuet:
    """Drives a Duet in simulated time; answers are generated instantly, at the request time."""

    def __init__(self, answer, settings: LiveSettings):
        self.now = 0.0
        self.sent: list[tuple[float, mido.Message]] = []
        self.requests = []
        self.answer = answer
        self.duet = Duet(lambda m: self.sent.append((self.now, m)), settings,
                         clock=lambda: self.now)

    def tick(self, now: float) -> None:
        request = self.duet.tick(now)
        if request is not None:
            self.requests.append(request)
            for note in self.answer(request.seed, request.bars):
                self.duet.add_note(request.number, note, now)
            self.duet.answer_done(request.number, now)

    def advance(self, until: float) -> None:
        while (wake := self.duet.next_wake()) is not None and wake <= until:
            self.now = max(self.now, wake)
            self.tick(self.now)
        self.now = max(self.now, until)

    def play(self, events) -> None:
        """Like the real loop: every message is followed by a tick."""
        for t, msg in events:
            self.advance(t)
            self.duet.feed(msg, t)
            self.tick(t)


@pytest.fixture(scope="module")
def tiny_answerer(tiny_bundle):
    from composer.bundle import load_bundle
    from composer.generate import GenerationSettings

    settings = GenerationSettings(key_lock=True, random_seed=11, temperature=1.0)
    return model_answerer(load_bundle(tiny_bundle), settings)


@pytest.mark.parametrize("speculate", [True, False], ids=["speculative", "at-phrase-end"])
def test_duet_answers_after_the_phrase_in_key(tiny_answerer, speculate):
    piece = read_midi(FILES["test17.mid"])  # a real performance
    events = performance(piece)
    settings = LiveSettings(min_wait=0.5, max_wait=0.5, speculate=speculate)
    sim = SimulatedDuet(tiny_answerer, settings)
    sim.play(events)
    sim.advance(events[-1][0] + 30.0)
    (request,) = sim.requests
    assert request.speculative == speculate
    (timing,) = sim.duet.timings
    assert timing.detected_at == pytest.approx(events[-1][0] + 0.5)
    ons = [(t, m.note) for t, m in sim.sent if m.type == "note_on"]
    assert ons, "no answer was played"
    assert ons[0][0] == pytest.approx(timing.detected_at)  # not a moment before
    key = estimate_key(request.seed.notes)
    assert all(key.contains(p) for _, p in ons), f"answer leaves {key.name}"
    assert timing.latency == 0.0 and not timing.interrupted
    answer_seconds = ons[-1][0] - ons[0][0]
    phrase_seconds = request.phrase.last_release - request.phrase.start
    assert answer_seconds <= phrase_seconds * 1.5 + 2.0


def test_speculative_answer_is_dropped_when_the_player_plays_on(tiny_answerer):
    events = performance(read_midi(FILES["test01.mid"]))
    sim = SimulatedDuet(tiny_answerer, LiveSettings(min_wait=0.6, max_wait=0.6))
    sim.play(events)
    sim.advance(events[-1][0] + 0.5)  # keys up for 0.5 s: an answer was requested
    assert len(sim.requests) == 1 and sim.duet.wanted == sim.requests[0].number
    more = [(events[-1][0] + 0.5, mido.Message("note_on", note=67, velocity=70)),
            (events[-1][0] + 0.7, mido.Message("note_off", note=67))]
    sim.play(more)
    assert sim.duet.wanted is None  # the first request is not wanted any more
    assert not sim.sent
    sim.advance(events[-1][0] + 30.0)
    assert len(sim.requests) == 2
    assert sim.requests[1].seed.notes[-1].pitch == 67  # answering the longer phrase
    assert len(sim.duet.timings) == 1
    assert sim.duet.timings[0].detected_at == pytest.approx(events[-1][0] + 0.7 + 0.6)


def test_player_coming_back_stops_the_answer(tiny_answerer):
    piece = read_midi(FILES["test17.mid"])
    events = performance(piece)
    sim = SimulatedDuet(tiny_answerer, LiveSettings(min_wait=0.5, max_wait=0.5))
    sim.play(events)
    sim.advance(events[-1][0] + 0.5)  # the answer starts
    sim.advance(sim.now + 1.0)  # and plays for a second
    playing = set(sim.duet.scheduler.sounding) if sim.duet.scheduler else set()
    assert sim.duet.answering and playing, "the answer should be sounding by now"
    number = sim.duet.wanted
    back = sim.now
    sim.sent.clear()
    sim.play([(back, mido.Message("note_on", note=62, velocity=90))])
    assert sorted(m.note for _, m in sim.sent if m.type == "note_off") == sorted(playing)
    assert all(t == back for t, _ in sim.sent)
    sim.duet.add_note(number, Note(0.0, 1.0, 72), back)  # late notes of that answer
    sim.advance(back + 0.3)
    assert not [m for _, m in sim.sent if m.type == "note_on"], "the answer went on playing"
    assert sim.duet.timings[-1].interrupted
    assert sim.duet.detector.in_phrase  # the new note starts the next phrase
