"""The playground of chapter 9 (radam.widgets.explorers): its quantities, its live dashboards, its frame dashboards.

The CIFAR-10 mini-experiment is tested in test_widgets_cifar10.py.
"""

import io

import ipywidgets
import numpy as np
import pytest
from PIL import Image

from radam import frames, schedules, theory, widgets
from radam.numpy import SGD, AdaGrad, Adam, RAdam, RMSProp


needs_stack = pytest.mark.skipif(
    not frames.available(),
    reason=f"ipywidgets {ipywidgets.__version__} has no Stack, so no frame dashboard can exist here; "
    "the live fallback is tested instead",
)


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


# --- the quantities -----------------------------------------------------------------------------------------------


def test_radam_multiplier_is_the_ratio_of_radam_to_adam_steps():
    """Independent of the formula: the step RAdam takes divided by the step Adam takes, gradient for gradient."""
    beta_2, steps = 0.99, 40
    radam = RAdam(1e-3, beta_2=beta_2, degenerated_to_sgd=False)
    adam = Adam(1e-3, beta_2=beta_2)
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(steps):
        g = rng.normal(size=3)
        x, y = np.zeros(3), np.zeros(3)
        radam.step([x], [g])
        adam.step([y], [g])
        ratios.append(x[0] / y[0])
    expected = theory.radam_multiplier(np.arange(1, steps + 1), beta_2)
    np.testing.assert_allclose(ratios, expected, rtol=1e-12, atol=0)
    assert expected[theory.first_adaptive_step(beta_2) - 2] == 0 and expected[theory.first_adaptive_step(beta_2) - 1] > 0


@pytest.mark.parametrize("beta_2", [0.9, 0.95, 0.99, 0.995, 0.999])
@pytest.mark.parametrize("sma_threshold", [4.0, 5.0, 12.0])
def test_matching_linear_warmup_is_the_least_squares_length(beta_2, sma_threshold):
    """Against a brute-force search over every whole length (the function uses prefix sums)."""
    last = int(np.ceil(5 / (1 - beta_2)))
    t = np.arange(1, last + 1)
    target = theory.radam_multiplier(t, beta_2, sma_threshold)
    errors = [np.sum((np.minimum(1, t / w) - target) ** 2) for w in range(1, last + 1)]
    assert theory.matching_linear_warmup(beta_2, sma_threshold) == 1 + int(np.argmin(errors))


def test_matching_linear_warmup_is_near_the_untuned_rule():
    for beta_2 in (0.99, 0.999, 0.9999):
        ratio = theory.matching_linear_warmup(beta_2) / schedules.untuned_warmup_steps(beta_2)
        assert 0.85 < ratio < 0.92, (beta_2, ratio)


def test_matching_linear_warmup_rejects_a_threshold_never_reached():
    with pytest.raises(ValueError, match="sma_threshold must be below rho_inf = 19"):
        theory.matching_linear_warmup(0.9, 20.0)
    with pytest.raises(ValueError, match="beta_2 must be in"):
        theory.matching_linear_warmup(1.0)


def test_race_optimizers_carry_the_race_settings():
    settings = dict(learning_rate=0.03, beta_1=0.8, one_minus_beta_2=0.01, warmup_steps=40)
    made = {label: widgets.race_optimizer(label, **settings) for label in widgets.RACE_OPTIMIZERS}
    assert type(made["SGD"]) is SGD and made["SGD"].momentum == 0
    assert type(made["momentum"]) is SGD and made["momentum"].momentum == 0.8
    assert type(made["AdaGrad"]) is AdaGrad and type(made["RMSProp"]) is RMSProp and made["RMSProp"].rho == 0.99
    assert type(made["Adam"]) is Adam and (made["Adam"].beta_1, made["Adam"].beta_2) == (0.8, 0.99)
    assert made["Adam + warmup"].learning_rate_at(10) == pytest.approx(0.03 * 10 / 40)
    assert type(made["RAdam"]) is RAdam and made["RAdam"].learning_rate == 0.03
    with pytest.raises(ValueError, match="label must be one of .* got 'Lion'"):
        widgets.race_optimizer("Lion", 0.1)


def test_every_race_group_names_known_optimizers():
    assert all(set(group) <= set(widgets.RACE_OPTIMIZERS) for _, group in widgets.RACE_GROUPS)
    assert dict(widgets.RACE_GROUPS)["all seven"] == tuple(widgets.RACE_OPTIMIZERS)


# --- live dashboards (what Colab's ipywidgets 7.7 gets) -------------------------------------------------------------

LIVE = {
    "rectification_explorer": [("one_minus_beta_2", 0.01), ("sma_threshold", 8.0), ("one_minus_beta_2", 10**-3.5)],
    "optimizer_race": [
        ("optimizers", dict(widgets.RACE_GROUPS)["all seven"]),
        ("function", "Rosenbrock"),
        ("learning_rate", 0.01),
        ("warmup_steps", 100.0),
        ("function", "noisy quadratic"),
    ],
    "variance_explorer": [("warmup_steps", 10.0), ("one_minus_beta_2", 10**-1.5), ("warmup_steps", 1000.0)],
}


@pytest.mark.parametrize("name", list(LIVE))
def test_live_dashboards_redraw_in_place_exactly_as_a_fresh_drawing(name):
    """Blitting (background kept, layers redrawn) gives the very pixels of a dashboard drawn at those values."""
    build = getattr(widgets, name)
    dashboard = build(static=False)
    assert isinstance(dashboard, widgets.LayeredDashboard)
    first = dashboard.image.value
    for control, value in LIVE[name]:
        before = dashboard.image.value
        dashboard.controls[control].value = value
        assert dashboard.image.value != before, f"{control} = {value!r} did not change the picture"
    fresh = build(static=False)
    for control, value in LIVE[name]:
        fresh.controls[control].value = value
    assert dashboard.image.value != first
    np.testing.assert_array_equal(pixels(dashboard.image.value), pixels(fresh.image.value))


@pytest.mark.parametrize("name", list(LIVE))
def test_without_stack_every_explorer_falls_back_to_the_live_figure(name, monkeypatch):
    """What Colab's ipywidgets 7.7 (no Stack) gets for static=None: a live dashboard that responds to its controls."""
    build = getattr(widgets, name)
    with pytest.raises(ValueError, match="static must be True, False or None, got 'yes'"):
        build(static="yes")
    monkeypatch.setattr(frames, "available", lambda: False)
    dashboard = build()
    assert isinstance(dashboard, widgets.LayeredDashboard)
    control, value = LIVE[name][0]
    before = dashboard.image.value
    dashboard.controls[control].value = value
    assert dashboard.image.value != before


@needs_stack
def test_with_stack_static_none_draws_frames():
    assert isinstance(widgets.rectification_explorer(), frames.FrameDashboard)


# --- frame dashboards (what the HTML book gets) ---------------------------------------------------------------------


@needs_stack
@pytest.mark.parametrize("name", ["rectification_explorer", "variance_explorer"])
def test_frame_dashboards_show_what_the_live_ones_draw(name):
    """At the same settings the layered pictures, laid over each other, match the live figure."""
    build = getattr(widgets, name)
    static, live = build(), build(static=False)
    assert isinstance(static, frames.FrameDashboard)
    layers = [Image.open(io.BytesIO(p)).convert("RGBA") for p in static.picture()]
    for layer in layers[1:]:
        layers[0].alpha_composite(layer)
    difference = np.abs(np.asarray(layers[0].convert("RGB"), dtype=float) - pixels(live.image.value))
    assert difference.shape[:2] == (312, 800)
    assert difference.mean() < 2.0 and np.mean(difference.max(axis=-1) > 60) < 0.002


@needs_stack
def test_frame_dashboards_hold_one_picture_per_layer_setting():
    explorer = widgets.rectification_explorer()
    assert [len(layer) for layer in explorer.pictures] == [9, 9 * 5]
    assert all(p is not None for layer in explorer.pictures for p in layer.values())


@needs_stack
@pytest.mark.slow
def test_the_race_in_frames_costs_the_sum_not_the_product_of_its_grids():
    race = widgets.optimizer_race()
    sizes = {name: len(choice.options) for name, choice in race.controls.items()}
    for layer, pictures in zip(race.layers, race.pictures):
        assert len(pictures) == int(np.prod([sizes[name] for name in race.keys(race.layers.index(layer))]))
    settings = int(np.prod(list(sizes.values())))
    assert settings == 3 * 4 * 2 * 3 * 3 * 4 and len(race.unique_pictures) < settings / 2
    shown = race.picture(optimizers=1, function=2)  # all seven, on the noisy quadratic
    assert len(shown) == 2 + 7  # background, legend, seven racers
