"""radam.cifar10.model: the blog's CNN."""

import keras

from radam import cifar10


# ------------------------------------------------------------------------------------------- model


def test_model_is_the_blogs_cnn():
    model = cifar10.build_model()
    assert model.count_params() == 550_570
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [32, 32, 64, 64, 128, 128]
    assert all(c.padding == "same" and c.kernel_size == (3, 3) for c in convs)
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [0.2] * 4
    assert model.output_shape == (None, 10)


def test_mixed_precision_model_keeps_a_float32_softmax():
    model = cifar10.build_model(mixed_precision=True)
    assert model.layers[0].compute_dtype == "float16"
    assert model.layers[-1].compute_dtype == "float32"
    assert model.count_params() == 550_570

