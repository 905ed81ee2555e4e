"""Loss curves of a training run, drawn from its CSV log into a PNG.

The log (``<run>/log.csv``, written by composer/train.py) has one row per epoch with at least
``epoch, loss, val_loss, minutes``; other columns are ignored and empty cells skipped, so a log
of a run still in progress can be drawn. matplotlib is imported here only (Agg backend, no
screen needed), and the picture is written to a temporary file and renamed: a reader never sees
half a PNG.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

from composer.errors import ModelBundleError
from composer.inputs import read_text

LOG_LIMIT = 64 * 1024 * 1024  # a log of a thousand epochs is ~100 kB
LARGEST = 1e9  # larger numbers in a log are damage, not figures


def read_log(csv_path: str | os.PathLike) -> dict[str, list[float]]:
    """Numeric columns of the log by name (NaN where a cell is empty, not a number, or not
    finite and within :data:`LARGEST`)."""
    path = Path(csv_path)
    try:  # composer.inputs: a regular file within a limit (a FIFO must not hang this)
        text = read_text(path, limit=LOG_LIMIT, error=ModelBundleError)
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except FileNotFoundError:
        raise ModelBundleError(f"{path}: no training log here") from None
    except csv.Error as exc:
        raise ModelBundleError(f"{path}: unreadable training log ({exc})") from None
    if not rows or "loss" not in rows[0]:
        raise ModelBundleError(f"{path}: not a training log (needs a header with 'loss' and "
                               "at least one row)")
    columns: dict[str, list[float]] = {}
    for name in rows[0]:
        if name is None:
            continue
        values = []
        for row in rows:
            try:
                value = float(row.get(name) or "nan")
            except ValueError:
                value = math.nan
            # inf, or 1e308 (matplotlib's axis limits overflow: "Singular matrix"), is no
            # loss, epoch or minute: skipped as an empty cell is
            values.append(value if abs(value) <= LARGEST else math.nan)
        columns[name.strip()] = values
    return columns


def plot_loss_curve(csv_path: str | os.PathLike, png_path: str | os.PathLike,
                    *, title: str | None = None) -> Path:
    """Draw training and validation loss against epoch (and minutes, when logged)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    columns = read_log(csv_path)
    count = len(columns["loss"])
    epochs = columns.get("epoch") or [float(i + 1) for i in range(count)]
    axes_x = [("epoch", epochs)]
    minutes = columns.get("minutes")
    if minutes and not all(math.isnan(m) for m in minutes):
        axes_x.append(("minutes of training", minutes))
    figure = Figure(figsize=(5.5 * len(axes_x), 4), dpi=100, layout="constrained")
    for index, (label, xs) in enumerate(axes_x):
        axes = figure.add_subplot(1, len(axes_x), index + 1)
        for key, name, style in (("loss", "training", "-"), ("val_loss", "validation", "-o")):
            points = [(x, y) for x, y in zip(xs, columns.get(key, []))
                      if not (math.isnan(x) or math.isnan(y))]
            if points:
                axes.plot(*zip(*points), style, label=name, markersize=3)
        valid = [(y, x) for x, y in zip(xs, columns.get("val_loss", [])) if not math.isnan(y)]
        if valid:
            best, at = min(valid)
            axes.axhline(best, color="grey", linewidth=0.6, linestyle=":")
            axes.annotate(f"best {best:.3f}", (at, best), textcoords="offset points",
                          xytext=(4, 6), fontsize=8, color="grey")
        if label == "epoch":
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(label)
        axes.set_ylabel("loss (nats per event)")
        axes.grid(alpha=0.3)
        if axes.get_legend_handles_labels()[0]:  # a log of damaged rows draws no line
            axes.legend()
    figure.suptitle(title or f"Loss curve: {Path(csv_path).parent.name or Path(csv_path).name}")
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = png_path.with_name(f".{png_path.name}.{os.getpid()}.tmp")
    try:
        figure.savefig(tmp, format="png")
        os.replace(tmp, png_path)
    finally:
        tmp.unlink(missing_ok=True)
    return png_path
