"""radam._validate.check_state_array: what an optimizer accepts as saved state, and the messages it gives."""

import re

import numpy as np
import pytest

from radam._validate import check_state_array

WHAT = "state['slots'][1]['v']"


@pytest.mark.parametrize(
    "value, reason",
    [
        (np.array(["0.1", "0.2"]), "must be a floating-point array, got dtype <U3"),
        (np.array([1, 2]), "must be a floating-point array, got dtype int64"),
        (np.array([0.5, None], dtype=object), "must be a floating-point array, got dtype object"),
        (np.array([1 + 2j]), "must be a floating-point array, got dtype complex128"),
        (np.array([True, False]), "must be a floating-point array, got dtype bool"),
        (True, "must be a floating-point array, got True"),
        ("0.1", "must be a floating-point array, got '0.1'"),
        (None, "must be a floating-point array, got None"),
        ({"v": 1.0}, "must be a floating-point array, got {'v': 1.0}"),
        ([[0.1, 0.2], [0.3]], "must be a floating-point array: "),
        (np.array([0.1, np.nan]), "holds NaN or infinite values"),
        (np.array([[np.inf]]), "holds NaN or infinite values"),
        (np.float32(-np.inf), "holds NaN or infinite values"),
    ],
)
def test_refused_values_are_named_with_the_reason(value, reason):
    with pytest.raises(ValueError, match=re.escape(f"{WHAT} {reason}")):
        check_state_array(WHAT, value)


def test_negative_values_are_refused_only_for_sums_of_squares():
    value = np.array([0.5, -2e-9, 0.0])
    with pytest.raises(ValueError, match=re.escape(f"{WHAT} holds negative values (minimum -2e-09); it is a sum of squares")):
        check_state_array(WHAT, value, non_negative=True)
    np.testing.assert_array_equal(check_state_array(WHAT, value), value)  # a first moment may be negative


@pytest.mark.parametrize("value", [np.arange(6.0).reshape(2, 3).T, [0.25, 0.5], (1.5,), 0.75, np.float16(2.0)])
def test_accepted_values_come_back_as_c_contiguous_float_copies(value):
    array = check_state_array(WHAT, value)
    np.testing.assert_array_equal(array, np.asarray(value))
    assert array.flags.c_contiguous and array.dtype.kind == "f"
    assert array.dtype == np.asarray(value).dtype  # no change of precision
    if isinstance(value, np.ndarray):
        assert not np.shares_memory(array, value)
