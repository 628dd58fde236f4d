"""radam.cifar10.pipeline: the validation split, the augmentation and the epoch order, against independent
references written from their descriptions."""

import numpy as np
import pytest

from radam.cifar10 import pipeline


def augment_reference(image, flip, dy, dx):
    """One image moved down dy and right dx pixels (black where nothing moves in), mirrored first when flip:
    a loop over output pixels, written from the docstring."""
    source = image[:, ::-1] if flip else image
    out = np.zeros_like(image)
    for r in range(32):
        for c in range(32):
            if 0 <= r - dy < 32 and 0 <= c - dx < 32:
                out[r, c] = source[r - dy, c - dx]
    return out


def test_augment_matches_a_pixel_loop():
    x = np.random.default_rng(0).integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    out = pipeline.augment(x, 7, 3)
    rng = np.random.default_rng([7, 3, 1])  # the draws the docstring names, in its order
    flip = rng.random(40) < 0.5
    dy, dx = rng.integers(-pipeline.SHIFT, pipeline.SHIFT + 1, size=(2, 40))
    assert out.dtype == np.uint8 and out.shape == x.shape
    for i in range(40):
        np.testing.assert_array_equal(out[i], augment_reference(x[i], flip[i], dy[i], dx[i]))
    # The draws cover what they should: both flips and every shift from -4 to 4 occur.
    assert flip.any() and not flip.all() and set(dy) | set(dx) == set(range(-4, 5))


def test_augment_is_the_same_for_the_same_seed_and_epoch_and_new_otherwise():
    x = np.random.default_rng(1).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)
    first = pipeline.augment(x, 0, 1)
    np.testing.assert_array_equal(first, pipeline.augment(x, 0, 1))
    assert not np.array_equal(first, pipeline.augment(x, 0, 2))
    assert not np.array_equal(first, pipeline.augment(x, 1, 1))
    np.testing.assert_array_equal(x, np.random.default_rng(1).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8))


def test_augment_draws_apart_from_the_epoch_order():
    """The augmentation's generator is seeded with (seed, epoch, 1), not the order's (seed, epoch)."""
    x = np.arange(4 * 32 * 32 * 3, dtype=np.uint64).reshape(4, 32, 32, 3).astype(np.uint8)
    order_rng = np.random.default_rng([0, 1])
    flip = order_rng.random(4) < 0.5
    dy, dx = order_rng.integers(-4, 5, size=(2, 4))
    same_as_order = np.stack([augment_reference(x[i], flip[i], dy[i], dx[i]) for i in range(4)])
    assert not np.array_equal(pipeline.augment(x, 0, 1), same_as_order)


def test_the_split_holds_out_a_fixed_random_set():
    train, validation = pipeline.split(5482, 1000)
    assert len(train) == 4482 and len(validation) == 1000
    assert np.array_equal(np.sort(np.concatenate([train, validation])), np.arange(5482))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(validation) > 0)
    expected = np.sort(np.random.default_rng(pipeline.VALIDATION_SEED).permutation(5482)[:1000])
    np.testing.assert_array_equal(validation, expected)
    again_train, again_validation = pipeline.split(5482, 1000)
    np.testing.assert_array_equal(validation, again_validation)
    # Spread over the whole set (not the first rows): each fifth of the rows holds about a fifth of it.
    counts = np.histogram(validation, bins=5, range=(0, 5482))[0]
    assert counts.min() > 150 and counts.max() < 250


def test_no_validation_images_keeps_every_training_image():
    train, validation = pipeline.split(10, 0)
    np.testing.assert_array_equal(train, np.arange(10))
    assert validation.size == 0


@pytest.mark.parametrize("images", [-1, 10, 11])
def test_a_split_without_training_images_is_refused(images):
    with pytest.raises(ValueError, match=rf"validation_images must be in \[0, 9\] .*got {images}"):
        pipeline.split(10, images)


def test_the_epoch_order_is_a_seeded_permutation():
    order = pipeline.epoch_order(3, 2, 100)
    np.testing.assert_array_equal(np.sort(order), np.arange(100))
    np.testing.assert_array_equal(order, np.random.default_rng([3, 2]).permutation(100))
    assert not np.array_equal(order, pipeline.epoch_order(3, 3, 100))
