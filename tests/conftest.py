"""Fixtures shared by the test modules."""

import pytest


@pytest.fixture(params=["float32", "float64"])
def floatx(request):
    """keras.config.floatx() set to float32 or float64 for the test, restored afterwards."""
    import keras  # only the tests that ask for this fixture pay for importing Keras

    previous = keras.config.floatx()
    keras.config.set_floatx(request.param)
    yield request.param
    keras.config.set_floatx(previous)
