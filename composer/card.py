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
    lines = ["| model | NLL per event (nats) | NLL per note | perplexity | ratio to best n-gram |",
             "|---|---:|---:|---:|---:|"]
    for row in report["rows"]:
        lines.append(f"| {row['name']} | {row['nll']:.4f} | "
                     f"{row.get('nll_per_note', float('nan')):.3f} | {row['perplexity']:.2f} | "
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
    conditioning = bundle.conditioning
    lines = [
        f"# Model card: {bundle.name}",
        "",
        "An LSTM language model over composer's performance events (note-on, note-off, "
        "time-shift in twelfths of a beat, velocity bins, sustain pedal). It continues a seed "
        "in the style of the classical piano pieces and scores it was trained on.",
        "",
        "## Data and licences",
        "",
        "- **Classical piano** (`data/piano-midi.de/`, in the repository): pieces sequenced by "
        "Bernd Krueger for piano-midi.de, CC BY-SA 3.0 DE (attribution: Bernd Krueger, "
        "piano-midi.de; share-alike applies to the data). Read in score time (ticks), with "
        "both hands, velocities and sustain pedal. Split by work: all movements of a sonata "
        "are in one split.",
        "- **Scores bundled with music21** (BSD-licensed library; the scores are public-domain "
        "works as encoded there): the classical part (no folk collections), split by piece.",
        "- De-duplicated by content; a file that fails to convert is skipped and listed.",
        "",
        "Because of the piano data, this model is a derivative work under CC BY-SA 3.0 DE: "
        "keep the attribution above with it.",
        "",
        (f"Fine-tuned from `{info['fine_tuned_from']}`." if info.get("fine_tuned_from") else ""),
        "",
        _data_table(info.get("data", {})),
        "",
    ]
    styles = info.get("data", {}).get("styles", {})
    if styles:
        lines += ["Training split per style:", "", "| style | pieces | notes | tokens |",
                  "|---|---:|---:|---:|"]
        lines += [f"| {name} | {part['pieces']:,} | {part['notes']:,} | {part['tokens']:,} |"
                  for name, part in styles.items()]
        lines.append("")
    if composer_table:
        lines += ["Per composer and split:", "", "```", composer_table, "```", ""]
    lines += [
        f"Training windows are drawn with composer weights proportional to "
        f"tokens^{cfg.get('composer_balance', 0.5)} (Palestrina is most of the corpus), "
        f"transposed by up to ±{cfg.get('transpose_range', 6)} semitones and with velocity "
        f"bins jittered by ±{cfg.get('velocity_jitter', 1)}."
        + (f" Half of the windows ({cfg.get('piano_share', 0.5):.0%}) are piano windows."
           if cfg.get("piano_share") else ""),
        "",
        "## Architecture",
        "",
        f"Embedding {config.embedding_dim} → "
        + " → ".join(f"LSTM {u}" for u in config.lstm_units)
        + f" (dropout {config.dropout}) → Dense {config.vocab_size} (softmax over the "
        f"vocabulary). {config.parameter_count:,} parameters. Weights for the NumPy engine "
        f"stored as {info.get('weights_dtype', 'float32')}."
        + (" Extra inputs, embedded and added to the event embedding: "
           + ", ".join(f"{name} ({size} classes)" for name, size in config.conditions)
           + ". Positions are the moment in the bar (twelfths of a beat), so the model knows "
           "where beat one is; the style (" + ", ".join(conditioning.styles[1:])
           + ") is chosen from the seed when generating; the composer is 'unknown' unless "
           "named. Each is dropped to 'unknown' in some training windows, so the model also "
           "works without it." if config.conditions and conditioning is not None else ""),
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
        lines += _per_note(report)
    else:
        lines.append("Not evaluated yet (`composer evaluate --model DIR --write-card`).")
    continuation = bundle.path / "continuation.md"
    if continuation.is_file():
        lines += ["", "## Continuations of held-out piano pieces", "",
                  continuation.read_text(encoding="utf-8").strip()]
    lines += [
        "",
        "## Limits",
        "",
        "- The piano pieces were sequenced by hand on the written beat grid with expressive "
        "velocities and pedal; the music21 part is scores (written dynamics only). Timing is "
        "quantized to twelfths of a beat: no rubato.",
        "- About 2.4 M parameters trained for under two hours on a 2-core CPU: it keeps a "
        "texture for a few bars and then wanders; the seed memory (`--seed-memory`) reuses "
        "the seed's figures to hold it longer.",
        "- One stream for all voices: no notion of instruments or voices.",
        "",
    ]
    return "\n".join(lines)


def _per_note(report: dict) -> list[str]:
    """Per style (and per composer) rows: the model and the best n-gram, per note."""
    lines = []
    for grouping in ("style", "composer"):
        table = report.get("groups", {}).get(grouping)
        if not table:
            continue
        lines += ["", f"Per {grouping} (NLL per note, so tokenizations compare fairly):", "",
                  f"| {grouping} | pieces | notes | model | best n-gram | ratio |",
                  "|---|---:|---:|---:|---:|---:|"]
        for label, part in table.items():
            rows = part["rows"]
            model, ngram = rows[0], min(rows[1:], key=lambda r: r["nll"]) if len(rows) > 1 \
                else rows[0]
            lines.append(f"| {label} | {part['pieces']} | {part['notes']:,} | "
                         f"{model.get('nll_per_note', float('nan')):.3f} | "
                         f"{ngram.get('nll_per_note', float('nan')):.3f} | "
                         f"{model['ratio']:.3f} |")
    return lines


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
