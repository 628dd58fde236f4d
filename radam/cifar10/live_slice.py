"""Chapter 8's live slice, and the measurement of how well its check works.

:func:`run_slice` retrains a slice of a committed run (the first epoch of ``adam-warmup`` and ``radam``,
seed 0) on the same images, when CIFAR-10 is already on this machine;
:func:`radam.cifar10.live_check.judge_own_seed` then says whether it is bit-identical, within a margin of its
seed's committed values, or outside it.

The check's error rates are measured, not assumed. The command ::

    python -m radam.cifar10.live_slice --calibrate --results book/results/long-run --out book/results/live-check

trains the slice once unchanged and once per :data:`VARIANTS` entry, each in a process of its own, with plain
Adam beside it (:data:`CONTRAST_ARMS`): slices whose floating-point sums differ as on another machine (one
intra-op thread, oneDNN off, the learning rate moved by a few parts in a million: rounding-level changes that
grow over the slice's steps) must pass; slices made by code that would change the results (another learning
rate or beta, the rectification dropped) should fail.
It writes ``live-check.json``: every slice's records, its variant, and the provenance of the command.
Chapter 8 judges them with the current rule and states the false alarms and the detections.
"""

import argparse
import dataclasses
import json
import os
import shlex
import subprocess
import sys
import time

from radam.cifar10 import live_check

SLICE_ARMS = ("adam-warmup", "radam")
"""The arms the slice retrains, the book's optimizer and Adam with a warmup, whose first epoch rounding moves
little, since both take small steps at first."""
CONTRAST_ARMS = ("adam",)
"""Arms the calibration trains beside the slice's and the slice leaves out. Plain Adam takes steps of the full
rate from the first, each divided by the root of a second moment that holds only the first few squared
gradients, so rounding moves its first epoch about as far as a change of the code does."""
SLICE_SEED = 0
"""The seed of the runs the slice retrains."""
SLICE_EPOCHS = 1
"""How many epochs the slice retrains, from the first."""


@dataclasses.dataclass(frozen=True)
class Variant:
    """A way to train the slice: ``kind`` "perturbed" (floats differ, the code does not) or "changed" (the code
    that makes the numbers differs). ``env`` is set before TensorFlow starts; ``arm_changes`` replace fields of
    every slice arm (``learning_rate_factor`` multiplies the rate)."""

    name: str
    kind: str
    description: str
    env: tuple = ()
    arm_changes: tuple = ()


def _rate(factor, description, name, kind="perturbed"):
    return Variant(name, kind, description, arm_changes=(("learning_rate_factor", factor),))


VARIANTS = (
    Variant("one-thread", "perturbed", "one intra-op thread instead of two", env=(("TF_NUM_INTRAOP_THREADS", "1"),)),
    Variant("onednn-off", "perturbed", "oneDNN kernels off", env=(("TF_ENABLE_ONEDNN_OPTS", "0"),)),
    *(
        _rate(1 + k * 1e-6, f"learning rate times 1 {'+' if k > 0 else '-'} {abs(k)}e-6", f"rate{k:+d}e-6")
        for k in (1, -1, 2, -2, 3, -3, 4, -4, 5, -5)
    ),
    _rate(2.0, "learning rate doubled", "rate-x2", "changed"),
    _rate(0.5, "learning rate halved", "rate-x0.5", "changed"),
    Variant("beta_1-0.8", "changed", "beta_1 = 0.8 instead of 0.9", arm_changes=(("beta_1", 0.8),)),
    Variant("beta_2-0.99", "changed", "beta_2 = 0.99 instead of 0.999", arm_changes=(("beta_2", 0.99),)),
    Variant(
        "no-rectification", "changed", "RAdam without its rectification (Adam's update)",
        arm_changes=(("optimizer", "adam"),),
    ),
)
"""The variants :func:`calibrate` trains, besides the unchanged slice."""
VARIANTS_BY_NAME = {variant.name: variant for variant in VARIANTS}

SKIPPED_NO_DATA = (
    "The live slice was skipped: no CIFAR-10 files are on this machine (it never downloads them for the slice). "
    "To run it, point DATA_DIR (or RADAM_CIFAR10_DIR) at a folder with the CIFAR-10 python-version batch files "
    "(the full data set or the 5,482-image subset) and run the page again."
)


def unsliceable(reference, arms=SLICE_ARMS):
    """Why ``reference`` cannot be checked by the slice (a sentence), or None: it needs results trained with op
    determinism in float32 (the slice repeats such a run up to rounding, and
    :func:`radam.cifar10.live_check.judge_own_seed` allows no more), and the ``arms``, each with a record of seed
    :data:`SLICE_SEED` and at least two seeds at epoch :data:`SLICE_EPOCHS`."""
    settings = reference.settings
    if not settings.get("deterministic") or settings.get("mixed_precision"):
        return (
            "The live slice was skipped: it repeats a run trained with op determinism in float32 "
            "(--deterministic, no mixed precision) and allows only rounding, but these results were trained "
            f"{'in mixed precision' if settings.get('mixed_precision') else 'without op determinism'}, so no "
            "slice of them can be repeated that closely."
        )
    for name in arms:
        seeds = {r["seed"] for r in reference.records if r["arm"] == name and r["epoch"] == SLICE_EPOCHS}
        if SLICE_SEED not in seeds or len(seeds) < 2:
            return (
                f"The live slice was skipped: it retrains arm {name!r}, seed {SLICE_SEED}, and judges it against "
                f"at least two seeds of that arm, but these results hold epoch {SLICE_EPOCHS} of "
                f"{len(seeds)} seed(s) of it{'' if SLICE_SEED in seeds else f', not seed {SLICE_SEED}'}."
            )
    return None


def _arms(reference, arm_changes, names):
    from radam.cifar10.arms import Arm

    by_name = {arm.name: arm for arm in reference.arms}
    changes = dict(arm_changes)
    factor = changes.pop("learning_rate_factor", 1.0)
    arms = []
    for name in names:
        config = dict(by_name[name].config(), **changes)
        config["learning_rate"] *= factor
        arms.append(Arm(**config))
    return arms


def run_slice(reference, data_dir=None, arm_changes=(), command="chapter 8 live slice", arms=SLICE_ARMS):
    """(live Results, None), or (None, the sentence saying why the slice was skipped).

    Retrains ``arms`` (by default :data:`SLICE_ARMS`), seed :data:`SLICE_SEED`, for :data:`SLICE_EPOCHS` epoch on
    the reference run's images, with its validation split, augmentation and batch size. The images are found on
    this machine by ``radam.cifar10.data.local_folder`` (never downloaded); from the full data set it takes the
    subset's rows (:func:`radam.cifar10.live_check.select_subset`). TensorFlow's op determinism is on, so one
    machine repeats the slice bit for bit (without it, two runs on one busy machine can differ in the last
    digits); it also picks other kernels than a run without it, so the slice equals committed records only where
    they were trained with ``--deterministic`` on the same machine.
    """
    problem = unsliceable(reference, arms)
    if problem:
        return None, problem
    from radam.cifar10.data import load_cifar10, local_folder

    folder = local_folder(data_dir)
    if folder is None:
        return None, SKIPPED_NO_DATA
    from radam.cifar10.provenance import digest
    from radam.cifar10.runner import run_experiment

    data = load_cifar10(folder)
    used = reference.settings["data"]
    # the training images before the validation split took its share (none in results without one)
    n_train, n_test = used["used_train"] + used.get("used_validation", 0), used["used_test"]
    if n_train == sum(live_check.SUBSET_ROWS):
        data = live_check.select_subset(data)
    (x_train, y_train), (x_test, y_test) = data
    data = (x_train[:n_train], y_train[:n_train]), (x_test[:n_test], y_test[:n_test])
    found = digest([*data[0], *data[1]])
    if found != used["digest"]:
        return None, (
            f"The live slice was skipped: the CIFAR-10 files in {folder} are not the images of these results "
            f"(data digest {found}, the results' {used['digest']}), and a slice can only be compared on the "
            "same images."
        )
    live = run_experiment(
        _arms(reference, arm_changes, arms),
        SLICE_EPOCHS,
        [SLICE_SEED],
        data=data,
        validation_images=reference.settings["validation_images"],
        augment=reference.settings["augment"],
        batch_size=reference.settings["batch_size"],
        progress=False,
        deterministic=True,
        command=command,
    )
    return live, None


def _records(live):
    return [{key: record[key] for key in ("arm", "seed", "epoch", *live_check.SLICE_METRICS)} for record in live.records]


def _run_variant_here(reference_path, name, data_dir):
    from radam.cifar10.results import Results

    variant = VARIANTS_BY_NAME.get(name) or Variant("unchanged", "control", "the slice as chapter 8 trains it")
    live, skipped = run_slice(Results.load(reference_path), data_dir, variant.arm_changes, command=f"variant {name}",
                              arms=SLICE_ARMS + CONTRAST_ARMS)
    if skipped:
        raise SystemExit(skipped)
    print(json.dumps({"variant": variant.name, "records": _records(live)}))


def calibrate(reference_path, out_dir, data_dir=None, names=None):
    """Train the unchanged slice and every variant (or those in ``names``), each in its own process, and write
    ``out_dir/live-check.json`` after each; returns its content.

    An interrupted calibration resumes: the slices already in the file are kept, not retrained, provided the
    file was made by the same code on the same machine (the same commit, without uncommitted changes, the same
    CPU); otherwise it raises ValueError before training anything, so one file never mixes two codes.
    """
    from radam.cifar10 import provenance
    from radam.cifar10.store import atomic_write

    wanted = ["unchanged", *(v.name for v in VARIANTS)] if names is None else list(names)
    unknown = [name for name in wanted if name != "unchanged" and name not in VARIANTS_BY_NAME]
    if unknown:
        raise ValueError(f"unknown variants {unknown}; known: unchanged, {', '.join(VARIANTS_BY_NAME)}")
    command = " ".join(["python -m radam.cifar10.live_slice", *map(shlex.quote, sys.argv[1:])])
    now = provenance.provenance(command, provenance.now(), provenance.now(), 0.0)
    path = os.path.join(out_dir, "live-check.json")
    saved, earlier_s = {}, 0.0
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            before = json.load(f)
        made = before["provenance"]
        same = [made.get(key) == now[key] for key in ("commit", "cpu")] + [
            made.get("uncommitted_changes") is False and now["uncommitted_changes"] is False
        ]
        if not all(same):
            raise ValueError(
                f"{path} was made by other code or on another machine (commit {made.get('commit')}, "
                f"uncommitted changes {made.get('uncommitted_changes')}, CPU {made.get('cpu')!r}; here commit "
                f"{now['commit']}, uncommitted changes {now['uncommitted_changes']}, CPU {now['cpu']!r}): "
                "delete it to calibrate again"
            )
        saved = {slice_["variant"]: slice_ for slice_ in before["slices"]}
        now["started"], earlier_s = made["started"], made["wall_time_s"]
    os.makedirs(out_dir, exist_ok=True)
    clock = time.monotonic()
    for name in wanted:
        if name in saved:
            continue
        variant = VARIANTS_BY_NAME.get(name)
        env = dict(os.environ, **dict(variant.env if variant else ()))
        argv = [sys.executable, "-m", "radam.cifar10.live_slice", "--variant", name, "--results", reference_path]
        if data_dir:
            argv += ["--data-dir", data_dir]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"variant {name} failed: {done.stderr.strip()[-2000:]}")
        slice_ = json.loads(done.stdout.strip().splitlines()[-1])
        slice_.update(
            kind=variant.kind if variant else "control",
            description=variant.description if variant else "the slice as chapter 8 trains it",
        )
        saved[name] = slice_
        now.update(finished=provenance.now(), wall_time_s=round(earlier_s + time.monotonic() - clock, 1))
        content = {
            "reference": os.path.basename(os.path.normpath(reference_path)),
            "machine": provenance.cpu(),
            "provenance": now,
            "slices": [saved[key] for key in ["unchanged", *VARIANTS_BY_NAME] if key in saved],
        }
        atomic_write(path, (json.dumps(content, indent=1) + "\n").encode())
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m radam.cifar10.live_slice",
        description="Train chapter 8's live slice, one variant of it, or all of them (--calibrate).",
    )
    parser.add_argument("--results", required=True, help="the committed reference results folder")
    parser.add_argument(
        "--data-dir", default=None, help="CIFAR-10 batch files (default: RADAM_CIFAR10_DIR, Keras's cache)"
    )
    parser.add_argument(
        "--variant",
        default=None,
        choices=["unchanged", *VARIANTS_BY_NAME],
        help="train one variant and print its records as JSON",
    )
    parser.add_argument("--calibrate", action="store_true", help="train the unchanged slice and every variant")
    parser.add_argument("--out", default=None, help="with --calibrate: the folder for live-check.json")
    args = parser.parse_args(argv)
    if args.calibrate == (args.variant is not None):
        parser.error("give exactly one of --variant NAME and --calibrate")
    if args.variant is not None:
        _run_variant_here(args.results, args.variant, args.data_dir)
    else:
        if not args.out:
            parser.error("--calibrate needs --out")
        calibrate(args.results, args.out, args.data_dir)


if __name__ == "__main__":
    main()
