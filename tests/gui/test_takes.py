"""The takes history (gui/takes.py) as a real widget, with real takes and settings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from composer.generate import GenerationSettings, Take
from composer.notes import Note
from gui.palette import TAKE_COLORS
from gui.take_history import make_group, take_alone
from gui.takes import TakesPanel


def take(index: int, pitches) -> Take:
    notes = tuple(Note(8.0 + i, 9.0 + i, p) for i, p in enumerate(pitches))
    return Take(index, notes, (), 8.0, 8.0 + len(notes), tuple(range(3 * len(notes))),
                style="piano")


def history():
    first = make_group(1, [take(0, [60, 62]), take(1, [64, 65, 67])],
                       GenerationSettings(temperature=0.8, top_p=0.9, takes=2,
                                          random_seed=11), 0, "tiny")
    second = make_group(2, [take(0, [70]), take(1, [71]), take(2, [72])],
                        GenerationSettings(temperature=1.2, takes=3, random_seed=99,
                                           style="chorale"), 2, "tiny")
    return [first, second]


@pytest.fixture
def panel(qtbot):
    widget = TakesPanel()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def swatch_color(panel, row: int) -> QColor:
    image = panel.list.item(row).icon().pixmap(14, 14).toImage()
    return QColor(image.pixel(7, 7))


def test_empty_shows_the_hint_and_disables_the_buttons(panel):
    assert panel.placeholder.isVisible() and not panel.list.isVisible()
    assert not any(b.isEnabled() for b in (panel.play_button, panel.keep_button,
                                          panel.continue_button, panel.discard_button,
                                          panel.again_button, panel.compare_button))
    assert panel.current() is None


def test_every_generation_is_listed_newest_first_with_its_settings(panel, qtbot):
    with qtbot.waitSignal(panel.takeSelected, timeout=1000) as chosen:
        panel.set_history(history())
    assert chosen.args == [(2, 0)] and panel.current() == (2, 0)
    texts = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert texts[0] == "Generation 2: 3 takes · random seed 99\nT 1.20 · top-p 0.95 · chorale"
    assert [t.split("  —  ")[0] for t in texts[1:4]] == ["Take 1", "Take 2", "Take 3"]
    assert texts[4] == ("Generation 1: 2 takes · random seed 11\n"
                        "T 0.80 · top-p 0.90 · piano (auto)")
    assert panel.keys() == [(2, 0), (2, 1), (2, 2), (1, 0), (1, 1)]
    tip = panel.list.item(6).toolTip()  # generation 1, take 2
    assert "its random seed 12 (generation's 11, take 2)" in tip and "temperature 0.80" in tip
    assert "style piano (automatic)" in tip and "9 events" in tip
    # A heading cannot be selected; each take has its own colour, the same as in the roll.
    selectable = Qt.ItemFlag.ItemIsSelectable
    assert not panel.list.item(0).flags() & selectable and panel.list.item(1).flags() & selectable
    colours = {swatch_color(panel, row).name() for row in (1, 2, 3, 5, 6)}
    assert len(colours) == 5
    assert swatch_color(panel, 5).name() == TAKE_COLORS[0].name()  # the first take ever


def test_next_previous_and_compare(panel, qtbot):
    panel.set_history(history())
    seen = []
    panel.takeSelected.connect(seen.append)
    panel.step(+1)
    panel.step(+1)
    panel.step(+1)  # across the heading into generation 1
    assert seen == [(2, 1), (2, 2), (1, 0)]
    panel.step(+5)
    assert panel.current() == (1, 1)  # the last one: stays there
    panel.step(-1)
    assert panel.current() == (1, 0)
    assert panel.compare_button.isEnabled()
    panel.compare()  # A/B: back to the one before…
    assert panel.current() == (1, 1)
    panel.compare()  # …and forth
    assert panel.current() == (1, 0)


def test_a_new_generation_compares_with_the_take_listened_to_before(panel):
    groups = history()
    panel.set_history(groups[:1])
    panel.select((1, 1))
    panel.set_history(groups, (2, 0))
    assert panel.current() == (2, 0)
    panel.compare()
    assert panel.current() == (1, 1)


def test_buttons_send_their_requests(panel, qtbot):
    panel.set_history(history())
    for button, signal in ((panel.keep_button, panel.keepRequested),
                           (panel.continue_button, panel.keepContinueRequested),
                           (panel.discard_button, panel.discardRequested),
                           (panel.play_button, panel.playRequested)):
        assert button.isEnabled()
        with qtbot.waitSignal(signal, timeout=1000):
            button.click()
    with qtbot.waitSignal(panel.againRequested, timeout=1000) as again:
        panel.again_button.click()
    assert again.args == [(2, 0)]


def test_clearing_reports_no_selection(panel, qtbot):
    panel.set_history(history())
    with qtbot.waitSignal(panel.takeSelected, timeout=1000) as chosen:
        panel.set_history([])
    assert chosen.args == [None] and panel.placeholder.isVisible()


def test_each_take_has_a_random_seed_of_its_own():
    from gui.take_history import take_seed

    first, second = history()
    assert [r.random_seed for r in first.records + second.records] == [11, 12, 99, 100, 101]
    assert take_seed(2**32 - 1, 1) == 0  # 32-bit, as --random-seed takes


def test_a_take_alone_keeps_its_random_seed_and_number():
    settings = GenerationSettings(takes=4, random_seed=5, temperature=0.9)
    alone = take_alone(settings, 2)
    assert (alone.takes, alone.first_take, alone.random_seed, alone.temperature) == (
        1, 2, 5, 0.9)
