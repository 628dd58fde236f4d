"""The order and the batches a run trains on: every arm of a seed sees the same images in the same order."""

import numpy as np
import tensorflow as tf


def epoch_order(seed, epoch, n_train):
    """The order in which epoch ``epoch`` (1-based) of seed ``seed`` visits the training images: a permutation
    drawn by NumPy's generator seeded with (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(n_train)


def batches(x, y, order, batch_size):
    """tf.data: the rows ``order`` of (x, y) in batches, images scaled to [0, 1] float32, prefetched."""
    return (
        tf.data.Dataset.from_tensor_slices(order)
        .batch(batch_size)
        .map(
            lambda rows: (tf.cast(tf.gather(x, rows), tf.float32) / 255.0, tf.gather(y, rows)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        .prefetch(tf.data.AUTOTUNE)
    )
