"""The harmonizer's Keras model, its training data and its export (Learn side: imports Keras
inside the functions; harmonizing never imports this module).

DeepBach's network, small: to predict voice ``v`` at grid step ``t``, the window of steps
``t-L .. t+L`` (every voice's token embedded, the position in the bar embedded, concatenated
per step; voice ``v`` at ``t`` itself replaced by :data:`composer.chorales.MASK`) goes through
one ``Bidirectional(LSTM)``; its output at the centre (the forward half has read the past and
the step, the backward half the future and the step) is joined with a dense layer over the
step's own inputs and the voice's id, then two dense layers give the logits of the voice's
token. One network serves alto, tenor and bass (the voice id says which), so each voice's
examples train the others' shared parts.

The forward-only ablation (``bidirectional=False``: the same network without the backward
half) is what ``benchmarks/harmonize.py`` compares against; :func:`build_joint` trains both
side by side on the same batches, so the comparison is at equal training.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from composer.atomic import staged_folder, write_text_atomic
from composer.chorales import (
    INPUT_TOKENS,
    MASK,
    OUTPUT_TOKENS,
    PAD,
    POSITION_PAD,
    POSITIONS,
    Chorale,
    transpose,
    transpositions,
)
from composer.errors import ModelBundleError
from composer.harmonizer_bundle import HarmonizerConfig, config_json


def _network(config: HarmonizerConfig, inputs: dict, prefix: str = ""):
    """The logits tensor for ``inputs`` (tokens, positions, voice); layers named
    ``prefix + role``."""
    import keras
    from keras import layers

    L, W = config.context, config.window
    emb = layers.Embedding(INPUT_TOKENS, config.token_dim,
                           name=f"{prefix}token_embedding")(inputs["tokens"])
    emb = layers.Reshape((W, 4 * config.token_dim), name=f"{prefix}voices")(emb)
    pos = layers.Embedding(POSITIONS, config.position_dim,
                           name=f"{prefix}position_embedding")(inputs["positions"])
    steps = layers.Concatenate(name=f"{prefix}steps")([emb, pos])
    lstm = layers.LSTM(config.units, return_sequences=True, name=f"{prefix}lstm")
    context = (layers.Bidirectional(lstm, name=f"{prefix}context")(steps)
               if config.bidirectional else lstm(steps))
    context = layers.Flatten(name=f"{prefix}context_at_step")(
        layers.Cropping1D((L, L), name=f"{prefix}crop_context")(context))
    own = layers.Flatten(name=f"{prefix}own_inputs")(
        layers.Cropping1D((L, L), name=f"{prefix}crop_step")(steps))
    voice = layers.Flatten(name=f"{prefix}voice_flat")(
        layers.Embedding(3, config.voice_dim, name=f"{prefix}voice_embedding")(inputs["voice"]))
    center = layers.Dense(config.hidden, activation="relu", name=f"{prefix}center")(
        layers.Concatenate(name=f"{prefix}own")([own, voice]))
    x = layers.Concatenate(name=f"{prefix}joined")([context, center])
    if config.dropout:
        x = layers.Dropout(config.dropout, name=f"{prefix}dropout_0")(x)
    x = layers.Dense(config.hidden, activation="relu", name=f"{prefix}merge")(x)
    if config.dropout:
        x = layers.Dropout(config.dropout, name=f"{prefix}dropout_1")(x)
    del keras
    return layers.Dense(OUTPUT_TOKENS, name=f"{prefix}logits")(x)


def _inputs(config: HarmonizerConfig) -> dict:
    import keras

    return {
        "tokens": keras.Input((config.window, 4), dtype="int32", name="tokens"),
        "positions": keras.Input((config.window,), dtype="int32", name="positions"),
        "voice": keras.Input((1,), dtype="int32", name="voice"),
    }


def build_model(config: HarmonizerConfig):
    """A fresh, uncompiled Keras harmonizer: inputs ``tokens (B, W, 4)``, ``positions
    (B, W)``, ``voice (B, 1)`` (0 alto, 1 tenor, 2 bass); output ``(B, OUTPUT_TOKENS)``."""
    import keras

    inputs = _inputs(config)
    return keras.Model(inputs, _network(config, inputs), name="harmonizer")


def build_joint(config: HarmonizerConfig):
    """The bidirectional model and its forward-only ablation in one Keras model (outputs
    ``bi`` and ``fwd``), trained on the same batches."""
    import dataclasses

    import keras

    inputs = _inputs(config)
    bi = _network(dataclasses.replace(config, bidirectional=True), inputs, "bi_")
    fwd = _network(dataclasses.replace(config, bidirectional=False), inputs, "fwd_")
    bi = keras.layers.Identity(name="bi")(bi)
    fwd = keras.layers.Identity(name="fwd")(fwd)
    return keras.Model(inputs, {"bi": bi, "fwd": fwd}, name="harmonizer_joint")


def export_weights(model, config: HarmonizerConfig, prefix: str = "") -> dict[str, np.ndarray]:
    """Weights by role for composer.harmonizer (Keras gate order i, f, c, o kept)."""
    def get(name: str) -> list[np.ndarray]:
        return model.get_layer(prefix + name).get_weights()

    weights = {
        "token_embedding": get("token_embedding")[0],
        "position_embedding": get("position_embedding")[0],
        "voice_embedding": get("voice_embedding")[0],
    }
    if config.bidirectional:
        fk, fr, fb, bk, br, bb = get("context")
        weights.update(backward_kernel=bk, backward_recurrent=br, backward_bias=bb)
    else:
        fk, fr, fb = get("lstm")
    weights.update(forward_kernel=fk, forward_recurrent=fr, forward_bias=fb)
    for role in ("center", "merge", "logits"):
        kernel, bias = get(role)
        weights[f"{role}_kernel"] = kernel
        weights[f"{role}_bias"] = bias
    return {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}


def load_weights_into(model, config: HarmonizerConfig, weights: dict, prefix: str = "") -> None:
    """The inverse of :func:`export_weights` (to rebuild a Keras model from a bundle)."""
    def put(name: str, values: Sequence[np.ndarray]) -> None:
        model.get_layer(prefix + name).set_weights(list(values))

    for role in ("token_embedding", "position_embedding", "voice_embedding"):
        put(role, [weights[role]])
    forward = [weights["forward_kernel"], weights["forward_recurrent"], weights["forward_bias"]]
    if config.bidirectional:
        put("context", forward + [weights["backward_kernel"], weights["backward_recurrent"],
                                  weights["backward_bias"]])
    else:
        put("lstm", forward)
    for role in ("center", "merge", "logits"):
        put(role, [weights[f"{role}_kernel"], weights[f"{role}_bias"]])


# ----- training data --------------------------------------------------------------------
class Examples:
    """Every (chorale, transposition, step, voice) of a set of chorales as windows.

    The chorales (each transposed by every allowed shift, or only by 0) are laid end to end
    with ``context`` padding steps around each; an example is a centre index into that array
    and a voice (1..3). Batches are cut on demand, so an epoch of a million examples never
    sits in memory.
    """

    def __init__(self, chorales: Sequence[Chorale], config: HarmonizerConfig,
                 transpose_all: bool = True) -> None:
        L = config.context
        self.config = config
        tokens, positions, centers = [], [], []
        offset = 0
        for chorale in chorales:
            shifts = transpositions(chorale, config.ranges) if transpose_all else [0]
            for shift in shifts or [0]:
                pad = np.full((L, 4), PAD, dtype=np.int16)
                tokens += [pad, transpose(chorale.tokens, shift), pad]
                pad_pos = np.full(L, POSITION_PAD, dtype=np.int16)
                positions += [pad_pos, chorale.positions.astype(np.int16), pad_pos]
                centers.append(offset + L + np.arange(chorale.steps))
                offset += chorale.steps + 2 * L
        self.tokens = np.concatenate(tokens)
        self.positions = np.concatenate(positions)
        centers = np.concatenate(centers)
        self.centers = np.repeat(centers, 3)
        self.voices = np.tile(np.arange(1, 4), len(centers))

    def __len__(self) -> int:
        return int(self.centers.size)

    def batch(self, index: np.ndarray) -> tuple[dict, np.ndarray]:
        """Inputs and targets of the examples ``index``."""
        L = self.config.context
        centers, voices = self.centers[index], self.voices[index]
        rows = centers[:, None] + np.arange(-L, L + 1)
        tokens = self.tokens[rows].astype(np.int32)  # (B, W, 4)
        targets = tokens[np.arange(len(index)), L, voices].copy()
        tokens[np.arange(len(index)), L, voices] = MASK
        inputs = {"tokens": tokens, "positions": self.positions[rows].astype(np.int32),
                  "voice": (voices - 1)[:, None].astype(np.int32)}
        return inputs, targets


def batches(examples: Examples, batch_size: int, rng: np.random.Generator, limit: int | None
            = None):
    """One pass over ``examples`` in a random order (at most ``limit`` of them)."""
    order = rng.permutation(len(examples))[:limit]
    for start in range(0, order.size, batch_size):
        yield examples.batch(order[start:start + batch_size])


# ----- the bundle -----------------------------------------------------------------------
def save_harmonizer(folder: str | os.PathLike, model, config: HarmonizerConfig, *,
                    prefix: str = "", info: dict | None = None, card: str | None = None,
                    keras_model: bool = True) -> Path:
    """Write ``weights.npz``, ``config.json``, ``card.md`` (and ``model.keras``) as a whole
    folder (composer.atomic.replace_folder): a kill leaves the old bundle or the new one."""
    folder = Path(folder)
    with staged_folder(folder) as staging:
        weights = export_weights(model, config, prefix)
        np.savez_compressed(staging / "weights.npz", **weights)
        if keras_model:
            import keras

            clean = build_model(config)
            load_weights_into(clean, config, weights)
            keras.saving.save_model(clean, staging / "model.keras")
        data = dict(info or {})
        data.setdefault("name", folder.name)
        write_text_atomic(staging / "config.json", config_json(config, **data),
                          error=ModelBundleError)
        if card is not None:
            write_text_atomic(staging / "card.md", card, error=ModelBundleError)
    return folder


def train(chorales: Sequence[Chorale], config: HarmonizerConfig, *, minutes: float,
          batch_size: int = 256, epoch_examples: int = 200_000, seed: int = 0,
          checkpoint: str | os.PathLike | None = None, log=print):
    """Train the joint model (both variants) for about ``minutes``; returns the Keras model
    and a history of ``(epoch, seconds, train losses, valid losses)``.

    A plain loop over ``train_on_batch`` (not ``fit``): the time limit is checked every
    batch, and an epoch is ``epoch_examples`` random examples, so a checkpoint (the weights,
    after every epoch, in ``checkpoint``) is never far behind.
    """
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    train_set = Examples([c for c in chorales if c.split == "train"], config)
    valid_set = Examples([c for c in chorales if c.split == "valid"], config,
                         transpose_all=False)
    log(f"{len(train_set):,} training examples, {len(valid_set):,} validation examples")
    model = build_joint(config)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(2e-3, clipnorm=1.0),
                  loss={"bi": loss, "fwd": loss})
    if checkpoint is not None and Path(checkpoint).is_file():
        model.load_weights(checkpoint)
        log(f"resumed from {checkpoint}")
    started = time.monotonic()
    history = []
    epoch = 0
    while time.monotonic() - started < minutes * 60:
        epoch += 1
        totals = np.zeros(2)
        count = 0
        for inputs, targets in batches(train_set, batch_size, rng, epoch_examples):
            out = model.train_on_batch(inputs, {"bi": targets, "fwd": targets},
                                       return_dict=True)
            totals += [float(out["bi_loss"]), float(out["fwd_loss"])]
            count += 1
            if time.monotonic() - started > minutes * 60:
                break
        valid = evaluate_joint(model, valid_set)
        seconds = time.monotonic() - started
        history.append((epoch, seconds, tuple(totals / max(count, 1)), valid))
        log(f"epoch {epoch} {seconds / 60:.1f} min: train bi {totals[0] / count:.3f} fwd "
            f"{totals[1] / count:.3f}; valid bi {valid[0]:.3f} fwd {valid[1]:.3f}")
        if checkpoint is not None:
            model.save_weights(checkpoint)
    return model, history


def evaluate_joint(model, examples: Examples, batch_size: int = 2048) -> tuple[float, float]:
    """Mean NLL (nats per token) of both outputs over ``examples``."""
    totals = np.zeros(2)
    for start in range(0, len(examples), batch_size):
        index = np.arange(start, min(start + batch_size, len(examples)))
        inputs, targets = examples.batch(index)
        out = model.predict_on_batch(inputs)
        for k, name in enumerate(("bi", "fwd")):
            totals[k] += nll_sum(np.asarray(out[name]), targets)
    return tuple(totals / len(examples))


def nll_sum(logits: np.ndarray, targets: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(targets)), targets].sum())


def history_json(history) -> str:
    return json.dumps([{"epoch": e, "seconds": round(s, 1), "train": list(t), "valid": list(v)}
                       for e, s, t, v in history], indent=1)
