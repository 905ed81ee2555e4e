"""Every command of the main window, in one table: text, keys, icon, tip, and its line in the
keyboard-shortcut list.

The window builds its ``QAction`` objects from :data:`ACTIONS` (:func:`build_actions`) and the
Help › Keyboard shortcuts dialog is made from the same table (:func:`shortcut_rows`), so a key
that changes changes in both. A newcomer adding a command adds one :class:`ActionSpec` here,
one entry in the window's slot map, and puts the action in a menu or the toolbar
(:mod:`gui.window_layout`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QWidget

from gui import icons

K = QKeySequence.StandardKey
Key = str | QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    """One command. ``icon``: a Qt standard pixmap name ("SP_…") or the name of a drawing in
    :mod:`gui.icons` (with its argument after a colon, "magnifier:+"). ``in_roll``: its keys act
    only in the piano roll, so Ctrl+C, Ctrl+A… keep their meaning in the text and number boxes.
    ``help``: its line in the shortcut list (none: not listed)."""

    name: str  # the window attribute, e.g. "new_action"
    text: str
    keys: tuple[Key, ...] = ()
    icon: str = ""
    tip: str = ""
    checkable: bool = False
    in_roll: bool = False
    enabled: bool = True
    help: str = ""


ACTIONS: tuple[ActionSpec, ...] = (
    # file
    ActionSpec("new_action", "&New", (K.New,), "SP_FileIcon", "Start an empty piece"),
    ActionSpec("open_action", "&Open…", (K.Open,), "SP_DialogOpenButton",
               "Open a MIDI file as the seed", help="open a MIDI file"),
    ActionSpec("save_action", "&Save", (K.Save,), "SP_DialogSaveButton",
               "Save the piece as a MIDI file", help="save"),
    ActionSpec("save_as_action", "Save &As…", ("Ctrl+Shift+S",),
               tip="Save the piece under a new name"),
    ActionSpec("export_action", "&Export…", ("Ctrl+E",), "SP_DriveHDIcon",
               "Export the piece as a MIDI or WAV file", help="export"),
    ActionSpec("preferences_action", "&Preferences…", ("Ctrl+,",),
               tip="Sound output, SoundFont and MIDI system"),
    ActionSpec("quit_action", "&Quit", (K.Quit,), tip="Close composer"),
    # edit
    ActionSpec("undo_action", "&Undo", (K.Undo,), "undo", help="undo"),
    ActionSpec("redo_action", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "redo", help="redo"),
    ActionSpec("delete_action", "&Delete notes", (K.Delete, "Backspace"), "SP_TrashIcon",
               "Delete the selected notes", in_roll=True, help="delete selected notes"),
    ActionSpec("select_all_action", "Select &all", ("Ctrl+A",),
               tip="Select every note of the piece", in_roll=True),
    ActionSpec("cut_action", "Cu&t", (K.Cut,), tip="Copy the selected notes and delete them",
               in_roll=True, help="cut notes"),
    ActionSpec("copy_action", "&Copy", (K.Copy,), tip="Copy the selected notes", in_roll=True,
               help="copy notes"),
    ActionSpec("paste_action", "&Paste", (K.Paste,),
               tip="Paste the copied notes at the play cursor", in_roll=True,
               enabled=False, help="paste notes (at the play cursor)"),
    ActionSpec("duplicate_action", "D&uplicate", ("Ctrl+D",),
               tip="Repeat the selected notes right after themselves", in_roll=True,
               help="duplicate the selected notes after themselves"),
    ActionSpec("quantize_action", "&Quantize", ("Q",),
               tip="Move the selected notes (or all, if none is selected) onto the snap grid",
               in_roll=True, help="quantize the selected notes (or all) to the snap grid"),
    ActionSpec("trim_action", "&Trim to bars…", tip="Keep only a range of bars of the piece"),
    ActionSpec("select_tool", "Select", ("V",), "pointer", "Select, move and resize notes",
               checkable=True, help="select tool"),
    ActionSpec("draw_tool", "Draw", ("D",), "pencil", "Draw notes (drag to set the length)",
               checkable=True, help="draw tool"),
    # view
    ActionSpec("zoom_in_action", "Zoom &in", (K.ZoomIn,), "magnifier:+", "Zoom in (time)"),
    ActionSpec("zoom_out_action", "Zoom &out", (K.ZoomOut,), "magnifier:-", "Zoom out (time)"),
    ActionSpec("fit_action", "&Fit", ("Ctrl+0",), "fit", "Show the whole piece",
               help="show the whole piece"),
    # play
    ActionSpec("play_action", "&Play / Stop", ("Space",), "play",
               "Play the piece and the selected take from the cursor", help="play / stop"),
    ActionSpec("play_seed_action", "Play &seed", tip="Play only the seed notes (yours, not "
               "the generated ones)"),
    ActionSpec("play_take_action", "Play &take", ("Ctrl+T",),
               tip="Play the last bar before the take and the take", enabled=False,
               help="play the take"),
    ActionSpec("stop_action", "S&top", icon="stop", tip="Stop playing"),
    ActionSpec("record_action", "&Record", ("Ctrl+R",), "record",
               "Record notes from the MIDI keyboard after the piece", checkable=True,
               help="record"),
    ActionSpec("refresh_ports_action", "Refresh &MIDI ports",
               tip="Look for MIDI keyboards and outputs again"),
    # generate
    ActionSpec("generate_action", "&Generate", ("Ctrl+G",), "sparkle",
               "Write continuations of the piece", help="generate"),
    ActionSpec("regenerate_action", "&Regenerate selection", ("Ctrl+Shift+R",), "sparkle",
               "Write new takes for the selected bars (Shift+drag in the ruler) that lead "
               "into what follows", enabled=False, help="regenerate the selected bars"),
    ActionSpec("harmonize_action", "&Harmonize melody", ("Ctrl+Shift+H",), "sparkle",
               "Add alto, tenor and bass under the selected notes (or the piece's top line)",
               enabled=False, help="harmonize the melody (alto, tenor, bass)"),
    ActionSpec("cancel_action", "&Cancel generation", ("Esc",), "SP_BrowserStop",
               "Stop generating", enabled=False, help="cancel generation"),
    ActionSpec("keep_action", "&Keep take", ("Ctrl+Return",), "SP_DialogApplyButton",
               "Append the selected take to the piece", enabled=False,
               help="keep the selected take"),
    ActionSpec("continue_action", "Keep && &continue", ("Ctrl+Shift+Return",),
               tip="Keep the take and generate from its end", enabled=False,
               help="keep the take and generate from its end"),
    ActionSpec("next_take_action", "&Next take", ("Alt+Down",),
               tip="Select the next take in the takes list", enabled=False, help="next take"),
    ActionSpec("previous_take_action", "&Previous take", ("Alt+Up",),
               tip="Select the previous take in the takes list", enabled=False,
               help="previous take"),
    ActionSpec("compare_action", "Compare &A/B", ("Alt+B",),
               tip="Switch back to the take selected before, to compare the two",
               enabled=False, help="compare two takes (A/B)"),
    ActionSpec("again_action", "&Make take again", ("Ctrl+Shift+G",),
               tip="Generate the selected take again, alone, from its own random seed",
               enabled=False, help="make the selected take again, alone"),
    ActionSpec("discard_action", "&Discard takes", tip="Drop every take of the history",
               enabled=False),
    # ratings (gui.ratings_bridge connects these itself)
    ActionSpec("like_action", "&Like take", ("Ctrl+Shift+L",),
               tip="Rate the selected take: more like it (the next takes lean its way)",
               enabled=False, help="like the selected take"),
    ActionSpec("dislike_action", "D&islike take", ("Ctrl+Shift+D",),
               tip="Rate the selected take: less like it", enabled=False,
               help="dislike the selected take"),
    ActionSpec("more_action", "&More like this", ("Ctrl+Shift+M",),
               tip="A strong like, for the selected take (or its bars selected in the ruler)",
               enabled=False, help="more like this (take or selected bars)"),
    ActionSpec("best_of_action", "Generate &best of N…", ("Ctrl+Shift+B",), "sparkle",
               "Generate many takes and show only the best (by fit to your taste, or as the "
               "model likes them most)", help="generate best of N"),
    ActionSpec("sort_fit_action", "&Sort takes by fit", checkable=True,
               tip="Order each generation's takes by fit to your taste (without one: as the "
                   "model likes them most)"),
    ActionSpec("adapt_action", "&Adapt to my ratings", checkable=True,
               tip="Generate from the model adapted to your ratings (off: the shipped model, "
                   "exactly)"),
    ActionSpec("reset_ratings_action", "&Reset ratings…",
               tip="Start over: the ratings log is put aside and the shipped model comes back"),
    ActionSpec("export_adapted_action", "E&xport adapted model…", enabled=False,
               tip="Save the model adapted to your ratings as a model folder"),
    ActionSpec("live_action", "&Live", ("Ctrl+L",), "live",
               "Call and response with a MIDI keyboard", checkable=True, help="live mode"),
    # help
    ActionSpec("shortcuts_action", "&Keyboard shortcuts", (K.HelpContents,)),
    ActionSpec("readme_action", "&Read me", tip="How to use composer (the README, offline)"),
    ActionSpec("model_card_action", "&Model card",
               tip="What the chosen model was trained on, how well it does, its limits"),
    ActionSpec("about_action", "&About composer"),
)

# Gestures that are no action but belong in the shortcut list.
GESTURES: tuple[tuple[str, str], ...] = (
    ("Arrows", "move selected notes (Shift: by octaves)"),
    ("Ctrl+wheel", "zoom time"),
    ("Ctrl+Shift+wheel", "zoom pitch"),
)

SPECS: dict[str, ActionSpec] = {spec.name: spec for spec in ACTIONS}


def icon_for(widget: QWidget, name: str) -> QIcon:
    """A standard icon, or a drawing in the widget palette's text colour (readable on light
    and dark palettes alike)."""
    if name.startswith("SP_"):
        return icons.standard(widget, name)
    drawing, _, argument = name.partition(":")
    draw = getattr(icons, drawing)
    ink = icons.Ink.of(widget)
    return draw(ink, argument) if argument else draw(ink)


def refresh_icons(widget: QWidget, actions: Mapping[str, QAction]) -> None:
    """Draw the icons again, after the palette changed (a dark theme switched on)."""
    for spec in ACTIONS:
        action = actions.get(spec.name)
        if action is not None and spec.icon:
            action.setIcon(icon_for(widget, spec.icon))


def build_actions(window: QWidget, roll: QWidget, slots: Mapping[str, Callable],
                  made: Mapping[str, QAction] | None = None) -> dict[str, QAction]:
    """A ``QAction`` per spec, added to ``window`` (or to ``roll`` for roll-only keys) so
    their keys work even when the toolbar is hidden. ``made``: actions that exist already (the
    undo stack's undo and redo), given keys, icon and tip here. ``slots``: what each action
    does, by name (``toggled`` for checkable actions, ``triggered`` for the others)."""
    made = made or {}
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = made.get(spec.name) or QAction(spec.text, window)
        if spec.icon:
            action.setIcon(icon_for(window, spec.icon))
        if spec.keys:
            action.setShortcuts([QKeySequence(k) for k in spec.keys])
        if spec.tip:
            first = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{spec.tip} ({first})" if first else spec.tip)
            action.setStatusTip(spec.tip)
        action.setCheckable(spec.checkable)
        slot = slots.get(spec.name)
        if slot is not None:
            (action.toggled if spec.checkable else action.triggered).connect(slot)
        if spec.in_roll:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            roll.addAction(action)
        else:
            window.addAction(action)
        if spec.name not in made:  # the undo stack enables its own
            action.setEnabled(spec.enabled)
        actions[spec.name] = action
    return actions


def shortcut_rows(actions: Mapping[str, QAction]) -> list[tuple[str, str]]:
    """(keys, what they do) for every listed action, with the keys it really has, then the
    gestures."""
    rows = []
    for spec in ACTIONS:
        action = actions.get(spec.name)
        if not spec.help or action is None:
            continue
        keys = " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                           for k in action.shortcuts())
        if keys:
            rows.append((keys, spec.help))
    return rows + list(GESTURES)
