"""``composer-gui FILE --screenshot OUT.png [--generate]`` in a real subprocess."""

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from gui.document import SEED, TAKE
from gui.piano_roll import ORIGIN_COLORS

ROOT = Path(__file__).resolve().parents[2]


def run_gui(*args, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1",
           "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "gui", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def count_color(image: QImage, color: QColor) -> int:
    target = color.rgb()
    step = 2  # every other pixel is plenty and keeps this fast
    return sum(1 for y in range(0, image.height(), step) for x in range(0, image.width(), step)
               if image.pixel(x, y) == target)


def test_screenshot_shows_seed_and_generated_take(seed_file, tiny_bundle, tmp_path):
    out = tmp_path / "shot.png"
    result = run_gui(seed_file, "--screenshot", out, "--generate", "--model", tiny_bundle,
                     "--takes", "1", "--bars", "4", "--random-seed", "1", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    assert count_color(image, ORIGIN_COLORS[SEED]) > 200  # the seed notes (velocity 127)
    take_like = ORIGIN_COLORS[TAKE]
    hue = take_like.hue()
    takes = sum(1 for y in range(100, 700, 3) for x in range(60, 900, 3)
                if abs(QColor(image.pixel(x, y)).hue() - hue) < 6
                and QColor(image.pixel(x, y)).saturation() > 120)
    assert takes > 100  # orange take notes, at whatever velocities the model chose
    assert not (tmp_path / "config").exists()  # a screenshot leaves the user's settings alone


def test_screenshot_of_a_bad_file_fails_with_one_line(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"hello")
    result = run_gui(bad, "--screenshot", tmp_path / "x.png", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "bad.mid: not a MIDI file" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_screenshot_of_the_first_run_shows_the_hint(tmp_path):
    out = tmp_path / "first.png"
    result = run_gui("--screenshot", out, "--size", "1000x700", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1000, 700)
    # The hint's headline is white on the dark roll, where nothing else is white.
    white = sum(1 for y in range(150, 550) for x in range(100, 650)
                if image.pixel(x, y) == QColor("#ffffff").rgb())
    assert white > 100


def test_screenshot_of_two_generations(seed_file, tiny_bundle, tmp_path):
    out = tmp_path / "history.png"
    result = run_gui(seed_file, "--screenshot", out, "--generate", "--generations", "2",
                     "--model", tiny_bundle, "--takes", "2", "--bars", "2", "--random-seed",
                     "3", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 10_000
