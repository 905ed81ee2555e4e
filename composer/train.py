"""Training loop: checkpoints every epoch, resumes after any interruption, stops early.

Why a hand-written epoch loop around ``model.fit``: an "epoch" here is a fixed number of
sampled windows (a few minutes of CPU), and after each one the loop saves the full model with
its optimizer state and its run state (epoch, best validation loss, patience, learning rate,
minutes spent) in one file renamed into place, plus a readable copy in ``state.json``
(composer.run_files: a kill can never split the pair). A killed process therefore loses at most
one epoch, and ``composer train`` with the same run folder simply continues. The random
windows of epoch ``e`` come from a generator seeded with ``(seed, e)``, so a resumed run sees
the same data it would have seen without the interruption.

Validation loss is the exact mean NLL per (non-padding) event in nats on a fixed set of
validation windows, computed here rather than taken from Keras (whose weighted mean also counts
padding positions). With piano pieces in the data, half the windows come from the piano
pieces and half from the rest, each half is logged on its own, and their mean decides early
stopping: a model that gets better at piano while it forgets the chorales does not improve.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from composer.atomic import write_json_atomic
from composer.conditioning import STYLES, Conditioning
from composer.config import ModelConfig, TrainConfig
from composer.dataset import Batch, PieceInputs, WindowSampler, validation_batch
from composer.distribute import Cluster, DistributedSteps, is_lost_worker
from composer.errors import TrainingError
from composer.meter import UNKNOWN
from composer.model import build_model, save_bundle
from composer.run_files import embed_state, pending_best, resume_state, settle_best
from composer.vocabulary import Vocabulary

LOG_FIELDS = ["epoch", "loss", "val_loss", "val_piano", "val_scores", "lr", "minutes",
              "tokens_seen", "tokens_per_s"]
PIANO = "piano"


@dataclass(frozen=True)
class TrainingData:
    vocab: Vocabulary
    train: tuple[np.ndarray, ...]
    train_composers: tuple[str, ...]
    valid: tuple[np.ndarray, ...]
    description: dict  # pieces and tokens per split, for the model card
    conditioning: Conditioning | None = None
    train_inputs: PieceInputs | None = None
    valid_inputs: PieceInputs | None = None
    train_styles: tuple[str, ...] = ()
    valid_styles: tuple[str, ...] = ()


@dataclass
class RunState:
    epoch: int = 0
    best_val_loss: float = float("inf")
    best_epoch: int = -1
    epochs_without_improvement: int = 0
    learning_rate: float = 0.0
    minutes: float = 0.0
    tokens_seen: int = 0
    finished: bool = False
    stop_reason: str = ""


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    state: RunState


def _log(message: str) -> None:
    print(message, flush=True)


ANNEAL_SHARE = 0.2  # the last fifth of the time budget


def anneal_factor(minutes: float, max_minutes: float) -> float:
    """Learning-rate factor: 1, then down linearly to 0.1 over the last fifth of the budget.

    A run stopped by its time limit otherwise ends at a high learning rate, on a noisy point;
    annealing at the end reliably buys a lower loss for the same minutes.
    """
    start = max_minutes * (1 - ANNEAL_SHARE)
    if minutes <= start or max_minutes <= 0:
        return 1.0
    return max(0.1, 1.0 - 0.9 * (minutes - start) / (max_minutes - start))


def _val_loss(model, batch: Batch, batch_size: int, names: Sequence[str] = ()) -> float:
    # predict() runs the compiled graph; calling the model eagerly is many times slower.
    logits = np.asarray(model.predict(batch.model_inputs(names), batch_size=batch_size,
                                      verbose=0), dtype=np.float64)
    logits -= logits.max(axis=-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, batch.targets[..., None], axis=-1)[..., 0]
    return float(-(picked * batch.weights).sum()) / max(float(batch.weights.sum()), 1.0)


class Trainer:
    def __init__(
        self,
        run_dir: str | os.PathLike,
        data: TrainingData,
        model_config: ModelConfig,
        train_config: TrainConfig,
        *,
        init_keras_path: Path | None = None,
        log: Callable[[str], None] = _log,
        strategy=None,
        cluster: Cluster | None = None,
    ) -> None:
        """``strategy``: a ``tf.distribute`` strategy (composer.distribute) or None for the
        plain loop on one device; ``cluster``: this process's place in ``TF_CONFIG`` (only
        the chief writes into the run folder)."""
        self.run_dir = Path(run_dir)
        self.strategy = strategy
        self.cluster = cluster or Cluster()
        self.data = data
        self.model_config = model_config
        self.train_config = train_config
        self.init_keras_path = init_keras_path
        self.log = log
        if model_config.vocab_size != len(data.vocab):
            raise TrainingError(
                f"the model has {model_config.vocab_size} event ids but the data "
                f"{len(data.vocab)}: they were made with different tokenizer settings"
            )

    # ----- run folder --------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / "checkpoint.keras"

    @property
    def best_path(self) -> Path:
        return self.run_dir / "best.weights.h5"

    def _run_signature(self) -> dict:
        return {"model": asdict(self.model_config), "train": asdict(self.train_config),
                "vocabulary": list(self.data.vocab.names)}

    def _load_state(self, fresh: bool) -> RunState | None:
        # The state saved inside the checkpoint (composer.run_files): always its own epoch.
        # Only the chief repairs the folder; the other workers read what a repair would give.
        data = None if fresh else resume_state(self.run_dir, repair=self.is_chief)
        if data is None:
            return None
        saved = json.loads((self.run_dir / "run.json").read_text())
        mine = json.loads(json.dumps(self._run_signature()))
        if saved["model"] != mine["model"] or saved["vocabulary"] != mine["vocabulary"]:
            raise TrainingError(
                f"{self.run_dir}: holds a run of another model or vocabulary; use --fresh or "
                "another --run-dir"
            )
        return RunState(**data)

    @property
    def is_chief(self) -> bool:
        return self.cluster.is_chief

    def _save_checkpoint(self, model, state: RunState) -> None:
        tmp = self.run_dir / ".checkpoint.tmp.keras"
        model.save(tmp)
        embed_state(tmp, asdict(state))  # model and state in one file, renamed as one
        os.replace(tmp, self.checkpoint_path)
        write_json_atomic(self.run_dir / "state.json", asdict(state))  # the readable copy

    def _append_log(self, row: dict) -> None:
        path = self.run_dir / "log.csv"
        new = not path.exists()
        with open(path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=LOG_FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)

    def _validation_sets(self, cfg: TrainConfig, names: Sequence[str]) -> dict[str, Batch]:
        """Fixed validation windows: piano and the rest apart when both exist."""
        data = self.data
        styles = data.valid_styles or ("scores",) * len(data.valid)
        parts = {PIANO: [i for i, s in enumerate(styles) if s == PIANO],
                 "scores": [i for i, s in enumerate(styles) if s != PIANO]}
        parts = {k: v for k, v in parts.items() if v}
        windows = max(1, cfg.validation_windows // len(parts))
        result = {}
        for key, keep in parts.items():
            inputs = None
            if names and data.valid_inputs is not None:
                vi = data.valid_inputs
                inputs = PieceInputs([vi.positions[i] for i in keep], [vi.meters[i] for i in keep],
                                     [vi.styles[i] for i in keep], [vi.composers[i] for i in keep])
            result[key] = validation_batch([data.valid[i] for i in keep], data.vocab,
                                           length=cfg.sequence_length, windows=windows,
                                           seed=cfg.seed, inputs=inputs)
        return result

    # ----- the loop ----------------------------------------------------------------------
    def run(self, *, fresh: bool = False) -> TrainResult:
        import keras

        cfg = self.train_config
        chief, dist = self.is_chief, self.strategy
        if chief:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        state = self._load_state(fresh)
        # Under a strategy the model and its optimizer are made in its scope (mirrored).
        with dist.scope() if dist is not None else contextlib.nullcontext():
            if state is not None:
                model = keras.saving.load_model(self.checkpoint_path)
                self.log(f"resuming {self.run_dir} at epoch {state.epoch} (best val loss "
                         f"{state.best_val_loss:.4f}, {state.minutes:.1f} min so far)")
            else:
                if fresh and chief:
                    for name in ("state.json", "log.csv", "checkpoint.keras",
                                 "best.weights.h5"):
                        (self.run_dir / name).unlink(missing_ok=True)
                    settle_best(self.run_dir, None)
                keras.utils.set_random_seed(cfg.seed)
                if self.init_keras_path is not None:
                    model = keras.saving.load_model(self.init_keras_path, compile=False)
                else:
                    model = build_model(self.model_config)
                model.compile(
                    optimizer=keras.optimizers.Adam(cfg.learning_rate, clipnorm=cfg.clipnorm),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                )
                state = RunState(learning_rate=cfg.learning_rate)
                if chief:
                    write_json_atomic(self.run_dir / "run.json", self._run_signature())
        steps = twin = None
        global_batch = cfg.batch_size
        if dist is not None:
            steps = DistributedSteps(dist, model, cfg.batch_size)
            global_batch = steps.global_batch
            twin = build_model(self.model_config)  # validation, outside the strategy
            epochs = steps.agree([float(state.epoch), float(state.epoch) ** 2])
            if epochs[1] != epochs[0] ** 2:  # a mean and a mean of squares: all equal or not
                raise TrainingError(
                    f"{self.run_dir}: the workers would start from different epochs; every "
                    "worker must see the same --run-dir (a shared folder, see "
                    "docs/distributed.md)")
        # A finished run whose limits were raised (more epochs or minutes) simply goes on.
        state.finished = False

        names = [name for name, _ in self.model_config.conditions]
        data = self.data
        groups = [PIANO if s == PIANO else "scores" for s in data.train_styles] or None
        sampler = WindowSampler(
            data.train, data.train_composers, data.vocab,
            length=cfg.sequence_length, balance=cfg.composer_balance,
            transpose_range=cfg.transpose_range, velocity_jitter=cfg.velocity_jitter,
            inputs=data.train_inputs if names else None, groups=groups,
            group_shares={PIANO: cfg.piano_share},
            dropout={"positions": cfg.position_dropout, "styles": cfg.style_dropout,
                     "composers": cfg.composer_dropout},
        )
        valid_sets = self._validation_sets(cfg, names)
        callbacks = [keras.callbacks.TensorBoard(log_dir=str(self.run_dir / "tensorboard"),
                                                 write_graph=False, profile_batch=0)
                     ] if dist is None else []
        verbose = 1 if os.isatty(2) else 2
        self.log(f"model: {self.model_config.parameter_count:,} parameters; "
                 f"{sum(len(s) for s in self.data.train):,} training tokens in "
                 f"{len(self.data.train)} pieces")
        while True:
            if state.epoch >= cfg.max_epochs:
                state.stop_reason = f"reached {cfg.max_epochs} epochs"
                break
            if state.minutes >= cfg.max_minutes:
                state.stop_reason = f"reached the time limit of {cfg.max_minutes:g} minutes"
                break
            if state.epochs_without_improvement >= cfg.patience:
                state.stop_reason = (f"validation loss did not improve for {cfg.patience} "
                                     "epochs (early stop)")
                break
            rng = np.random.default_rng([cfg.seed, state.epoch])
            batches = [sampler.batch(rng, global_batch) for _ in range(cfg.steps_per_epoch)]
            x = np.concatenate([b.inputs for b in batches])
            y = np.concatenate([b.targets for b in batches])
            w = np.concatenate([b.weights for b in batches])
            model.optimizer.learning_rate.assign(
                state.learning_rate * anneal_factor(state.minutes, cfg.max_minutes))
            started = time.monotonic()
            if names:
                x = {"ids": x, **{name: np.concatenate([b.conditions[name] for b in batches])
                                  for name in names}}
            if dist is None:
                history = model.fit(x, y, sample_weight=w, batch_size=cfg.batch_size,
                                    epochs=state.epoch + 1, initial_epoch=state.epoch,
                                    shuffle=False, verbose=verbose, callbacks=callbacks)
                train_loss = float(history.history["loss"][-1])
                losses = {key: _val_loss(model, batch, cfg.batch_size, names)
                          for key, batch in valid_sets.items()}
                seconds = time.monotonic() - started
            else:
                train_loss, losses, seconds = self._distributed_epoch(
                    steps, model, twin, (x, y, w), valid_sets, names, state, started)
            val_loss = float(np.mean(list(losses.values())))
            tokens = int(w.sum())
            state.epoch += 1
            state.minutes += seconds / 60.0
            state.tokens_seen += tokens
            improved = val_loss < state.best_val_loss - 1e-4
            if improved:
                state.best_val_loss, state.best_epoch = val_loss, state.epoch
                state.epochs_without_improvement = 0
                # best.weights.h5 once the checkpoint's state names this epoch the best
                if chief:
                    model.save_weights(pending_best(self.run_dir, state.epoch))
            else:
                state.epochs_without_improvement += 1
                if state.epochs_without_improvement % 2 == 0:
                    state.learning_rate = max(state.learning_rate * 0.5, 1e-4)
            row = {
                "epoch": state.epoch, "loss": round(train_loss, 5),
                "val_loss": round(val_loss, 5),
                "val_piano": round(losses[PIANO], 5) if PIANO in losses else "",
                "val_scores": round(losses["scores"], 5) if "scores" in losses else "",
                "lr": float(model.optimizer.learning_rate.numpy()),
                "minutes": round(state.minutes, 2), "tokens_seen": state.tokens_seen,
                "tokens_per_s": round(tokens / seconds),
            }
            if chief:  # the run folder is the chief's: the others write nothing there
                self._append_log(row)
                self._save_checkpoint(model, state)
                settle_best(self.run_dir, state.best_epoch)
            parts = "".join(f", {key} {value:.4f}" for key, value in losses.items()
                            if len(losses) > 1)
            self.log(f"epoch {state.epoch}: val loss {val_loss:.4f} nats/event{parts}"
                     f"{' (best)' if improved else ''}, {tokens / seconds:,.0f} tokens/s, "
                     f"{state.minutes:.1f} min")
        state.finished = True
        if chief:
            write_json_atomic(self.run_dir / "state.json", asdict(state))
        self.log(f"stopped: {state.stop_reason}")
        return TrainResult(self.run_dir, state)

    def _distributed_epoch(self, steps: DistributedSteps, model, twin, data, valid_sets,
                           names, state: RunState, started: float):
        """One epoch under the strategy: (training loss, validation losses, seconds), the
        last two agreed between the workers so that every one decides the same."""
        try:
            train_loss = steps.fit_epoch(*data)
            twin.set_weights(model.get_weights())
            losses = {key: _val_loss(twin, batch, self.train_config.batch_size, names)
                      for key, batch in valid_sets.items()}
            seconds = time.monotonic() - started
            *agreed, seconds = steps.agree([*losses.values(), seconds])
        except Exception as exc:
            if not is_lost_worker(exc):
                raise
            raise TrainingError(
                f"lost a worker during epoch {state.epoch + 1} ({type(exc).__name__}); start "
                f"every worker again with the same command: the run resumes at epoch "
                f"{state.epoch}, its last checkpoint") from None
        return train_loss, dict(zip(losses, agreed)), seconds

    def export(self, out_dir: str | os.PathLike, *, weights_dtype: str = "float16",
               extra_info: dict | None = None) -> Path:
        """Save the best weights as a model bundle."""
        import keras  # noqa: F401 - build_model needs the backend

        model = build_model(self.model_config)
        source = self.best_path if self.best_path.exists() else None
        if source is None:
            raise TrainingError(f"{self.run_dir}: no trained weights yet")
        model.load_weights(source)
        state = RunState(**json.loads((self.run_dir / "state.json").read_text()))
        info = {
            "training": {
                "epochs": state.epoch, "best_epoch": state.best_epoch,
                "best_val_loss": state.best_val_loss, "minutes": round(state.minutes, 1),
                "tokens_seen": state.tokens_seen, "stop_reason": state.stop_reason,
                "config": asdict(self.train_config),
            },
            "data": self.data.description,
            "parameters": self.model_config.parameter_count,
        }
        info.update(extra_info or {})
        return save_bundle(out_dir, model, self.model_config, self.data.vocab, info=info,
                           weights_dtype=weights_dtype,
                           conditioning=self.data.conditioning
                           if self.model_config.conditions else None)


def corpus_conditioning(corpus) -> Conditioning:
    """The input classes for a model trained on ``corpus``: every composer it holds."""
    composers = sorted(set(corpus.composers) - {UNKNOWN})
    return Conditioning(composers=(UNKNOWN, *composers))


def piece_inputs(corpus, conditioning: Conditioning) -> PieceInputs:
    return PieceInputs(corpus.positions, corpus.meters,
                       [conditioning.style_id(s) for s in corpus.styles],
                       [conditioning.composer_id(c) for c in corpus.composers])


def training_data_from_corpus(corpus, *, valid_fallback: bool = True,
                              conditioning: Conditioning | None = None) -> TrainingData:
    """Train/validation sequences from a prepared corpus (composer.corpus.Corpus)."""
    train = corpus.select("train")
    valid = corpus.select("valid")
    if not len(train):
        raise TrainingError("the corpus has no training pieces")
    conditioning = conditioning or corpus_conditioning(corpus)
    valid_part = valid
    note = ""
    if not len(valid):
        if not valid_fallback:
            raise TrainingError("the corpus has no validation pieces")
        valid_part = train
        note = "no held-out pieces: validation on training pieces"
    description = {
        split: {"pieces": len(part), "tokens": part.token_count,
                "notes": int(sum(part.notes))}
        for split, part in (("train", train), ("valid", valid), ("test", corpus.select("test")))
    }
    description["styles"] = {
        style: {"pieces": len(part), "tokens": part.token_count, "notes": int(sum(part.notes))}
        for style in STYLES if len(part := train.with_style(style))
    }
    if note:
        description["note"] = note
    return TrainingData(corpus.vocab, tuple(train.tokens), tuple(train.composers),
                        tuple(valid_part.tokens), description, conditioning,
                        piece_inputs(train, conditioning), piece_inputs(valid_part, conditioning),
                        tuple(train.styles), tuple(valid_part.styles))
