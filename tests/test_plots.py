"""Loss-curve pictures from training logs (tiny CSV logs written by the tests)."""

from __future__ import annotations

import struct

import pytest

from composer.errors import ModelBundleError
from composer.plots import plot_loss_curve, read_log

LOG = (
    "epoch,loss,val_loss,minutes,tokens_seen,learning_rate\n"
    "1,3.20,3.05,0.9,16384,0.002\n"
    "2,2.71,,1.8,32768,0.002\n"  # no validation this epoch: skipped, not fatal
    "3,2.45,2.52,2.7,49152,0.001\n"
)


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_log_columns_are_numbers_with_gaps_as_nan(tmp_path):
    (tmp_path / "log.csv").write_text(LOG)
    columns = read_log(tmp_path / "log.csv")
    assert columns["loss"] == [3.20, 2.71, 2.45]
    assert columns["val_loss"][0] == 3.05 and columns["val_loss"][1] != columns["val_loss"][1]
    assert columns["learning_rate"][-1] == 0.001


def test_plot_has_an_epoch_and_a_minutes_panel(tmp_path):
    (tmp_path / "log.csv").write_text(LOG)
    png = plot_loss_curve(tmp_path / "log.csv", tmp_path / "pics" / "loss.png")
    assert png == tmp_path / "pics" / "loss.png"
    width, height = png_size(png)
    assert (width, height) == (1100, 400)
    assert sorted(p.name for p in png.parent.iterdir()) == ["loss.png"]  # no temp file left


def test_log_without_minutes_gives_one_panel(tmp_path):
    (tmp_path / "log.csv").write_text("epoch,loss,val_loss\n1,2.0,2.1\n2,1.8,1.9\n")
    assert png_size(plot_loss_curve(tmp_path / "log.csv", tmp_path / "a.png")) == (550, 400)


def test_missing_log_is_a_clear_error(tmp_path):
    with pytest.raises(ModelBundleError, match="no training log"):
        plot_loss_curve(tmp_path / "log.csv", tmp_path / "a.png")
    assert not (tmp_path / "a.png").exists()


@pytest.mark.parametrize("text", ["", "epoch,accuracy\n1,0.5\n", "epoch,loss,val_loss\n"],
                         ids=["empty", "no-loss-column", "header-only"])
def test_not_a_training_log_is_a_clear_error(tmp_path, text):
    (tmp_path / "log.csv").write_text(text)
    with pytest.raises(ModelBundleError, match="not a training log"):
        read_log(tmp_path / "log.csv")
