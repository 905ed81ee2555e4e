import numpy as np

from composer.dataset import WindowSampler, validation_batch
from composer.tokenizer import Tokenizer
from composer.vocabulary import TokenizerSettings, Vocabulary

VOCAB = Vocabulary(TokenizerSettings())


def _sequences(primitive_token_sequences):
    return [np.asarray(s) for s in primitive_token_sequences]


def test_targets_are_inputs_shifted_by_one(primitive_token_sequences):
    seqs = _sequences(primitive_token_sequences)
    sampler = WindowSampler(seqs, ["a"] * len(seqs), VOCAB, length=32, transpose_range=0,
                            velocity_jitter=0)
    batch = sampler.batch(np.random.default_rng(0), 4)
    assert batch.inputs.shape == batch.targets.shape == (4, 32)
    assert (batch.inputs[:, 1:] == batch.targets[:, :-1]).all()


def test_short_pieces_are_padded_and_padding_has_no_weight():
    seq = np.array(Tokenizer().encode([], []))  # BOS EOS only
    sampler = WindowSampler([seq], ["a"], VOCAB, length=16)
    batch = sampler.batch(np.random.default_rng(0), 2)
    assert batch.weights[0, 0] == 1.0 and batch.weights[0, 1:].sum() == 0


def test_composer_balance_shrinks_the_largest_composer():
    seqs = [np.ones(1000, dtype=np.int32)] * 9 + [np.ones(1000, dtype=np.int32)]
    composers = ["big"] * 9 + ["small"]
    natural = WindowSampler(seqs, composers, VOCAB, length=8, balance=1.0)
    balanced = WindowSampler(seqs, composers, VOCAB, length=8, balance=0.5)
    assert abs(natural.composer_shares(composers)["small"] - 0.1) < 1e-9
    assert abs(balanced.composer_shares(composers)["small"] - 0.25) < 1e-9


def test_transposition_keeps_notes_paired_and_on_the_piano(primitive_token_sequences):
    tokenizer = Tokenizer()
    seqs = _sequences(primitive_token_sequences)
    sampler = WindowSampler(seqs, ["a"] * len(seqs), VOCAB, length=128, transpose_range=12)
    rng = np.random.default_rng(3)
    for piece in range(len(seqs)):
        original = sampler.window(rng, piece)
        moved = sampler.augment(rng, original)
        a = tokenizer.decode(original).notes
        b = tokenizer.decode(moved).notes
        assert len(a) == len(b)
        shifts = {nb.pitch - na.pitch for na, nb in zip(a, b)}
        assert len(shifts) <= 1  # one interval for the whole window
        assert all(21 <= n.pitch <= 108 for n in b)


def test_validation_batch_is_deterministic(primitive_token_sequences):
    seqs = _sequences(primitive_token_sequences)
    a = validation_batch(seqs, VOCAB, length=32, windows=8, seed=1)
    b = validation_batch(seqs, VOCAB, length=32, windows=8, seed=1)
    assert (a.inputs == b.inputs).all()
