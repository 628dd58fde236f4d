"""radam.widgets.chapters_5_7: the dashboards of chapters 5-7 build as frame dashboards (static HTML) and as live
figures (older ipywidgets), and the numbers they quote match radam.theory and radam.schedules."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from radam.widgets import chapters_5_7 as w
from radam import frames, schedules, theory


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


@pytest.mark.skipif(not frames.available(), reason="frame dashboards need ipywidgets 8")
def test_warmup_dashboard_on_a_small_grid(monkeypatch):
    monkeypatch.setattr(w, "WARMUP_LRS", (0.03,))
    monkeypatch.setattr(w, "WARMUP_STEPS", (0, 200))
    monkeypatch.setattr(w, "WARMUP_SEEDS", (0,))
    dashboard = w.warmup_dashboard(static=True)
    assert len(dashboard.picture(warmup_steps=0)) == len(dashboard.picture(warmup_steps=1)) == 2
    grid = w.warmup_grid(lrs=(0.03,), warmups=(0, 200), seeds=(0,))
    plain, warm = grid[(0.03, 0)][0], grid[(0.03, 200)][0]
    assert plain.at(20, "dead") > 0.8 > warm.at(20, "dead")  # chapter 5's finding, in the grid's runs
    assert w.warmup_run(0.03, 0, 0) is plain  # cached: the chapter quotes the runs the pictures show
