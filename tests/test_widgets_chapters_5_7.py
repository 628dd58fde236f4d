"""radam.widgets.chapters_5_7: the dashboards of chapters 5-7 build as frame dashboards (static HTML) and as live
figures (older ipywidgets), and the numbers they quote match radam.theory and radam.schedules."""

import matplotlib

matplotlib.use("Agg")

import dataclasses

import numpy as np
import pytest

from radam.widgets import chapters_5_7 as w
from radam import frames, mlp, schedules, theory, warmup_curves


def test_half_step_is_where_r_t_first_reaches_one_half():
    for beta_2 in (0.9, 0.99, 0.999):
        t = w.half_step(beta_2)
        assert theory.rectification(t, beta_2) >= 0.5 > np.nan_to_num(theory.rectification(t - 1, beta_2))


def test_schedule_summary_counts_steps_per_epoch_and_the_share_below_half():
    steps_per_epoch, end, below = w.schedule_summary(5000, 0.1, 64)
    assert steps_per_epoch == 782 and end == pytest.approx(5000 / 782)
    t = np.arange(1, 100 * 782 + 1)
    lr_t = schedules.warmup_then_linear_decay(1e-3, 5000, 0.1, 1e-5)(t)
    assert below == np.mean(lr_t < 5e-4)
    assert w.schedule_summary(5000, 0.1, 128)[0] == 391


@pytest.mark.skipif(not frames.available(), reason="frame dashboards need ipywidgets 8")
@pytest.mark.parametrize("build", [w.rectification_dashboard, w.schedule_dashboard])
def test_frame_dashboards_hold_a_picture_for_every_option(build):
    dashboard = build(static=True)
    assert isinstance(dashboard, frames.FrameDashboard)
    for name, choice in dashboard.controls.items():
        for index in range(len(choice.options)):
            assert dashboard.picture(**{name: index})
    assert dashboard.nbytes < 1_500_000  # with base64 and the rest, the page stays under 3 MB


@pytest.mark.parametrize("build", [w.rectification_dashboard, w.schedule_dashboard])
def test_live_fallback_redraws(build):
    dashboard = build(static=False)
    before = dashboard.image.value
    name, control = next(iter(dashboard.controls.items()))
    control.value = control.options[0] if control.value != control.options[0] else control.options[-1]
    assert dashboard.image.value != before


@pytest.fixture(scope="module")
def warmup_runs():
    """The dashboard's runs at lr = 0.03 without warmup and with 200 steps, seeds 0 and 1, 40 steps."""
    data = mlp.synthetic_images(seed=0)
    return warmup_curves.compute(data, learning_rates=(0.03,), warmups=(0, 200), seeds=(1, 0), steps=40)[1]


def test_warmup_grid_arranges_the_runs_by_rate_warmup_and_seed(warmup_runs):
    grid = w.warmup_grid(warmup_runs)
    assert sorted(grid) == [(0.03, 0), (0.03, 200)]
    assert [run.seed for run in grid[(0.03, 0)]] == [0, 1]
    plain, warm = grid[(0.03, 0)][0], grid[(0.03, 200)][0]
    assert plain.dead[1] > 0.8 > warm.dead[1]  # chapter 5's finding at step 20, in the dashboard's runs


@pytest.mark.skipif(not frames.available(), reason="frame dashboards need ipywidgets 8")
def test_warmup_dashboard_draws_a_picture_for_every_position(warmup_runs):
    dashboard = w.warmup_dashboard(warmup_runs, static=True)
    assert [value for _, value in dashboard.controls["lr"].options] == [0.03]
    assert [value for _, value in dashboard.controls["warmup_steps"].options] == [0, 200]
    plain, warm = dashboard.picture(warmup_steps=0), dashboard.picture(warmup_steps=1)
    assert len(plain) == len(warm) == 2 and plain[0] == warm[0] and plain[1] != warm[1]  # one background
    other = [dataclasses.replace(run, accuracy=tuple(1 - a for a in run.accuracy)) for run in warmup_runs]
    assert w.warmup_dashboard(other, static=True).picture(warmup_steps=1)[1] != warm[1]  # drawn from the runs


def test_warmup_dashboard_live_fallback_redraws(warmup_runs):
    dashboard = w.warmup_dashboard(warmup_runs, static=False)
    before = dashboard.image.value
    dashboard.controls["warmup_steps"].value = 200
    assert dashboard.image.value != before
