"""radam.cifar10.questions: the pre-registered comparisons, on hand-made results whose answers are computed
here by hand."""

import math

import numpy as np
import pytest

from radam.cifar10 import Arm, Results, questions, stats


def make(values, epochs=6, used_test=1000):
    """Results whose ``metric`` of (arm, seed, epoch) is ``values[arm][seed](epoch, metric)``."""
    records = []
    for arm, seeds in values.items():
        for seed, curve in seeds.items():
            for e in range(1, epochs + 1):
                records.append({"arm": arm, "seed": seed, "epoch": e, "val_accuracy": curve(e, "val"),
                                "test_accuracy": curve(e, "test")})
    settings = {"epochs": epochs, "seeds": [0, 1, 2], "steps_per_epoch": 10, "data": {"used_test": used_test}}
    return Results([Arm(name) for name in values], settings, records)


def flat(val, test=None):
    return lambda e, which: val if which == "val" else (val if test is None else test)


def test_a_question_is_the_paired_difference_of_the_validation_endpoints():
    r = make({"radam": {0: flat(0.60), 1: flat(0.62), 2: flat(0.64)},
              "sgd-lr0.03": {0: flat(0.55), 1: flat(0.60), 2: flat(0.58)}})
    d = questions.answer(r, questions.Question("radam", "sgd", "x"))
    assert d.a == "radam" and d.b == "sgd-lr0.03" and d.seeds == (0, 1, 2)
    assert d.differences == pytest.approx((0.05, 0.02, 0.06))
    sd = np.std([0.05, 0.02, 0.06], ddof=1)
    assert d.interval == pytest.approx((0.13 / 3 - 4.302652729911275 * sd / math.sqrt(3),
                                        0.13 / 3 + 4.302652729911275 * sd / math.sqrt(3)))


def test_a_question_reads_the_metric_asked_for():
    r = make({"radam": {0: flat(0.60, 0.70), 1: flat(0.62, 0.75)}, "adam": {0: flat(0.60, 0.69), 1: flat(0.60, 0.70)}})
    d = questions.answer(r, questions.Question("radam", "adam", "x"), metric="test_accuracy")
    assert d.differences == pytest.approx((0.01, 0.05))


def test_a_run_still_training_is_left_out():
    """The endpoint is the last five of the run's planned epochs (the settings' 6), not of the epochs a run has
    reached: seed 1 of adam stopped after epoch 5 and is not paired; with no complete run, no answer."""
    r = make({"radam": {0: flat(0.60), 1: flat(0.62), 2: flat(0.64)},
              "adam": {0: flat(0.55), 1: flat(0.57), 2: flat(0.58)}})
    r = type(r)(r.arms, r.settings, [x for x in r.records if (x["arm"], x["seed"], x["epoch"]) != ("adam", 1, 6)])
    assert questions.answer(r, questions.Question("radam", "adam", "x")).seeds == (0, 2)
    one = type(r)(r.arms, r.settings, [x for x in r.records if x["seed"] != 2])
    with pytest.raises(ValueError, match="'radam' and 'adam' share only seed 0$"):
        questions.answer(one, questions.Question("radam", "adam", "x"))
    for short in ({"radam"}, {"adam"}, {"radam", "adam"}):  # either arm's runs, or both, one epoch short
        cut = type(r)(r.arms, r.settings, [x for x in r.records if x["epoch"] < 6 or x["arm"] not in short])
        with pytest.raises(ValueError, match="'radam' and 'adam' share none$"):
            questions.answer(cut, questions.Question("radam", "adam", "x"))
    with pytest.raises(ValueError, match="^the results hold no complete run of 'adam'$"):
        questions.final_test_accuracy(cut, "adam")


def test_the_questions_name_arms_that_the_runner_knows():
    from radam.cifar10 import NAMED_ARMS

    assert {q.a for q in questions.QUESTIONS} | {q.b for q in questions.QUESTIONS} <= set(NAMED_ARMS)


def test_sgd_must_be_one_arm():
    r = make({"sgd-lr0.01": {0: flat(0.5)}, "sgd-lr0.1": {0: flat(0.4)}})
    with pytest.raises(ValueError, match=r"the results hold 2 arms for 'sgd' \(sgd-lr0.01, sgd-lr0.1\); one expected"):
        questions.arm_named(r, "sgd")
    with pytest.raises(ValueError, match=r"the results hold 0 arms for 'adam' \(none\)"):
        questions.arm_named(r, "adam")


def test_the_rate_is_chosen_on_validation_never_on_test():
    # 0.03 validates best; 0.1 tests best: the choice is 0.03.
    r = make({"sgd-lr0.01": {100: flat(0.50, 0.50)}, "sgd-lr0.03": {100: flat(0.56, 0.52)},
              "sgd-lr0.1": {100: flat(0.54, 0.60)}})
    assert questions.chosen_rate(r, "sgd") == (0.03, pytest.approx(0.56))
    assert questions.chosen_rate(r, "sgd", metric="test_accuracy") == (0.1, pytest.approx(0.60))  # what not to do
    with pytest.raises(ValueError, match="no complete run of 'adam'"):
        questions.chosen_rate(r, "adam")


def test_steadiness_pairs_the_mean_jumps():
    zig = {s: (lambda e, w, s=s: 0.5 + (0.02 + 0.01 * s) * (e % 2)) for s in range(3)}
    smooth = {s: (lambda e, w, s=s: 0.5 + 0.01 * e) for s in range(3)}
    d = questions.steadiness(make({"radam-blog": smooth, "adam": zig}), questions.QUESTIONS[0], first_epoch=2)
    assert (d.a, d.b) == ("radam-blog", "adam")
    assert d.differences == pytest.approx((0.01 - 0.02, 0.01 - 0.03, 0.01 - 0.04))
    # The changes into epochs 4-6 only: adam's values jump ten times more up to epoch 2; its test values five times.
    early = {s: (lambda e, w, s=s: 0.5 + (0.02 + 0.01 * s) * (e % 2) * (10 if e < 3 else 1)
                 * (5 if w == "test" else 1)) for s in range(3)}
    steep_start = {s: (lambda e, w: 0.5 + 0.01 * e + (0.3 if e > 1 else 0.0)) for s in range(3)}
    r = make({"radam-blog": steep_start, "adam": early})
    late = questions.steadiness(r, questions.QUESTIONS[0], first_epoch=4)
    assert late.differences == pytest.approx((0.01 - 0.02, 0.01 - 0.03, 0.01 - 0.04))
    tested = questions.steadiness(r, questions.QUESTIONS[0], first_epoch=4, metric="test_accuracy")
    assert tested.differences == pytest.approx((0.01 - 0.1, 0.01 - 0.15, 0.01 - 0.2))


def test_steadiness_counts_by_default_the_changes_past_every_warmup():
    """Two arms whose warmups end at step 500 and 20 (adam-blog's 5000 x 0.1; a warmup of 20 steps), 100 steps
    an epoch: the changes counted are those into epochs 6..8 (epoch 5 ends at step 500)."""
    from radam.cifar10.arms import Arm as A

    arms = [A("adam-blog", total_steps=5000, warmup_proportion=0.1, min_lr=1e-5), A("adam", warmup_steps=20)]
    jumpy = {s: (lambda e, w, s=s: 0.5 + (0.1 if e < 5 else 0.01 * (s + 1)) * (e % 2)) for s in range(3)}
    steady = {s: (lambda e, w: 0.5) for s in range(3)}
    r = make({"adam-blog": steady, "adam": jumpy}, epochs=8)
    r = Results(arms, {**r.settings, "steps_per_epoch": 100}, r.records)
    d = questions.steadiness(r, questions.Question("adam-blog", "adam", "x"))
    assert d.differences == pytest.approx((-0.01, -0.02, -0.03))


def test_the_final_test_number_carries_its_binomial_error():
    r = make({"adam": {0: flat(0.6, 0.70), 1: flat(0.6, 0.72)}}, used_test=1017)
    mean, error = questions.final_test_accuracy(r, "adam")
    assert mean == pytest.approx(0.71) and error == pytest.approx(math.sqrt(0.71 * 0.29 / 1017))


def test_the_sweep_pairs_each_rate_and_the_control():
    rates = {"adam-lr0.01": 0.50, "adam-lr0.009": 0.55, "radam-lr0.01": 0.58, "adam-lr0.1": 0.10, "radam-lr0.1": 0.5}
    r = make({name: {s: flat(v + 0.01 * s) for s in range(3)} for name, v in rates.items()})
    same = questions.sweep_answers(r, "radam", "adam")
    assert sorted(same) == [0.01, 0.1]
    assert same[0.1].mean == pytest.approx(0.4) and same[0.01].mean == pytest.approx(0.08)
    control = questions.sweep_answers(r, "radam", "adam", control=questions.SWEEP_CONTROL)
    assert list(control) == [0.01] and control[0.01].mean == pytest.approx(0.03)


def test_the_rates_are_sorted_by_the_sign_of_their_interval():
    """radam leads adam by 0.1 on every seed at 1e-1 (above zero), trails by 0.05 at 1e-3 (below), and at 1e-2 its
    seeds disagree (the interval holds zero); the rates come out ascending whatever the input's order."""
    leads = {0.1: (0.1, 0.1, 0.1), 1e-3: (-0.05, -0.04, -0.06), 1e-2: (0.02, -0.03, 0.01)}
    answers = {rate: stats.paired("radam", "adam", dict(enumerate(0.5 + np.array(d))), {0: 0.5, 1: 0.5, 2: 0.5})
               for rate, d in leads.items()}
    assert questions.rates_by_sign(answers) == {1: [0.1], -1: [1e-3], 0: [1e-2]}
    assert questions.rates_by_sign({}) == {1: [], -1: [], 0: []}


def test_the_control_fraction_is_what_the_warmup_arms_sum_to_over_the_sweep():
    from radam.cifar10 import design
    from radam.cifar10.arms import parse_arm

    steps = 15 * 71  # the sweep's 15 epochs of 4,482 training images in batches of 64
    warmup = parse_arm("adam-warmup-b0.99:optimizer=adam,beta_2=0.99,warmup_steps=untuned")
    rectified = parse_arm("radam-b0.99:optimizer=radam,beta_2=0.99")
    fractions = [design.summed_rate_fraction(arm, steps) for arm in (warmup, rectified)]
    assert [round(f, 2) for f in fractions] == [0.91, 0.90]
    assert questions.SWEEP_CONTROL == round(float(np.mean(fractions)), 1)


def test_the_sweep_rule_needs_both_adam_and_the_control():
    """Ahead of both: holds (1e-1); behind both: fails (1e-4); ahead of Adam only (1e-2) or behind Adam only (3e-4):
    neither; ahead of Adam with no control interval yet (3e-2): undecided; level with Adam (1e-3): nothing."""
    def d(sign):
        return stats.paired("radam", "adam", {0: 0.5 + 0.1 * sign, 1: 0.51 + 0.1 * sign, 2: 0.5 + 0.1 * sign},
                            {0: 0.5, 1: 0.5, 2: 0.51})
    same = {1e-1: d(1), 3e-2: d(1), 1e-2: d(1), 1e-3: d(0), 3e-4: d(-1), 1e-4: d(-1)}
    control = {1e-1: d(1), 1e-2: d(0), 1e-3: d(1), 3e-4: d(0), 1e-4: d(-1)}
    assert [same[r].sign for r in sorted(same)] == [-1, -1, 0, 1, 1, 1]
    assert questions.sweep_rule(same, control) == ([1e-1], [1e-4], [3e-2])
    assert questions.sweep_rule({}, {}) == ([], [], [])


def test_the_sweeps_state_gives_the_rules_verdict():
    assert questions.sweep_state(([3e-3, 1e-2], [1e-4], []), 3) == (
        "on 3 seeds a rate, by its rule the paper's claim holds at lr = 0.003, 0.01 and fails at lr = 0.0001; at "
        "its other rates it is neither")
    assert questions.sweep_state(([1e-2], [], []), 5) == (
        "on 5 seeds a rate, by its rule the paper's claim holds at lr = 0.01 and fails at no rate; at its other "
        "rates it is neither")
    assert questions.sweep_state(([], [], []), 3) == (
        "on 3 seeds a rate, by its rule the paper's claim neither holds nor fails at any of its rates")
    with pytest.raises(ValueError) as error:
        questions.sweep_state(([1e-2], [], [3e-2, 0.1]), 3)
    assert str(error.value) == "the summed-rate control has no interval at lr = 0.03, 0.1: the sweep is not complete"


def test_interval_words_follow_the_interval():
    """mean 0.1 +- t(0.975, 2) * sd / sqrt(3), sd = 0.01: 0.1 +- 0.0248; the end of the interval is in the words."""
    ahead = stats.paired("radam", "adam", {0: 0.61, 1: 0.60, 2: 0.59}, {0: 0.5, 1: 0.5, 2: 0.5})
    assert questions.interval_words(ahead, "Adam") == "ahead of Adam by 0.100 (95% interval 0.075 to 0.125)"
    behind = stats.paired("radam", "adam", {0: 0.5, 1: 0.5, 2: 0.5}, {0: 0.61, 1: 0.60, 2: 0.59})
    assert questions.interval_words(behind, "Adam") == "behind Adam by 0.100 (95% interval 0.075 to 0.125)"
    level = stats.paired("radam", "adam", {0: 0.52, 1: 0.50, 2: 0.48}, {0: 0.5, 1: 0.5, 2: 0.49})
    low, high = level.interval  # differences 0.02, 0, -0.01: mean 0.0033, sd 0.0153, -0.0346 to 0.0413
    assert questions.interval_words(level, "the control") == (
        f"not told apart from the control (+0.003, 95% interval {low:+.3f} to {high:+.3f})")
    assert round(high, 3) == 0.041 and round(low, 3) == -0.035


def test_the_followups_state_gives_its_verdict_by_the_sweeps_rule():
    ahead = stats.paired("radam", "adam", {0: 0.61, 1: 0.60, 2: 0.59}, {0: 0.5, 1: 0.5, 2: 0.5})
    level = stats.paired("radam", "adam", {0: 0.52, 1: 0.50, 2: 0.48}, {0: 0.5, 1: 0.5, 2: 0.49})
    behind = stats.paired("radam", "adam", {0: 0.5, 1: 0.5, 2: 0.5}, {0: 0.61, 1: 0.60, 2: 0.59})
    assert questions.followup_state(0.01, ahead, ahead, ahead, level) == (
        "a follow-up on 3 new seeds at lr = 0.01, a rate chosen after the sweep, puts RAdam ahead of Adam by 0.100 "
        "(95% interval 0.075 to 0.125) and ahead of the summed-rate control by 0.100 (95% interval 0.075 to "
        "0.125), so by the sweep's rule RAdam tolerates this rate better than Adam; Adam with the untuned warmup "
        "is ahead of Adam by 0.100 (95% interval 0.075 to 0.125), and RAdam is not told apart from the untuned "
        "warmup (+0.003, 95% interval -0.035 to +0.041)")
    assert "rule RAdam tolerates this rate worse than Adam;" in questions.followup_state(
        0.01, behind, behind, level, level)
    assert "so by the sweep's rule it gives no verdict at this rate;" in questions.followup_state(
        0.01, ahead, level, ahead, ahead)
    assert "it gives no verdict at this rate" in questions.followup_state(0.01, behind, level, level, level)
