"""The n-gram baselines: hand-computed probabilities, a slow by-the-definition reference,
proper distributions for any context.

Toy vocabulary of the hand tests: 0 PAD, 1 BOS, 2 EOS, 3 A, 4 B.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from composer.ngram import KneserNeyModel, UnigramModel, estimate_discounts, max_order

TOY = [[1, 3, 4, 2], [1, 3, 3, 2], [1, 4, 2]]
TOY_V = 5
HAND_DISCOUNTS = [(0.5, 1.0, 1.5), (0.5, 1.0, 1.5)]  # (D1, D2, D3+) for orders 1 and 2


def test_unigram_is_add_one_over_the_whole_vocabulary():
    # Predicted events of TOY: A B EOS A A EOS B EOS -> EOS 3, A 3, B 2 of 8; V = 5.
    model = UnigramModel.fit(TOY, TOY_V)
    assert model.distribution() == pytest.approx([1 / 13, 1 / 13, 4 / 13, 4 / 13, 3 / 13])
    nll, events = model.nll([[1, 4, 3, 2]])
    assert events == 3
    assert nll == pytest.approx(-math.log(3 / 13) - math.log(4 / 13) - math.log(4 / 13))


def test_bigram_kneser_ney_matches_hand_computation():
    """Bigrams (raw counts): BOS A 2, BOS B 1, A B 1, A A 1, A EOS 1, B EOS 2.

    Unigram continuation counts (distinct predecessors): A {BOS, A} 2, B {A, BOS} 2,
    EOS {B, A} 2; total 6. With D2 = 1 at order 1: p1(w) = (2 - 1) / 6 + (3 * 1 / 6) / 5
    = 1/6 + 1/10 for A, B, EOS and 1/10 for PAD and BOS.
    Context BOS: a(.) = 3, backoff mass D2 + D1 = 1.5 -> gamma 1/2.
    Context A: a(.) = 3, mass 3 * D1 = 1.5 -> gamma 1/2. Context B: a(.) = 2, mass D2 = 1.
    """
    model = KneserNeyModel.fit(TOY, 2, TOY_V, discounts=HAND_DISCOUNTS)
    p1 = np.array([0.1, 0.1, 1 / 6 + 0.1, 1 / 6 + 0.1, 1 / 6 + 0.1])
    assert model.distribution([]) == pytest.approx(p1)
    after_bos = [0.5 * 0.1, 0.5 * 0.1, 0.5 * p1[2], (2 - 1) / 3 + 0.5 * p1[3],
                 (1 - 0.5) / 3 + 0.5 * p1[4]]
    assert model.distribution([1]) == pytest.approx(after_bos)
    after_b = [0.5 * 0.1, 0.5 * 0.1, (2 - 1) / 2 + 0.5 * p1[2], 0.5 * p1[3], 0.5 * p1[4]]
    assert model.distribution([1, 3, 4]) == pytest.approx(after_b)
    # EOS never starts a bigram: its context is unseen and passes everything to order 1.
    assert model.distribution([1, 2]) == pytest.approx(p1)
    # One test piece BOS B A EOS: p(B|BOS) = 0.3, p(A|B) = 0.5 p1(A), p(EOS|A) = 0.5/3 + 0.5 p1.
    expected = [math.log(0.3), math.log(0.5 * p1[3]), math.log(0.5 / 3 + 0.5 * p1[2])]
    assert model.log_probs([1, 4, 3, 2]) == pytest.approx(expected)
    nll, events = model.nll([[1, 4, 3, 2]])
    assert (nll, events) == (pytest.approx(-sum(expected)), 3)


def test_discounts_come_from_count_of_counts():
    # n1 = 10, n2 = 5, n3 = 3, n4 = 2 -> Y = 10 / 20; D1 = 1 - 2Y 5/10; D2 = 2 - 3Y 3/5;
    # D3+ = 3 - 4Y 2/3.
    counts = np.array([1] * 10 + [2] * 5 + [3] * 3 + [4] * 2 + [9])
    assert estimate_discounts(counts) == pytest.approx([0, 0.5, 1.1, 3 - 4 / 3])


def test_undefined_discounts_fall_back_to_a_positive_value():
    # n1 = 2, n2 = 1: Y = 1/2, D1 = 1 - 2Y 1/2; D2 = 2 - 3Y 0/1 = 2 is allowed; no count of 3
    # leaves D3+ undefined -> Y. No count of 1 at all makes Y (and D1) undefined -> 0.5.
    assert estimate_discounts(np.array([1, 1, 2])) == pytest.approx([0, 0.5, 2.0, 0.5])
    assert estimate_discounts(np.array([2, 2, 5])) == pytest.approx([0, 0.5, 2.0, 0.5])


# ----- a slow reference straight from the definitions -----------------------------------
def reference_model(sequences, order, vocab):
    """Dict-based interpolated modified KN, written independently of composer/ngram.py."""
    adjusted = [Counter() for _ in range(order + 1)]
    left = [defaultdict(set) for _ in range(order + 1)]
    for seq in sequences:
        for t in range(1, len(seq)):
            for k in range(1, min(order, t + 1) + 1):
                gram = tuple(seq[t - k + 1 : t + 1])
                if k == order or t - k + 1 == 0:
                    adjusted[k][gram] += 1
                else:
                    left[k][gram].add(seq[t - k])
    for k in range(1, order):
        for gram, before in left[k].items():
            adjusted[k][gram] += len(before)
    discounts = {}
    for k in range(1, order + 1):
        n = Counter(adjusted[k].values())
        y = n[1] / (n[1] + 2 * n[2]) if n[1] else 0.5
        d = [0.0]
        for r in (1, 2, 3):
            value = r - (r + 1) * y * n[r + 1] / n[r] if n[r] else -1
            d.append(value if 0 < value <= r else y)
        discounts[k] = d

    def prob(history, word):
        history = tuple(history[-(order - 1):]) if order > 1 else ()
        p = 1 / vocab
        for k in range(1, min(order, len(history) + 1) + 1):
            context = history[len(history) - (k - 1):] if k > 1 else ()
            follow = {g[-1]: a for g, a in adjusted[k].items() if g[:-1] == context}
            if not follow:
                continue
            d = discounts[k]
            total = sum(follow.values())
            mass = sum(d[min(a, 3)] for a in follow.values())
            a = follow.get(word, 0)
            p = (max(a - d[min(a, 3)], 0) + mass * p) / total
        return p

    return prob


def random_pieces(rng, count, vocab, max_len=40):
    return [[1, *rng.integers(3, vocab, size=rng.integers(0, max_len)).tolist(), 2]
            for _ in range(count)]


@pytest.mark.parametrize("order", [1, 2, 3, 4, 6])
def test_matches_the_reference_on_random_pieces(order):
    rng = np.random.default_rng(order)
    vocab = 8  # few events: many repeated n-grams, every count-of-count case occurs
    train, test = random_pieces(rng, 30, vocab), random_pieces(rng, 5, vocab)
    model = KneserNeyModel.fit(train, order, vocab)
    reference = reference_model(train, order, vocab)
    for piece in test:
        expected = [math.log(reference(piece[:t], piece[t])) for t in range(1, len(piece))]
        assert model.log_probs(piece) == pytest.approx(expected, rel=1e-10)
        # The same numbers through distribution(prefix), whatever the prefix's length.
        for t in range(1, len(piece)):
            assert math.log(model.distribution(piece[:t])[piece[t]]) == pytest.approx(
                expected[t - 1], rel=1e-10)


@pytest.mark.parametrize("order", [1, 2, 4, 6])
def test_distribution_sums_to_one_for_random_contexts(order):
    rng = np.random.default_rng(10 + order)
    vocab = 237
    train = random_pieces(rng, 50, 40, max_len=200)  # ids 3..39 only: most of V never seen
    model = KneserNeyModel.fit(train, order, vocab)
    contexts = [[1], [], [1, 5], [2, 2, 2, 2, 2, 2, 2]]
    contexts += [[1, *rng.integers(0, vocab, size=rng.integers(0, 10))] for _ in range(20)]
    contexts += [list(p[: rng.integers(1, len(p))]) for p in train[:20]]  # seen contexts
    for context in contexts:
        dist = model.distribution(context)
        assert dist.shape == (vocab,)
        assert dist.sum() == pytest.approx(1.0, abs=1e-12)
        assert (dist > 0).all()


def test_unseen_context_and_unseen_event_get_finite_probabilities():
    model = KneserNeyModel.fit(TOY, 4, TOY_V)
    # PAD and BOS never occur as events; B B B never occurs as a context.
    log_probs = model.log_probs([1, 4, 4, 4, 0, 1, 2])
    assert np.isfinite(log_probs).all()
    assert len(log_probs) == 6


def test_context_does_not_cross_pieces():
    # In piece 1, A is always followed by B; a piece starting "BOS A" must not see that A as
    # the end of piece 1's "A B" pattern: BOS A -> A only.
    model = KneserNeyModel.fit([[1, 3, 4, 2], [1, 3, 3, 2]], 2, TOY_V,
                               discounts=HAND_DISCOUNTS)
    joined = KneserNeyModel.fit([[1, 3, 4, 2, 1, 3, 3, 2]], 2, TOY_V, discounts=HAND_DISCOUNTS)
    assert not np.allclose(model.distribution([1]), joined.distribution([1]))
    assert model.nll([[1, 3, 4, 2], [1, 4, 2]])[1] == 5  # 3 + 2 events, nothing across


def test_save_and_load_round_trip(tmp_path):
    model = KneserNeyModel.fit(TOY, 3, TOY_V)
    loaded = KneserNeyModel.load(model.save(tmp_path / "kn3.npz"))
    assert loaded.order == 3
    assert loaded.log_probs([1, 4, 3, 2]) == pytest.approx(model.log_probs([1, 4, 3, 2]))


def test_rejects_ids_outside_the_vocabulary_and_too_high_orders():
    with pytest.raises(ValueError, match="0..4"):
        KneserNeyModel.fit([[1, 5, 2]], 2, TOY_V)
    with pytest.raises(ValueError, match="order"):
        KneserNeyModel.fit(TOY, max_order(237) + 1, 237)
    assert max_order(237) >= 6
