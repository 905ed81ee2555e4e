"""Training on several devices or machines with TensorFlow's own ``tf.distribute``.

Why this shape:
- ``--strategy one`` is the plain single-process loop of composer.train (``model.fit``),
  untouched. ``mirrored`` (several GPUs in one machine, ``MirroredStrategy``) and
  ``multi-worker`` (several processes or machines, ``MultiWorkerMirroredStrategy``, configured
  by the standard ``TF_CONFIG`` variable) run one synchronous data-parallel step here. No RPC,
  parameter server or gradient exchange of our own: the gradients are summed by
  ``ReplicaContext.all_reduce``, tf.distribute's collective.
- The step is a small custom loop rather than ``model.fit`` because Keras 3's ``fit`` under
  ``MultiWorkerMirroredStrategy`` fails in this TensorFlow/Keras (keras-team/keras#20585:
  ``Attempt to convert a value (PerReplica...)``). The model, its optimizer and its checkpoints
  are the same Keras objects as on one device, so a run can be resumed with another strategy.
- The global batch is ``--batch-size`` (per replica) times the replicas; the loss of a step is
  the sum of ``ce * weight`` over the global batch divided by its windows times their length,
  as Keras computes it on one device; the Keras optimizer sums the replicas' gradients. So N
  replicas with ``--batch-size B`` take the steps of one device with ``--batch-size N*B`` and
  the same ``--lr`` (one difference: Keras clips, ``clipnorm`` per variable, each replica's
  share before the sum, so a step whose gradient exceeds the clip norm differs). The learning
  rate is *not* scaled with the replicas (the rule: "the rate is that of the global batch";
  raise ``--lr`` yourself if you grow the global batch a lot).
- Every worker draws the same windows (the sampler is seeded by ``(seed, epoch)``) and
  ``tf.data`` shards each global batch between the workers (``AutoShardPolicy.DATA``): each
  worker trains on its slice of every batch.
- Decisions that end the loop or change the learning rate (minutes spent, validation loss) are
  agreed by an all-reduce, so no worker stops while another goes on waiting for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from composer.errors import SettingsError

STRATEGIES = ("auto", "one", "mirrored", "multi-worker")


@dataclass(frozen=True)
class Cluster:
    """What ``TF_CONFIG`` says about this process: how many workers, which one it is."""

    workers: int = 1
    task_type: str = "worker"
    index: int = 0
    has_chief: bool = False  # the cluster names a "chief" task besides the workers

    @property
    def is_chief(self) -> bool:
        """TensorFlow's rule: the task "chief" if there is one, else worker 0."""
        return self.task_type == "chief" or (self.index == 0 and not self.has_chief)

    @property
    def name(self) -> str:
        return f"{self.task_type} {self.index}"


def cluster_from_env(environ: Mapping[str, str] | None = None) -> Cluster:
    """The cluster of ``TF_CONFIG`` (one worker when it is not set)."""
    environ = os.environ if environ is None else environ
    text = environ.get("TF_CONFIG", "").strip()
    if not text:
        return Cluster()
    try:
        config = json.loads(text)
        cluster = config.get("cluster", {})
        task = config.get("task", {})
        workers = sum(len(cluster.get(kind, [])) for kind in ("chief", "worker"))
        task_type, index = str(task.get("type", "worker")), int(task.get("index", 0))
    except (ValueError, TypeError, AttributeError) as exc:
        raise SettingsError(f"TF_CONFIG: not a TensorFlow cluster description ({exc}); see "
                            "docs/distributed.md") from None
    if task_type not in ("chief", "worker"):
        raise SettingsError(f"TF_CONFIG: task type {task_type!r}: composer runs only 'chief' "
                            "and 'worker' tasks (no parameter servers)")
    if not 0 <= index < max(1, len(cluster.get(task_type, []))):
        raise SettingsError(f"TF_CONFIG: task index {index} is not in the cluster's "
                            f"{task_type!r} list")
    return Cluster(workers, task_type, index, "chief" in cluster)


def local_cluster(workers: int) -> dict:
    """A ``TF_CONFIG`` cluster of ``workers`` processes on this machine, each on a port that
    was free a moment ago (asked of the OS, then released): for trying multi-worker training,
    the benchmark and the tests, without a second machine."""
    import socket

    sockets = [socket.socket() for _ in range(workers)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        ports = [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
    return {"worker": [f"localhost:{port}" for port in ports]}


def choose_strategy(name: str, cluster: Cluster, gpus: int) -> str:
    """``auto``: multi-worker when ``TF_CONFIG`` names several workers, mirrored with several
    GPUs, else one device. An explicit choice is checked against what is there."""
    if name not in STRATEGIES:
        raise SettingsError(f"--strategy {name!r}: choose from {', '.join(STRATEGIES)}")
    if name == "auto":
        return "multi-worker" if cluster.workers > 1 else "mirrored" if gpus > 1 else "one"
    if name == "multi-worker" and cluster.workers < 2:
        raise SettingsError("--strategy multi-worker: TF_CONFIG names no other worker; set it "
                            "on every machine (docs/distributed.md)")
    if name != "multi-worker" and cluster.workers > 1:
        raise SettingsError(f"--strategy {name}: TF_CONFIG names {cluster.workers} workers; "
                            "use --strategy multi-worker or auto, or unset TF_CONFIG")
    return name


def local_gpus() -> int:
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def make_strategy(kind: str):
    """The tf.distribute strategy for ``kind`` (None for one device: the plain loop)."""
    import tensorflow as tf

    if kind == "one":
        return None
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.MultiWorkerMirroredStrategy()


def describe(kind: str, replicas: int) -> str:
    """The line the chief prints at the start."""
    if kind == "one":
        return "strategy: one device"
    return f"strategy: {kind}, {replicas} replicas"


class DistributedSteps:
    """Synchronous data-parallel training steps of a compiled Keras model under ``strategy``.

    Build the model and compile it inside ``strategy.scope()`` first; ``batch_size`` is the
    per-replica batch.
    """

    def __init__(self, strategy, model, batch_size: int) -> None:
        import tensorflow as tf

        self.strategy = strategy
        self.model = model
        self.replicas = int(strategy.num_replicas_in_sync)
        self.global_batch = batch_size * self.replicas
        with strategy.scope():
            model.optimizer.build(model.trainable_variables)
        self._step = tf.function(self._replica_step_all)
        self._mean = tf.function(self._all_reduce_mean)

    def _replica_step(self, x, y, w):
        import tensorflow as tf

        model = self.model
        variables = model.trainable_variables
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            ce = tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
            elements = tf.cast(self.global_batch * tf.shape(y)[1], ce.dtype)
            loss = tf.reduce_sum(ce * tf.cast(w, ce.dtype)) / elements  # this replica's share
        # The Keras optimizer sums the replicas' gradients (ReplicaContext.all_reduce) and
        # updates as on one device. The embedding's gradient stays IndexedSlices, as in
        # model.fit: Adam treats those rows unlike a dense gradient, and a dense one here
        # trained measurably differently from one device.
        model.optimizer.apply(tape.gradient(loss, variables), variables)
        context = tf.distribute.get_replica_context()
        return context.all_reduce(tf.distribute.ReduceOp.SUM, loss)

    def _replica_step_all(self, iterator):
        x, y, w = next(iterator)
        return self.strategy.run(self._replica_step, args=(x, y, w))

    def fit_epoch(self, x, y, w) -> float:
        """One pass over global batches ``x`` (ids, or a dict with the extra inputs), ``y``,
        ``w``, in order; returns the mean training loss of the steps."""
        import tensorflow as tf

        steps = len(y) // self.global_batch
        dataset = tf.data.Dataset.from_tensor_slices((x, y, w)).batch(self.global_batch,
                                                                      drop_remainder=True)
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA)
        iterator = iter(self.strategy.experimental_distribute_dataset(
            dataset.with_options(options)))
        losses = []
        for _ in range(steps):
            result = self._step(iterator)
            losses.append(float(self.strategy.experimental_local_results(result)[0]))
        return float(np.mean(losses)) if losses else float("nan")

    def _all_reduce_mean(self, value):
        import tensorflow as tf

        def fn(value):
            # identity: onto the replica's device (a collective needs one to send from)
            return tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.MEAN, tf.identity(value))

        return self.strategy.run(fn, args=(value,))

    def agree(self, values: list[float]) -> list[float]:
        """The same numbers on every worker: the mean of what each one has."""
        import tensorflow as tf

        result = self._mean(tf.constant(values, tf.float64))
        return [float(v) for v in self.strategy.experimental_local_results(result)[0].numpy()]


def is_lost_worker(exc: BaseException) -> bool:
    """An error of a collective whose peer went away (killed, crashed, network)."""
    import tensorflow as tf

    return isinstance(exc, (tf.errors.UnavailableError, tf.errors.CancelledError,
                            tf.errors.DeadlineExceededError, tf.errors.AbortedError,
                            tf.errors.InternalError))
