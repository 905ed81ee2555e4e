"""The takes list (gui/takes.py) as a real widget, with real takes."""

from __future__ import annotations

import pytest

from composer.generate import Take
from composer.notes import Note
from gui.takes import TakesPanel


def take(index: int, pitches) -> Take:
    notes = tuple(Note(8.0 + i, 9.0 + i, p) for i, p in enumerate(pitches))
    return Take(index, notes, (), 8.0, 8.0 + len(notes), tuple(range(3 * len(notes))))


@pytest.fixture
def panel(qtbot):
    widget = TakesPanel()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_empty_shows_the_hint_and_disables_the_buttons(panel):
    assert panel.placeholder.isVisible() and not panel.list.isVisible()
    assert not any(b.isEnabled() for b in (panel.play_button, panel.keep_button,
                                          panel.continue_button, panel.discard_button))
    assert panel.current() == -1


def test_takes_are_listed_and_the_first_is_selected(panel, qtbot):
    with qtbot.waitSignal(panel.takeSelected, timeout=1000) as chosen:
        panel.set_takes([take(0, [60, 62]), take(1, [64, 65, 67])])
    assert chosen.args == [0] and panel.current() == 0
    assert panel.list.count() == 2 and panel.list.isVisible()
    assert panel.list.item(0).text().startswith("Take 1")
    assert panel.list.item(1).text().startswith("Take 2")
    assert "6 events" in panel.list.item(0).toolTip()
    with qtbot.waitSignal(panel.takeSelected, timeout=1000) as chosen:
        panel.list.setCurrentRow(1)
    assert chosen.args == [1]
    for button, signal in ((panel.keep_button, panel.keepRequested),
                           (panel.continue_button, panel.keepContinueRequested),
                           (panel.discard_button, panel.discardRequested),
                           (panel.play_button, panel.playRequested)):
        assert button.isEnabled()
        with qtbot.waitSignal(signal, timeout=1000):
            button.click()


def test_clearing_reports_no_selection(panel, qtbot):
    panel.set_takes([take(0, [60])])
    with qtbot.waitSignal(panel.takeSelected, timeout=1000) as chosen:
        panel.set_takes([])
    assert chosen.args == [-1] and panel.placeholder.isVisible()
