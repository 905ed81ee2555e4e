"""The generation controls (model, style, composer, temperature, top-k/top-p, seed memory,
length, takes, key lock, random seed).

The panel only collects choices and turns them into a
:class:`~composer.generate.GenerationSettings`; the main window runs the generation. Values are
kept in ``QSettings`` so the app opens the way it was left.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from composer.bundle import default_model_dir
from composer.conditioning import STYLE_DESCRIPTIONS
from composer.seed_memory import DEFAULT_STRENGTH

OTHER = "__other__"
MAX_RECENT_MODELS = 6
MAX_SEED = 2**31 - 1
GENERATE_TIP = "Write continuations of the piece (Ctrl+G)"


def _bool(value, default: bool) -> bool:
    """QSettings gives back 'true'/'false' strings from INI files."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


class GenerationControls(QWidget):
    generateRequested = Signal()
    cancelRequested = Signal()
    modelChanged = Signal(str)  # folder of the chosen model bundle
    settingsChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._last_model = str(default_model_dir())
        self._busy = False
        self._ready_reason = ""  # why Generate cannot run now ("" = it can)
        self._wanted = {"style": "", "composer": ""}  # remembered choices, until a model knows
        style = self.style()

        self.model_combo = QComboBox()
        self.model_combo.setToolTip("The model bundle that writes the continuation")
        self.model_combo.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.model_info = QLabel()
        self.model_info.setWordWrap(True)
        self.model_info.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        small = self.model_info.font()
        small.setPointSizeF(max(small.pointSizeF() * 0.9, 7.0))
        self.model_info.setFont(small)  # the palette's own text colour: readable light or dark
        # Room for three lines from the start, so the panel's first size fits the description.
        self.model_info.setMinimumHeight(self.model_info.fontMetrics().lineSpacing() * 3 + 2)

        self.style_combo = QComboBox()
        self.style_combo.setToolTip("The kind of music to write: automatic picks the style the "
                                    "model finds your notes most like")
        self.composer_combo = QComboBox()
        self.composer_combo.setToolTip("Write as this composer of the training data would; "
                                       "any: no composer in particular")
        self.set_conditioning(None)

        self.temperature = QSlider(Qt.Orientation.Horizontal)
        self.temperature.setRange(5, 200)
        self.temperature.setSingleStep(5)
        self.temperature.setPageStep(10)
        self.temperature.setValue(100)
        tip = "Temperature: below 1 plays safe (repetitive), above 1 takes risks (wilder)"
        self.temperature.setToolTip(tip)
        self.temperature_box = QDoubleSpinBox()  # the same value, typed
        self.temperature_box.setRange(0.05, 2.0)
        self.temperature_box.setSingleStep(0.05)
        self.temperature_box.setDecimals(2)
        self.temperature_box.setValue(1.0)
        self.temperature_box.setToolTip(tip)
        self.temperature_box.setKeyboardTracking(False)

        self.top_k = QSpinBox()
        self.top_k.setRange(0, 500)
        self.top_k.setSpecialValueText("off")
        self.top_k.setToolTip("Sample only among the k likeliest events (0 = off)")
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.05, 1.0)
        self.top_p.setSingleStep(0.01)
        self.top_p.setDecimals(2)
        self.top_p.setValue(0.95)
        self.top_p.setToolTip("Nucleus sampling: keep the likeliest events that make up this "
                              "share of the probability (1.00 = off)")
        self.seed_memory = QDoubleSpinBox()
        self.seed_memory.setRange(0.0, 1.0)
        self.seed_memory.setSingleStep(0.05)
        self.seed_memory.setDecimals(2)
        self.seed_memory.setValue(DEFAULT_STRENGTH)
        self.seed_memory.setSpecialValueText("off")
        self.seed_memory.setToolTip(
            "How strongly the continuation reuses the figures, rhythms and dynamics of your "
            f"notes (0 = off, 1 = most; default {DEFAULT_STRENGTH:g})")

        self.bars = QDoubleSpinBox()
        self.bars.setRange(0.5, 128.0)
        self.bars.setDecimals(1)
        self.bars.setSingleStep(1.0)
        self.bars.setValue(8.0)
        self.bars.setSuffix(" bars")
        self.bars.setToolTip("Length of each continuation, in bars of the seed's metre")
        self.takes = QSpinBox()
        self.takes.setRange(1, 16)
        self.takes.setValue(3)
        self.takes.setToolTip("How many different continuations to write at once")
        self.key_lock = QCheckBox("Key lock")
        self.key_lock.setToolTip("Keep the continuation in the key of the seed")
        self.fixed_seed = QCheckBox("Fixed")
        self.fixed_seed.setToolTip(
            "The random seed decides the random choices: the same random seed, settings and "
            "notes give the same takes again. Not fixed: every Generate picks a new random "
            "seed (each take shows its own, so any take can be made again)")
        self.random_seed = QSpinBox()
        self.random_seed.setRange(0, MAX_SEED)
        self.random_seed.setEnabled(False)
        self.random_seed.setToolTip("The random seed used when Fixed is ticked")

        self.generate_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "Generate")
        self.generate_button.setToolTip(GENERATE_TIP)
        self.generate_button.setMinimumHeight(32)
        font = self.generate_button.font()
        font.setBold(True)
        self.generate_button.setFont(font)
        self.cancel_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_BrowserStop), "Cancel")
        self.cancel_button.setToolTip("Stop generating (Esc)")
        self.cancel_button.setEnabled(False)
        self.ready_label = QLabel()  # why Generate is disabled, when it is
        self.ready_label.setWordWrap(True)
        self.ready_label.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Model", self.model_combo)
        form.addRow("", self.model_info)
        form.addRow("Style", self.style_combo)
        form.addRow("Composer", self.composer_combo)
        temperature_row = QHBoxLayout()
        temperature_row.addWidget(self.temperature, 1)
        temperature_row.addWidget(self.temperature_box)
        form.addRow("Temperature", temperature_row)
        form.addRow("Top-k", self.top_k)
        form.addRow("Top-p", self.top_p)
        form.addRow("Seed memory", self.seed_memory)
        form.addRow("Length", self.bars)
        form.addRow("Takes", self.takes)
        form.addRow("", self.key_lock)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.fixed_seed)
        seed_row.addWidget(self.random_seed, 1)
        form.addRow("Random seed", seed_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 2)
        buttons.addWidget(self.cancel_button, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.ready_label)
        layout.addWidget(self.progress)
        layout.addStretch(1)

        self.temperature.valueChanged.connect(self._slider_moved)
        self.temperature_box.valueChanged.connect(self._temperature_typed)
        self.fixed_seed.toggled.connect(self.random_seed.setEnabled)
        self.generate_button.clicked.connect(self.generateRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.model_combo.activated.connect(self._model_activated)
        for widget in (self.top_k, self.top_p, self.bars, self.takes, self.random_seed,
                       self.seed_memory):
            widget.valueChanged.connect(self.settingsChanged)
        self.temperature.valueChanged.connect(self.settingsChanged)
        self.key_lock.toggled.connect(self.settingsChanged)
        self.fixed_seed.toggled.connect(self.settingsChanged)
        self.style_combo.activated.connect(lambda _i: self._chosen("style"))
        self.composer_combo.activated.connect(lambda _i: self._chosen("composer"))
        self.set_models([])

    # ----- values ------------------------------------------------------------------------
    def temperature_value(self) -> float:
        return self.temperature.value() / 100.0

    def _slider_moved(self, value: int) -> None:
        if round(self.temperature_box.value() * 100) != value:
            self.temperature_box.blockSignals(True)
            self.temperature_box.setValue(value / 100.0)
            self.temperature_box.blockSignals(False)

    def _temperature_typed(self, value: float) -> None:
        self.temperature.setValue(round(value * 100))

    def style_choice(self) -> str | None:
        """The chosen style; None: automatic (from the seed)."""
        return self.style_combo.currentData() or None

    def composer_choice(self) -> str | None:
        """The chosen composer; None: any (unknown)."""
        return self.composer_combo.currentData() or None

    def settings(self):
        """The current choices as GenerationSettings (raises SettingsError if impossible).

        Style, composer and seed memory reach the engine as the CLI's ``--style``,
        ``--composer`` and ``--seed-memory`` do: as fields of the settings."""
        from composer.generate import GenerationSettings

        return GenerationSettings(
            temperature=self.temperature_value(),
            top_k=self.top_k.value(),
            top_p=round(self.top_p.value(), 2),
            bars=self.bars.value(),
            takes=self.takes.value(),
            random_seed=self.random_seed.value() if self.fixed_seed.isChecked() else None,
            key_lock=self.key_lock.isChecked(),
            style=self.style_choice(),
            composer=self.composer_choice(),
            seed_memory=round(self.seed_memory.value(), 2),
        )

    # ----- style and composer: what the model knows -----------------------------------------
    def set_conditioning(self, conditioning) -> None:
        """Offer the styles and composers of the loaded model (``composer.conditioning.
        Conditioning``; None: a model without them, the boxes are off and say so)."""
        styles = tuple(conditioning.styles[1:]) if conditioning is not None else ()
        composers = tuple(conditioning.composers[1:]) if conditioning is not None else ()
        self._fill(self.style_combo, "style", "Automatic (from your notes)",
                   [(s, s.capitalize(), STYLE_DESCRIPTIONS.get(s, "")) for s in styles])
        self._fill(self.composer_combo, "composer", "Any",
                   [(c, c.capitalize(), "") for c in composers])
        for combo, what in ((self.style_combo, "styles"), (self.composer_combo, "composers")):
            combo.setEnabled(combo.count() > 1)
            if combo.count() <= 1:
                combo.setToolTip(f"This model was trained without {what}")

    def _fill(self, combo: QComboBox, kind: str, automatic: str, items) -> None:
        wanted = self._wanted[kind] or (combo.currentData() or "")
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(automatic, "")
        for value, text, tip in items:
            combo.addItem(text, value)
            if tip:
                combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        index = combo.findData(wanted)
        combo.setCurrentIndex(max(index, 0))
        if index >= 0:
            self._wanted[kind] = ""  # honoured
        combo.blockSignals(False)

    def _chosen(self, kind: str) -> None:
        self._wanted[kind] = ""
        self.settingsChanged.emit()

    # ----- busy and ready ----------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.cancel_button.setEnabled(busy)
        self.model_combo.setEnabled(not busy)
        if not busy:
            self.progress.setValue(0)
        self._update_generate_button()

    def set_ready(self, reason: str = "") -> None:
        """Generate can run (``reason`` empty) or not, and why not (shown under the button
        and as its tip)."""
        self._ready_reason = reason
        self.ready_label.setText(reason)
        self.ready_label.setVisible(bool(reason))
        self._update_generate_button()

    def _update_generate_button(self) -> None:
        self.generate_button.setEnabled(not self._busy and not self._ready_reason)
        self.generate_button.setToolTip(self._ready_reason or GENERATE_TIP)

    def set_progress(self, fraction: float) -> None:
        self.progress.setValue(round(min(max(fraction, 0.0), 1.0) * 1000))

    # ----- models ------------------------------------------------------------------------
    def model_path(self) -> str:
        data = self.model_combo.currentData()
        return data if data and data != OTHER else self._last_model

    def set_models(self, others: list[str], current: str | None = None) -> None:
        """Fill the chooser: the shipped default first, then other folders used before."""
        default = str(default_model_dir())
        combo = self.model_combo
        combo.blockSignals(True)
        combo.clear()
        exists = Path(default, "weights.npz").is_file()
        combo.addItem("Default model" if exists else "Default model (not installed)", default)
        combo.setItemData(0, default, Qt.ItemDataRole.ToolTipRole)
        for path in others:
            if path != default and combo.findData(path) < 0:
                combo.addItem(Path(path).name or path, path)
                combo.setItemData(combo.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
        combo.addItem("Other…", OTHER)
        index = combo.findData(current) if current else 0
        combo.setCurrentIndex(max(index, 0))
        self._last_model = self.model_path() if combo.currentData() != OTHER else default
        combo.blockSignals(False)

    def choose_model(self, path: str) -> None:
        """Select (adding if needed) a model folder and announce it."""
        combo = self.model_combo
        index = combo.findData(path)
        if index < 0:
            combo.insertItem(combo.count() - 1, Path(path).name or path, path)
            combo.setItemData(combo.count() - 2, path, Qt.ItemDataRole.ToolTipRole)
            index = combo.findData(path)
        combo.setCurrentIndex(index)
        self._last_model = path
        self.modelChanged.emit(path)

    def other_models(self) -> list[str]:
        combo = self.model_combo
        paths = [combo.itemData(i) for i in range(1, combo.count())]
        return [p for p in paths if p and p != OTHER][:MAX_RECENT_MODELS]

    def _model_activated(self, index: int) -> None:
        if self.model_combo.itemData(index) == OTHER:
            folder = QFileDialog.getExistingDirectory(
                self, "Choose a model folder (with weights.npz, vocabulary.json, config.json)",
                self._last_model)
            if not folder:
                self.model_combo.setCurrentIndex(max(self.model_combo.findData(self._last_model),
                                                     0))
                return
            self.choose_model(folder)
            return
        self._last_model = self.model_combo.itemData(index)
        self.modelChanged.emit(self._last_model)

    def set_model_info(self, text: str, details: str = "") -> None:
        self.model_info.setText(text)
        self.model_info.setToolTip(details)
        self.model_info.setVisible(bool(text))

    # ----- persistence -------------------------------------------------------------------
    def save(self, settings: QSettings) -> None:
        settings.beginGroup("generation")
        settings.setValue("model", self.model_path())
        settings.setValue("other_models", self.other_models())
        settings.setValue("temperature", self.temperature.value())
        settings.setValue("top_k", self.top_k.value())
        settings.setValue("top_p", self.top_p.value())
        settings.setValue("bars", self.bars.value())
        settings.setValue("takes", self.takes.value())
        settings.setValue("key_lock", self.key_lock.isChecked())
        settings.setValue("fixed_seed", self.fixed_seed.isChecked())
        settings.setValue("random_seed", self.random_seed.value())
        settings.setValue("seed_memory", self.seed_memory.value())
        settings.setValue("style", self.style_choice() or self._wanted["style"])
        settings.setValue("composer", self.composer_choice() or self._wanted["composer"])
        settings.endGroup()

    def restore(self, settings: QSettings) -> None:
        settings.beginGroup("generation")
        try:
            others = settings.value("other_models", [])
            if isinstance(others, str):
                others = [others]
            self.set_models([str(p) for p in others or []], settings.value("model"))
            self.temperature.setValue(int(settings.value("temperature", 100)))
            self.top_k.setValue(int(settings.value("top_k", 0)))
            self.top_p.setValue(float(settings.value("top_p", 0.95)))
            self.bars.setValue(float(settings.value("bars", 8.0)))
            self.takes.setValue(int(settings.value("takes", 3)))
            self.key_lock.setChecked(_bool(settings.value("key_lock"), False))
            self.fixed_seed.setChecked(_bool(settings.value("fixed_seed"), False))
            self.random_seed.setValue(int(settings.value("random_seed", 0)))
            self.seed_memory.setValue(float(settings.value("seed_memory", DEFAULT_STRENGTH)))
            for kind, combo in (("style", self.style_combo), ("composer", self.composer_combo)):
                wanted = str(settings.value(kind, "") or "")
                self._wanted[kind] = wanted  # the model that knows it may not be loaded yet
                if combo.findData(wanted) >= 0:
                    combo.setCurrentIndex(combo.findData(wanted))
        except (TypeError, ValueError):
            pass  # a damaged settings file must not stop the app: keep the defaults
        finally:
            settings.endGroup()
