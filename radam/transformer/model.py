"""A small post-LayerNorm Transformer encoder in Keras 3 (``keras.layers`` / ``keras.ops``).

The original Transformer's block (Vaswani et al., 2017), LayerNorm *after* each residual sum::

    x = LayerNorm(x + SelfAttention(x)) ;  x = LayerNorm(x + FFN(x)),   FFN(x) = W2 relu(W1 x + b1) + b2

the arrangement in which Adam without warmup is known to fail (Xiong et al., 2020; Liu et al., 2020, Admin).
Tokens are embedded as fairseq does it, E ~ N(0, 1 / d) scaled by sqrt(d), plus fixed sinusoidal positions;
a Dense layer reads one label per position (no mask: every position sees the whole sequence). No dropout, so
a run is a function of its initial weights and batches alone.
"""

import math

import keras
import numpy as np
from keras import layers, ops


def sinusoidal_positions(length, width):
    """The fixed sinusoidal position codes (length, width): sin / cos of position / 10000^(2i / width)."""
    position = np.arange(length)[:, None]
    frequency = np.exp(-math.log(10000.0) * np.arange(0, width, 2) / width)
    codes = np.zeros((length, width))
    codes[:, 0::2] = np.sin(position * frequency)
    codes[:, 1::2] = np.cos(position * frequency[: width // 2])
    return codes.astype("float32")


class _Scale(layers.Layer):
    """x * factor + codes: the embedding's sqrt(d) and the position codes."""

    def __init__(self, factor, codes, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)
        self.codes = np.asarray(codes, dtype="float32")

    def call(self, x):
        return x * self.factor + ops.convert_to_tensor(self.codes)


def build_model(vocab, length, width=64, depth=4, heads=4, hidden=None):
    """The post-LN encoder: ``depth`` blocks of ``width`` units and ``heads`` heads, an FFN of ``hidden``
    units (default 4 * width); logits (batch, length, vocab) for int token inputs (batch, length)."""
    for name, value in (("vocab", vocab), ("length", length), ("width", width), ("depth", depth), ("heads", heads)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    if width % heads or width % 2:
        raise ValueError(f"width must be even and a multiple of heads={heads}, got {width!r}")
    hidden = 4 * width if hidden is None else hidden
    tokens = keras.Input((length,), dtype="int32")
    embedding = layers.Embedding(vocab, width, embeddings_initializer=keras.initializers.RandomNormal(0.0, width**-0.5))
    x = _Scale(math.sqrt(width), sinusoidal_positions(length, width))(embedding(tokens))
    for _ in range(depth):
        attention = layers.MultiHeadAttention(heads, width // heads)(x, x)
        x = layers.LayerNormalization(epsilon=1e-5)(x + attention)
        ffn = layers.Dense(width)(layers.Dense(hidden, activation="relu")(x))
        x = layers.LayerNormalization(epsilon=1e-5)(x + ffn)
    return keras.Model(tokens, layers.Dense(vocab)(x), name=f"post_ln_{depth}x{width}")


def initial_weights(seed, vocab, length, **sizes):
    """The weights every arm of ``seed`` starts from: ``build_model``'s after ``keras.utils.set_random_seed``."""
    keras.utils.set_random_seed(seed)
    return [w.numpy() for w in build_model(vocab, length, **sizes).weights]
