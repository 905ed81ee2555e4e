"""The roll's colours: the dark canvas, grid lines, one colour per note origin, and one per
take.

One place for them, because the roll, the velocity lane, the ruler, the takes list and the
status bar's legend must agree (a take has the same colour in the list and in the roll). Softer
notes are drawn darker (:func:`velocity_color`, :func:`shade`). Takes get colours of their own
(:func:`take_color`, by their number in the session's history), so two takes compared one after
the other never look the same; none of them is the seed's blue or the kept notes' green.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

from gui.document import ACCEPTED, ANSWER, PHRASE, RECORDING, SEED, TAKE, Origin

BACKGROUND = QColor("#20232a")
BLACK_LANE = QColor("#1a1c22")
C_LANE_LINE = QColor("#3a3f4b")
SUB_LINE = QColor("#262a32")
BEAT_LINE = QColor("#2f343e")
BAR_LINE = QColor("#4b5263")
PLAYHEAD = QColor("#ff5a5f")
CURSOR_LINE = QColor("#e0e0e0")
RUBBER_FILL = QColor(120, 170, 255, 40)
RUBBER_EDGE = QColor(120, 170, 255, 200)
SELECTED_EDGE = QColor("#ffffff")

ORIGIN_COLORS = {
    SEED: QColor("#4f9dff"),  # blue: what you gave
    ACCEPTED: QColor("#3ecf8e"),  # green: generated and kept
    TAKE: QColor("#ffa53d"),  # orange: the take on trial
    PHRASE: QColor("#c792ea"),  # violet: live, what you play
    ANSWER: QColor("#ff6fae"),  # pink: live, the model's answer
    RECORDING: QColor("#ff5a5f"),  # red: being recorded
}
ORIGIN_LABELS = {
    SEED: "Seed", ACCEPTED: "Kept", TAKE: "Take", PHRASE: "Live: you", ANSWER: "Live: model",
    RECORDING: "Recording",
}
TAKE_COLORS = (
    QColor("#ffa53d"),  # orange (the first take: the colour a take has always had)
    QColor("#a98bff"),  # violet
    QColor("#e9dc4a"),  # yellow
    QColor("#ee6fd6"),  # magenta
    QColor("#b5e655"),  # lime
    QColor("#ff7f66"),  # coral
)
VELOCITY_LEVELS = 8  # notes are batched by colour; 8 intensity steps are plenty to see dynamics


def take_color(serial: int) -> QColor:
    """The colour of the take numbered ``serial`` (0-based) in the session's history."""
    return QColor(TAKE_COLORS[serial % len(TAKE_COLORS)])


def velocity_color(origin: Origin | str, velocity: int) -> QColor:
    """The fill of a note: the origin's colour, fading toward the background when soft.

    A note of velocity 127 has exactly the origin's colour.
    """
    return shade(ORIGIN_COLORS.get(origin, ORIGIN_COLORS[SEED]), velocity)


def shade(base: QColor, velocity: int) -> QColor:
    """``base`` for a note of full velocity, fading toward the background when soft."""
    level = min(max((int(velocity) * VELOCITY_LEVELS + 126) // 127, 1), VELOCITY_LEVELS)
    f = 0.35 + 0.65 * level / VELOCITY_LEVELS
    return QColor(
        round(BACKGROUND.red() + (base.red() - BACKGROUND.red()) * f),
        round(BACKGROUND.green() + (base.green() - BACKGROUND.green()) * f),
        round(BACKGROUND.blue() + (base.blue() - BACKGROUND.blue()) * f),
    )
KEYS_BACKGROUND = QColor("#f4f4f4")  # the keyboard strip
BLACK_KEY = QColor("#2b2b2b")
KEY_LINE = QColor("#c8c8c8")
KEY_LABEL = QColor("#555555")
KEYS_EDGE = QColor("#9a9a9a")
RULER_BACKGROUND = QColor("#2a2e37")
RULER_TICK = QColor("#6b7385")
RULER_LABEL = QColor("#d7dae0")
