"""radam.transformer.model: the post-LN Transformer encoder."""

import numpy as np
import pytest

pytest.importorskip("keras", reason="the model is a Keras model")

import keras  # noqa: E402

from radam.transformer import model  # noqa: E402


def test_sinusoidal_positions_match_their_formula():
    codes = model.sinusoidal_positions(5, 8)
    assert codes.shape == (5, 8)
    for pos in range(5):
        for i in range(4):
            angle = pos / 10000 ** (2 * i / 8)
            assert codes[pos, 2 * i] == pytest.approx(np.sin(angle), abs=1e-6)
            assert codes[pos, 2 * i + 1] == pytest.approx(np.cos(angle), abs=1e-6)


def test_every_block_ends_in_a_layer_norm():
    net = model.build_model(vocab=11, length=6, width=16, depth=3, heads=2)
    norms = [layer for layer in net.layers if isinstance(layer, keras.layers.LayerNormalization)]
    assert len(norms) == 2 * 3
    assert net.layers[-2] is norms[-1]  # post-LN: the last block's sum is normalised, then read out
    tokens = np.random.default_rng(0).integers(0, 11, (4, 6)).astype("int32")
    hidden = keras.Model(net.inputs[0], norms[-1].output)(tokens).numpy()
    assert np.allclose(hidden.mean(-1), 0, atol=1e-5) and np.allclose(hidden.std(-1), 1, atol=1e-2)
    assert net(tokens).shape == (4, 6, 11)


def test_initial_weights_depend_on_the_seed_alone():
    a = model.initial_weights(0, 11, 6, width=16, depth=1, heads=2)
    b = model.initial_weights(0, 11, 6, width=16, depth=1, heads=2)
    c = model.initial_weights(1, 11, 6, width=16, depth=1, heads=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    embedding = a[0]
    assert embedding.shape == (11, 16) and 0.5 / 4 < embedding.std() < 2 / 4  # N(0, 1/16)


@pytest.mark.parametrize("kwargs, message", [
    ({"depth": 0}, "depth must be a whole number >= 1, got 0"),
    ({"width": 10, "heads": 4}, "width must be even and a multiple of heads=4, got 10"),
])
def test_bad_sizes_are_named(kwargs, message):
    with pytest.raises(ValueError) as error:
        model.build_model(11, 6, **kwargs)
    assert str(error.value) == message
