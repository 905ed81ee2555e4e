"""The model card: what a bundle was trained on, how big it is, how long it took, and how good
it is next to simple baselines, measured on pieces it never saw.

Written from the figures themselves (training state, corpus counts, evaluation report), never
typed by hand, so the card cannot drift from the model it describes.
"""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

from composer.atomic import write_json_atomic, write_text_atomic
from composer.bundle import ModelBundle, load_bundle

TARGET_RATIO = 0.65  # the project's quality bar: NLL at most 0.65x the best n-gram's


def _table(report: dict) -> str:
    lines = ["| model | NLL per event (nats) | perplexity | ratio to best n-gram |",
             "|---|---:|---:|---:|"]
    for row in report["rows"]:
        lines.append(f"| {row['name']} | {row['nll']:.4f} | {row['perplexity']:.2f} | "
                     f"{row['ratio']:.3f} |")
    return "\n".join(lines)


def _data_table(description: dict) -> str:
    lines = ["| split | pieces | notes | tokens |", "|---|---:|---:|---:|"]
    for split in ("train", "valid", "test"):
        part = description.get(split, {})
        lines.append(f"| {split} | {part.get('pieces', 0):,} | {part.get('notes', 0):,} | "
                     f"{part.get('tokens', 0):,} |")
    return "\n".join(lines)


def render_card(bundle: ModelBundle, report: dict | None, composer_table: str = "") -> str:
    info = bundle.info
    training = info.get("training", {})
    config = bundle.config
    cfg = training.get("config", {})
    lines = [
        f"# Model card: {bundle.name}",
        "",
        "An LSTM language model over composer's performance events (note-on, note-off, "
        "time-shift in twelfths of a beat, velocity bins, sustain pedal). It continues a seed "
        "in the style of the classical scores bundled with music21.",
        "",
        "## Data",
        "",
        "The classical part of the music21 corpus (no folk collections), read straight from "
        "the scores, de-duplicated, split by piece (hash of the piece name, so no piece is in "
        "two splits)."
        + (f" Fine-tuned from `{info['fine_tuned_from']}`." if info.get("fine_tuned_from") else ""),
        "",
        _data_table(info.get("data", {})),
        "",
    ]
    if composer_table:
        lines += ["Per composer and split:", "", "```", composer_table, "```", ""]
    lines += [
        f"Training windows are drawn with composer weights proportional to "
        f"tokens^{cfg.get('composer_balance', 0.5)} (Palestrina is most of the corpus), "
        f"transposed by up to ±{cfg.get('transpose_range', 6)} semitones and with velocity "
        f"bins jittered by ±{cfg.get('velocity_jitter', 1)}.",
        "",
        "## Architecture",
        "",
        f"Embedding {config.embedding_dim} → "
        + " → ".join(f"LSTM {u}" for u in config.lstm_units)
        + f" (dropout {config.dropout}) → Dense {config.vocab_size} (softmax over the "
        f"vocabulary). {config.parameter_count:,} parameters. Weights for the NumPy engine "
        f"stored as {info.get('weights_dtype', 'float32')}.",
        "",
        "## Training",
        "",
        f"- {training.get('epochs', '?')} epochs of {cfg.get('steps_per_epoch', '?')} batches of "
        f"{cfg.get('batch_size', '?')} windows x {cfg.get('sequence_length', '?')} events; best "
        f"validation loss {training.get('best_val_loss', float('nan')):.4f} nats/event at epoch "
        f"{training.get('best_epoch', '?')}.",
        f"- {training.get('tokens_seen', 0):,} training events seen in "
        f"{training.get('minutes', '?')} minutes of training on a {os.cpu_count()}-core CPU "
        f"({platform.machine()}), TensorFlow/Keras, Adam (lr {cfg.get('learning_rate')}, halved "
        "after every 2 epochs without improvement).",
        f"- Stopped because: {training.get('stop_reason', '?')}.",
        "",
        "![loss curve](loss_curve.png)" if (bundle.path / "loss_curve.png").exists() else "",
        "",
        "## Evaluation",
        "",
    ]
    if report:
        ratio = report["ratio"]
        verdict = ("meets" if ratio <= TARGET_RATIO else "does NOT meet")
        lines += [
            f"On the {report['data']}: {report['pieces']} pieces, {report['events']:,} predicted "
            "events. Baselines trained on the training split's tokens "
            f"({report['train_tokens']:,}).",
            "",
            _table(report),
            "",
            f"The model's NLL is {ratio:.3f}x the best n-gram's ({report['best_ngram']}); the "
            f"project's target is at most {TARGET_RATIO}x, which this model {verdict}.",
        ]
    else:
        lines.append("Not evaluated yet (`composer evaluate --model DIR --write-card`).")
    lines += [
        "",
        "## Limits",
        "",
        "- Trained on scores, not performances: timing is quantized and dynamics come from the "
        "written marks, so continuations sound like a careful score, not a pianist.",
        "- Mostly vocal polyphony (Palestrina, Bach chorales, Monteverdi, trecento) and string "
        "quartets: piano idioms (wide leaps, Alberti basses, pedalling) are rare in the data.",
        "- One stream for all voices: no notion of instruments or voices.",
        "",
    ]
    return "\n".join(lines)


def finish_bundle(
    bundle_dir: str | os.PathLike,
    *,
    report: dict | None = None,
    log_csv: str | os.PathLike | None = None,
    composer_table: str = "",
) -> Path:
    """Copy the training log and its plot into the bundle, write metrics.json and card.md."""
    bundle_dir = Path(bundle_dir)
    if log_csv is not None and Path(log_csv).is_file():
        if Path(log_csv).resolve() != (bundle_dir / "log.csv").resolve():
            shutil.copyfile(log_csv, bundle_dir / "log.csv")
        from composer.plots import plot_loss_curve

        plot_loss_curve(bundle_dir / "log.csv", bundle_dir / "loss_curve.png",
                        title=f"{bundle_dir.name}: loss per event")
    if report is not None:
        write_json_atomic(bundle_dir / "metrics.json", report)
    bundle = load_bundle(bundle_dir)
    text = render_card(bundle, report, composer_table)
    write_text_atomic(bundle_dir / "card.md", text)
    return bundle_dir / "card.md"
