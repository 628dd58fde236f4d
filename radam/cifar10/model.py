"""The blog's CIFAR-10 CNN."""

import keras
import tensorflow as tf
from keras import layers


def build_model(mixed_precision=False):
    """The blog's CNN (550,570 parameters) for 32x32x3 float inputs in [0, 1]::

        3 x [Conv2D(f, 3x3, relu) x 2, MaxPooling2D(2x2), Dropout(0.2)]  for f = 32, 64, 128
        Flatten, Dense(128, relu), Dropout(0.2), Dense(10, softmax)

    convolutions and the hidden Dense layer he_uniform-initialised, convolutions 'same'-padded. With
    ``mixed_precision`` the layers compute in float16 except the softmax, which stays float32.
    """
    policy = "mixed_float16" if mixed_precision else None
    stack = [keras.Input((32, 32, 3))]
    for filters in (32, 64, 128):
        for _ in range(2):
            stack.append(
                layers.Conv2D(
                    filters, 3, activation="relu", kernel_initializer="he_uniform", padding="same", dtype=policy
                )
            )
        stack += [layers.MaxPooling2D(2, dtype=policy), layers.Dropout(0.2, dtype=policy)]
    stack += [
        layers.Flatten(dtype=policy),
        layers.Dense(128, activation="relu", kernel_initializer="he_uniform", dtype=policy),
        layers.Dropout(0.2, dtype=policy),
        layers.Dense(10, activation="softmax", dtype="float32"),
    ]
    return keras.Sequential(stack, name="blog_cnn")


def initial_weights(seed, mixed_precision=False, strategy=None):
    """All variables of the blog's CNN built after ``keras.utils.set_random_seed(seed)``: the weights and the
    dropout seed states every arm of that seed starts from (NumPy arrays)."""
    keras.utils.set_random_seed(seed)
    with (strategy or tf.distribute.get_strategy()).scope():
        return [v.numpy() for v in build_model(mixed_precision).variables]
