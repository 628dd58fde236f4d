"""radam.cifar10.arms: the named and custom arms, their schedules (against the NumPy schedules) and optimizers."""

import keras
import numpy as np
import pytest

import radam.keras
from radam import cifar10, schedules
from radam.cifar10 import Arm
from radam.cifar10.arms import sweep_name


@pytest.mark.parametrize(
    "keras_schedule, reference",
    [
        (radam.keras.WarmupThenLinearDecay(1e-3, 500.0, 5000, 1e-5), schedules.warmup_then_linear_decay(1e-3, 5000, 0.1, 1e-5)),
        (radam.keras.WarmupThenLinearDecay(1e-3, 2000.0), schedules.untuned_linear_warmup(1e-3, 0.999)),
        (radam.keras.WarmupThenLinearDecay(2e-3, 0.0, 300, 0.0), schedules.warmup_then_linear_decay(2e-3, 300, 0.0, 0.0)),
    ],
)
def test_keras_schedule_matches_the_numpy_schedules(keras_schedule, reference):
    steps = np.arange(0, 6000)
    got = keras.ops.convert_to_numpy(keras_schedule(steps))
    np.testing.assert_allclose(got, reference(steps + 1), rtol=1e-6, atol=1e-9)  # float32: 1e-6 of lr


def test_named_arms_report_their_learning_rates():
    assert cifar10.get_arm("radam-blog").lr_at(250) == pytest.approx(5e-4)
    assert cifar10.get_arm("radam-blog").lr_at(5000) == pytest.approx(1e-5)
    assert cifar10.get_arm("adam-warmup").lr_at(1000) == pytest.approx(5e-4)
    assert cifar10.get_arm("adam-warmup").lr_at(2000) == pytest.approx(1e-3)
    np.testing.assert_allclose(cifar10.get_arm("adam").lr_at(np.array([1, 10**6])), [1e-3, 1e-3])
    with pytest.raises(ValueError, match="unknown arm 'nadam'; choose from adam, "):
        cifar10.get_arm("nadam")


@pytest.mark.parametrize("name", ["adam", "adam-warmup", "adam-blog", "radam", "radam-blog"])
def test_each_arms_optimizer_uses_the_rate_it_reports(name):
    arm = cifar10.get_arm(name)
    optimizer = arm.make_optimizer()
    assert isinstance(optimizer, radam.keras.RAdam if arm.optimizer == "radam" else keras.optimizers.Adam)
    for iterations in (0, 99, 499, 1999, 2999, 7000):
        optimizer.iterations.assign(iterations)
        got = float(keras.ops.convert_to_tensor(optimizer.learning_rate))
        assert got == pytest.approx(arm.lr_at(iterations + 1), rel=1e-6, abs=1e-9)


def test_custom_arms_from_specs():
    arm = cifar10.parse_arm("radam-b0.99:optimizer=radam,beta_2=0.99,warmup_steps=untuned")
    assert arm == Arm("radam-b0.99", "radam", beta_2=0.99, warmup_steps=2 / (1 - 0.99))
    arm = cifar10.parse_arm("blog2:total-steps=8000,min_lr=0,learning_rate=3e-3")
    assert (arm.total_steps, arm.min_lr, arm.learning_rate) == (8000, 0.0, 3e-3)
    assert Arm(**arm.config()) == arm
    with pytest.raises(ValueError, match="expected key=value with a key from optimizer, "):
        cifar10.parse_arm("x:nesterov=1")
    assert cifar10.parse_arm("x:optimizer=sgd,momentum=0.5") == Arm("x", "sgd", momentum=0.5)
    with pytest.raises(ValueError, match="beta_1 must be a number, got 'high'"):
        cifar10.parse_arm("x:beta_1=high")
    with pytest.raises(ValueError, match="beta_2 must be in \\[0, 1\\), got 1.0"):
        cifar10.parse_arm("x:beta_2=1")
    with pytest.raises(ValueError, match="give total_steps .* or warmup_steps .*, not both"):
        cifar10.parse_arm("x:total_steps=100,warmup_steps=10")
    with pytest.raises(ValueError, match="optimizer must be one of 'adam', 'radam', 'sgd', got 'lamb'"):
        cifar10.parse_arm("x:optimizer=lamb")
    with pytest.raises(ValueError, match="arm name must be 1 to 100 letters"):
        cifar10.parse_arm("my arm:beta_1=0.8")


def test_sweep_names_parse_back_to_their_base_and_rate():
    arm = cifar10.get_arm("radam-blog").at_learning_rate(0.003)
    assert arm.name == "radam-blog-lr0.003" and sweep_name(arm.name) == ("radam-blog", 0.003)
    assert sweep_name("adam-warmup") == ("adam-warmup", None)
    assert sweep_name("my-lrx") == ("my-lrx", None)  # not a rate: a name of its own


def test_the_sgd_arm_trains_with_momentum():
    optimizer = cifar10.NAMED_ARMS["sgd"].make_optimizer()
    assert type(optimizer).__name__ == "SGD" and optimizer.momentum == 0.9
