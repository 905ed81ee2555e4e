"""Ratings in the real window (offscreen), with the real tiny model and a real ratings log in
this test's $COMPOSER_DATA: like and dislike append lines, Keep is a like and Discard a
dislike unless rated, the next Generate adapts and switching adaptation off gives the shipped
model's notes exactly, reset, export of a loadable bundle, a damaged log's notice, the takes
scored, sorted and "best of N"."""

from __future__ import annotations

import json
import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from composer.bundle import load_bundle
from composer.ratings import LOG_NAME, RatingLog
from tests.gui.conftest import SEED_NOTES, answer_question

Btn = QMessageBox.StandardButton
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def ready(window, seed_file, tiny_bundle, qtbot, takes=3, bars=2, fixed_seed=None):
    window.open_file(seed_file)
    window.controls.choose_model(str(tiny_bundle))
    window.controls.takes.setValue(takes)
    window.controls.bars.setValue(bars)
    if fixed_seed is not None:
        window.controls.fixed_seed.setChecked(True)
        window.controls.random_seed.setValue(fixed_seed)
    qtbot.waitUntil(lambda: "LSTM" in window.controls.model_info.text(), timeout=30000)
    qtbot.waitUntil(lambda: window.ratings._loaded, timeout=10000)
    return window


def generate(window, qtbot, scored=True):
    if scored:
        with qtbot.waitSignal(window.ratings.scored, timeout=60000), \
                qtbot.waitSignal(window.takesReady, timeout=60000) as done:
            assert window.generate() is not None
    else:
        with qtbot.waitSignal(window.takesReady, timeout=60000) as done:
            assert window.generate() is not None
    return done.args[0]


def log_lines(folder) -> list[dict]:
    path = folder / LOG_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_adapted(window, qtbot):
    qtbot.waitUntil(lambda: not window.ratings.is_adapting() and window.ratings.result
                    is not None and window.ratings.result.ratings == len(
                        window.ratings.counted()), timeout=60000)
    return window.ratings.result


def test_like_and_dislike_append_a_line_each(window, seed_file, tiny_bundle, qtbot,
                                             ratings_folder):
    ready(window, seed_file, tiny_bundle, qtbot)
    takes = generate(window, qtbot)
    assert not (ratings_folder / LOG_NAME).exists()
    window.takes_panel.select((1, 0))
    window.like_action.trigger()  # Generate › Like take
    lines = log_lines(ratings_folder)
    assert len(lines) == 1 and lines[0]["verdict"] == "like"
    record = window.generation_bridge.record((1, 0))
    assert [tuple(n) for n in lines[0]["notes"]] == [
        (n.start, n.end, n.pitch, n.velocity) for n in takes[0].notes]
    assert [tuple(n) for n in lines[0]["seed"]] == [
        (n.start, n.end, n.pitch, n.velocity) for n in SEED_NOTES]
    assert lines[0]["random_seed"] == record.random_seed
    assert lines[0]["time_signatures"] == [[0.0, 4, 4]]
    assert lines[0]["settings"]["temperature"] == 1.0 and lines[0]["settings"]["bars"] == 2
    assert lines[0]["settings"]["take_id"]
    window.takes_panel.select((1, 1))
    window.roll.setFocus()
    QTest.keyClick(window.roll, Qt.Key.Key_D, CTRL_SHIFT)  # the Dislike key
    lines = log_lines(ratings_folder)
    assert [line["verdict"] for line in lines] == ["like", "dislike"]
    panel = window.takes_panel
    assert "♥ liked" in panel.list.item(panel.row_of((1, 0))).text()
    assert "✗ disliked" in panel.list.item(panel.row_of((1, 1))).text()
    result = wait_adapted(window, qtbot)  # the durable adaptation, in the background
    assert result.ratings == 2
    assert window.ratings.label.text() == "Adapted to 2 ratings"
    # The same take rated again: a new line, and only its last verdict counts.
    window.takes_panel.select((1, 0))
    window.dislike_action.trigger()
    assert len(log_lines(ratings_folder)) == 3
    assert [r.verdict for r in window.ratings.counted()] == ["dislike", "dislike"]
    # The context menu of the list offers the ratings too.
    assert window.like_action in panel.menu_actions


def test_keep_is_a_like_and_discard_a_dislike_unless_rated(window, seed_file, tiny_bundle,
                                                          qtbot, ratings_folder):
    ready(window, seed_file, tiny_bundle, qtbot)
    generate(window, qtbot)
    window.takes_panel.select((1, 1))
    window.dislike_action.trigger()
    window.takes_panel.select((1, 0))
    window.keep_action.trigger()  # not rated: a like
    assert [line["verdict"] for line in log_lines(ratings_folder)] == ["dislike", "like"]
    window.undo_action.trigger()  # the takes come back
    window.takes_panel.select((1, 1))
    window.keep_action.trigger()  # rated already (disliked): no new line
    assert len(log_lines(ratings_folder)) == 2
    window.undo_action.trigger()
    window.discard_action.trigger()  # take 3 is the only one not rated
    lines = log_lines(ratings_folder)
    assert [line["verdict"] for line in lines] == ["dislike", "like", "dislike"]
    record_notes = lines[2]["notes"]
    assert record_notes and window.takes == []
    # A new piece drops the takes without a verdict.
    window.open_file(seed_file, ask=False)
    assert len(log_lines(ratings_folder)) == 3


def test_the_next_generate_adapts_and_off_gives_the_shipped_notes(
        window, seed_file, tiny_bundle, qtbot, ratings_folder):
    ready(window, seed_file, tiny_bundle, qtbot, takes=4, fixed_seed=1234)
    base = generate(window, qtbot)
    for index in range(4):  # like the two densest, dislike the two sparsest
        order = sorted(range(4), key=lambda i: -len(base[i].notes))
        window.takes_panel.select((1, order[index]))
        (window.like_action if index < 2 else window.dislike_action).trigger()
    result = wait_adapted(window, qtbot)
    assert result.ratings == 4 and np.abs(result.adaptation.d).max() > 0.1
    adapted = generate(window, qtbot)
    assert window.generation_bridge.groups[-1].model.endswith("-adapted")
    assert [t.ids for t in adapted] != [t.ids for t in base]  # the ratings changed the music
    window.adapt_action.setChecked(False)  # Generate › Adaptation › Adapt to my ratings
    assert window.ratings.label.text() == "Adaptation off (4 ratings kept)"
    off = generate(window, qtbot)
    assert [t.notes for t in off] == [t.notes for t in base]  # exactly the shipped model
    assert [t.ids for t in off] == [t.ids for t in base]
    window.adapt_action.setChecked(True)
    again = generate(window, qtbot)
    assert [t.ids for t in again] == [t.ids for t in adapted]
    # Make again keeps its promise whatever changed since: the notes the take was made with.
    window.adapt_action.setChecked(False)
    for generation, takes in ((2, adapted), (1, base)):
        window.takes_panel.select((generation, 1))
        with qtbot.waitSignal(window.takesReady, timeout=60000) as made:
            window.again_action.trigger()
        assert made.args[0][0].ids == takes[1].ids


def test_reset_puts_the_log_aside_and_gives_back_the_shipped_model(
        window, seed_file, tiny_bundle, qtbot, ratings_folder):
    ready(window, seed_file, tiny_bundle, qtbot, takes=2, fixed_seed=77)
    base = generate(window, qtbot)
    window.takes_panel.select((1, 0))
    window.like_action.trigger()
    window.takes_panel.select((1, 1))
    window.dislike_action.trigger()
    wait_adapted(window, qtbot)
    assert window.reset_ratings_action.isEnabled()
    seen = []
    answer_question(Btn.Reset, seen)
    window.reset_ratings_action.trigger()
    assert "Forget your 2 ratings" in seen[0]
    assert not (ratings_folder / LOG_NAME).exists()
    aside = list(ratings_folder.glob(f"{LOG_NAME}.reset-*"))
    assert len(aside) == 1 and len(aside[0].read_text().splitlines()) == 2  # kept, not deleted
    assert window.ratings.result is None and window.ratings.counted() == []
    assert window.ratings.label.text() == "No ratings yet"
    assert not window.export_adapted_action.isEnabled()
    again = generate(window, qtbot)
    assert [t.ids for t in again] == [t.ids for t in base]
    # Cancel keeps everything.
    window.takes_panel.select((2, 0))
    window.like_action.trigger()
    answer_question(Btn.Cancel)
    window.reset_ratings_action.trigger()
    assert len(log_lines(ratings_folder)) == 1


def test_export_writes_a_bundle_that_loads(window, seed_file, tiny_bundle, qtbot, tmp_path,
                                           ratings_folder):
    ready(window, seed_file, tiny_bundle, qtbot, takes=2)
    generate(window, qtbot)
    window.takes_panel.select((1, 0))
    window.more_action.trigger()
    window.takes_panel.select((1, 1))
    window.dislike_action.trigger()
    result = wait_adapted(window, qtbot)
    assert window.export_adapted_action.isEnabled()
    out = tmp_path / "exported" / "mine"
    job = window.ratings.export_adapted(out)
    assert job is not None
    with qtbot.waitSignal(job.succeeded, timeout=60000):
        pass
    bundle = load_bundle(out)
    base = load_bundle(tiny_bundle)
    assert np.allclose(bundle.weights["dense_bias"],
                       base.weights["dense_bias"] + result.adaptation.d)
    assert np.array_equal(bundle.weights["dense_kernel"], base.weights["dense_kernel"])
    config = json.loads((out / "config.json").read_text())
    assert config["adapted_from"]["likes"] == 1 and config["adapted_from"]["dislikes"] == 1
    assert not list(out.parent.glob(".mine.new-*"))  # staged, then swapped in whole
    # A folder holding something else is refused, with its name.
    other = tmp_path / "notes"
    other.mkdir()
    (other / "diary.txt").write_text("mine")
    with qtbot.waitSignal(window.errorShown) as shown:
        assert window.ratings.export_adapted(other) is None
    assert "notes" in shown.args[0] and "not empty" in shown.args[0]
    assert (other / "diary.txt").read_text() == "mine"


def test_a_damaged_log_is_put_aside_with_a_notice(make_window, ratings_folder, qtbot,
                                                  seed_file, tiny_bundle):
    ratings_folder.mkdir(parents=True)
    good = RatingLog(ratings_folder)
    from composer.notes import Note
    from composer.ratings import Rating

    good.append(Rating("like", (Note(8.0, 9.0, 60, 90),), 8.0, 16.0, SEED_NOTES))
    with open(ratings_folder / LOG_NAME, "ab") as handle:
        handle.write(b"{this is not a rating}\n")
    window = make_window()
    qtbot.waitUntil(lambda: window.ratings._loaded, timeout=10000)
    notice = window.notice_bar
    qtbot.waitUntil(notice.isVisible, timeout=5000)
    assert "damaged" in notice.text.text() and "1 rating" in notice.text.text()
    assert list(ratings_folder.glob(f"{LOG_NAME}.damaged-*"))  # moved aside, not deleted
    assert len(window.ratings.ratings) == 1
    assert window.isVisible()
    # Rating goes on into the fresh log.
    ready(window, seed_file, tiny_bundle, qtbot, takes=1)
    generate(window, qtbot)
    window.like_action.trigger()
    assert len(log_lines(ratings_folder)) == 2


def test_takes_are_scored_sorted_and_best_of_n(window, seed_file, tiny_bundle, qtbot):
    ready(window, seed_file, tiny_bundle, qtbot, takes=3)
    generate(window, qtbot)
    panel = window.takes_panel
    bridge = window.ratings
    records = window.generation_bridge.records()
    for record in records:
        item = panel.list.item(panel.row_of(record.key))
        score = bridge.score(record)
        assert score is not None and math.isfinite(score.nll) and score.nll > 0
        assert f"NLL {score.nll:.2f}" in item.text() and "in key" in item.text()
        assert "nats per event" in item.toolTip() and "the seed's key" in item.toolTip()
        assert 0 <= score.key_share <= 1 and score.seed_density == 7 / 8  # 7 notes, 8 beats
    window.sort_fit_action.setChecked(True)  # no taste yet: by NLL, lowest first
    shown = [bridge.score(window.generation_bridge.record(k)).nll for k in panel.keys()]
    assert shown == sorted(shown)
    window.sort_fit_action.setChecked(False)
    assert panel.keys() == [(1, 0), (1, 1), (1, 2)]
    # Best 2 of 6: the two the model likes most (no clear taste yet).
    with qtbot.waitSignal(bridge.scored, timeout=60000), \
            qtbot.waitSignal(window.takesReady, timeout=60000) as made:
        assert bridge.generate_best(6, 2) is not None
    six = made.args[0]
    assert len(six) == 6
    group = window.generation_bridge.groups[-1]
    assert len(group.records) == 2
    assert panel.keys()[:2] == [r.key for r in group.records]
    assert "Best 2 of 6" in window.statusBar().currentMessage()
    nll = [bridge._seen[id(t)].score.nll for t in six]
    best = sorted(range(6), key=lambda i: nll[i])[:2]
    assert sorted(r.take.index for r in group.records) == sorted(best)
    assert panel.current() == (2, best[0])  # the best is the one shown


def test_more_like_this_on_selected_bars(window, seed_file, tiny_bundle, qtbot,
                                         ratings_folder):
    ready(window, seed_file, tiny_bundle, qtbot, takes=1, bars=2, fixed_seed=5)
    (take,) = generate(window, qtbot)
    window.view.ruler.select_bars((8.0, 12.0))  # bar 3 of the piece: the take's first bar
    window.more_action.trigger()
    (line,) = log_lines(ratings_folder)
    assert line["verdict"] == "more" and (line["start_beat"], line["end_beat"]) == (8.0, 12.0)
    inside = [n for n in take.notes if n.start < 12.0]
    assert len(line["notes"]) == len(inside) and all(n[0] < 12.0 for n in line["notes"])
    window.view.ruler.select_bars(None)  # no bars: the whole take
    window.more_action.trigger()
    assert log_lines(ratings_folder)[1]["end_beat"] == take.end_beat


def test_sort_by_fit_follows_the_taste(window, seed_file, tiny_bundle, qtbot):
    ready(window, seed_file, tiny_bundle, qtbot, takes=6, fixed_seed=99)
    takes = generate(window, qtbot)
    bridge = window.ratings
    order = sorted(range(6), key=lambda i: -len(takes[i].notes))
    for rank, index in enumerate(order):  # the denser half liked
        bridge.rate("like" if rank < 3 else "dislike", (1, index))
    assert "density" in bridge.taste.steered()
    window.sort_fit_action.setChecked(True)
    panel = window.takes_panel
    fits = [bridge.fit(window.generation_bridge.record(k)) for k in panel.keys()]
    assert all(f is not None for f in fits) and fits == sorted(fits, reverse=True)
    assert fits[0] > fits[-1]
    item = panel.list.item(panel.row_of(panel.keys()[0]))
    assert f"fit {fits[0]:+.1f}" in item.text() and "Fit to your taste" in item.toolTip()


def test_best_of_n_dialog_generates_n_and_keeps_the_panels_count(window, seed_file,
                                                                 tiny_bundle, qtbot):
    ready(window, seed_file, tiny_bundle, qtbot, takes=2)
    dialog = window.ratings.best_of_dialog()  # Generate › Generate best of N…
    assert dialog.isVisible() and "best 2" in dialog.labelText()
    assert dialog.intMinimum() == 3
    dialog.setIntValue(5)
    with qtbot.waitSignal(window.ratings.scored, timeout=60000), \
            qtbot.waitSignal(window.takesReady, timeout=60000) as made:
        dialog.accept()
    assert len(made.args[0]) == 5
    assert len(window.generation_bridge.groups[-1].records) == 2
    assert window.ratings.best_of_dialog().intValue() == 5  # remembered


def test_an_unreadable_log_is_said_and_ratings_still_count(make_window, ratings_folder, qtbot,
                                                           seed_file, tiny_bundle):
    (ratings_folder / LOG_NAME).mkdir(parents=True)  # not a file: cannot be read or appended
    window = make_window()
    qtbot.waitUntil(lambda: window.ratings._loaded, timeout=10000)
    qtbot.waitUntil(window.notice_bar.isVisible, timeout=5000)
    assert LOG_NAME in window.notice_bar.text.text()
    assert "cannot be read" in window.notice_bar.text.text()
    ready(window, seed_file, tiny_bundle, qtbot, takes=1)
    generate(window, qtbot)
    window.like_action.trigger()
    assert "cannot save the rating" in window.notice_bar.text.text()
    assert len(window.ratings.counted()) == 1 and window.isVisible()
    assert (ratings_folder / LOG_NAME).is_dir()  # left as it was


def test_a_notice_flashed_as_its_window_goes_leaves_no_timer_behind(qtbot):
    """The same notice twice flashes it for 350 ms; the bar deleted meanwhile (a window
    closed: a test ending right after a second notice) must not be styled after its end."""
    import shiboken6

    from gui.notice import NoticeBar

    bar = NoticeBar()
    bar.show_notice("ratings-log", "the log cannot be read")
    bar.show_notice("ratings-log", "the rating cannot be saved")  # visible: a flash
    shiboken6.delete(bar)
    qtbot.wait(500)  # pytest-qt fails the test on an exception in the event loop



def test_harmonizations_are_not_rated(window, seed_file, tiny_bundle, qtbot, ratings_folder):
    """Another model's voices: liking, keeping or discarding them must not teach the
    continuation model (nor be scored by it)."""
    ready(window, seed_file, tiny_bundle, qtbot, takes=1)
    with qtbot.waitSignal(window.takesReady, timeout=60000):
        window.harmonize_action.trigger()
    window.takes_panel.select((1, 0))
    window.like_action.trigger()
    assert "not rated" in window.statusBar().currentMessage()
    window.keep_action.trigger()
    assert log_lines(ratings_folder) == []
    assert window.ratings.counted() == []
