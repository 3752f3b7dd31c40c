import numpy as np
import pytest

from common.streams import shuffled_stream


def epochs_of(stream, steps, epochs):
    """The example ids seen in each epoch, taken from one iterator as Keras does."""
    batches = iter(stream)
    return [np.concatenate([next(batches)[0].numpy() for _ in range(steps)]) for _ in range(epochs)]


def test_each_epoch_is_a_new_permutation_of_every_example():
    x = np.arange(10)
    y = x * 10
    stream, steps = shuffled_stream(x, y, batch_size=5, seed=0)
    assert steps == 2
    first, second, third = epochs_of(stream, steps, 3)
    for seen in (first, second, third):
        assert sorted(seen) == list(range(10))
    assert not (np.array_equal(first, second) and np.array_equal(second, third))


def test_inputs_stay_paired_with_targets():
    x = np.arange(12).reshape(6, 2)
    y = x[:, 0] * 100
    stream, _ = shuffled_stream(x, y, batch_size=4, seed=3)
    for inputs, targets in stream.take(5):
        np.testing.assert_array_equal(inputs.numpy()[:, 0] * 100, targets.numpy())


def test_a_batch_larger_than_the_data_still_makes_one_step_per_epoch():
    stream, steps = shuffled_stream(np.arange(3), np.arange(3), batch_size=8, seed=0)
    assert steps == 1
    assert len(next(iter(stream))[0]) == 8  # wraps into the next pass instead of stopping


def test_same_seed_same_order():
    a, steps = shuffled_stream(np.arange(20), np.arange(20), batch_size=4, seed=7)
    b, _ = shuffled_stream(np.arange(20), np.arange(20), batch_size=4, seed=7)
    np.testing.assert_array_equal(
        np.concatenate(epochs_of(a, steps, 2)), np.concatenate(epochs_of(b, steps, 2))
    )


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="same"):
        shuffled_stream(np.arange(3), np.arange(4), batch_size=2, seed=0)
