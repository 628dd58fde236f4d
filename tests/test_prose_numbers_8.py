"""The numbers typed in chapter 8's prose are the ones the package computes.

Chapter 8 glues what its cells compute from the results; the numbers below describe the blog's settings,
the arms and the full run, which its Markdown states in words. Each test finds the phrase in the chapter
and recomputes the number in it from the package, so a change of an arm, a schedule or the full run's size
that leaves the prose behind fails here.
"""

import json
import math
import os
import re
from pathlib import Path

import pytest

from radam import schedules, theory
from radam.cifar10 import NAMED_ARMS, arms, design, full_run, load_book_results, pipeline, questions, stats

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "08_cifar10.ipynb"
BOOK_RESULTS = ROOT / "book" / "results"
CELLS = json.loads(CHAPTER.read_text())["cells"]
PROSE = " ".join(" ".join("".join(cell["source"]).split()) for cell in CELLS if cell["cell_type"] == "markdown")
BLOG = NAMED_ARMS["radam-blog"]


def number_after(phrase):
    """The number that follows ``phrase`` in the chapter's Markdown (whitespace normalised)."""
    match = re.search(re.escape(phrase) + r"\s*\$?([0-9][0-9,]*(?:\.[0-9]+)?)", PROSE)
    assert match, f"chapter 8 no longer says {phrase!r}"
    return float(match.group(1).replace(",", ""))


def test_the_blog_settings_the_prose_states():
    assert number_after("an epoch is") == arms.FULL_DATA_STEPS_PER_EPOCH == math.ceil(50_000 / 64)
    assert number_after("so step") == BLOG.total_steps
    assert number_after(f"step {BLOG.total_steps:,} falls in epoch") == round(
        BLOG.total_steps / arms.FULL_DATA_STEPS_PER_EPOCH, 1
    )
    after_min_lr = round(100 - BLOG.total_steps / arms.FULL_DATA_STEPS_PER_EPOCH)
    assert number_after("in the learning rate of") == after_min_lr
    assert number_after("held the learning rate at $10^{-5}$ for") == after_min_lr
    assert BLOG.min_lr == 1e-5
    assert number_after("a linear rise over the first") == BLOG.total_steps * BLOG.warmup_proportion


def test_the_untuned_warmup_the_prose_states():
    steps = NAMED_ARMS["adam-warmup"].warmup_steps
    assert steps == schedules.untuned_warmup_steps(0.999)
    assert number_after(r"linear warmup over $2/(1-\beta_2) =") == pytest.approx(steps)
    assert "reaches its full rate at step {glue:text}`warmup_full_step:,d`" in PROSE  # design.warmup_end: 2,000


def test_the_reference_runs_numbers_the_prose_states():
    reference = load_book_results("long-run", folder=str(BOOK_RESULTS))
    data, settings = reference.settings["data"], reference.settings
    assert re.search(rf"a real subset of {data['n_train']:,} training and {data['n_test']:,} test images", PROSE)
    assert data["used_train"] + data["used_validation"] == data["n_train"] and data["used_test"] == data["n_test"]
    assert settings["augment"] and settings["validation_images"] == data["used_validation"]
    assert "shifted by up to 4 pixels" in PROSE and pipeline.SHIFT == 4
    assert settings["steps_per_epoch"] == math.ceil(data["used_train"] / settings["batch_size"])
    assert number_after("The blog's schedule reaches `min_lr` at step") == BLOG.total_steps
    assert all(arm.total_steps in (0, BLOG.total_steps) for arm in reference.arms)  # the schedule kept in steps


def test_exercise_1_the_earlier_run_squeezed_the_schedule():
    earlier = load_book_results("reference", folder=str(BOOK_RESULTS))
    per_epoch, epochs = earlier.settings["steps_per_epoch"], earlier.settings["epochs"]
    scaled = BLOG.scaled(per_epoch)
    assert number_after("on the subset's") == per_epoch
    assert number_after("it reached `min_lr` in epoch") == round(scaled.total_steps / per_epoch, 1)
    assert re.search(rf"in epoch [0-9.]+ of {epochs}\b", PROSE)
    assert f"`NAMED_ARMS[\"radam-blog\"].scaled({per_epoch})` over `{per_epoch} * {epochs}` steps" in PROSE
    assert number_after("Squeezed into") == scaled.total_steps
    assert number_after("the share is") == round(100 * design.rectified_share(scaled, per_epoch * epochs))
    steps = load_book_results("long-run", folder=str(BOOK_RESULTS)).settings
    assert number_after("against the reference run's") == round(
        100 * design.rectified_share(BLOG, steps["steps_per_epoch"] * steps["epochs"])
    )


def test_the_exercise_hints_on_beta_2():
    assert number_after(r"$\rho_\infty = 2/(1-\beta_2) - 1$ is") == pytest.approx(theory.rho_inf(0.99))
    assert number_after(r"for $\beta_2 = 0.99$ and") == pytest.approx(theory.rho_inf(0.999))
    assert number_after("`radam.schedules.untuned_warmup_steps(0.99)`,") == pytest.approx(
        schedules.untuned_warmup_steps(0.99)
    )


def test_the_paper_gap_of_exercise_3_is_its_two_numbers_apart():
    radam, adam = number_after("RAdam"), number_after("Adam")
    assert (radam, adam) == (91.38, 90.54)  # the paper's CIFAR-10 table, as the prose quotes it
    assert number_after("the paper's RAdam-Adam gap of") == pytest.approx(radam - adam)


def test_the_full_run_the_prose_describes():
    epochs, per_epoch = full_run.FULL_EPOCHS, full_run.steps_per_epoch()
    assert number_after(f"design: {full_run.VALIDATION_IMAGES:,} of the") == full_run.TRAIN_IMAGES
    assert number_after("held out for validation, the other") == full_run.TRAIN_IMAGES - full_run.VALIDATION_IMAGES
    assert "augmented, five seeds," in PROSE and len(full_run.FULL_SEEDS) == 5
    assert number_after("five seeds,") == epochs
    assert number_after(f"{epochs} epochs of {per_epoch} steps (") == epochs * per_epoch
    assert number_after("Its") == epochs * per_epoch  # what a full run could change: "Its 21,120 steps"
    assert "trains the six arms" in PROSE and len(full_run.FULL_ARMS) == 6
    command = (
        f"--epochs {epochs} --seeds {' '.join(map(str, full_run.FULL_SEEDS))} "
        f"--validation-images {full_run.VALIDATION_IMAGES} --augment"
    )
    assert command in PROSE
    assert f"--arms {' '.join(full_run.FULL_ARMS)}" in PROSE


def test_the_new_sweep_the_chapter_reads_is_the_one_the_results_readme_trains():
    """The arms, rates, seeds and epochs of the sweep past the warmups, as chapter 8 computes its design from them,
    are those of book/results/README.md's two rate-sweep commands; the control trains Adam at SWEEP_CONTROL
    times each rate."""
    code = "".join("".join(cell["source"]) for cell in CELLS if cell["cell_type"] == "code")
    plan = {}
    exec(re.search(r"NEW_SWEEP_SPECS = \{\n(?: {4}.*\n)+?\}\nNEW_SWEEP_RATES = .*\nNEW_SWEEP_SEEDS, NEW_SWEEP_EPOCHS = .*\n",
                   code).group(0), plan)
    readme = " ".join((BOOK_RESULTS / "README.md").read_text().split())
    commands = re.findall(r"`(python -m radam\.cifar10 [^`]*--out book/results/rate-sweep)`", readme)
    assert len(commands) == 2, commands
    sweep, control = commands

    def option(command, name):
        return re.search(rf"--{name} (.+?) --", command).group(1).split()

    assert re.findall(r"--custom (\S+)", sweep) == list(plan["NEW_SWEEP_SPECS"].values())
    assert option(sweep, "arms") == [spec.split(":")[0] for spec in plan["NEW_SWEEP_SPECS"].values()]
    assert [float(lr) for lr in option(sweep, "learning-rates")] == plan["NEW_SWEEP_RATES"]
    assert [float(lr) for lr in option(control, "learning-rates")] == pytest.approx(
        [questions.SWEEP_CONTROL * lr for lr in plan["NEW_SWEEP_RATES"]], rel=1e-9)
    assert re.findall(r"--custom (\S+)", control) == [plan["NEW_SWEEP_SPECS"]["adam"]]
    for command in commands:
        assert [int(seed) for seed in option(command, "seeds")] == plan["NEW_SWEEP_SEEDS"]
        assert int(option(command, "epochs")[0]) == plan["NEW_SWEEP_EPOCHS"]


def test_the_summary_calls_the_lead_over_sgd_the_adaptive_methods_only_while_adam_has_it_too():
    """The summary says the lead over SGD is "mostly the adaptive methods' lead" exactly
    while RAdam and Adam are both resolved ahead of the SGD arm in the long run (paired, validation endpoint)."""
    reference = load_book_results("long-run", folder=str(BOOK_RESULTS))
    sgd = questions.arm_named(reference, "sgd")
    ends = {name: stats.endpoint(reference.records, name) for name in ("radam", "adam", sgd)}
    signs = {name: stats.paired(name, sgd, ends[name], ends[sgd]).sign for name in ("radam", "adam")}
    assert ("mostly the adaptive methods' lead at constant rates" in PROSE) == (
        signs == {"radam": 1, "adam": 1})


def test_the_t_quantiles_the_sweep_prose_types():
    """The sweep's section compares the t quantile of three seeds with that of five."""
    assert number_after("$t_{0.975,2} =") == round(stats.t_quantile(0.975, 2), 2)
    assert number_after("$t_{0.975,2} = 4.30$ against") == round(stats.t_quantile(0.975, 4), 2)


def test_the_sgd_rates_command_the_chapter_prints_is_the_one_that_trained_them():
    code = "".join("".join(cell["source"]) for cell in CELLS if cell["cell_type"] == "code")
    plan = {}
    exec(re.search(r"SGD_RATES_COMMAND = \(\n(?: {4}.*\n)+?\)\n", code).group(0), plan)
    command = " ".join(plan["SGD_RATES_COMMAND"].replace("\\\n", " ").split())
    readme = " ".join((BOOK_RESULTS / "README.md").read_text().split())
    assert f"`{command}`" in readme
    rates = [float(lr) for lr in re.search(r"--learning-rates ([0-9. ]+?) --", command).group(1).split()]
    sgd_rates = load_book_results("sgd-rates", folder=str(BOOK_RESULTS))
    assert sgd_rates.arm_names == [f"sgd-lr{lr:g}" for lr in rates]
    recorded = {entry["command"] for entry in sgd_rates.provenance}
    assert recorded == {command.replace("book/results/sgd-rates", "DIR")}
    # seed 100 is none of the comparisons' seeds
    assert not set(sgd_rates.settings["seeds"]) & set(load_book_results("long-run", folder=str(BOOK_RESULTS)).settings["seeds"])


def complete_runs(name):
    """How many runs of the book's results folder ``name`` are complete (reached its epochs)."""
    results = load_book_results(name, folder=str(BOOK_RESULTS))
    return sum(record["epoch"] == results.settings["epochs"] for record in results.records)


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("RADAM_CIFAR10_DIR"), reason="the chapter's live slice needs the subset (RADAM_CIFAR10_DIR)"
)
def test_the_chapter_reads_a_readers_own_results_folder(tmp_path):
    """RESULTS_DIR, the one setting that points the chapter at a reader's results, run end to end (about a
    minute and a half): a folder with only `adam`, `adam-warmup` and `radam` answers the questions those decide,
    says the others cannot be answered, keeps the book's sweep, and passes the live slice against the reader's
    records."""
    import nbformat
    from nbclient import NotebookClient

    own = load_book_results("long-run", folder=str(BOOK_RESULTS))
    own.drop([arm for arm in own.arms if arm.name not in ("adam", "adam-warmup", "radam")], own.settings["seeds"])
    own.save(str(tmp_path))
    notebook = nbformat.read(CHAPTER, as_version=4)
    settings = next(cell for cell in notebook.cells if "\nRESULTS_DIR = None\n" in cell.source)
    settings.source = settings.source.replace("RESULTS_DIR = None", f"RESULTS_DIR = {str(tmp_path)!r}")
    NotebookClient(notebook, timeout=1200, resources={"metadata": {"path": str(CHAPTER.parent)}}).execute()
    kinds = ("text/markdown", "text/plain")
    printed = "\n".join(
        output.get("text", "") + "".join(output.get("data", {}).get(kind, "") for kind in kinds)
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )

    assert f"Results: {tmp_path}\narms: adam, adam-warmup, radam" in printed
    radam_adam = next(q for q in questions.QUESTIONS if (q.a, q.b) == ("radam", "adam"))
    assert questions.answer(own, radam_adam).verdict("the validation endpoint") in printed
    assert "Not answerable from these results: the results hold 0 arms for 'radam-blog'" in printed
    assert "Not answerable from these results: the results hold 0 arms for 'sgd'" in printed
    assert "All 84 of the sweep's runs are in." in printed  # the book's sweep, not the folder's
    assert re.search(
        r"The slice is (bit-identical to the committed records|not bit-identical .* every value lies within "
        r"[\d.]+ of its seed's committed value).* \(2 runs of 1 epoch retrained in \d+ s\.\)",
        printed,
    )


@pytest.mark.slow
def test_the_chapter_builds_without_data_or_network(tmp_path, monkeypatch):
    """No CIFAR-10 on the machine (no RADAM_CIFAR10_DIR, an empty Keras cache) and no download: the chapter still
    executes from the committed results, and its live slice says in one sentence that it was skipped and how to
    run it (about half a minute: nothing is trained)."""
    import nbformat
    from nbclient import NotebookClient

    from radam.cifar10 import live_slice

    monkeypatch.delenv("RADAM_CIFAR10_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    notebook = nbformat.read(CHAPTER, as_version=4)
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(CHAPTER.parent)}}).execute()
    printed = "\n".join(
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
    )
    assert live_slice.SKIPPED_NO_DATA in printed
    markdown = "\n".join(
        output.get("data", {}).get("text/markdown", "") for cell in notebook.cells for output in cell.get("outputs", [])
    )
    assert "Seed by seed, the blog's difference is a sum of two steps" in markdown
    assert f"how much the optimizer's effect changes with the schedule: {interaction_sentence()}." in markdown
    # each question's sentence is the one its interval's sign allows, and quotes the interval
    reference = load_book_results("long-run", folder=str(BOOK_RESULTS))
    sentences = {
        ("radam", "adam"): ("At a constant rate RAdam ends ahead of Adam, by", "At a constant rate RAdam ends behind Adam, by",
                            "At a constant rate RAdam ends {mean:+.3f} from Adam, an interval of"),
        ("adam-blog", "adam"): ("The blog's schedule alone moves Adam up, by", "The blog's schedule alone moves Adam down, by",
                                "The blog's schedule alone moves Adam by {mean:+.3f}, an interval of"),
        ("radam-blog", "adam-blog"): ("Under the blog's schedule RAdam is ahead of Adam, by",
                                      "Under the blog's schedule RAdam is behind Adam, by",
                                      "Under the blog's schedule RAdam and Adam end {mean:+.3f} apart"),
        ("radam", "sgd"): ("Against SGD with momentum at its chosen rate RAdam ends ahead, by",
                           "Against SGD with momentum at its chosen rate RAdam ends behind, by",
                           "Against SGD with momentum at its chosen rate RAdam ends {mean:+.3f} apart"),
    }
    for question in questions.QUESTIONS:
        if (question.a, question.b) not in sentences:
            continue
        try:
            answer = questions.answer(reference, question)
        except ValueError as missing:  # a run still training: the chapter says so
            assert f"Not answerable from these results: {missing}." in markdown
            continue
        above, below, level = sentences[question.a, question.b]
        said = {1: above, -1: below, 0: level}[answer.sign].format(mean=answer.mean)
        assert said in markdown, (question, answer.interval)
        assert "{:+.3f} to {:+.3f}".format(*answer.interval) in markdown
        assert answer.verdict("the validation endpoint") in markdown
    # Keras writes its keras.json there on import; a download would create datasets/
    assert not (tmp_path / "datasets").exists(), "the chapter downloaded into the Keras cache"


def test_the_prose_says_how_the_runs_were_trained():
    """The live slice runs with op determinism; the chapter says the long run, which the slice checks, was
    trained with it (so the slice repeats it bit for bit on the machine that made it)."""
    assert load_book_results("long-run", folder=str(BOOK_RESULTS)).settings["deterministic"] is True
    assert "and the long run was trained that way (`--deterministic`)" in PROSE


def test_the_prose_says_whether_the_run_is_past_the_warmups():
    """The chapter says the constant-rate arms spent most of their steps past every warmup exactly while more
    than half of the reference run comes after every constant-rate arm's warmup (radam.cifar10.design)."""
    reference = load_book_results("long-run", folder=str(BOOK_RESULTS))
    steps = reference.settings["steps_per_epoch"] * reference.settings["epochs"]
    constant = [NAMED_ARMS[name] for name in ("adam", "adam-warmup", "radam")]
    share = design.past_warmups(constant, steps)[1]
    assert ("compare arms that spent most of their steps past every warmup" in PROSE) == (share > 0.5)


def test_the_blogs_difference_is_the_sum_the_chapter_says():
    """Seed by seed, (radam-blog - adam) = (adam-blog - adam) + (radam-blog - adam-blog) in the endpoint and in
    the steadiness measure alike, as the chapter states; in the other order it is (radam - adam) +
    (radam-blog - radam), and the two orders' parts differ by the interaction the chapter prints."""
    reference = load_book_results("long-run", folder=str(BOOK_RESULTS))
    asked = {(q.a, q.b): q for q in questions.QUESTIONS}
    trio = [asked[pair] for pair in [("radam-blog", "adam"), ("adam-blog", "adam"), ("radam-blog", "adam-blog")]]
    for measure in (questions.answer, lambda results, q: questions.steadiness(results, q, first_epoch=40)):
        whole, schedule, optimizer = ({s: d for s, d in zip(p.seeds, p.differences)}
                                      for p in (measure(reference, q) for q in trio))
        shared = sorted(set(whole) & set(schedule) & set(optimizer))
        assert len(shared) >= 3 and set(schedule) == set(optimizer)  # adam-blog's seeds
        assert [whole[s] for s in shared] == pytest.approx([schedule[s] + optimizer[s] for s in shared])
    ends = {arm: stats.endpoint(reference.records, arm) for arm in ("adam", "adam-blog", "radam", "radam-blog")}
    seeds = sorted(set.intersection(*(set(v) for v in ends.values())))
    assert len(seeds) >= 3


def interaction_sentence():
    """The interaction of optimizer and schedule in the long run's endpoints, as chapter 8 prints it, computed
    here with SciPy's t quantile instead of radam.cifar10.stats."""
    from scipy import stats as scipy_stats

    reference = load_book_results("long-run", folder=str(BOOK_RESULTS))
    ends = {arm: stats.endpoint(reference.records, arm) for arm in ("adam", "adam-blog", "radam", "radam-blog")}
    seeds = sorted(set.intersection(*(set(v) for v in ends.values())))
    values = [
        (ends["radam-blog"][s] - ends["adam-blog"][s]) - (ends["radam"][s] - ends["adam"][s]) for s in seeds
    ]
    mean = sum(values) / len(values)
    sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    half = scipy_stats.t.ppf(0.975, len(values) - 1) * sd / len(values) ** 0.5
    return f"{mean:+.3f}, 95% interval {mean - half:+.3f} to {mean + half:+.3f}"


def test_the_intro_and_summary_say_where_the_sweep_stands_from_its_numbers():
    """Question 3's state in the intro and the summary is pasted from the sweep's own numbers
    (`questions.sweep_state`), so it cannot stay "being trained" once the sweep is in, or claim a verdict before;
    the README's two commands plan the 84 runs the chapter counts."""
    readme = (BOOK_RESULTS / "README.md").read_text()
    planned = sum(int(n) for n in re.findall(r"--out book/results/rate-sweep` \| \d+ of (\d+) runs", readme))
    assert planned == 84 and complete_runs("rate-sweep") <= planned
    assert PROSE.count("{glue:text}`sweep_state`") == 2
    assert "still being trained" not in PROSE and "is being trained" not in PROSE
    # and the follow-up's, beside it
    assert PROSE.count("{glue:text}`sweep_state`, and {glue:text}`followup_state`") == 2


def chapter_plan(*names):
    """The chapter's code lines that assign ``names`` (NEW_SWEEP_SPECS, ...), run: {name: value}."""
    code = "".join("".join(cell["source"]) for cell in CELLS if cell["cell_type"] == "code")
    plan = {}
    exec(re.search(r"NEW_SWEEP_SPECS = \{\n(?: {4}.*\n)+?\}\n", code).group(0), plan)
    for name in names:
        exec(re.search(rf"^{name}\b.* = .*$", code, re.M).group(0), plan)
    return plan


def test_the_followup_the_chapter_reads_is_the_one_the_results_readme_trains():
    """The follow-up's two commands in book/results/README.md train the chapter's arms at FOLLOWUP_RATE (the
    control at SWEEP_CONTROL times it) on FOLLOWUP_SEEDS, seeds the sweep did not use, with the sweep's other
    options; the README plans the runs the chapter counts, and the prose's t quantile is the follow-up's."""
    plan = chapter_plan("NEW_SWEEP_SEEDS, NEW_SWEEP_EPOCHS", "FOLLOWUP_RATE, FOLLOWUP_SEEDS")
    readme = " ".join((BOOK_RESULTS / "README.md").read_text().split())
    sweep_commands = re.findall(r"`(python -m radam\.cifar10 [^`]*--out book/results/rate-sweep)`", readme)
    commands = re.findall(r"`(python -m radam\.cifar10 [^`]*--out book/results/rate-followup)`", readme)
    assert len(commands) == 2, commands
    control, main = commands

    def option(command, name):
        return re.search(rf"--{name} (.+?) --", command).group(1).split()

    assert [float(lr) for lr in option(main, "learning-rates")] == [plan["FOLLOWUP_RATE"]]
    assert [float(lr) for lr in option(control, "learning-rates")] == pytest.approx(
        [questions.SWEEP_CONTROL * plan["FOLLOWUP_RATE"]], rel=1e-9)
    assert not set(plan["FOLLOWUP_SEEDS"]) & set(plan["NEW_SWEEP_SEEDS"])

    def without_rates_seeds_out(command):
        return re.sub(r"--(learning-rates|seeds|out) \S+( [0-9][0-9.e-]*)*", "", command)

    for command, sweep in zip((main, control), sweep_commands):
        assert [int(seed) for seed in option(command, "seeds")] == plan["FOLLOWUP_SEEDS"]
        assert without_rates_seeds_out(command) == without_rates_seeds_out(sweep)
    planned = sum(int(n) for n in re.findall(r"--out book/results/rate-followup` \| \d+ of (\d+) runs", readme))
    assert planned == (len(plan["NEW_SWEEP_SPECS"]) + 1) * len(plan["FOLLOWUP_SEEDS"])
    assert f"$t_{{0.975,{len(plan['FOLLOWUP_SEEDS']) - 1}}} =$" in PROSE


def test_what_the_sweep_says_is_what_its_runs_show():
    """The claims "What the sweep says" types in words, recomputed from book/results/rate-sweep/: every arm
    stopped learning at the rates it names and sat at chance; at the rate where the seeds split (the
    follow-up's), Adam and the control stopped on some seeds and RAdam and the warmup on none; RAdam's
    intervals against Adam where every run learned, at the split, and against the warmup everywhere hold
    zero."""
    from radam.cifar10 import analysis

    plan = chapter_plan("NEW_SWEEP_RATES", "FOLLOWUP_RATE, FOLLOWUP_SEEDS")
    sweep = load_book_results("rate-sweep", folder=str(BOOK_RESULTS))
    names = {key: spec.split(":")[0] for key, spec in plan["NEW_SWEEP_SPECS"].items()}
    ends = analysis.endpoint_sweep([sweep], list(names.values()))
    stopped = analysis.stopped_seeds(analysis.endpoint_sweep([sweep], list(names.values()), "train_loss"))
    adam, warmup, radam = names["adam"], names["adam-warmup"], names["radam"]
    rates = plan["NEW_SWEEP_RATES"]

    def count(name, rate):
        return len(analysis.at_rate(stopped[name], rate))

    runs = [(name, lr) for lr in rates for name in names.values()]
    runs += [(adam, questions.SWEEP_CONTROL * lr) for lr in rates]

    def rates_where(seeds_stopped):
        """The sweep's rates where every run of every arm, the control's too, stopped on ``seeds_stopped`` seeds."""
        return [lr for lr in rates if all(count(name, r) == seeds_stopped for name, r in runs
                                          if r in (lr, questions.SWEEP_CONTROL * lr))]

    all_stopped = rates_where(3)
    assert "ends at one image in ten" in PROSE and all_stopped
    assert all(abs(v - 0.1) < 0.01 for lr in all_stopped for name in names.values() for v in ends[name][lr].values())
    split = plan["FOLLOWUP_RATE"]
    assert split == min(lr for lr in rates if count(adam, lr) > 0)  # where adam began to stop learning
    assert 0 < count(adam, split) < 3 and 0 < count(adam, questions.SWEEP_CONTROL * split) < 3
    assert count(radam, split) == count(warmup, split) == 0
    learned = rates_where(0)
    same = questions.sweep_answers(sweep, radam, adam)
    assert "RAdam's interval against Adam holds zero" in PROSE
    assert all(same[lr].sign == 0 for lr in learned) and same[split].sign == 0
    assert "**RAdam against the untuned warmup** holds zero at every rate" in PROSE
    assert all(d.sign == 0 for d in questions.sweep_answers(sweep, radam, warmup).values())
    # "and never the other way round": RAdam did not stop where Adam learned
    assert "never the other way round" in PROSE and count(radam, split) == 0
    # "the arms do begin to part" at Adam's last rate where every seed learned: Adam falls, the warmups barely move
    top = max(lr for lr in learned if count(adam, lr) == 0)
    below = max(lr for lr in rates if lr < top)

    def mean(name, rate):
        return sum(ends[name][rate].values()) / len(ends[name][rate])

    assert "Adam's endpoint falls from" in PROSE and "barely move" in PROSE
    assert mean(adam, below) - mean(adam, top) > 0.05
    assert all(abs(mean(name, below) - mean(name, top)) < 0.01 for name in (warmup, radam))
    # "and all of them stop" at the highest rate, however the warmups change the first epoch
    assert "and all of them stop" in PROSE and max(rates) in all_stopped


def test_what_the_followup_says_is_what_its_runs_show():
    """The follow-up's paragraph in words, recomputed from book/results/rate-followup/: RAdam ahead of Adam and of
    the control (the rule's verdict), the untuned warmup ahead of both too and not told apart from RAdam; RAdam
    and the warmup learned on every new seed, the control on none, Adam on a few; every per-seed difference of
    RAdam minus Adam positive."""
    from radam.cifar10 import analysis

    plan = chapter_plan("FOLLOWUP_RATE, FOLLOWUP_SEEDS")
    followup = load_book_results("rate-followup", folder=str(BOOK_RESULTS))
    names = {key: spec.split(":")[0] for key, spec in plan["NEW_SWEEP_SPECS"].items()}
    adam, warmup, radam = names["adam"], names["adam-warmup"], names["radam"]
    rate, control = plan["FOLLOWUP_RATE"], questions.SWEEP_CONTROL

    def at(a, b, fraction=None):
        return questions.sweep_answers(followup, a, b, control=fraction)[rate]

    assert {run["seed"] for run in followup.runs} == set(plan["FOLLOWUP_SEEDS"])
    assert "so RAdam tolerates this rate better than Adam" in PROSE
    assert at(radam, adam).sign == 1 and at(radam, adam, control).sign == 1
    assert "by the same rule it passes too" in PROSE
    assert at(warmup, adam).sign == 1 and at(warmup, adam, control).sign == 1
    assert "**The untuned warmup does about as well.**" in PROSE and "No interval lies above zero" in PROSE
    assert at(radam, warmup).sign == 0
    assert "differences of RAdam minus Adam are positive" in PROSE and min(at(radam, adam).differences) > 0
    stopped = analysis.stopped_seeds(analysis.endpoint_sweep([followup], [adam, warmup, radam], "train_loss"))
    seeds = len(plan["FOLLOWUP_SEEDS"])
    stopped[adam][control * rate] = analysis.at_rate(stopped[adam], control * rate)
    assert "RAdam and the untuned warmup learned on every new seed" in PROSE
    assert not stopped[warmup][rate] and not stopped[radam][rate]
    assert "and the control on none" in PROSE and len(stopped[adam][control * rate]) == seeds
    assert "never the other way round" in PROSE and 0 < len(stopped[adam][rate]) < seeds
    assert "**Less rate did not rescue Adam.**" in PROSE
    assert set(stopped[adam][rate]) <= set(stopped[adam][control * rate])
