"""The main window's menus, toolbar and status bar: where each action of :mod:`gui.actions`
is shown, and the toolbar's boxes (snap, output, tempo, metre, MIDI input).

Only layout: nothing here does anything when clicked; the window connects the boxes.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QMainWindow, QMenu, QSpinBox, QToolBar

from gui import grid
from gui.document import ACCEPTED, SEED
from gui.palette import ORIGIN_COLORS, ORIGIN_LABELS, TAKE_COLORS

METERS = ("2/4", "3/4", "4/4", "5/4", "6/8", "7/8", "9/8", "12/8", "2/2", "3/8")
MIN_BPM, MAX_BPM = 10, 999  # the tempo box: every tempo a real file is likely to hold


class _WheelOnlyWhenFocused:
    """For the toolbar's tempo and metre boxes: the wheel changes them only once they have
    been clicked, so a wheel turned to scroll past the toolbar does not retime the piece.
    Qt's boxes take the focus from the wheel itself, hence the focus policy as well."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class TempoBox(_WheelOnlyWhenFocused, QSpinBox):
    pass


class MeterBox(_WheelOnlyWhenFocused, QComboBox):
    pass


@dataclass(frozen=True)
class Toolbar:
    bar: QToolBar
    snap_combo: QComboBox
    output_combo: QComboBox
    tempo_spin: TempoBox
    meter_combo: MeterBox
    input_combo: QComboBox


@dataclass(frozen=True)
class StatusWidgets:
    hover_label: QLabel
    info_label: QLabel
    legend_label: QLabel


@dataclass(frozen=True)
class Menus:
    recent: QMenu  # File › Open recent (filled when it is shown)
    examples: QMenu  # File › Open example (the bundled seeds; also on the empty roll)


def build_menus(window: QMainWindow, a: dict[str, QAction], dock_toggles: list[QAction]
                ) -> Menus:
    """The menu bar, and the submenus the window fills."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([a["new_action"], a["open_action"]])
    examples_menu = file_menu.addMenu("Open e&xample")
    examples_menu.setToolTipsVisible(True)
    recent_menu = file_menu.addMenu("Open &recent")
    file_menu.addSeparator()
    file_menu.addActions([a["save_action"], a["save_as_action"], a["export_action"]])
    file_menu.addSeparator()
    file_menu.addAction(a["preferences_action"])
    file_menu.addSeparator()
    file_menu.addAction(a["quit_action"])
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([a["undo_action"], a["redo_action"]])
    edit_menu.addSeparator()
    edit_menu.addActions([a[n] for n in ("cut_action", "copy_action", "paste_action",
                                         "duplicate_action", "delete_action",
                                         "quantize_action")])
    edit_menu.addSeparator()
    edit_menu.addActions([a["select_all_action"], a["trim_action"]])
    edit_menu.addSeparator()
    edit_menu.addActions([a["select_tool"], a["draw_tool"]])
    view_menu = bar.addMenu("&View")
    view_menu.addActions([a["zoom_in_action"], a["zoom_out_action"], a["fit_action"]])
    view_menu.addSeparator()
    view_menu.addActions(dock_toggles)
    play_menu = bar.addMenu("&Play")
    play_menu.addActions([a["play_action"], a["play_seed_action"], a["play_take_action"],
                          a["stop_action"]])
    play_menu.addSeparator()
    play_menu.addActions([a["record_action"], a["live_action"], a["refresh_ports_action"]])
    generate_menu = bar.addMenu("&Generate")
    generate_menu.addActions([a["generate_action"], a["regenerate_action"],
                              a["harmonize_action"], a["cancel_action"]])
    generate_menu.addSeparator()
    generate_menu.addActions([a["next_take_action"], a["previous_take_action"],
                              a["compare_action"], a["again_action"]])
    generate_menu.addSeparator()
    generate_menu.addActions([a["keep_action"], a["continue_action"], a["discard_action"]])
    generate_menu.addSeparator()
    generate_menu.addActions([a["like_action"], a["dislike_action"], a["more_action"],
                              a["best_of_action"], a["sort_fit_action"]])
    adaptation_menu = generate_menu.addMenu("Ada&ptation")
    adaptation_menu.addActions([a["adapt_action"], a["reset_ratings_action"],
                                a["export_adapted_action"]])
    help_menu = bar.addMenu("&Help")
    help_menu.addActions([a["readme_action"], a["model_card_action"]])
    help_menu.addSeparator()
    help_menu.addActions([a["shortcuts_action"], a["about_action"]])
    return Menus(recent_menu, examples_menu)


def build_toolbar(window: QMainWindow, a: dict[str, QAction]) -> Toolbar:
    bar = QToolBar("Main", window)
    bar.setObjectName("main_toolbar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    window.addToolBar(bar)
    bar.addActions([a["open_action"], a["save_action"], a["export_action"]])
    bar.addSeparator()
    bar.addActions([a["undo_action"], a["redo_action"]])
    bar.addSeparator()
    bar.addActions([a["select_tool"], a["draw_tool"]])
    snap_combo = QComboBox()
    for label, beats in grid.SNAP_CHOICES:
        snap_combo.addItem(label, beats)
    snap_combo.setToolTip("Snap notes to this grid when drawing and moving")
    bar.addWidget(QLabel(" Snap "))
    bar.addWidget(snap_combo)
    bar.addSeparator()
    bar.addActions([a["zoom_out_action"], a["zoom_in_action"], a["fit_action"]])
    bar.addSeparator()
    bar.addActions([a["play_action"], a["stop_action"]])
    output_combo = QComboBox()
    output_combo.setToolTip("Where playback goes: the built-in synth or a MIDI port")
    output_combo.setMinimumContentsLength(12)
    bar.addWidget(output_combo)
    tempo_spin = TempoBox()
    tempo_spin.setRange(MIN_BPM, MAX_BPM)
    tempo_spin.setPrefix("♩ = ")
    tempo_spin.setSuffix(" bpm")
    tempo_spin.setKeyboardTracking(False)  # one edit when typing is done, not per key
    tempo_spin.setToolTip("Tempo of the piece (later tempo changes follow in proportion); "
                          "playback and export use it")
    bar.addWidget(tempo_spin)
    meter_combo = MeterBox()
    meter_combo.addItems(METERS)
    meter_combo.setToolTip("Time signature of the piece: where the bar lines fall, and what a "
                           "continuation's length in bars means")
    bar.addWidget(meter_combo)
    bar.addSeparator()
    bar.addAction(a["record_action"])
    input_combo = QComboBox()
    input_combo.setToolTip("The MIDI keyboard to record from")
    input_combo.setMinimumContentsLength(12)
    bar.addWidget(input_combo)
    bar.addSeparator()
    bar.addActions([a["generate_action"], a["live_action"]])
    return Toolbar(bar, snap_combo, output_combo, tempo_spin, meter_combo, input_combo)


def build_status_bar(window: QMainWindow) -> StatusWidgets:
    status = window.statusBar()
    hover_label = QLabel()
    hover_label.setMinimumWidth(260)
    info_label = QLabel()
    def square(color) -> str:
        return f'<span style="color:{color.name()}">■</span>'

    legend = "&nbsp;&nbsp;".join(f"{square(ORIGIN_COLORS[o])} {ORIGIN_LABELS[o]}"
                                 for o in (SEED, ACCEPTED))
    legend += "&nbsp;&nbsp;" + "".join(square(c) for c in TAKE_COLORS[:3]) + " Takes"
    legend_label = QLabel(legend)
    legend_label.setToolTip("Note colours: your notes, the kept generated notes, and the take "
                            "on trial (each take has its own colour, as in the takes list); "
                            "softer notes are drawn darker")
    status.addPermanentWidget(hover_label)
    status.addPermanentWidget(legend_label)
    status.addPermanentWidget(info_label)
    return StatusWidgets(hover_label, info_label, legend_label)
