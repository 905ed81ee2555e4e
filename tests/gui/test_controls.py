"""The Generate panel (gui/controls.py) as a real widget: its values become settings, it
remembers them in QSettings, and it announces models and changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from composer.bundle import default_model_dir
from gui.controls import OTHER, GenerationControls


@pytest.fixture
def controls(qtbot):
    widget = GenerationControls()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_values_become_generation_settings(controls):
    settings = controls.settings()
    assert (settings.temperature, settings.top_k, settings.top_p, settings.bars,
            settings.takes, settings.random_seed, settings.key_lock) == (
        1.0, 0, 0.95, 8.0, 3, None, False)
    controls.temperature.setValue(65)
    controls.top_k.setValue(20)
    controls.bars.setValue(4.5)
    controls.takes.setValue(2)
    controls.key_lock.setChecked(True)
    assert not controls.random_seed.isEnabled()
    controls.fixed_seed.setChecked(True)
    assert controls.random_seed.isEnabled()
    controls.random_seed.setValue(1234)
    settings = controls.settings()
    assert (settings.temperature, settings.top_k, settings.bars, settings.takes,
            settings.random_seed, settings.key_lock) == (0.65, 20, 4.5, 2, 1234, True)
    assert controls.temperature_box.text() == "0.65"
    settings.validate()


def test_the_boxes_only_offer_settings_that_validate(controls):
    controls.top_k.setValue(-3)
    controls.takes.setValue(99)
    controls.bars.setValue(0.0)
    controls.temperature.setValue(0)
    controls.top_p.setValue(0.0)
    settings = controls.settings()
    assert (settings.top_k, settings.takes, settings.bars, settings.temperature,
            settings.top_p) == (0, 16, 0.5, 0.05, 0.05)
    settings.validate()  # the extremes are still valid generation settings


def test_every_change_is_announced(controls, qtbot):
    for change in (lambda: controls.temperature.setValue(120),
                   lambda: controls.top_k.setValue(5), lambda: controls.bars.setValue(2.0),
                   lambda: controls.key_lock.setChecked(True),
                   lambda: controls.fixed_seed.setChecked(True)):
        with qtbot.waitSignal(controls.settingsChanged, timeout=1000):
            change()


def test_buttons_and_busy_state(controls, qtbot):
    with qtbot.waitSignal(controls.generateRequested, timeout=1000):
        controls.generate_button.click()
    controls.set_busy(True)
    assert not controls.generate_button.isEnabled() and controls.cancel_button.isEnabled()
    assert not controls.model_combo.isEnabled()
    controls.set_progress(0.5)
    assert controls.progress.value() == 500
    controls.set_progress(7.0)  # out of range: clamped
    assert controls.progress.value() == 1000
    with qtbot.waitSignal(controls.cancelRequested, timeout=1000):
        controls.cancel_button.click()
    controls.set_busy(False)
    assert controls.generate_button.isEnabled() and controls.progress.value() == 0


def test_models_chooser(controls, qtbot, tmp_path):
    assert controls.model_path() == str(default_model_dir())
    assert controls.model_combo.itemData(controls.model_combo.count() - 1) == OTHER
    folder = str(tmp_path / "my-model")
    with qtbot.waitSignal(controls.modelChanged, timeout=1000) as seen:
        controls.choose_model(folder)
    assert seen.args == [folder] and controls.model_path() == folder
    assert controls.other_models() == [folder]
    assert controls.model_combo.itemData(controls.model_combo.count() - 1) == OTHER
    controls.set_model_info("")
    assert not controls.model_info.isVisible()
    controls.set_model_info("tiny: 1×8 LSTM")
    assert controls.model_info.isVisible()


def test_save_and_restore_round_trip(controls, qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    folder = str(tmp_path / "other-model")
    controls.choose_model(folder)
    controls.temperature.setValue(80)
    controls.top_p.setValue(0.9)
    controls.takes.setValue(5)
    controls.key_lock.setChecked(True)
    controls.fixed_seed.setChecked(True)
    controls.random_seed.setValue(77)
    controls.save(settings)
    settings.sync()
    again = GenerationControls()
    qtbot.addWidget(again)
    again.restore(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert again.settings() == controls.settings()
    assert again.model_path() == folder and again.other_models() == [folder]


def test_a_damaged_settings_file_keeps_the_defaults(qtbot, tmp_path):
    path = tmp_path / "bad.ini"
    path.write_text("[generation]\ntemperature=hot\ntakes=many\n")
    widget = GenerationControls()
    qtbot.addWidget(widget)
    widget.restore(QSettings(str(path), QSettings.Format.IniFormat))
    assert widget.settings().temperature == 1.0 and widget.settings().takes == 3


def test_temperature_can_be_typed_and_follows_the_slider(controls, qtbot):
    box = controls.temperature_box
    box.selectAll()
    qtbot.keyClicks(box, "0.45")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert controls.temperature.value() == 45 and controls.settings().temperature == 0.45
    controls.temperature.setValue(150)  # the slider moved: the box shows it
    assert box.value() == 1.5 and controls.settings().temperature == 1.5


def test_style_composer_and_seed_memory_reach_the_settings_as_the_cli_s_options(controls):
    from composer.conditioning import Conditioning
    from composer.seed_memory import DEFAULT_STRENGTH

    assert not controls.style_combo.isEnabled()  # no model yet: nothing to choose from
    settings = controls.settings()
    assert (settings.style, settings.composer, settings.seed_memory) == (
        None, None, DEFAULT_STRENGTH)
    controls.set_conditioning(Conditioning(composers=("unknown", "chopin", "mozart")))
    styles = [controls.style_combo.itemData(i) for i in range(controls.style_combo.count())]
    assert styles == ["", "piano", "chorale", "polyphony", "strings", "other"]
    assert controls.style_combo.currentText().startswith("Automatic")
    assert [controls.composer_combo.itemText(i) for i in range(3)] == ["Any", "Chopin",
                                                                      "Mozart"]
    controls.style_combo.setCurrentIndex(styles.index("piano"))
    controls.composer_combo.setCurrentIndex(1)
    controls.seed_memory.setValue(0.25)
    settings = controls.settings()
    assert (settings.style, settings.composer, settings.seed_memory) == ("piano", "chopin",
                                                                         0.25)
    settings.validate()
    controls.seed_memory.setValue(0.0)
    assert controls.seed_memory.text() == "off" and controls.settings().seed_memory == 0.0


def test_style_and_composer_are_remembered_until_a_model_offers_them(controls, qtbot,
                                                                      tmp_path):
    from composer.conditioning import Conditioning

    knows = Conditioning(composers=("unknown", "chopin"))
    controls.set_conditioning(knows)
    controls.style_combo.setCurrentIndex(controls.style_combo.findData("strings"))
    controls.composer_combo.setCurrentIndex(controls.composer_combo.findData("chopin"))
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    controls.save(settings)
    again = GenerationControls()
    qtbot.addWidget(again)
    again.restore(settings)
    assert again.settings().style is None  # no model loaded yet
    again.set_conditioning(knows)  # the model arrives
    assert (again.settings().style, again.settings().composer) == ("strings", "chopin")


def test_generate_says_why_it_is_off(controls):
    controls.set_ready("Generate needs notes to continue")
    assert not controls.generate_button.isEnabled()
    assert controls.generate_button.toolTip() == "Generate needs notes to continue"
    assert controls.ready_label.isVisible()
    controls.set_busy(True)
    controls.set_busy(False)
    assert not controls.generate_button.isEnabled()  # still nothing to continue
    controls.set_ready("")
    assert controls.generate_button.isEnabled() and not controls.ready_label.isVisible()
