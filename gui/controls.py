"""The generation controls (model, temperature, top-k/top-p, length, takes, key lock, seed).

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

OTHER = "__other__"
MAX_RECENT_MODELS = 6
MAX_SEED = 2**31 - 1


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
        style = self.style()

        self.model_combo = QComboBox()
        self.model_combo.setToolTip("The model bundle that writes the continuation")
        self.model_combo.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.model_info = QLabel()
        self.model_info.setWordWrap(True)
        self.model_info.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.model_info.setStyleSheet("color: #5a6270; font-size: 11px;")

        self.temperature = QSlider(Qt.Orientation.Horizontal)
        self.temperature.setRange(5, 200)
        self.temperature.setSingleStep(5)
        self.temperature.setPageStep(10)
        self.temperature.setValue(100)
        self.temperature.setToolTip(
            "Temperature: below 1 plays safe (repetitive), above 1 takes risks (wilder)"
        )
        self.temperature_label = QLabel()
        self.temperature_label.setMinimumWidth(34)
        self.temperature_label.setAlignment(Qt.AlignmentFlag.AlignRight
                                            | Qt.AlignmentFlag.AlignVCenter)

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
        self.fixed_seed = QCheckBox("Fixed random seed")
        self.fixed_seed.setToolTip("Same seed + same settings = the same takes again")
        self.random_seed = QSpinBox()
        self.random_seed.setRange(0, MAX_SEED)
        self.random_seed.setEnabled(False)

        self.generate_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "Generate")
        self.generate_button.setToolTip("Write continuations of the piece (Ctrl+G)")
        self.generate_button.setMinimumHeight(32)
        font = self.generate_button.font()
        font.setBold(True)
        self.generate_button.setFont(font)
        self.cancel_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_BrowserStop), "Cancel")
        self.cancel_button.setToolTip("Stop generating (Esc)")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Model", self.model_combo)
        form.addRow("", self.model_info)
        temperature_row = QHBoxLayout()
        temperature_row.addWidget(self.temperature, 1)
        temperature_row.addWidget(self.temperature_label)
        form.addRow("Temperature", temperature_row)
        form.addRow("Top-k", self.top_k)
        form.addRow("Top-p", self.top_p)
        form.addRow("Length", self.bars)
        form.addRow("Takes", self.takes)
        form.addRow("", self.key_lock)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.fixed_seed)
        seed_row.addWidget(self.random_seed, 1)
        form.addRow("", seed_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 2)
        buttons.addWidget(self.cancel_button, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addStretch(1)

        self.temperature.valueChanged.connect(self._show_temperature)
        self.fixed_seed.toggled.connect(self.random_seed.setEnabled)
        self.generate_button.clicked.connect(self.generateRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.model_combo.activated.connect(self._model_activated)
        for widget in (self.top_k, self.top_p, self.bars, self.takes, self.random_seed):
            widget.valueChanged.connect(self.settingsChanged)
        self.temperature.valueChanged.connect(self.settingsChanged)
        self.key_lock.toggled.connect(self.settingsChanged)
        self.fixed_seed.toggled.connect(self.settingsChanged)
        self._show_temperature()
        self.set_models([])

    # ----- values ------------------------------------------------------------------------
    def temperature_value(self) -> float:
        return self.temperature.value() / 100.0

    def _show_temperature(self) -> None:
        self.temperature_label.setText(f"{self.temperature_value():.2f}")

    def settings(self):
        """The current choices as GenerationSettings (raises SettingsError if impossible)."""
        from composer.generate import GenerationSettings

        return GenerationSettings(
            temperature=self.temperature_value(),
            top_k=self.top_k.value(),
            top_p=round(self.top_p.value(), 2),
            bars=self.bars.value(),
            takes=self.takes.value(),
            random_seed=self.random_seed.value() if self.fixed_seed.isChecked() else None,
            key_lock=self.key_lock.isChecked(),
        )

    def set_busy(self, busy: bool) -> None:
        self.generate_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.model_combo.setEnabled(not busy)
        if not busy:
            self.progress.setValue(0)

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

    def set_model_info(self, text: str) -> None:
        self.model_info.setText(text)
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
        except (TypeError, ValueError):
            pass  # a damaged settings file must not stop the app: keep the defaults
        finally:
            settings.endGroup()
