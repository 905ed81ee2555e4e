"""A memory of the seed's own figures, mixed into the model's prediction while it samples.

Why: an LSTM of a few million parameters predicts piano music well on average and still
forgets the piece it was given within a bar or two: its state carries "piano, this key, this
density" but not "this Alberti bass, this broken chord". Pachet's Continuator shows that the
figures of a phrase can be learned instantly by counting them; cache language models
(Kuhn & De Mori 1990, Grave et al. 2017) show that mixing such counts into a neural
prediction lowers the loss on text that repeats itself, and music repeats itself more than
text.

What it is: a variable-order n-gram over the seed's event ids (the same events the model is
primed with). At each step of a take, the longest suffix of the take's events (seed, then
what has been generated) that also occurs in the seed, of at least :data:`MIN_ORDER` events,
gives a distribution over what followed it there. The model's distribution ``p`` (after
temperature) becomes ``(1 - w) p + w q`` with ``w = strength * min(1, (order - MIN_ORDER + 1)
/ FULL_ORDER)``: a short match only nudges, a long one (a whole figure) leans on the seed. The
cache holds the seed only, never the takes' own events, so it cannot feed a loop of its own
making; the repetition guard still stops bar loops.

``strength`` 0 turns it off. The default (:data:`DEFAULT_STRENGTH`) was chosen by the NLL of
real continuations of held-out pieces (validation split) given their opening, see
benchmarks/continuation.py: a memory that makes the real continuation more likely is one a
listener hears as "still the same piece".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

MIN_ORDER = 3  # events; shorter matches say little (a velocity and a note)
MAX_ORDER = 24  # events; longer contexts are not looked up (a few notes with their shifts)
FULL_ORDER = 8  # a match this long gets the full strength
DEFAULT_STRENGTH = 0.7


class SeedMemory:
    """Counts of what followed each context of :data:`MIN_ORDER`..:data:`MAX_ORDER` events.

    Built once per generation, looked up once per event and take: a context's distribution
    is normalized the first time a lookup lands on it and kept (a seed of a few bars holds
    thousands of contexts, of which a take meets a few hundred: normalizing them all up front
    cost more than the lookups), and a lookup is a few tuple slices and dict probes. Every context
    stored is stored with its shorter suffixes (down to :data:`MIN_ORDER`), so the orders that
    match a context form a run from :data:`MIN_ORDER` up: the lookup walks up that run and
    stops at the first miss, instead of trying every order from the longest down.
    """

    def __init__(self, seed_ids: Sequence[int], vocab_size: int,
                 strength: float = DEFAULT_STRENGTH) -> None:
        self.vocab_size = int(vocab_size)
        self.strength = float(strength)
        ids = [int(t) for t in seed_ids]
        counts: dict[tuple[int, ...], Counter] = {}
        if self.strength > 0:
            for end in range(1, len(ids)):
                following = ids[end]
                for order in range(MIN_ORDER, min(MAX_ORDER, end) + 1):
                    key = tuple(ids[end - order:end])
                    counts.setdefault(key, Counter())[following] += 1
        self._table = counts
        self._normalized: dict[tuple[int, ...], np.ndarray] = {}
        self._longest = max((len(k) for k in self._table), default=0)
        self._weights = {order: self.strength * min(1.0, (order - MIN_ORDER + 1) / FULL_ORDER)
                         for order in range(MIN_ORDER, self._longest + 1)}

    def _distribution(self, counts: Counter) -> np.ndarray:
        q = np.zeros(self.vocab_size)
        for token, count in counts.items():
            q[token] = count
        q /= q.sum()
        q.flags.writeable = False  # shared by every lookup
        return q

    def __bool__(self) -> bool:
        return bool(self._table)

    def lookup(self, context: Sequence[int]) -> tuple[float, np.ndarray | None]:
        """(weight, distribution) for the next event after ``context``; (0, None) without a
        match. The longest matching suffix counts. The distribution is shared: read only."""
        table = self._table
        if not table or len(context) < MIN_ORDER:
            return 0.0, None
        tail = tuple(context[-self._longest:])
        size = len(tail)
        found = None
        order = MIN_ORDER
        while order <= size:
            key = tail[size - order:]
            if key not in table:
                break
            found, order = key, order + 1
        if found is None:
            return 0.0, None
        q = self._normalized.get(found)
        if q is None:
            q = self._normalized[found] = self._distribution(table[found])
        return self._weights[len(found)], q


def mix_logits(logits: np.ndarray, temperature: float, weights: np.ndarray,
               memories: np.ndarray) -> np.ndarray:
    """Log of ``(1 - w) softmax(logits / T) + w q`` per row (rows with ``w == 0`` keep the
    scaled logits). Returned as logits at temperature 1: divide by nothing afterwards."""
    x = np.asarray(logits, dtype=np.float64) / temperature
    x = x - x.max(axis=1, keepdims=True)
    p = np.exp(x)
    p /= p.sum(axis=1, keepdims=True)
    w = np.asarray(weights, dtype=np.float64)[:, None]
    mixed = (1.0 - w) * p + w * memories
    with np.errstate(divide="ignore"):
        return np.log(mixed)


def memory_log_probs(model_log_probs: np.ndarray, ids: Sequence[int], seed_length: int,
                     strength: float, vocab_size: int) -> np.ndarray:
    """log p of ``ids[t]`` for ``t >= seed_length`` under the model mixed with a memory of
    ``ids[:seed_length]``, given the model's full log-probability rows ``(len(ids), V)`` where
    row ``t`` predicts ``ids[t]``. For evaluating a strength on real continuations."""
    memory = SeedMemory(ids[:seed_length], vocab_size, strength)
    result = []
    for t in range(seed_length, len(ids)):
        p = np.exp(model_log_probs[t, ids[t]])
        weight, q = memory.lookup(ids[:t])
        if q is not None:
            p = (1 - weight) * p + weight * q[ids[t]]
        result.append(np.log(p))
    return np.asarray(result)
