"""Icons and text that read on dark and light palettes, plain labels, and Help's documents.

A dark system palette is set on the real application (as a dark desktop theme does) and the
window's icons are looked at pixel by pixel: their ink must stand out from the window colour.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication

from gui.text_viewer import TextViewer

ICONS = ("play_action", "stop_action", "undo_action", "redo_action", "select_tool",
         "zoom_in_action", "zoom_out_action", "fit_action")


def dark_palette() -> QPalette:
    palette = QPalette()
    window, text, base = QColor("#2b2b2b"), QColor("#e6e6e6"), QColor("#1e1e1e")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Window, window)
        palette.setColor(group, QPalette.ColorRole.WindowText, text)
        palette.setColor(group, QPalette.ColorRole.Base, base)
        palette.setColor(group, QPalette.ColorRole.Text, text)
        palette.setColor(group, QPalette.ColorRole.Button, window)
        palette.setColor(group, QPalette.ColorRole.ButtonText, text)
    return palette


@pytest.fixture
def dark(qapp):
    before = QPalette(qapp.palette())
    qapp.setPalette(dark_palette())
    yield qapp.palette()
    qapp.setPalette(before)


def luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return (0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF())
            + 0.0722 * channel(color.blueF()))


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink_contrast(image: QImage, background: QColor) -> float:
    """Contrast with the background of the icon's most visible opaque pixels (its lines)."""
    values = sorted(
        (contrast(QColor(image.pixelColor(x, y).rgb()), background)
         for y in range(image.height()) for x in range(image.width())
         if image.pixelColor(x, y).alpha() > 200), reverse=True)
    assert values, "an empty icon"
    return values[len(values) // 10]  # the 90th percentile: the ink, not one stray pixel


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_icons_stand_out_on_the_palette(theme, request, make_window):
    if theme == "dark":
        request.getfixturevalue("dark")
    window = make_window()
    background = window.palette().color(QPalette.ColorRole.Window)
    for name in ICONS:
        image = getattr(window, name).icon().pixmap(32, 32).toImage()
        assert ink_contrast(image, background) >= 4.5, (theme, name)


def test_switching_to_a_dark_palette_redraws_the_icons(window, qapp):
    before = QPalette(qapp.palette())
    light_ink = ink_contrast(window.play_action.icon().pixmap(32, 32).toImage(),
                             QColor("#2b2b2b"))
    try:
        qapp.setPalette(dark_palette())
        QApplication.processEvents()
        image = window.play_action.icon().pixmap(32, 32).toImage()
        assert ink_contrast(image, QColor("#2b2b2b")) >= 4.5 > light_ink
    finally:
        qapp.setPalette(before)


def test_undo_and_redo_do_not_look_like_previous_and_next(window):
    from gui import icons

    def pixels(icon) -> bytes:
        image = icon.pixmap(32, 32).toImage().convertToFormat(QImage.Format.Format_ARGB32)
        return bytes(image.constBits())

    arrows = {pixels(icons.standard(window, n)) for n in ("SP_ArrowBack", "SP_ArrowForward",
                                                          "SP_MediaSkipBackward",
                                                          "SP_MediaSkipForward")}
    undo, redo = pixels(window.undo_action.icon()), pixels(window.redo_action.icon())
    assert undo not in arrows and redo not in arrows and undo != redo

    def left_share(icon) -> float:  # how much of the ink is in the left half
        image = icon.pixmap(32, 32).toImage()
        ink = [(x, image.pixelColor(x, y).alpha()) for y in range(32) for x in range(32)]
        return sum(a for x, a in ink if x < 16) / sum(a for _x, a in ink)

    # Undo turns back (its arrowhead on the left), redo forward: mirror images.
    assert left_share(window.undo_action.icon()) > 0.5 > left_share(window.redo_action.icon())
    assert left_share(window.undo_action.icon()) == pytest.approx(
        1 - left_share(window.redo_action.icon()), abs=0.03)


def test_model_info_is_readable_on_a_dark_palette(dark, make_window, tiny_bundle, qtbot):
    window = make_window()
    window.controls.choose_model(str(tiny_bundle))
    qtbot.waitUntil(lambda: "LSTM" in window.controls.model_info.text(), timeout=30000)
    label = window.controls.model_info
    image = label.grab().toImage()
    background = QColor(image.pixelColor(1, 1).rgb())
    assert luminance(background) < 0.1  # the dark palette is in force
    best = max(contrast(QColor(image.pixelColor(x, y).rgb()), background)
               for y in range(image.height()) for x in range(image.width()))
    assert best >= 7.0  # text in the palette's own text colour
    assert "kinds of event" in label.text()  # the vocabulary size, said as what it is
    assert "a key pressed or let go" in label.toolTip()


def test_plain_labels_random_seed_and_typed_temperature(window):
    from PySide6.QtWidgets import QFormLayout, QLabel

    form = window.controls.findChild(QFormLayout)
    labels = [form.itemAt(i, QFormLayout.ItemRole.LabelRole).widget().text()
              for i in range(form.rowCount())
              if form.itemAt(i, QFormLayout.ItemRole.LabelRole) is not None
              and isinstance(form.itemAt(i, QFormLayout.ItemRole.LabelRole).widget(), QLabel)]
    assert "Random seed" in labels and "Seed" not in labels
    assert {"Style", "Composer", "Seed memory", "Temperature"} <= set(labels)
    assert "random seed" in window.controls.fixed_seed.toolTip()
    assert window.controls.temperature_box.isVisible()


def test_help_opens_the_readme_and_the_model_card_offline(window, tiny_bundle, tmp_path):
    from gui.text_viewer import readme_path

    help_menu = window.menuBar().actions()[-1].menu()
    assert {window.readme_action, window.model_card_action} <= set(help_menu.actions())
    window.readme_action.trigger()
    viewers = window.findChildren(TextViewer)
    assert len(viewers) == 1 and viewers[0].isVisible()
    readme = viewers[0]
    assert readme.path == readme_path() and readme.browser.isReadOnly()
    assert "composer" in readme.browser.toPlainText()
    assert not readme.browser.openExternalLinks() and not readme.browser.openLinks()
    readme.reject()
    card = tmp_path / "model" / "card.md"
    card.parent.mkdir()
    card.write_text("# Model card\n\nTrained on **piano** music.\n", encoding="utf-8")
    window.controls.choose_model(str(card.parent))
    window.model_card_action.trigger()
    shown = [v for v in window.findChildren(TextViewer) if v.isVisible()]
    assert len(shown) == 1 and shown[0].path == card
    assert "Trained on piano music." in shown[0].browser.toPlainText()
    shown[0].reject()
    window.controls.choose_model(str(tmp_path / "no-card"))
    window.model_card_action.trigger()
    shown = [v for v in window.findChildren(TextViewer) if v.isVisible()]
    assert "no model card" in shown[0].browser.toPlainText()
    shown[0].reject()
