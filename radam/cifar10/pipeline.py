"""The images a run trains and validates on, and in which order: every arm of a seed sees the same images,
augmented the same way, in the same order. NumPy, but for :func:`batches` (tf.data)."""

import numpy as np

VALIDATION_SEED = 20260
"""The seed of the permutation that holds out the validation images: one split for every run seed, so that
the validation images are never trained on and every run is judged on the same ones."""
SHIFT = 4
"""The largest shift, in pixels, of the augmentation (zero padding, then a 32x32 crop)."""


def split(n_train, validation_images):
    """(training rows, validation rows) of ``n_train`` training images: ``validation_images`` rows drawn by a
    permutation seeded with :data:`VALIDATION_SEED`, the rest for training, each in increasing order."""
    if not 0 <= validation_images < n_train:
        raise ValueError(
            f"validation_images must be in [0, {n_train - 1}] (the training images less one), "
            f"got {validation_images!r}"
        )
    held = np.random.default_rng(VALIDATION_SEED).permutation(n_train)[:validation_images]
    mask = np.zeros(n_train, bool)
    mask[held] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def epoch_order(seed, epoch, n_train):
    """The order in which epoch ``epoch`` (1-based) of seed ``seed`` visits the training images: a permutation
    drawn by NumPy's generator seeded with (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(n_train)


def augment(x, seed, epoch):
    """Epoch ``epoch`` of seed ``seed``'s copy of the uint8 images ``x`` (N, 32, 32, 3): each image mirrored
    left-right with probability 1/2 and moved down dy and right dx pixels, each drawn uniformly from
    -SHIFT..SHIFT, the uncovered border black (zero padding and a crop). Drawn by NumPy's generator seeded
    with (seed, epoch, 1), apart from :func:`epoch_order`'s draws."""
    n, height, width = x.shape[:3]
    rng = np.random.default_rng([seed, epoch, 1])
    flip = rng.random(n) < 0.5
    dy, dx = rng.integers(-SHIFT, SHIFT + 1, size=(2, n))
    padded = np.pad(x, ((0, 0), (SHIFT, SHIFT), (SHIFT, SHIFT), (0, 0)))
    # out[r, c] = x[r - dy, c - dx], read from the mirrored image (column 31 - c of x) when flip; zero outside x
    rows = SHIFT - dy[:, None] + np.arange(height)
    shifted = np.arange(width) - dx[:, None]
    columns = SHIFT + np.where(flip[:, None], width - 1 - shifted, shifted)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], columns[:, None, :]]


def batches(x, y, order, batch_size):
    """tf.data: the rows ``order`` of (x, y) in batches, images scaled to [0, 1] float32, prefetched."""
    import tensorflow as tf  # only here: the split and the augmentation are NumPy

    return (
        tf.data.Dataset.from_tensor_slices(order)
        .batch(batch_size)
        .map(
            lambda rows: (tf.cast(tf.gather(x, rows), tf.float32) / 255.0, tf.gather(y, rows)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        .prefetch(tf.data.AUTOTUNE)
    )
